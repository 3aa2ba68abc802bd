/**
 * `weft stats` on a real SQLite file: the history of runs recorded by an
 * engine, as text, JSON and CSV, filtered by workflow and time; on a database
 * with security enabled, only with --config and read:stats. Real `weft`
 * processes (dist/).
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, metricsCsvColumns, principal, Rbac, sqliteStore } from 'weft-sdk'
import { virtualTime } from '../support/test-clock.js'
import { cells, createModuleFolder, lineStartingWith, runWeft, type ModuleFolder } from '../support/weft-cli.js'

const Orders = defineWorkflow<{ n: number }>({ name: 'orders', version: 1 })
  .task('charge', { retry: { maxAttempts: 2, backoff: { initial: 0, max: 0 } } }, (input: { n: number }, ctx) => {
    if (input.n % 2 === 1 && ctx.attempt === 1) throw new Error('card declined')
    return input.n
  })
  .task('ship', { dependsOn: ['charge'] }, (n: number) => {
    if (n === 3) throw new Error('no courier')
    return n
  })
  .build()
const Reports = defineWorkflow({ name: 'reports', version: 1 }).task('build', () => 'ok').build()
/** Run once, two days ago: outside `weft stats`'s default window. */
const Archive = defineWorkflow({ name: 'archive', version: 1 }).task('sweep', () => 'ok').build()
const twoDaysMs = 2 * 86_400_000

let folder: ModuleFolder

beforeAll(async () => {
  folder = createModuleFolder('weft-cli-stats-')
  const engine = createEngine({ store: sqliteStore({ path: join(folder.path, 'weft.sqlite') }) })
  for (let n = 0; n < 6; n++) await (await engine.start(Orders, { n })).result().catch(() => undefined)
  await (await engine.start(Reports)).result()
  await engine.close()
  const time = virtualTime()
  await time.advance(Date.now() - twoDaysMs)
  const past = createEngine({ store: sqliteStore({ path: join(folder.path, 'weft.sqlite') }), clock: time.clock })
  await (await past.start(Archive)).result()
  await past.close()
})

afterAll(() => folder.remove())

