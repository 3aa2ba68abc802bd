import { describe, expect, it } from 'vitest'
import { BulkheadRejectedError, defineWorkflow, RateLimitedError, type RunFailedError } from 'weft-sdk'
import { flush, virtualTime } from '../support/test-clock.js'
import { memoryEngine } from '../support/engines.js'

function gate() {
  const waiting: (() => void)[] = []
  return {
    wait: () => new Promise<void>((resolve) => waiting.push(resolve)),
    openAll: () => waiting.splice(0).forEach((open) => open()),
    get waiting() {
      return waiting.length
    },
  }
}

describe('@Bulkhead', () => {
  it('runs maxConcurrent calls, queues maxQueue more and rejects the next one', async () => {
    const door = gate()
    let running = 0
    let peak = 0
    const workflow = defineWorkflow({ name: 'bulk', version: 1 })
      .task('work', { bulkhead: { maxConcurrent: 2, maxQueue: 1 } }, async () => {
        running++
        peak = Math.max(peak, running)
        await door.wait()
        running--
        return 'done'
      })
      .build()
    const engine = memoryEngine()
    const runs = await Promise.all(Array.from({ length: 4 }, () => engine.start(workflow)))
    await flush()
    expect(door.waiting).toBe(2)
    const fourth = await runs[3]!.outcome()
    expect((fourth.error as RunFailedError).cause).toBeInstanceOf(BulkheadRejectedError)
    expect(((fourth.error as RunFailedError).cause as Error).message).toBe('bulkhead "bulk.work" is full (2 running, 1 queued); call rejected')
    door.openAll()
    await flush()
    expect(door.waiting).toBe(1)
    door.openAll()
    const statuses = (await Promise.all(runs.slice(0, 3).map((r) => r.outcome()))).map((o) => o.status)
    expect(statuses).toEqual(['completed', 'completed', 'completed'])
    expect(peak).toBe(2)
    await engine.close()
  })
})

describe('@RateLimit', () => {
  it("waits for the next window when onLimit is 'wait'", async () => {
    const time = virtualTime()
    const startedAt: number[] = []
    const workflow = defineWorkflow({ name: 'limited', version: 1 })
      .task('call', { rateLimit: { limit: 2, window: '1 s' } }, () => startedAt.push(time.now()))
      .build()
    const engine = memoryEngine({ clock: time.clock })
    const runs = await Promise.all(Array.from({ length: 5 }, () => engine.start(workflow)))
    await flush()
    expect(startedAt).toEqual([0, 0])
    await time.advance(1_000)
    expect(startedAt).toEqual([0, 0, 1_000, 1_000])
    await time.advance(1_000)
    expect(startedAt).toEqual([0, 0, 1_000, 1_000, 2_000])
    await Promise.all(runs.map((r) => r.outcome()))
    await engine.close()
  })

  it("fails the call with RateLimitedError when onLimit is 'fail'", async () => {
    const time = virtualTime()
    let calls = 0
    const workflow = defineWorkflow({ name: 'strict', version: 1 })
      .task('call', { rateLimit: { limit: 1, window: '1 m', onLimit: 'fail' } }, () => ++calls)
      .build()
    const engine = memoryEngine({ clock: time.clock })
    expect((await (await engine.start(workflow)).outcome()).status).toBe('completed')
    const second = await (await engine.start(workflow)).outcome()
    const cause = (second.error as RunFailedError).cause as RateLimitedError
    expect(cause).toBeInstanceOf(RateLimitedError)
    expect(cause.retryAfterMs).toBe(60_000)
    expect(calls).toBe(1)
    await engine.close()
  })
})

describe('@Cache', () => {
  it('serves a second run with the same key from the cache until the TTL passes', async () => {
    const time = virtualTime()
    let calls = 0
    const workflow = defineWorkflow<{ currency: string }>({ name: 'rates', version: 1 })
      .task('rate', { cache: { ttl: '5 m', key: (input: { currency: string }) => input.currency } }, (input) => `${input.currency}:${++calls}`)
      .build()
    const engine = memoryEngine({ clock: time.clock })
    expect((await engine.run(workflow, { currency: 'EUR' })).output('rate')).toBe('EUR:1')
    expect((await engine.run(workflow, { currency: 'EUR' })).output('rate')).toBe('EUR:1')
    expect((await engine.run(workflow, { currency: 'USD' })).output('rate')).toBe('USD:2')
    await time.advance(5 * 60_000 + 1)
    expect((await engine.run(workflow, { currency: 'EUR' })).output('rate')).toBe('EUR:3')
    await engine.close()
  })

  it('does not cache failures', async () => {
    let calls = 0
    const workflow = defineWorkflow({ name: 'cached-fail', version: 1 })
      .task('x', { cache: { ttl: '1 h' } }, () => {
        calls++
        if (calls === 1) throw new Error('first fails')
        return calls
      })
      .build()
    const engine = memoryEngine()
    expect((await (await engine.start(workflow)).outcome()).status).toBe('failed')
    expect((await engine.run(workflow)).output('x')).toBe(2)
    expect((await engine.run(workflow)).output('x')).toBe(2)
    await engine.close()
  })
})

describe('shared rate limits and bulkheads', () => {
  it.each([
    ['rate limit', { rateLimit: { name: 'api', limit: 5, window: '1 s' } }, { rateLimit: { name: 'api', limit: 6, window: '1 s' } }],
    ['bulkhead', { bulkhead: { name: 'api', maxConcurrent: 2 } }, { bulkhead: { name: 'api', maxConcurrent: 3 } }],
  ] as const)('rejects a second workflow that configures the same %s differently', async (noun, first, second) => {
    const a = defineWorkflow({ name: 'a', version: 1 }).task('x', first, () => 1).build()
    const b = defineWorkflow({ name: 'b', version: 1 }).task('y', second, () => 1).build()
    const engine = memoryEngine({ workflows: [a] })
    expect(() => engine.register(b)).toThrow(
      `workflow "b" version 1 task "y" configures ${noun} "api" differently from workflow "a" version 1 task "x"; use the same settings to share it, or another name`,
    )
    await engine.close()
  })
})
