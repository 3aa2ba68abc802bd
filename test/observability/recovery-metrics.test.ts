/**
 * Recovery statistics beyond engine.stats(): `@Recover`'s outcomes recorded
 * with the steps (their attempt history) and read back by engine.history() on
 * a real SQLite file (clear and encrypted) and a real PostgreSQL database, in
 * the live report, the JSON and CSV exports and the Prometheus exposition
 * (checked by promtool when present).
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createEngine,
  createPayloadCodec,
  defineWorkflow,
  metricsToJson,
  prometheusText,
  recoveryCsvColumns,
  recoveryToCsv,
  sqliteStore,
  staticKeyProvider,
  type Engine,
  type RecoveryStatsSnapshot,
} from 'weft-sdk'
import { postgresStore } from 'weft-sdk/postgres'
import type { WorkflowStore } from 'weft-sdk/store'
import { createTestDatabase, describePostgres, type TestDatabase } from '../support/postgres.js'

const dir = mkdtempSync(join(tmpdir(), 'weft-recovery-metrics-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const backoffMs = 20
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })

/**
 * Six runs (n = 0..5): `fetch` is refused once when n is odd (connection → retry: recovered after one backoff);
 * `price` loses its database when n = 2 (database → a fallback value: recovered at once); `check` finds invalid
 * data when n = 4 (validation → fail-fast: not recovered, the run fails).
 */
const orders = defineWorkflow<{ n: number }>({ name: 'recovering-orders', version: 1 })
  .task('fetch', { recover: { strategies: { connection: { retry: { maxAttempts: 3, backoff: { initial: backoffMs, max: backoffMs, jitter: 'none' } } } } } }, (input: { n: number }, ctx) => {
    if (input.n % 2 === 1 && ctx.attempt === 1) throw refused()
    return input.n
  })
  .task('price', { dependsOn: ['fetch'], recover: { rules: [{ message: 'database', as: 'database' }], strategies: { database: { fallbackValue: 0 } } } }, (n: number) => {
    if (n === 2) throw new Error('database connection lost')
    return n * 10
  })
  .task('check', { dependsOn: ['price'], recover: { rules: [{ message: 'invalid', as: 'validation' }], strategies: { validation: 'fail-fast' } } }, (price: number) => {
    if (price === 40) throw new Error('invalid price')
    return price
  })
  .build()

async function runOrders(engine: Engine): Promise<void> {
  for (let n = 0; n < 6; n++) await (await engine.start(orders, { n })).result().catch(() => undefined)
}

/** The counts the six runs make, without their times. */
const expectedCounts = {
  connection: { retry: { occurrences: 3, recovered: 3, notRecovered: 0 } },
  database: { fallback: { occurrences: 1, recovered: 1, notRecovered: 0 } },
  validation: { 'fail-fast': { occurrences: 1, recovered: 0, notRecovered: 1 } },
}

function countsOf(snapshot: RecoveryStatsSnapshot): Record<string, Record<string, { occurrences: number; recovered: number; notRecovered: number }>> {
  return Object.fromEntries(
    Object.entries(snapshot.byClass).map(([errorClass, strategies]) => [
      errorClass,
      Object.fromEntries(Object.entries(strategies).map(([strategy, c]) => [strategy, { occurrences: c!.occurrences, recovered: c!.recovered, notRecovered: c!.notRecovered }])),
    ]),
  )
}

/** Runs the six orders on `store` and returns the engine's live statistics and its history's. */
async function liveAndHistory(store: WorkflowStore): Promise<{ live: RecoveryStatsSnapshot; history: RecoveryStatsSnapshot; engine: Engine }> {
  const engine = createEngine({ store, metrics: true })
  await runOrders(engine)
  const live = engine.metrics().recovery
  const history = (await engine.history({ workflow: 'recovering-orders' })).recovery
  return { live, history, engine }
}

function expectRecordedRecovery(history: RecoveryStatsSnapshot): void {
  expect(countsOf(history)).toEqual(expectedCounts)
  expect(history.totals).toEqual({ occurrences: 5, recovered: 4, notRecovered: 1 })
  const connection = history.byClass['connection']!['retry']!.timeToRecoverMs
  expect(connection.max).toBeGreaterThanOrEqual(backoffMs)
  expect(connection.mean).toBeCloseTo(connection.total / 3, 6)
  expect(history.byClass['validation']!['fail-fast']!.timeToRecoverMs).toEqual({ total: 0, max: 0, mean: 0 })
}

