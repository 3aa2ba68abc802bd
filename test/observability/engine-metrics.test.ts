/**
 * engine.metrics() (live, from the engine's events) and engine.history() (the
 * store's records) over the same runs on a real SQLite file, and their JSON
 * and CSV renderings.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AuthorizationError, createEngine, defineWorkflow, LiveMetrics, MemoryWorkflowStore, type Bindable, type RunId, metricsCsvColumns, metricsToCsv, metricsToJson, MetricsUnavailableError, principal, Rbac, sqliteStore, type MetricsReport } from 'weft-sdk'

const dir = mkdtempSync(join(tmpdir(), 'weft-engine-metrics-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** `charge` fails its first attempt in every run whose input is odd; `ship` fails for good when the input is 3. */
const orders = defineWorkflow<{ n: number }>({ name: 'orders', version: 1 })
  .task('charge', { retry: { maxAttempts: 2, backoff: { initial: 0, max: 0 } } }, (input: { n: number }, ctx) => {
    if (input.n % 2 === 1 && ctx.attempt === 1) throw new Error('card declined')
    return input.n * 10
  })
  .task('ship', { dependsOn: ['charge'] }, (amount: number) => {
    if (amount === 30) throw new Error('no courier')
    return `shipped ${amount}`
  })
  .build()

async function runOrders(engine: ReturnType<typeof createEngine>): Promise<void> {
  for (let n = 0; n < 6; n++) await (await engine.start(orders, { n })).result().catch(() => undefined)
}

const byTask = (report: MetricsReport, task: string) => report.tasks.find((t) => t.task === task)!

describe('engine metrics', () => {
  it('counts live runs and tasks by outcome, retries and durations from the events', async () => {
    const engine = createEngine({ metrics: true })
    await runOrders(engine)
    const report = engine.metrics()
    expect(report.workflows).toHaveLength(1)
    expect(report.workflows[0]).toMatchObject({ workflow: 'orders', runs: { total: 6, completed: 5, failed: 1, cancelled: 0 }, successRate: 5 / 6, failureRate: 1 / 6 })
    expect(report.workflows[0]!.duration.count).toBe(6)
    expect(report.workflows[0]!.queueWait.count).toBe(6)
    expect(byTask(report, 'charge').tasks).toEqual({ completed: 6, failed: 0, skipped: 0, retries: 3 })
    expect(byTask(report, 'ship').tasks).toMatchObject({ completed: 5, failed: 1 })
    expect(report.workflows[0]!.throughputPerMinute).toBe(6)
    await engine.close()
  })

  it('refuses live metrics of an engine created without them', async () => {
    const engine = createEngine()
    expect(() => engine.metrics()).toThrow(MetricsUnavailableError)
    expect(() => engine.metrics()).toThrow(/createEngine\(\{ metrics: true \}\)/)
    expect(() => engine.liveMetrics()).toThrow(expect.objectContaining({ code: 'WEFT_METRICS_UNAVAILABLE', reason: 'live-metrics-off' }))
    await engine.close()
  })

  it('gives its own monitor with engine.liveMetrics(): the one engine.metrics() reports, with the histograms a report lacks', async () => {
    const engine = createEngine({ metrics: true })
    await (await engine.start(orders, { n: 1 })).result()
    const monitor = engine.liveMetrics()
    expect(engine.liveMetrics()).toBe(monitor)
    await (await engine.start(orders, { n: 2 })).result()
    const report = engine.metrics()
    expect(monitor.report(report.at)).toEqual(report)
    expect(monitor.histograms([60_000]).tasks.map((h) => [h.task, h.count])).toEqual(report.tasks.map((t) => [t.task, t.tasks.completed + t.tasks.failed]))
    await engine.close()
  })

  it('reads the same counts from the history of a SQLite file, with queue waits and exact percentiles', async () => {
    const engine = createEngine({ store: sqliteStore({ path: join(dir, 'history.sqlite') }), metrics: true })
    await runOrders(engine)
    const history = await engine.history({ workflow: 'orders' })
    const live = engine.metrics()
    expect(history).toMatchObject({ source: 'history', percentiles: 'nearest-rank' })
    expect(history.workflows[0]!.runs).toEqual({ ...live.workflows[0]!.runs, recovered: 0 })
    expect(history.workflows[0]!.queueWait.count).toBe(6)
    expect(byTask(history, 'charge').tasks).toEqual(byTask(live, 'charge').tasks)
    expect(byTask(history, 'ship').tasks).toEqual(byTask(live, 'ship').tasks)
    expect(await engine.history({ workflow: 'other' })).toMatchObject({ workflows: [], tasks: [] })
    await engine.close()
  })

  it('renders a report as CSV with the documented columns, one row per workflow and per task', async () => {
    const engine = createEngine({ metrics: true })
    await runOrders(engine)
    const lines = metricsToCsv(engine.metrics()).trimEnd().split('\n')
    expect(lines[0]).toBe(metricsCsvColumns.join(','))
    expect(lines.slice(1).map((line) => line.split(',').slice(0, 4).join(','))).toEqual(['live,workflow,orders,', 'live,task,orders,charge', 'live,task,orders,ship'])
    for (const line of lines) expect(line.split(',')).toHaveLength(metricsCsvColumns.length)
    const row = Object.fromEntries(metricsCsvColumns.map((column, i) => [column, lines[1]!.split(',')[i]]))
    expect(row).toMatchObject({ total: '6', completed: '5', failed: '1', queue_wait_count: '6', tokens: '', cost_usd: '' })
    await engine.close()
  })

  it('renders a report as JSON with every missing value null and ISO times', () => {
    const monitor = new LiveMetrics({}, Date.parse('2026-12-01T00:00:00Z'))
    monitor.record({ type: 'run.started', at: 1, runId: 'r-1' as RunId, workflow: 'orders', version: 1 })
    const json = metricsToJson(monitor.report(Date.parse('2026-12-01T00:01:00Z'))) as { workflows: { duration: Record<string, unknown>; successRate: unknown }[]; window: { fromIso: string; toIso: string } }
    expect(json.workflows[0]!.duration).toEqual({ count: 0, mean: null, p50: null, p95: null, p99: null, max: null })
    expect(json.workflows[0]!.successRate).toBeNull()
    expect(json.window).toMatchObject({ fromIso: '2026-12-01T00:00:00.000Z', toIso: '2026-12-01T00:01:00.000Z' })
    expect(JSON.parse(JSON.stringify(json))).toEqual(json)
  })

  it('reads the history on a secured engine only for a caller allowed read:stats', async () => {
    const roles = { analyst: ['read:stats'], clerk: ['start:orders', 'read:orders'] }
    const engine = createEngine({ store: sqliteStore({ path: join(dir, 'secured.sqlite') }), security: { authorizer: new Rbac({ roles }) } })
    const clerk = engine.as(principal({ subject: 'user:ada', roles: ['clerk'] }))
    await (await clerk.start(orders, { n: 2 })).result()
    await expect(clerk.history()).rejects.toThrow(AuthorizationError)
    const report = await engine.as(principal({ subject: 'user:bo', roles: ['analyst'] })).history({ workflow: 'orders' })
    expect(report.workflows[0]!.runs).toMatchObject({ total: 1, completed: 1 })
    await engine.close()
  })
})

