/**
 * The durable outbox in the engine, with an in-process outbox target: what
 * a task records is written with its step and delivered after it, once per
 * entry id; a failed attempt records nothing; failed deliveries are retried
 * with backoff and given up after the last attempt (visible in
 * `engine.outbox`); an engine that does not claim runs does not deliver.
 */
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AmqpPublishError } from 'weft-sdk/amqp'
import { createEngine, defineWorkflow, OutboxPayloadError, sqliteStore, type OutboxDelivered, type OutboxFailed } from 'weft-sdk'
import { OutboxRecorder } from './outbox-recorder.js'

const Notify = defineWorkflow<{ orderId: string }>({ name: 'outbox-notify', version: 1 })
  .services({ recorder: OutboxRecorder })
  .task('notify', (input, ctx) => {
    const sent = ctx.use(ctx.services.recorder)
    return [sent.send({ orderId: input.orderId, n: 1 }), sent.send({ orderId: input.orderId, n: 2 })]
  })
  .build()

function engineWith(recorder: OutboxRecorder, extra: Parameters<typeof createEngine>[0] = {}) {
  return createEngine({ store: sqliteStore({ path: ':memory:' }), adapters: [{ token: OutboxRecorder, adapter: recorder }], outbox: { retry: { maxAttempts: 3, backoff: { initial: 1, max: 1 } }, pollInterval: '20 ms' }, ...extra })
}

