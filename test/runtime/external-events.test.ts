import { Schema } from 'effect'
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEngine, defineWorkflow, EventTimeoutError, RecordedPayloadError, RunFailedError, RunNotFoundError, sqliteStore } from 'weft-sdk'
import { flush, virtualTime } from '../support/test-clock.js'
import { memoryEngine } from '../support/engines.js'

interface Approval {
  readonly orderId: string
  readonly approved: boolean
}

const approvals = defineWorkflow<{ orderId: string }>({ name: 'approval', version: 1 })
  .task('await', (input, ctx) =>
    ctx.waitForEvent<Approval>('approval', { timeout: '1 h', match: (a) => a.orderId === input.orderId }),
  )
  .task('decide', { dependsOn: ['await'] }, (approval) => (approval.approved ? 'ship' : 'cancel'))
  .build()

const Decision = Schema.Struct({ orderId: Schema.NonEmptyString, approved: Schema.Boolean })

describe('waitForEvent with a payload schema', () => {
  it('decodes each payload on receipt: one the schema refuses is left in the inbox and the task keeps waiting for a valid one', async () => {
    const engine = memoryEngine()
    const seen: unknown[] = []
    const checked = defineWorkflow({ name: 'checked-approval', version: 1 })
      .task('await', (_input, ctx) => ctx.waitForEvent('decision', { schema: Decision, match: (d) => (seen.push(d), true) }))
      .build()
    const run = await engine.start(checked)
    await flush()
    await run.signal('decision', { orderId: 'o-1', approved: 'yes' })
    await run.signal('decision', { orderId: '', approved: true })
    await flush()
    expect(run.status()).toBe('running')
    await run.signal('decision', { orderId: 'o-1', approved: true })
    expect((await run.result()).output('await')).toEqual({ orderId: 'o-1', approved: true })
    // match saw decoded payloads only: the two refused ones never reached it.
    expect(seen).toEqual([{ orderId: 'o-1', approved: true }])
    await engine.close()
  })
})

describe('a recorded event payload replayed under a schema that changed', () => {
  const folder = mkdtempSync(join(tmpdir(), 'weft-recorded-payload-'))
  afterAll(() => rmSync(folder, { recursive: true, force: true }))
  const build = (schema: Schema.Codec<unknown, unknown>) =>
    defineWorkflow({ name: 'changed-schema', version: 1 })
      .task('await', async (_input, ctx) => {
        const decision = await ctx.waitForEvent('decision', { schema })
        await ctx.waitForEvent('go')
        return decision
      })
      .build()

  it('fails the task with RecordedPayloadError (WEFT_RECORDED_PAYLOAD_UNDECODABLE), naming the event and what the schema says', async () => {
    const path = join(folder, 'changed.sqlite')
    const firstStore = sqliteStore({ path })
    const first = createEngine({ store: firstStore, workflows: [build(Decision as never)] })
    const run = await first.start(build(Decision as never))
    await flush()
    await run.signal('decision', { orderId: 'o-1', approved: true })
    while ((await firstStore.loadSteps(run.id)).length === 0) await flush()
    await first.close({ drain: 0 })

    const changed = Schema.Struct({ orderId: Schema.Number, approved: Schema.Boolean })
    const second = createEngine({ store: sqliteStore({ path }), workflows: [build(changed as never)] })
    const resumed = await second.getRun(run.id)
    const error = await resumed!.result().then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(RunFailedError)
    // The run ended in the worker that claimed it: its handle reads the failure from the stored record.
    const cause = (error as RunFailedError).cause
    expect(cause).toMatchObject({ name: 'RecordedPayloadError', code: 'WEFT_RECORDED_PAYLOAD_UNDECODABLE' })
    expect((cause as Error).message).toMatch(/^the recorded payload of event "decision" no longer decodes with its schema \(given to ctx.waitForEvent or declared by the workflow\): .*orderId.*; the schema changed since the event was taken/)
    await second.close()
  })
})

