/**
 * Alerts end to end: engines with live metrics and alert rules on real
 * SQLite files, notifications delivered to a real webhook (node:http on
 * 127.0.0.1, port 0). A slow task fires its alert once and resolves once
 * after it recovers; a breaker, a dead-lettered run and an escalation are
 * alerted at once (not at the next tick); a run no worker picks up is
 * alerted after the threshold; one failure of one run does not page. Where
 * the outcome depends on how long something took (a slow task, a hold, a
 * run's wait), the engine runs on a virtual clock and the test evaluates the
 * rules by hand, so a stalled event loop changes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  createEngine,
  defineWorkflow,
  InvalidAlertError,
  MemoryWorkflowStore,
  sqliteStore,
  webhookSink,
  type AlertEvent,
  type AlertNotification,
  type AlertSink,
  type Engine,
  type EngineConfig,
  type RunId,
} from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'
import { postgresStore } from 'weft-sdk/postgres'
import { OutboxRecorder } from '../adapters/outbox-recorder.js'
import { describePostgres, throwawayPostgresStores } from '../support/postgres.js'
import { virtualTime, type VirtualTime } from '../support/test-clock.js'

const dir = mkdtempSync(join(tmpdir(), 'weft-alerts-'))
const servers: Server[] = []
const engines: Engine[] = []
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let files = 0
const sqliteFile = () => sqliteStore({ path: join(dir, `alerts-${++files}.sqlite`) })

/** A webhook receiver: the notifications it was posted, with the authorization header of each. */
async function receiver(): Promise<{ url: string; received: { notification: AlertNotification; authorization: string | undefined }[] }> {
  const received: { notification: AlertNotification; authorization: string | undefined }[] = []
  const server = createServer((request, response) => {
    let text = ''
    request.on('data', (chunk: Buffer) => (text += chunk.toString()))
    request.on('end', () => {
      received.push({ notification: JSON.parse(text) as AlertNotification, authorization: request.headers.authorization })
      response.writeHead(204).end()
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, received }
}

function engineWith(config: EngineConfig): { engine: Engine; events: AlertEvent[] } {
  const engine = createEngine(config)
  engines.push(engine)
  const events: AlertEvent[] = []
  engine.on((event) => {
    if (event.type.startsWith('alert.')) events.push(event as AlertEvent)
  })
  return { engine, events }
}

/** Waits (polling every 10 ms, at most 20 s) until `probe` is true. */
async function until(probe: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const types = (events: readonly AlertEvent[]) => events.map((e) => e.type)

/**
 * Evaluates the engine's alert rules now, as its tick would; resolves after an
 * evaluation that began after the call. Tests on a virtual clock tick by hand
 * (their interval is an hour), so what each evaluation sees is fixed.
 */
function evaluate(engine: Engine): Promise<void> {
  return (engine as unknown as { alertMonitor: { evaluate(): Promise<void> } }).alertMonitor.evaluate()
}

/** `charge` takes `ms` milliseconds of the virtual clock (it moves the clock itself); it fails when `fail` is set. */
function timedOrders(time: VirtualTime) {
  return defineWorkflow<{ ms: number; fail?: boolean }>({ name: 'orders', version: 1 })
    .task('charge', async (input) => {
      if (input.ms > 0) await time.advance(input.ms)
      if (input.fail === true) throw new Error('card declined')
      return input.ms
    })
    .build()
}

/** `charge` takes `ms` milliseconds; it fails when `fail` is set. */
const orders = defineWorkflow<{ ms: number; fail?: boolean }>({ name: 'orders', version: 1 })
  .task('charge', async (input) => {
    await new Promise((resolve) => setTimeout(resolve, input.ms))
    if (input.fail === true) throw new Error('card declined')
    return input.ms
  })
  .build()

async function runOrders(engine: Engine, count: number, input: { ms: number; fail?: boolean }): Promise<void> {
  for (let i = 0; i < count; i++) await (await engine.start(orders, input)).result().catch(() => undefined)
}

describe('alerts', () => {
  it('fires once to a webhook when a task gets slow, and resolves once after it recovers', async () => {
    const time = virtualTime()
    const hook = await receiver()
    const timed = timedOrders(time)
    const { engine, events } = engineWith({
      store: sqliteFile(),
      clock: time.clock,
      workflows: [timed],
      metrics: true,
      alerts: {
        rules: [{ kind: 'duration', name: 'slow-charge', severity: 'critical', workflow: 'orders', task: 'charge', percentile: 95, above: '150 ms', window: '1500 ms', minSamples: 3, hold: '300 ms', description: 'charges are slow: look at the payments API' }],
        sinks: [webhookSink({ url: hook.url, headers: { authorization: 'Bearer s3cret' } })],
        interval: '1 h',
      },
    })
    const run = async (count: number, input: { ms: number }) => {
      for (let i = 0; i < count; i++) await (await engine.start(timed, input)).result()
    }
    await run(3, { ms: 0 })
    await evaluate(engine)
    expect(events).toEqual([])
    await run(4, { ms: 250 })
    await evaluate(engine)
    await until(() => hook.received.length === 1, 'the alert fired to the webhook')
    const [active] = engine.alerts()
    expect(active).toMatchObject({ rule: 'slow-charge', state: 'firing', labels: { workflow: 'orders', task: 'charge' }, threshold: 150 })
    // The p95 of four 250 ms steps, from the live sketch (1 % relative accuracy).
    expect(active!.value).toBeGreaterThanOrEqual(250 * 0.99)
    expect(active!.value).toBeLessThanOrEqual(250 * 1.01)
    // The task recovers: a fast step every 100 ms, until the slow ones have left the window and the hold is over.
    for (let i = 0; i < 30 && events.length === 1; i++) {
      await run(1, { ms: 0 })
      await time.advance(100)
      await evaluate(engine)
    }
    await until(() => hook.received.length === 2, 'the resolution reached the webhook')
    for (let i = 0; i < 5; i++) {
      await run(1, { ms: 0 })
      await time.advance(100)
      await evaluate(engine)
    }
    expect(types(events)).toEqual(['alert.fired', 'alert.resolved'])
    expect(hook.received.map((r) => r.notification.type)).toEqual(['alert.fired', 'alert.resolved'])
    expect(hook.received.map((r) => r.authorization)).toEqual(['Bearer s3cret', 'Bearer s3cret'])
    const [fired, resolved] = hook.received.map((r) => r.notification)
    expect(fired).toMatchObject({ rule: 'slow-charge', severity: 'critical', labels: { workflow: 'orders', task: 'charge' }, threshold: 150, description: 'charges are slow: look at the payments API' })
    expect(fired!.summary).toMatch(/^slow-charge \[workflow=orders task=charge\]: p95 [\d.]+ m?s above 150 ms over 1.5 s$/)
    expect(resolved).toMatchObject({ type: 'alert.resolved', rule: 'slow-charge', firedAt: fired!.at, since: fired!.since })
    // Resolved once the slow steps had left the 1.5 s window and 300 ms of fast ones had held it clear.
    expect(resolved!.at - fired!.at).toBeGreaterThanOrEqual(1500 + 300)
    expect(engine.alerts()).toEqual([])
  })

  it('does not page for one failure of one run, and fires when the failures reach the minimum sample', async () => {
    const { engine, events } = engineWith({
      store: sqliteFile(),
      workflows: [orders],
      alerts: { rules: [{ kind: 'failure-rate', name: 'orders-failing', workflow: 'orders', above: 0.5, minSamples: 4, window: '1 m' }], interval: '20 ms' },
    })
    await runOrders(engine, 1, { ms: 0, fail: true })
    await evaluate(engine)
    expect(events).toEqual([])
    expect(engine.metrics().workflows[0]!.runs.failed).toBe(1) // alerts turned the live metrics on
    await runOrders(engine, 3, { ms: 0, fail: true })
    await until(() => events.length === 1, 'the failure-rate alert fired')
    expect(events[0]).toMatchObject({ type: 'alert.fired', rule: 'orders-failing', labels: { workflow: 'orders' }, value: 1, threshold: 0.5 })
  })

  it('fires at once when a breaker opens, without waiting for the tick', async () => {
    const flaky = defineWorkflow({ name: 'flaky', version: 1 })
      .task('call', { circuitBreaker: { name: 'payments', consecutiveFailures: 1, halfOpenAfter: '1 h' } }, (): string => {
        throw new Error('payments down')
      })
      .build()
    const { engine, events } = engineWith({ store: sqliteFile(), workflows: [flaky], metrics: true, alerts: { rules: [{ kind: 'breaker-open', name: 'payments-open', breaker: 'payments' }], interval: '1 h' } })
    await (await engine.start(flaky)).result().catch(() => undefined)
    await until(() => events.length === 1, 'the breaker alert fired')
    expect(events[0]).toMatchObject({ type: 'alert.fired', rule: 'payments-open', labels: { breaker: 'payments' }, value: 1, summary: 'payments-open [breaker=payments]: circuit open' })
  })

  it('alerts at once on a dead-lettered run, counts it in the live metrics, and resolves once it is resumed and completes', async () => {
    const store = sqliteFile()
    await store.init()
    const done = defineWorkflow({ name: 'claimed', version: 1 }).task('a', () => 'ok').build()
    await store.createRun({ id: 'orphan' as RunId, workflow: 'claimed', version: 1, input: undefined, createdAt: Date.now(), claimBy: { owner: 'gone-host/1/x', leaseMs: 1 } })
    const { engine, events } = engineWith({ store, workflows: [done], claimInterval: '10 ms', maxRecoveryAttempts: 0, onRunRecovered: () => undefined, metrics: true, alerts: { rules: [{ kind: 'dead-letters', name: 'dead-letters', hold: 0 }], interval: '1 h' } })
    await until(() => events.length === 1, 'the dead-letter alert fired')
    expect(events[0]).toMatchObject({ type: 'alert.fired', rule: 'dead-letters', labels: { source: 'runs', workflow: 'claimed' }, value: 1, threshold: 0 })
    expect(engine.metrics().workflows.find((w) => w.workflow === 'claimed')!.runs.deadLettered).toBe(1)
    await (await engine.getRun('orphan' as RunId))!.resume()
    await until(async () => (await store.getRun('orphan' as RunId))?.status === 'completed', 'the resumed run completed')
    // The monitor's tick is an hour away: evaluate now, as the tick would.
    await evaluate(engine)
    expect(types(events)).toEqual(['alert.fired', 'alert.resolved'])
  })

  it('alerts at once on outbox entries given up, counted from the store', async () => {
    const recorder = new OutboxRecorder()
    recorder.failures.push(new Error('broker down'), new Error('broker down'))
    const notify = defineWorkflow({ name: 'notify', version: 1 })
      .services({ recorder: OutboxRecorder })
      .task('send', (_input, ctx) => ctx.use(ctx.services.recorder).send('order shipped'))
      .build()
    const { engine, events } = engineWith({
      store: sqliteFile(),
      adapters: [{ token: OutboxRecorder, adapter: recorder }],
      outbox: { retry: { maxAttempts: 1 }, pollInterval: '1 h' },
      alerts: { rules: [{ kind: 'dead-letters', name: 'outbox-dead', source: 'outbox', severity: 'critical' }], interval: '1 h' },
    })
    await (await engine.start(notify)).result()
    await engine.outbox.deliver()
    await until(() => events.length === 1, 'the outbox dead-letter alert fired')
    expect(events[0]).toMatchObject({ type: 'alert.fired', rule: 'outbox-dead', labels: { source: 'outbox' }, value: 1, summary: 'outbox-dead [source=outbox]: 1 dead letter (more than 0 raises it)' })
  })

  it('alerts on a run no worker picks up within the threshold, and resolves when a worker takes it', async () => {
    const time = virtualTime()
    const store = sqliteFile()
    await store.init()
    await store.createRun({ id: 'waiting' as RunId, workflow: 'report', version: 1, input: undefined, createdAt: time.now() })
    const { engine, events } = engineWith({ store, clock: time.clock, claimInterval: '10 ms', alerts: { rules: [{ kind: 'run-waiting', name: 'no-worker', longerThan: '150 ms', hold: 0 }], interval: '1 h' } })
    await time.advance(150)
    await evaluate(engine)
    expect(events).toEqual([])
    await time.advance(1)
    await evaluate(engine)
    expect(events).toEqual([expect.objectContaining({ type: 'alert.fired', rule: 'no-worker', labels: { workflow: 'report' }, threshold: 150, value: 151 })])
    engine.register(defineWorkflow({ name: 'report', version: 1 }).task('build', () => 'built').build())
    await until(async () => (await time.advance(10), await evaluate(engine), events.length === 2), 'the waiting alert resolved')
    expect(events[1]).toMatchObject({ type: 'alert.resolved', rule: 'no-worker' })
    expect((await store.getRun('waiting' as RunId))?.status).toBe('completed')
  })

  it('alerts at once on an escalated failure', async () => {
    const guarded = defineWorkflow({ name: 'guarded', version: 1 })
      .task('call', { recover: { rules: [{ message: 'forbidden', as: 'authorization' }], strategies: { authorization: 'escalate' } } }, (): string => {
        throw new Error('forbidden')
      })
      .build()
    const { engine, events } = engineWith({ store: sqliteFile(), workflows: [guarded], alerts: { rules: [{ kind: 'escalations', name: 'escalated', severity: 'critical' }], interval: '1 h' } })
    await (await engine.start(guarded)).result().catch(() => undefined)
    await until(() => events.length === 1, 'the escalation alert fired')
    expect(events[0]).toMatchObject({ type: 'alert.fired', rule: 'escalated', severity: 'critical', labels: { workflow: 'guarded', task: 'call' }, value: 1 })
  })

  it('reports a failed delivery as an event without the secret, and goes on', async () => {
    const server = createServer((_, response) => response.writeHead(500).end())
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`
    const sink = webhookSink({ name: 'pager', url, headers: { authorization: 'Bearer s3cret' }, retries: 1, backoff: { initial: 1, max: 1 } })
    const { engine, events } = engineWith({ store: new MemoryWorkflowStore(), alerts: { rules: [{ kind: 'predicate', name: 'always', when: () => true }], sinks: [sink], interval: '20 ms' } })
    await until(() => events.length === 2, 'the delivery failed')
    expect(events[1]).toMatchObject({ type: 'alert.delivery-failed', sink: 'pager', rule: 'always', notification: 'alert.fired', error: { name: 'AlertDeliveryError', code: 'WEFT_ALERT_DELIVERY', message: `alert sink "pager": POST ${url} answered 500` } })
    expect(JSON.stringify(events)).not.toContain('s3cret')
    expect(engine.alerts()).toMatchObject([{ rule: 'always', state: 'firing' }])
  })

  it('fires once and resolves once across a noisy signal, and delivers each resolution after its firing', async () => {
    let noisy = true
    const calls: string[] = []
    let releaseFirst: () => void = () => undefined
    const slowFirst: AlertSink = {
      name: 'slow-first',
      deliver: async (alert) => {
        calls.push(`start ${alert.type}`)
        if (calls.length === 1) await new Promise<void>((resolve) => (releaseFirst = resolve))
        calls.push(`end ${alert.type}`)
      },
    }
    const time = virtualTime()
    const { engine, events } = engineWith({ store: new MemoryWorkflowStore(), clock: time.clock, alerts: { rules: [{ kind: 'predicate', name: 'noisy', hold: '150 ms', when: () => noisy }], sinks: [slowFirst], interval: '1 h' } })
    await evaluate(engine)
    expect(types(events)).toEqual(['alert.fired'])
    // The signal flickers every 30 ms (clear for less than the hold each time), observed at each change.
    for (let i = 0; i < 10; i++) {
      await time.advance(30)
      noisy = !noisy
      await evaluate(engine)
    }
    // Then it clears for good: still firing 1 ms before the hold is over, resolved at the end of it.
    await time.advance(30)
    noisy = false
    await evaluate(engine)
    await time.advance(149)
    await evaluate(engine)
    expect(types(events)).toEqual(['alert.fired'])
    await time.advance(1)
    await evaluate(engine)
    expect(types(events)).toEqual(['alert.fired', 'alert.resolved'])
    const [fired, resolved] = events as [AlertNotification, AlertNotification]
    expect(resolved.at - fired.at).toBe(11 * 30 + 150)
    expect(calls).toEqual(['start alert.fired'])
    releaseFirst()
    await until(() => calls.length === 4, 'both deliveries ended')
    expect(calls).toEqual(['start alert.fired', 'end alert.fired', 'start alert.resolved', 'end alert.resolved'])
  })

  it('evaluates predicate rules on the report, one alert per label set, and stops its timer on close', async () => {
    let calls = 0
    const { engine, events } = engineWith({
      store: new MemoryWorkflowStore(),
      workflows: [orders],
      alerts: {
        rules: [{ kind: 'predicate', name: 'many-runs', threshold: 2, when: (report) => (calls++, report.workflows.filter((w) => w.runs.total > 2).map((w) => ({ labels: { workflow: w.workflow }, value: w.runs.total }))) }],
        interval: '10 ms',
      },
    })
    await runOrders(engine, 3, { ms: 0 })
    await until(() => events.length === 1, 'the predicate alert fired')
    expect(events[0]).toMatchObject({ rule: 'many-runs', labels: { workflow: 'orders' }, value: 3, threshold: 2 })
    await engine.close()
    const after = calls
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(calls).toBe(after)
  })
})

describePostgres('alerts on PostgreSQL', () => {
  const stores = throwawayPostgresStores((url) => postgresStore({ connectionString: url, maxConnections: 4 }))

  it('alert on a run waiting for a worker and on a dead-lettered run, from the store, and resolve when they are handled', async () => {
    const store = await stores.create()
    await store.init()
    const now = Date.now()
    // Created two minutes ago against a one-minute rule: the resumed orphan below (created now) never waits long
    // enough to fire it too, however slowly a loaded machine claims it.
    await store.createRun({ id: 'waiting' as RunId, workflow: 'report', version: 1, input: undefined, createdAt: now - 120_000 })
    await store.createRun({ id: 'orphan' as RunId, workflow: 'claimed', version: 1, input: undefined, createdAt: now, claimBy: { owner: 'gone-host/1/x', leaseMs: 1 } })
    const claimed = defineWorkflow({ name: 'claimed', version: 1 }).task('a', () => 'ok').build()
    const rules = [
      { kind: 'run-waiting', name: 'no-worker', longerThan: '1 m', hold: 0 },
      { kind: 'dead-letters', name: 'dead-letters', source: 'runs', hold: 0 },
    ] as const
    const { engine, events } = engineWith({ store, workflows: [claimed], claimInterval: '10 ms', maxRecoveryAttempts: 0, onRunRecovered: () => undefined, alerts: { rules, interval: '20 ms' } })
    await until(() => events.filter((e) => e.type === 'alert.fired').length === 2, 'both alerts fired')
    expect(events.map((e) => [e.type, e.type === 'alert.delivery-failed' ? undefined : e.labels])).toEqual(
      expect.arrayContaining([
        ['alert.fired', { source: 'runs', workflow: 'claimed' }],
        ['alert.fired', { workflow: 'report' }],
      ]),
    )
    engine.register(defineWorkflow({ name: 'report', version: 1 }).task('build', () => 'built').build())
    await (await engine.getRun('orphan' as RunId))!.resume()
    await until(() => events.filter((e) => e.type === 'alert.resolved').length === 2, 'both alerts resolved')
    expect(events).toHaveLength(4)
    await engine.close()
    await store.close()
  })
})

describe('alert rules are checked at engine creation', () => {
  const refusal = (config: EngineConfig) => {
    try {
      createEngine(config)
    } catch (error) {
      return error as InvalidAlertError
    }
    throw new Error('the configuration was accepted')
  }

  it('names the rule and the field of a bad percentile, with the fix', () => {
    const error = refusal({ alerts: { rules: [{ kind: 'duration', name: 'slow', task: 'charge', percentile: 120, above: '2 s' }] } })
    expect(error).toBeInstanceOf(InvalidAlertError)
    expect(error).toMatchObject({ code: 'WEFT_INVALID_ALERT', rule: 'slow', field: 'percentile' })
    expect(error.message).toBe('alert rule "slow": percentile must be a number in (0, 100], got 120; e.g. percentile: 95')
  })

  it('refuses a misspelt option with a did-you-mean', () => {
    const rules = [{ kind: 'failure-rate', name: 'failing', abov: 0.2 }] as never
    expect(refusal({ alerts: { rules } }).message).toBe('alert rule "failing": abov is not an option of a "failure-rate" rule: did you mean "above"?')
  })

  it('refuses an unknown kind, a rule without a name and two rules of one name', () => {
    expect(refusal({ alerts: { rules: [{ kind: 'breaker-opened', name: 'b' }] as never } }).message).toBe('alert rule "b": kind "breaker-opened" is not a kind of alert rule: did you mean "breaker-open"?')
    expect(refusal({ alerts: { rules: [{ kind: 'breaker-open' }] as never } }).message).toBe('alert rule rules[0]: name must be a non-empty string, got undefined')
    const twice = { kind: 'breaker-open', name: 'open' } as const
    expect(refusal({ alerts: { rules: [twice, twice] } }).message).toBe('alert rule "open": name is used by two rules: give each rule its own name')
  })

  it('refuses a failure rate outside [0, 1), a zero minimum sample and a bad duration', () => {
    expect(refusal({ alerts: { rules: [{ kind: 'failure-rate', name: 'f', above: 20 }] } })).toMatchObject({ field: 'above' })
    expect(refusal({ alerts: { rules: [{ kind: 'failure-rate', name: 'f', above: 0.2, minSamples: 0 }] } })).toMatchObject({ field: 'minSamples' })
    expect(refusal({ alerts: { rules: [{ kind: 'duration', name: 'd', above: 'soon' as never }] } }).message).toMatch(/^alert rule "d": above must be a number of milliseconds or a string like/)
  })

  it('refuses alerts with metrics: false', () => {
    expect(refusal({ metrics: false, alerts: { rules: [] } }).message).toBe('alerts.metrics: alerts read the live metrics, and this engine has metrics: false: remove it (alerts turn metrics on) or give metrics: true')
  })

  it('refuses store rules on a store without a backlog', () => {
    const store = new MemoryWorkflowStore() as unknown as Record<string, unknown>
    const bare = new Proxy(store, { get: (target, key) => (key === 'backlog' ? undefined : Reflect.get(target, key, target)) }) as unknown as WorkflowStore
    expect(refusal({ store: bare, alerts: { rules: [{ kind: 'run-waiting', name: 'stuck', longerThan: '5 m' }] } }).message).toMatch(/^alert rule "stuck": kind reads the store's backlog of runs/)
  })
})
