import { describe, expect, it } from 'vitest'
import { CycleError, formatMillis, InvalidOptionsError, isWeftError, newRunId, RunFailedError, TaskTimeoutError, toMillis } from 'weft-sdk'

describe('toMillis', () => {
  it.each([
    [250, 250],
    ['250 ms', 250],
    ['5 s', 5_000],
    ['1.5s', 1_500],
    ['2 m', 120_000],
    ['1 h', 3_600_000],
    ['2 d', 172_800_000],
    ['0.5d', 43_200_000],
    [0, 0],
  ] as const)('reads %j as %d ms', (input, ms) => {
    expect(toMillis(input)).toBe(ms)
  })

  it.each([[-1], [Number.NaN], [Infinity], ['5'], ['5 days'], ['2 w'], ['-5 s'], ['']])('rejects %j with InvalidOptionsError', (input) => {
    expect(() => toMillis(input as never, 'timeout')).toThrow(InvalidOptionsError)
    expect(() => toMillis(input as never, 'timeout')).toThrow(/^timeout must be /)
  })
})

describe('formatMillis', () => {
  it.each([
    [0.25, '0.25 ms'],
    [850, '850 ms'],
    [1_234, '1.23 s'],
    [12_345, '12.3 s'],
    [185_000, '3 m 5 s'],
    [999.7, '1.00 s'],
    [59_999, '1 m 0 s'],
    [179_999, '3 m 0 s'],
    [7_200_000, '2 h 0 m 0 s'],
  ])('formats %d', (ms, text) => {
    expect(formatMillis(ms)).toBe(text)
  })
})

describe('errors', () => {
  it('carry a code, a tag equal to the class name, and whether a retry can help', () => {
    const error = new TaskTimeoutError('fetch', 100)
    expect(error.code).toBe('WEFT_TASK_TIMEOUT')
    expect(error._tag).toBe('TaskTimeoutError')
    expect(error.name).toBe('TaskTimeoutError')
    expect(error.isRetryable).toBe(true)
    expect(new CycleError('w', ['a', 'a']).isRetryable).toBe(false)
  })

  it('are recognised by brand, even from another copy of the package', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('weft/error')]: true })
    expect(isWeftError(foreign)).toBe(true)
    expect(isWeftError(new Error('x'))).toBe(false)
    expect(isWeftError(null)).toBe(false)
  })

  it('keep the cause of a failed run', () => {
    const cause = new TypeError('bad')
    const error = new RunFailedError('r1', 'orders', 'charge', cause)
    expect(error.cause).toBe(cause)
    expect(error.message).toBe('run r1 of workflow "orders" failed in task "charge": bad')
  })
})

describe('newRunId', () => {
  it('makes 24-character ids that sort by creation time', () => {
    const earlier = newRunId(1_700_000_000_000)
    const later = newRunId(1_700_000_000_001)
    expect(earlier).toMatch(/^[0-9a-z]{24}$/)
    expect(earlier < later).toBe(true)
  })

  it('does not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newRunId(0)))
    expect(ids.size).toBe(10_000)
  })
})