describe('RecordedPayloadError', () => {
  it('is a Weft error that a retry does not help, naming the event and the fix', () => {
    const error = new RecordedPayloadError('decision', 'at orderId: Expected number')
    expect(error).toMatchObject({ code: 'WEFT_RECORDED_PAYLOAD_UNDECODABLE', _tag: 'RecordedPayloadError', event: 'decision', isRetryable: false })
    expect(error.message).toContain('start a new workflow version')
  })
})

describe('waitForEvent', () => {
  it('delivers an event sent to every run only to runs whose match accepts it', async () => {
    const engine = memoryEngine()
    const a = await engine.start(approvals, { orderId: 'a' })
    const b = await engine.start(approvals, { orderId: 'b' })
    await flush()
    expect((await engine.emit('approval', { orderId: 'b', approved: true })).waitingRuns).toBe(2)
    expect((await b.result()).output('decide')).toBe('ship')
    expect(a.status()).toBe('running')
    await engine.emit('approval', { orderId: 'a', approved: false })
    expect((await a.result()).output('decide')).toBe('cancel')
    await engine.close()
  })

  it('keeps an event sent to one run until the task waits for it', async () => {
    const engine = memoryEngine()
    const gated = defineWorkflow({ name: 'late-wait', version: 1 })
      .task('before', async () => {
        await flush(3)
        return 1
      })
      .task('wait', { dependsOn: ['before'] }, (_n, ctx) => ctx.waitForEvent<string>('go'))
      .build()
    const run = await engine.start(gated)
    run.signal('go', 'early bird')
    expect((await run.result()).output('wait')).toBe('early bird')
    await engine.close()
  })

  it('fails with EventTimeoutError when nothing arrives in time', async () => {
    const time = virtualTime()
    const engine = memoryEngine({ clock: time.clock })
    const run = await engine.start(approvals, { orderId: 'x' })
    await time.advance(60 * 60_000)
    const cause = ((await run.outcome()).error as RunFailedError).cause
    expect(cause).toBeInstanceOf(EventTimeoutError)
    expect((cause as Error).message).toBe('no "approval" event arrived within 3600000 ms')
    await engine.close()
  })

  it('rejects an event for a run that is not live', async () => {
    const engine = memoryEngine()
    await expect(engine.emit('approval', {}, { runId: 'nope' })).rejects.toBeInstanceOf(RunNotFoundError)
    await engine.close()
  })
})

describe('event streams', () => {
  const clicks = defineWorkflow({ name: 'clicks', version: 1 }).task('process', async (_i, ctx) => {
    const processed: string[] = []
    const stream = ctx.events<{ action: string }>('user-action', { timeout: '10 s' })
    for await (const event of stream) {
      processed.push(event.action)
      if (event.action === 'purchase') break
    }
    return { processed, timedOut: stream.timedOut }
  })

  it('processes events until the stop condition', async () => {
    const engine = memoryEngine()
    const run = await engine.start(clicks.build())
    for (const action of ['click', 'click', 'purchase', 'click']) run.signal('user-action', { action })
    expect((await run.result()).output('process')).toEqual({ processed: ['click', 'click', 'purchase'], timedOut: false })
    await engine.close()
  })

  it('ends at its timeout and says so', async () => {
    const time = virtualTime()
    const engine = memoryEngine({ clock: time.clock })
    const run = await engine.start(clicks.build())
    await flush()
    await engine.emit('user-action', { action: 'click' })
    await time.advance(10_000)
    expect((await run.result()).output('process')).toEqual({ processed: ['click'], timedOut: true })
    await engine.close()
  })
})

describe('workflows started by an event', () => {
  it('starts a run per emitted event with the payload as input', async () => {
    const signup = defineWorkflow<{ email: string }>({ name: 'welcome', version: 1, trigger: 'user.signed-up' })
      .task('greet', (input) => `welcome ${input.email}`)
      .build()
    const engine = memoryEngine({ workflows: [signup] })
    const { started } = await engine.emit('user.signed-up', { email: 'ada@example.com' })
    expect(started).toHaveLength(1)
    expect((await started[0]!.result()).outputs).toEqual({ greet: 'welcome ada@example.com' })
    await engine.close()
  })
})
