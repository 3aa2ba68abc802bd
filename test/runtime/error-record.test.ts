/**
 * What a failure's record keeps (name, message, code, a cut stack, the cause
 * chain, the JSON of a value that is not an Error), bounded whatever was
 * thrown, and that building it never throws.
 */
import { describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, describeCause, MemoryWorkflowStore, TaskTimeoutError, type RunEvent } from 'weft-sdk'
import { toErrorRecord, toEventErrorRecord } from '../../src/runtime/error-record.js'

function withStackLines(lines: number): Error {
  const error = new Error('deep')
  error.stack = ['Error: deep', ...Array.from({ length: lines }, (_, i) => `    at frame${i} (file.js:${i}:1)`)].join('\n')
  return error
}

describe('toErrorRecord', () => {
  it('records a plain object thrown as JSON, named object, without a stack', () => {
    expect(toErrorRecord({ status: 503 })).toEqual({ name: 'object', message: '{"status":503}', code: undefined, value: '{"status":503}' })
  })

  it('records a thrown null as null, and other primitives by their type', () => {
    expect(toErrorRecord(null)).toEqual({ name: 'null', message: 'null', code: undefined, value: 'null' })
    expect(toErrorRecord('boom')).toMatchObject({ name: 'string', message: 'boom', value: '"boom"' })
    expect(toErrorRecord(undefined)).toMatchObject({ name: 'undefined', message: 'undefined', value: 'undefined' })
    expect(toErrorRecord(42n)).toMatchObject({ name: 'bigint', value: '"42n"' })
  })

  it('names a thrown instance of a class that is not an Error by its class, and keeps its code', () => {
    class Response {
      status = 429
      code = 'RATE_LIMITED'
    }
    expect(toErrorRecord(new Response())).toEqual({ name: 'Response', message: '{"status":429,"code":"RATE_LIMITED"}', code: 'RATE_LIMITED', value: '{"status":429,"code":"RATE_LIMITED"}' })
  })

  it("keeps an Error's name, message, code and stack, and no value", () => {
    const record = toErrorRecord(new TaskTimeoutError('fetch', 100), 'fetch')
    expect(record).toMatchObject({ name: 'TaskTimeoutError', code: 'WEFT_TASK_TIMEOUT', task: 'fetch' })
    expect(record.stack).toMatch(/^TaskTimeoutError: .*\n\s+at /)
    expect(record).not.toHaveProperty('value')
  })

  it("keeps an Error's own extra properties (an HTTP client's status) as JSON, bounded", () => {
    const http = Object.assign(new Error('Too Many Requests'), { status: 429, retryAfter: 2, code: 'E_HTTP' })
    expect(toErrorRecord(http)).toMatchObject({ name: 'Error', code: 'E_HTTP', props: '{"status":429,"retryAfter":2}' })
    expect(toErrorRecord(new Error('plain'))).not.toHaveProperty('props')
    const huge = Object.assign(new Error('huge'), { body: 'x'.repeat(10_000) })
    expect(toErrorRecord(huge).props!.length).toBeLessThanOrEqual(1024)
    const cause = Object.assign(new Error('inner'), { status: 503 })
    expect(toErrorRecord(new Error('outer', { cause })).causes).toEqual([{ name: 'Error', message: 'inner', code: undefined, props: '{"status":503}' }])
  })

  it("records an AggregateError's errors like causes, at most 5, with their count", () => {
    const few = new AggregateError([new TypeError('a'), { status: 500 }], 'all failed')
    expect(toErrorRecord(few)).toMatchObject({
      name: 'AggregateError',
      message: 'all failed',
      errors: [
        { name: 'TypeError', message: 'a', code: undefined },
        { name: 'object', message: '{"status":500}', value: '{"status":500}' },
      ],
    })
    expect(toErrorRecord(few)).not.toHaveProperty('errorCount')
    const many = new AggregateError(Array.from({ length: 12 }, (_, i) => new Error(`e${i}`)), 'many')
    const record = toErrorRecord(many)
    expect(record.errors!.map((e) => e.message)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4'])
    expect(record.errorCount).toBe(12)
    expect(toEventErrorRecord(many).errors).toHaveLength(5)
  })

  it('cuts a stack to its first 20 lines, marking the cut', () => {
    const stack = toErrorRecord(withStackLines(100)).stack!
    expect(stack.split('\n')).toHaveLength(21)
    expect(stack.split('\n').slice(0, 2)).toEqual(['Error: deep', '    at frame0 (file.js:0:1)'])
    expect(stack.endsWith('\n…')).toBe(true)
  })

  it('cuts a stack to 4,096 characters', () => {
    const error = new Error('x')
    error.stack = `Error: ${'x'.repeat(100_000)}\n    at f (a.js:1:1)`
    const stack = toErrorRecord(error).stack!
    expect(stack.length).toBeLessThanOrEqual(4096)
    expect(stack.endsWith('\n…')).toBe(true)
  })

  it('keeps a short stack whole', () => {
    const error = withStackLines(3)
    expect(toErrorRecord(error).stack).toBe(error.stack)
  })

  it('records the cause chain, outermost first, with each name, message and code', () => {
    const root = Object.assign(new Error('connection reset'), { code: 'ECONNRESET' })
    const error = new Error('charge failed', { cause: new TypeError('bad response', { cause: root }) })
    expect(toErrorRecord(error).causes).toEqual([
      { name: 'TypeError', message: 'bad response', code: undefined },
      { name: 'Error', message: 'connection reset', code: 'ECONNRESET' },
    ])
  })

  it('records a cause that is not an Error as JSON', () => {
    expect(toErrorRecord(new Error('x', { cause: { status: 503 } })).causes).toEqual([{ name: 'object', message: '{"status":503}', code: undefined, value: '{"status":503}' }])
  })

  it('stops the cause chain at a cycle', () => {
    const a = new Error('a')
    const b = new Error('b', { cause: a })
    ;(a as { cause?: unknown }).cause = b
    expect(toErrorRecord(a).causes!.map((c) => c.message)).toEqual(['b'])
  })

  it('keeps at most 5 causes, each message at most 1,024 characters', () => {
    let error = new Error('x'.repeat(10_000))
    for (let i = 0; i < 20; i++) error = new Error(`level ${i}`, { cause: error })
    const causes = toErrorRecord(error).causes!
    expect(causes.map((c) => c.message)).toEqual(['level 18', 'level 17', 'level 16', 'level 15', 'level 14'])
    let deep = new Error('x'.repeat(10_000))
    deep = new Error('top', { cause: deep })
    expect(toErrorRecord(deep).causes![0]!.message).toHaveLength(1024)
  })

  it('has no causes when the error has none', () => {
    expect(toErrorRecord(new Error('x'))).not.toHaveProperty('causes')
  })

  it('bounds the rendering of a huge value to 4,096 characters, reading no more of it than it prints', () => {
    let reads = 0
    const items = new Proxy([] as unknown[], {
      get(target, key) {
        if (key === 'length') return 1_000_000_000
        if (typeof key === 'string' && /^\d+$/.test(key)) {
          reads++
          return { i: Number(key), text: 'y'.repeat(100) }
        }
        return Reflect.get(target, key)
      },
    })
    const record = toErrorRecord({ items })
    expect(record.value!.length).toBeLessThanOrEqual(4096)
    expect(record.message.length).toBeLessThanOrEqual(4096)
    expect(record.value!.startsWith('{"items":[{"i":0,"text":"yyy')).toBe(true)
    // The message and the value render it once each: at most 50 items each.
    expect(reads).toBeLessThanOrEqual(100)
  })

  it('cuts a long message to 4,096 characters', () => {
    expect(toErrorRecord(new Error('m'.repeat(100_000))).message).toHaveLength(4096)
  })

  it('renders cycles, BigInts, deep nesting, long arrays and throwing getters instead of throwing', () => {
    const cyclic: Record<string, unknown> = { n: 1n }
    cyclic.self = cyclic
    expect(toErrorRecord(cyclic).value).toBe('{"n":"1n","self":"[Circular]"}')
    const getter = Object.defineProperty({ ok: true }, 'bad', {
      enumerable: true,
      get() {
        throw new Error('no')
      },
    })
    expect(toErrorRecord(getter).value).toBe('{"ok":true,"bad":"[unreadable]"}')
    expect(toErrorRecord({ a: { b: { c: { d: { e: { f: { g: 1 } } } } } } }).value).toBe('{"a":{"b":{"c":{"d":{"e":{"f":"[Object]"}}}}}}')
    expect(toErrorRecord(Array.from({ length: 60 }, (_, i) => i)).value).toMatch(/,49,"10 more"\]$/)
    expect(toErrorRecord({ toJSON: () => ({ status: 503 }) }).value).toBe('{"status":503}')
    const badToJson = {
      toJSON() {
        throw new Error('no')
      },
    }
    expect(toErrorRecord(badToJson).value).toBe('{}')
  })

  it('never throws, whatever was thrown', () => {
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    const throwingError = new Error('x')
    // The stack first: redefining it formats the stack, which reads name and message.
    for (const key of ['stack', 'cause', 'code', 'name', 'message']) {
      Object.defineProperty(throwingError, key, {
        get() {
          throw new Error(key)
        },
      })
    }
    const trapsThrow = new Proxy(
      {},
      {
        get() {
          throw new Error('trap')
        },
        ownKeys() {
          throw new Error('trap')
        },
        getPrototypeOf() {
          throw new Error('trap')
        },
      },
    )
    for (const thrown of [proxy, throwingError, trapsThrow, Object.create(null), Symbol('s'), () => 1]) {
      const record = toErrorRecord(thrown)
      expect(typeof record.name).toBe('string')
      expect(typeof record.message).toBe('string')
      expect(() => JSON.stringify(record)).not.toThrow()
    }
  })
})