describe('the durable outbox in the engine', () => {
  it("delivers a step's entries after the step, with stable ids, and reports them", async () => {
    const recorder = new OutboxRecorder()
    const engine = engineWith(recorder)
    const delivered: OutboxDelivered[] = []
    engine.on('outbox.delivered', (event) => delivered.push(event))
    const run = await engine.start(Notify, { orderId: 'o-1' })
    const ids = (await run.result()).output('notify')
    expect(ids).toEqual([`${run.id}:notify:recorder:outbox:1`, `${run.id}:notify:recorder:outbox:2`])
    await engine.outbox.deliver()
    expect(recorder.delivered.map((e) => [e.id, e.payload])).toEqual([
      [ids[0], { body: { orderId: 'o-1', n: 1 } }],
      [ids[1], { body: { orderId: 'o-1', n: 2 } }],
    ])
    expect(delivered.map((e) => [e.id, e.runId, e.adapter, e.attempts])).toEqual(ids.map((id) => [id, run.id, 'recorder', 1]))
    expect(await engine.outbox.counts()).toEqual({ pending: 0, delivered: 2, dead: 0 })
    await engine.close()
  })

  it('records only the entries of the attempt that succeeded (a failed attempt records none)', async () => {
    let attempt = 0
    const Flaky = defineWorkflow({ name: 'outbox-flaky', version: 1 })
      .services({ recorder: OutboxRecorder })
      .task('flaky', { retry: { maxAttempts: 3, backoff: { initial: 0, max: 0 } } }, (_input, ctx) => {
        attempt++
        const sent = ctx.use(ctx.services.recorder)
        if (attempt === 1) {
          sent.send('first attempt, a')
          sent.send('first attempt, b')
          throw new Error('boom')
        }
        if (attempt === 2) throw new Error('boom again, nothing recorded')
        return sent.send('third attempt')
      })
      .build()
    const recorder = new OutboxRecorder()
    const engine = engineWith(recorder)
    const run = await engine.start(Flaky)
    await run.result()
    await engine.outbox.deliver()
    expect(recorder.delivered.map((e) => [e.id, e.payload])).toEqual([[`${run.id}:flaky:recorder:outbox:1`, { body: 'third attempt' }]])
    expect(await engine.outbox.list({ runId: run.id })).toHaveLength(1)
    await engine.close()
  })

  it("writes a fallback's entries with the step its result completes, none of the failed attempt's; a fallback that fails too writes none", async () => {
    const recorder = new OutboxRecorder()
    const Quote = defineWorkflow<{ fails: boolean }>({ name: 'outbox-fallback', version: 1 })
      .services({ recorder: OutboxRecorder })
      .task(
        'quote',
        {
          recover: {
            strategies: {
              unknown: {
                fallbackWith: (_error, _input, ctx) => {
                  const sent = ctx.use(ctx.services.recorder)
                  if (!ctx.input.fails) return sent.send('from the fallback')
                  sent.send('from the fallback, then it failed too')
                  throw new Error('the fallback failed as well')
                },
              },
            },
          },
        },
        (_input, ctx): string => {
          ctx.use(ctx.services.recorder).send('from the failed attempt')
          throw new Error('the live quote failed')
        },
      )
      .build()
    const engine = engineWith(recorder)
    const run = await engine.start(Quote, { fails: false })
    const id = (await run.result()).output('quote')
    expect(id).toMatch(/:quote:fallback:recorder:outbox:1$/)
    const failing = await engine.start(Quote, { fails: true })
    expect((await failing.outcome()).status).toBe('failed')
    await engine.outbox.deliver()
    expect(recorder.delivered.map((entry) => [entry.id, entry.payload])).toEqual([[id, { body: 'from the fallback' }]])
    expect(await engine.outbox.counts()).toEqual({ pending: 0, delivered: 1, dead: 0 })
    await engine.close()
  })

  it('retries a failed delivery under the same id, then gives it up after the last attempt', async () => {
    const recorder = new OutboxRecorder()
    const engine = engineWith(recorder)
    const failed: OutboxFailed[] = []
    engine.on('outbox.failed', (event) => failed.push(event))
    recorder.failures.push(new AmqpPublishError('recorder', 'x', 'y', 'id', 'nacked'), new Error('socket hang up'), new Error('still down'), new Error('down'), new Error('down'), new Error('down'))
    const run = await engine.start(Notify, { orderId: 'o-2' })
    await run.result()
    await expect.poll(async () => (await engine.outbox.counts()).dead, { timeout: 5_000 }).toBe(2)
    const dead = await engine.outbox.list({ status: 'dead' })
    expect(dead.map((e) => [e.attempts, e.lastError])).toEqual([
      [3, 'down'],
      [3, 'down'],
    ])
    expect(failed.filter((e) => !e.willRetry)).toHaveLength(2)
    expect(failed.find((e) => e.error.code === 'WEFT_AMQP_PUBLISH')).toMatchObject({ willRetry: true, attempts: 1 })
    expect(recorder.delivered).toEqual([])
    await engine.close()
  })

  it('delivers dead entries again once retried (all, or by id), under the same ids, with their attempts counted anew', async () => {
    const recorder = new OutboxRecorder()
    const engine = engineWith(recorder)
    recorder.failures.push(...Array.from({ length: 6 }, () => new Error('broker down for maintenance')))
    const run = await engine.start(Notify, { orderId: 'o-9' })
    const ids = (await run.result()).output('notify')
    await expect.poll(async () => (await engine.outbox.counts()).dead, { timeout: 5_000 }).toBe(2)
    expect(recorder.delivered).toEqual([])
    // One by id: the other stays dead; an id that is not dead (or unknown) is left alone.
    expect(await engine.outbox.retry({ ids: [ids[1]!, 'no-such-entry'] })).toEqual([ids[1]])
    await engine.outbox.deliver()
    await expect.poll(() => recorder.delivered.map((e) => e.id), { timeout: 5_000 }).toEqual([ids[1]])
    expect(await engine.outbox.retry({ ids: [ids[1]!] })).toEqual([])
    // The rest: every dead entry.
    expect(await engine.outbox.retry()).toEqual([ids[0]])
    await engine.outbox.deliver()
    await expect.poll(async () => engine.outbox.counts(), { timeout: 5_000 }).toEqual({ pending: 0, delivered: 2, dead: 0 })
    expect(recorder.delivered.map((e) => e.id).sort()).toEqual([...ids].sort())
    const entries = await engine.outbox.list({ runId: run.id })
    expect(entries.map((e) => [e.status, e.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 1],
    ])
    await engine.close()
  })

  it('gives up at once an entry its adapter refuses as non-retryable', async () => {
    const recorder = new OutboxRecorder()
    const engine = engineWith(recorder)
    recorder.failures.push(new OutboxPayloadError('recorder', 'e', 'it has no "exchange" string'))
    const run = await engine.start(Notify, { orderId: 'o-3' })
    await run.result()
    await engine.outbox.deliver()
    await expect.poll(async () => (await engine.outbox.counts()).delivered, { timeout: 5_000 }).toBe(1)
    const [dead] = await engine.outbox.list({ status: 'dead' })
    expect(dead).toMatchObject({ attempts: 1, lastError: expect.stringContaining('WEFT_OUTBOX_PAYLOAD') })
    await engine.close()
  })

  it('does not deliver from an engine that does not claim runs; a worker on the same store does', async () => {
    const path = join(tmpdir(), `weft-outbox-${process.pid}-${Date.now()}.sqlite`)
    const apiRecorder = new OutboxRecorder()
    const api = engineWith(apiRecorder, { store: sqliteStore({ path }), claimRuns: false })
    const run = await api.start(Notify, { orderId: 'o-4' })
    const workerRecorder = new OutboxRecorder()
    const worker = engineWith(workerRecorder, { store: sqliteStore({ path }) })
    worker.register(Notify)
    await run.result()
    await expect.poll(() => workerRecorder.delivered.length, { timeout: 5_000 }).toBe(2)
    await api.outbox.deliver()
    expect(apiRecorder.delivered).toEqual([])
    expect(await api.outbox.counts()).toEqual({ pending: 0, delivered: 2, dead: 0 })
    await Promise.all([api.close(), worker.close()])
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true })
  })
})