describe('weft stats', () => {
  it('prints per-workflow and per-task tables of the recorded runs', async () => {
    const result = await runWeft(['stats', '--database', 'weft.sqlite'], folder.path)
    expect(result.code, result.stderr).toBe(0)
    expect(result.lines[0]).toMatch(/^runs created .* \(utc, the last 24 h by default; --since all for every run\); percentiles: nearest-rank$/)
    expect(cells(lineStartingWith(result.lines, 'orders')!).slice(0, 6)).toEqual(['orders', '6', '5', '1', '0', '83.3%'])
    expect(cells(lineStartingWith(result.lines, 'orders.charge')!).slice(0, 6)).toEqual(['orders.charge', '6', '0', '0', '3', '100.0%'])
    expect(cells(lineStartingWith(result.lines, 'orders.ship')!).slice(0, 3)).toEqual(['orders.ship', '5', '1'])
    expect(lineStartingWith(result.lines, 'reports')).toBeDefined()
  })

  it('reads the last 24 h by default, and every run with --since all', async () => {
    const bare = await runWeft(['stats', '--database', 'weft.sqlite', '--format', 'json'], folder.path)
    expect(bare.code, bare.stderr).toBe(0)
    const recent = JSON.parse(bare.stdout) as { window: { from: number; to: number }; workflows: { workflow: string }[] }
    expect(recent.workflows.map((w) => w.workflow)).toEqual(['orders', 'reports'])
    expect(recent.window.to - recent.window.from).toBe(86_400_000)
    const all = await runWeft(['stats', '--database', 'weft.sqlite', '--since', 'all'], folder.path)
    expect(all.code, all.stderr).toBe(0)
    expect(all.lines[0]).toMatch(/^runs created .* \(utc, all time\); percentiles: nearest-rank$/)
    expect(cells(lineStartingWith(all.lines, 'archive.sweep')!).slice(0, 2)).toEqual(['archive.sweep', '1'])
    const allOld = await runWeft(['stats', '--database', 'weft.sqlite', '--since', 'all', '--until', '24 h', '--format', 'json'], folder.path)
    expect((JSON.parse(allOld.stdout) as { workflows: { workflow: string }[] }).workflows.map((w) => w.workflow)).toEqual(['archive'])
  })

  it('takes the 24 h before --until as the default window when only --until is given', async () => {
    const before = await runWeft(['stats', '--database', 'weft.sqlite', '--until', '36 h', '--format', 'json'], folder.path)
    expect(before.code, before.stderr).toBe(0)
    const report = JSON.parse(before.stdout) as { window: { from: number; to: number }; workflows: { workflow: string }[] }
    expect(report.workflows.map((w) => w.workflow)).toEqual(['archive'])
    expect(report.window.to - report.window.from).toBe(86_400_000)
    const text = await runWeft(['stats', '--database', 'weft.sqlite', '--until', '36 h'], folder.path)
    expect(text.lines[0]).toMatch(/\(utc, 24 h before --until by default; --since all for every run\)/)
  })

  it('prints CSV with the documented columns and JSON in the engine.history() shape, for one workflow', async () => {
    const csv = await runWeft(['stats', '--database', 'weft.sqlite', '--workflow', 'orders', '--format', 'csv'], folder.path)
    expect(csv.code, csv.stderr).toBe(0)
    expect(csv.lines[0]).toBe(metricsCsvColumns.join(','))
    expect(csv.lines.slice(1).map((line) => line.split(',').slice(1, 4).join(' '))).toEqual(['workflow orders ', 'task orders charge', 'task orders ship'])
    const json = await runWeft(['stats', '--database', 'weft.sqlite', '--workflow', 'orders', '--format', 'json', '--definition', 'linear'], folder.path)
    expect(json.code, json.stderr).toBe(0)
    const report = JSON.parse(json.stdout) as { source: string; percentiles: string; workflows: { runs: { total: number }; queueWait: { count: number } }[] }
    expect(report).toMatchObject({ source: 'history', percentiles: 'linear' })
    expect(report.workflows).toHaveLength(1)
    expect(report.workflows[0]).toMatchObject({ runs: { total: 6 }, queueWait: { count: 6 } })
  })

  it('filters by creation time: --since and --until take an ISO time or a duration ago', async () => {
    const future = await runWeft(['stats', '--database', 'weft.sqlite', '--since', '2999-01-01T00:00Z'], folder.path)
    expect(future.code, future.stderr).toBe(0)
    expect(future.lines[0]).toMatch(/^no runs created 2999-01-01/)
    const lastDay = await runWeft(['stats', '--database', 'weft.sqlite', '--since', '24 h', '--format', 'json'], folder.path)
    expect((JSON.parse(lastDay.stdout) as { workflows: unknown[] }).workflows).toHaveLength(2)
    const old = await runWeft(['stats', '--database', 'weft.sqlite', '--until', '2000-01-01T00:00Z', '--format', 'json'], folder.path)
    expect((JSON.parse(old.stdout) as { workflows: unknown[] }).workflows).toEqual([])
  })

  it('refuses a bad format, definition or time with exit code 2, naming the choices', async () => {
    const format = await runWeft(['stats', '--database', 'weft.sqlite', '--format', 'xml'], folder.path)
    expect(format.code).toBe(2)
    expect(format.stderr).toContain('--format must be one of text, json, csv; got "xml"')
    const since = await runWeft(['stats', '--database', 'weft.sqlite', '--since', 'yesterday'], folder.path)
    expect(since.code).toBe(2)
    expect(since.stderr).toContain("--since must be an ISO time (2026-12-01T00:00Z) or a duration ago ('24 h', '7 d'), or all; got \"yesterday\"")
    const definition = await runWeft(['stats', '--database', 'weft.sqlite', '--definition', 'mean'], folder.path)
    expect(definition.code).toBe(2)
  })
})

describe('weft stats on a database with security enabled', () => {
  const roles = { analyst: ['read:stats'], user: ['start:orders', 'read:orders'] }
  let secured: ModuleFolder

  beforeAll(async () => {
    secured = createModuleFolder('weft-cli-stats-secured-')
    const engine = createEngine({ store: sqliteStore({ path: join(secured.path, 'weft.sqlite') }), security: { authorizer: new Rbac({ roles }) } })
    await (await engine.as(principal({ subject: 'user:ada', roles: ['user'] })).start(Orders, { n: 2 })).result()
    await engine.close()
    const config = (role: string) => `import { principal, Rbac } from 'weft-sdk'\nexport const weft = { security: { authorizer: new Rbac({ roles: ${JSON.stringify(roles)} }) }, principal: principal({ subject: 'user:${role}', roles: ['${role}'] }) }\n`
    secured.write('analyst.config.mjs', config('analyst'))
    secured.write('user.config.mjs', config('user'))
  })

  afterAll(() => secured.remove())

  it('needs --config (exit 2), refuses a caller without read:stats, and answers one with it', async () => {
    const bare = await runWeft(['stats', '--database', 'weft.sqlite'], secured.path)
    expect(bare.code).toBe(2)
    expect(bare.stderr).toContain('--config')
    const user = await runWeft(['stats', '--database', 'weft.sqlite', '--config', 'user.config.mjs'], secured.path)
    expect(user.code).toBe(1)
    expect(user.stderr).toContain('read:stats')
    const analyst = await runWeft(['stats', '--database', 'weft.sqlite', '--config', 'analyst.config.mjs', '--format', 'json'], secured.path)
    expect(analyst.code, analyst.stderr).toBe(0)
    expect((JSON.parse(analyst.stdout) as { workflows: { runs: { completed: number } }[] }).workflows[0]!.runs.completed).toBe(1)
  })
})