describe('toEventErrorRecord', () => {
  it('is the stored record without its stack', () => {
    const error = new Error('outer', { cause: new Error('inner') })
    const { stack, ...rest } = toErrorRecord(error)
    expect(stack).toBeDefined()
    expect(toEventErrorRecord(error)).toEqual(rest)
  })
})

describe('describeCause', () => {
  it('bounds the rendering of a value that is not an Error', () => {
    expect(describeCause({ list: Array.from({ length: 100_000 }, () => 'z'.repeat(50)) }).length).toBeLessThanOrEqual(4096)
  })
})

describe('the records of a failed run', () => {
  it('store the stack and causes, while the events carry the causes without the stack', async () => {
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store })
    const events: RunEvent[] = []
    engine.on('task.failed', (event) => events.push(event))
    engine.on('run.failed', (event) => events.push(event))
    const workflow = defineWorkflow({ name: 'charging', version: 1 })
      .task('charge', () => {
        throw new Error('charge failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) })
      })
      .build()
    const run = await engine.start(workflow)
    await run.result().catch(() => undefined)
    const causes = [{ name: 'Error', message: 'reset', code: 'ECONNRESET' }]
    const [step] = await store.loadSteps(run.id)
    expect(step!.error).toMatchObject({ name: 'Error', message: 'charge failed', causes, stack: expect.stringMatching(/^Error: charge failed\n/) })
    expect((await store.getRun(run.id))!.error).toMatchObject({ task: 'charge', causes, stack: expect.any(String) })
    expect(events.map((e) => e.type)).toEqual(['task.failed', 'run.failed'])
    for (const event of events) {
      expect((event as { error: object }).error).toMatchObject({ message: 'charge failed', causes })
      expect((event as { error: object }).error).not.toHaveProperty('stack')
    }
    await engine.close()
  })
})
