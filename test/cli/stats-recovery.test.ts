/**
 * `weft stats` and the recovery statistics: read from the recoveries recorded
 * with the steps of a real SQLite file (a CLI process has no live engine), as
 * a text table, a CSV table of their own (--table recovery) and JSON. Real
 * `weft` processes (dist/).
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, metricsCsvColumns, recoveryCsvColumns, sqliteStore } from 'weft-sdk'
import { cells, createModuleFolder, lineStartingWith, runWeft, type ModuleFolder } from '../support/weft-cli.js'

/** `pay` is refused once for odd inputs (connection → retry, recovered); `audit` fails for good on invalid data when n = 2. */
const Payments = defineWorkflow<{ n: number }>({ name: 'payments', version: 1 })
  .task('pay', { recover: { strategies: { connection: { retry: { maxAttempts: 2, backoff: { initial: 5, max: 5, jitter: 'none' } } } } } }, (input: { n: number }, ctx) => {
    if (input.n % 2 === 1 && ctx.attempt === 1) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
    return input.n
  })
  .task('audit', { dependsOn: ['pay'], recover: { rules: [{ message: 'invalid', as: 'validation' }], strategies: { validation: 'fail-fast' } } }, (n: number) => {
    if (n === 2) throw new Error('invalid ledger entry')
    return n
  })
  .build()

let folder: ModuleFolder

beforeAll(async () => {
  folder = createModuleFolder('weft-cli-stats-recovery-')
  const engine = createEngine({ store: sqliteStore({ path: join(folder.path, 'weft.sqlite') }) })
  for (let n = 0; n < 4; n++) await (await engine.start(Payments, { n })).result().catch(() => undefined)
  await engine.close()
})

afterAll(() => folder.remove())

describe('weft stats: recovery', () => {
  it('prints a table per error class and strategy after the tasks', async () => {
    const result = await runWeft(['stats', '--database', 'weft.sqlite'], folder.path)
    expect(result.code, result.stderr).toBe(0)
    expect(cells(lineStartingWith(result.lines, 'ERROR CLASS')!)).toEqual(['ERROR CLASS', 'STRATEGY', 'FAILURES', 'RECOVERED', 'NOT RECOVERED', 'RECOVER MEAN', 'RECOVER MAX'])
    expect(cells(lineStartingWith(result.lines, 'connection')!).slice(0, 5)).toEqual(['connection', 'retry', '2', '2', '0'])
    expect(cells(lineStartingWith(result.lines, 'validation')!)).toEqual(['validation', 'fail-fast', '1', '0', '1', '-', '-'])
  })

  it('prints the recovery CSV with --table recovery, and the metrics CSV without it', async () => {
    const recovery = await runWeft(['stats', '--database', 'weft.sqlite', '--format', 'csv', '--table', 'recovery'], folder.path)
    expect(recovery.code, recovery.stderr).toBe(0)
    expect(recovery.lines[0]).toBe(recoveryCsvColumns.join(','))
    expect(recovery.lines.slice(1).map((line) => line.split(',').slice(0, 6).join(' '))).toEqual(['history connection retry 2 2 0', 'history validation fail-fast 1 0 1'])
    const metrics = await runWeft(['stats', '--database', 'weft.sqlite', '--format', 'csv'], folder.path)
    expect(metrics.lines[0]).toBe(metricsCsvColumns.join(','))
  })

  it('prints them in the JSON report under recovery', async () => {
    const json = await runWeft(['stats', '--database', 'weft.sqlite', '--format', 'json'], folder.path)
    expect(json.code, json.stderr).toBe(0)
    expect((JSON.parse(json.stdout) as { recovery: unknown }).recovery).toMatchObject({
      byClass: { connection: { retry: { occurrences: 2, recovered: 2, notRecovered: 0 } }, validation: { 'fail-fast': { occurrences: 1, recovered: 0, notRecovered: 1 } } },
      totals: { occurrences: 3, recovered: 2, notRecovered: 1 },
    })
  })

  it('refuses --table without --format csv, and an unknown table, with exit code 2', async () => {
    const text = await runWeft(['stats', '--database', 'weft.sqlite', '--table', 'recovery'], folder.path)
    expect([text.code, text.stderr]).toEqual([2, expect.stringContaining("--table chooses one of the CSV's tables; add --format csv")])
    const unknown = await runWeft(['stats', '--database', 'weft.sqlite', '--format', 'csv', '--table', 'alerts'], folder.path)
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('--table must be one of metrics, recovery; got "alerts"')])
  })
})