/** An LLM client that reports each chat as a call with token counts and a cost, as Weft's LLM adapter does. */
const llm: Bindable<{ chat(): void }> = {
  bind: (call) => ({ chat: () => call.report({ adapter: 'llm', operation: 'chat m', durationMs: 3, attributes: { 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20, 'weft.llm.cost_usd': 0.002 } }) }),
}

/** `charge` asks the LLM and fails its first attempt for an odd input; `ship` fails for 3; `notify` is skipped for 0. */
const metered = defineWorkflow<{ n: number }>({ name: 'metered', version: 1 })
  .task('charge', { retry: { maxAttempts: 2, backoff: { initial: 0, max: 0 } } }, (input: { n: number }, ctx) => {
    ctx.use(llm).chat()
    if (input.n % 2 === 1 && ctx.attempt === 1) throw new Error('card declined')
    return input.n * 10
  })
  .task('ship', { dependsOn: ['charge'] }, (amount: number) => {
    if (amount === 30) throw new Error('no courier')
    return `shipped ${amount}`
  })
  .task('notify', { dependsOn: ['ship'], when: (shipped: string) => shipped !== 'shipped 0' }, (shipped: string) => shipped.length)
  .build()

describe("the engine's live metrics", () => {
  it('count what a monitor fed by engine.on counts over the same runs: retries, failures, skips, LLM calls and steps replayed by a run taken over', async () => {
    // A run a dead worker left with `charge` recorded: the engine takes it over and replays the step (not counted again).
    const store = new MemoryWorkflowStore()
    const { run } = await store.createRun({ id: 'left', workflow: 'metered', version: 1, input: { n: 2 }, createdAt: 1, claimBy: { owner: 'gone-host/1/x', leaseMs: 1 } })
    await store.saveStep({ runId: 'left', epoch: run.epoch }, { runId: 'left', key: 'charge', task: 'charge', status: 'completed', output: 20, attempts: 1, startedAt: 1, finishedAt: 2 })
    const engine = createEngine({ store, metrics: true, workflows: [metered] })
    const fromEvents = new LiveMetrics({}, 0)
    engine.on(fromEvents.listener)
    await engine.ready
    await (await engine.getRun('left'))!.outcome()
    for (let n = 0; n < 6; n++) await (await engine.start(metered, { n })).result().catch(() => undefined)
    const direct = engine.metrics()
    const events = fromEvents.report(direct.at)
    const counted = ({ workflows, tasks, breakers, outbox, adapterFailures }: MetricsReport) => ({ workflows, tasks, breakers, outbox, adapterFailures })
    expect(counted(direct)).toEqual(counted(events))
    expect(direct.workflows[0]!.runs).toMatchObject({ total: 7, completed: 6, failed: 1, recovered: 1 })
    expect(byTask(direct, 'charge')).toMatchObject({ tasks: { completed: 6, failed: 0, skipped: 0, retries: 3 }, usage: { tokens: 1080 } })
    expect(byTask(direct, 'ship').tasks).toMatchObject({ completed: 6, failed: 1 })
    expect(byTask(direct, 'notify').tasks).toMatchObject({ completed: 5, skipped: 1 })
    await engine.close()
  })
})
