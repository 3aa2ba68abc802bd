import { afterEach, describe, expect, it, vi } from 'vitest'
import { inCi, needServer } from './server-suites.js'

describe('suites that need a server', () => {
  afterEach(() => vi.unstubAllEnvs())

  it('know CI by its variable (true, 1, yes) and not by false, 0 or nothing', () => {
    for (const [value, expected] of [['true', true], ['1', true], ['yes', true], ['false', false], ['0', false], ['', false]] as const) {
      vi.stubEnv('CI', value)
      expect({ value, ci: inCi() }).toEqual({ value, ci: expected })
    }
  })

  it('in CI, fail a test whose server is missing, naming it and the fix, instead of skipping it', () => {
    vi.stubEnv('CI', 'true')
    const skip = vi.fn((): never => undefined as never)
    expect(() => needServer({ skip }, 'no Redis at 127.0.0.1:6379')).toThrow(/no Redis at 127\.0\.0\.1:6379\. Run \.ci\/servers/)
    expect(skip).not.toHaveBeenCalled()
  })

  it('elsewhere, skip it with the reason, and run it when the server is there', () => {
    vi.stubEnv('CI', '')
    const skip = vi.fn((): never => undefined as never)
    needServer({ skip }, 'no Redis at 127.0.0.1:6379')
    expect(skip).toHaveBeenCalledWith('no Redis at 127.0.0.1:6379')
    needServer({ skip }, null)
    expect(skip).toHaveBeenCalledTimes(1)
  })
})