describe('recovery statistics, live and recorded', () => {
  it("the live report carries the engine's recovery counters (engine.stats().recovery)", async () => {
    const engine = createEngine({ metrics: true })
    await runOrders(engine)
    expect(countsOf(engine.metrics().recovery)).toEqual(expectedCounts)
    expect(engine.metrics().recovery).toEqual(engine.stats().recovery)
    await engine.close()
  })

  it('records each step\'s recovery with its attempt history, a single failed attempt included', async () => {
    const store = sqliteStore({ path: join(dir, 'steps.sqlite') })
    const engine = createEngine({ store })
    const failed = await engine.start(orders, { n: 4 })
    await failed.result().catch(() => undefined)
    const fellBack = await engine.start(orders, { n: 2 })
    await fellBack.result()
    const stepOf = async (runId: string, key: string) => (await store.loadSteps(runId as never)).find((s) => s.key === key)!
    const check = await stepOf(failed.id, 'check')
    expect(check).toMatchObject({ status: 'failed', attempts: 1, history: { earlier: [], omitted: 0, recovery: { failures: [{ errorClass: 'validation', strategy: 'fail-fast', count: 1 }], last: { errorClass: 'validation', strategy: 'fail-fast' } } } })
    const price = await stepOf(fellBack.id, 'price')
    expect(price).toMatchObject({ status: 'completed', output: 0, history: { recovery: { last: { errorClass: 'database', strategy: 'fallback' } } } })
    expect(price.history!.recovery!.firstFailureAt).toBeLessThanOrEqual(price.finishedAt)
    const plain = await stepOf(fellBack.id, 'fetch')
    expect(plain.history).toBeUndefined()
    await engine.close()
  })

  it('engine.history() on SQLite sums the recorded recoveries into the counts the live engine made', async () => {
    const { live, history, engine } = await liveAndHistory(sqliteStore({ path: join(dir, 'history.sqlite') }))
    expect(countsOf(history)).toEqual(countsOf(live))
    expectRecordedRecovery(history)
    await engine.close()
  })

  it('reads them from an encrypted SQLite store (the history column decoded, not parsed in SQL)', async () => {
    const codec = createPayloadCodec(staticKeyProvider([{ id: 'k1', key: randomBytes(32) }]))
    const { history, engine } = await liveAndHistory(sqliteStore({ path: join(dir, 'encrypted.sqlite'), codec }))
    expectRecordedRecovery(history)
    await engine.close()
  })

  it('counts only the runs of the window', async () => {
    const engine = createEngine({ store: sqliteStore({ path: join(dir, 'window.sqlite') }) })
    await runOrders(engine)
    const none = await engine.history({ from: Date.now() + 60_000 })
    expect(none.recovery).toEqual({ byClass: {}, totals: { occurrences: 0, recovered: 0, notRecovered: 0 } })
    await engine.close()
  })
})

describePostgres('recovery statistics recorded on PostgreSQL', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase()
  })
  afterAll(() => db?.drop())

  it('engine.history() sums the recorded recoveries into the counts the live engine made', async () => {
    const { live, history, engine } = await liveAndHistory(postgresStore({ connectionString: db.url }))
    expect(countsOf(history)).toEqual(countsOf(live))
    expectRecordedRecovery(history)
    await engine.close()
  })
})

describe('recovery statistics in the exports', () => {
  let engine: Engine
  beforeAll(async () => {
    engine = createEngine({ metrics: true })
    await runOrders(engine)
  })
  afterAll(() => engine.close())

  it('JSON carries them under recovery', () => {
    const json = metricsToJson(engine.metrics()) as { recovery: RecoveryStatsSnapshot }
    expect(countsOf(json.recovery)).toEqual(expectedCounts)
  })

  it('CSV has a table of its own: one row per class and strategy, by class then strategy, mean and max empty when none recovered', () => {
    const lines = recoveryToCsv(engine.metrics()).trimEnd().split('\n')
    expect(lines[0]).toBe(recoveryCsvColumns.join(','))
    const rows = lines.slice(1).map((line) => line.split(','))
    expect(rows.map((r) => r.slice(0, 6))).toEqual([
      ['live', 'connection', 'retry', '3', '3', '0'],
      ['live', 'database', 'fallback', '1', '1', '0'],
      ['live', 'validation', 'fail-fast', '1', '0', '1'],
    ])
    expect(Number(rows[0]![8])).toBeGreaterThanOrEqual(backoffMs)
    expect(rows[2]!.slice(6)).toEqual(['0', '', ''])
  })

  it('Prometheus has failures and outcomes as counters and the time to recover as a summary, per class and strategy', () => {
    const text = prometheusText(engine.metrics())
    expect(text).toContain('# TYPE weft_recovery_failures_total counter\n')
    expect(text).toContain('weft_recovery_failures_total{error_class="connection",strategy="retry"} 3\n')
    expect(text).toContain('weft_recovery_outcomes_total{error_class="validation",strategy="fail-fast",outcome="not_recovered"} 1\n')
    expect(text).toContain('weft_recovery_outcomes_total{error_class="database",strategy="fallback",outcome="recovered"} 1\n')
    expect(text).toContain('# TYPE weft_recovery_time_seconds summary\n')
    expect(text).toContain('weft_recovery_time_seconds_count{error_class="connection",strategy="retry"} 3\n')
    const sum = /weft_recovery_time_seconds_sum\{error_class="connection",strategy="retry"\} (\S+)\n/.exec(text)
    expect(Number(sum?.[1])).toBeGreaterThanOrEqual((3 * backoffMs) / 1000)
  })

  const promtool = process.env['WEFT_PROMTOOL'] ?? (existsSync('.ci/tools/promtool') ? '.ci/tools/promtool' : undefined)
  it.skipIf(promtool === undefined && process.env['CI'] === undefined)(
    promtool === undefined ? 'is accepted by promtool check metrics (skipped: promtool is missing; .ci/run provides .ci/tools/promtool)' : 'is accepted by promtool check metrics, lint included, live and from a history',
    async () => {
      if (promtool === undefined) throw new Error('CI is set and promtool is missing (set WEFT_PROMTOOL or run .ci/run)')
      for (const text of [prometheusText(engine.metrics()), prometheusText(await engine.history())]) {
        const result = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' })
        expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({ status: 0, output: '' })
      }
    },
  )
})
