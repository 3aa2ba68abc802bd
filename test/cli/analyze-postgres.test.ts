/**
 * `weft analyze` on PostgreSQL: the built CLI reading a history a real engine
 * recorded in a fresh PostgreSQL database (text, JSON and a run's Chrome
 * trace), and the reference's exercise 2 (examples/13-performance-analysis)
 * recorded on PostgreSQL giving the very report it gives on SQLite (its
 * clock is simulated and its draws seeded, so the durations are exact).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createEngine, defineWorkflow, sqliteStore, type ChromeTrace, type WorkflowAnalysis } from 'weft-sdk'
import { postgresStore } from 'weft-sdk/postgres'
import { main as performanceAnalysis } from '../../examples/13-performance-analysis/main.js'
import { createTestDatabase, describePostgres, type TestDatabase } from '../support/postgres.js'
import { createModuleFolder, runWeft, type ModuleFolder } from '../support/weft-cli.js'

/** The module the CLI imports declares the same workflow: summarize and translate are independent; translate fails its first attempt on "lakes". */
const workflowModule = `import { defineWorkflow } from 'weft-sdk'
export const Pipeline = defineWorkflow({ name: 'pg-pipeline', version: 1 })
  .task('fetch', (input) => ({ topic: input.topic }))
  .task('summarize', { dependsOn: ['fetch'] }, async (doc) => 'summary of ' + doc.topic)
  .task('translate', { dependsOn: ['fetch'], retry: { maxAttempts: 2, backoff: { initial: 0, max: 0 } } }, async (doc) => 'translation of ' + doc.topic)
  .task('publish', { dependsOn: ['summarize', 'translate'] }, (summary, translation) => summary.length + translation.length)
  .build()
`

const Pipeline = defineWorkflow<{ topic: string }>({ name: 'pg-pipeline', version: 1 })
  .task('fetch', (input) => ({ topic: input.topic }))
  .task('summarize', { dependsOn: ['fetch'] }, async (doc) => {
    await delay(5)
    return `summary of ${doc.topic}`
  })
  .task('translate', { dependsOn: ['fetch'], retry: { maxAttempts: 2, backoff: { initial: 0, max: 0 } } }, async (doc, ctx) => {
    await delay(5)
    if (doc.topic === 'lakes' && ctx.attempt === 1) throw new Error('translator busy')
    return `translation of ${doc.topic}`
  })
  .task('publish', { dependsOn: ['summarize', 'translate'] }, (summary, translation) => summary.length + translation.length)
  .build()

describePostgres('weft analyze on PostgreSQL', () => {
  let db: TestDatabase
  let folder: ModuleFolder
  const runIds: string[] = []

  beforeAll(async () => {
    db = await createTestDatabase()
    folder = createModuleFolder('weft-cli-analyze-pg-')
    folder.write('workflows.mjs', workflowModule)
    // One task of a run at a time: summarize and translate are recorded one after the other.
    const engine = createEngine({ store: postgresStore({ connectionString: db.url }), maxConcurrentTasksPerRun: 1 })
    for (let i = 0; i < 6; i++) {
      const run = await engine.start(Pipeline, { topic: i % 2 === 0 ? 'rivers' : 'lakes' })
      await run.result()
      runIds.push(run.id)
    }
    await engine.close()
  })

  afterAll(async () => {
    folder?.remove()
    await db?.drop()
  })

  const weft = (...args: string[]) => runWeft(['analyze', 'workflows.mjs', 'Pipeline', '--database', db.url, ...args], folder.path)

  it('prints the sample, the task table and the suggestions as text, read from a postgres:// database', async () => {
    const { code, stderr, lines } = await weft()
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(lines[0]).toBe('workflow pg-pipeline@1: 6 runs analyzed (6 completed, 0 not)')
    expect(lines.filter((line) => /^(fetch|summarize|translate|publish) +6 /.test(line))).toHaveLength(4)
    expect(lines.some((line) => /^ {2}\d\. let more tasks of a run run at once: raise maxConcurrentTasksPerRun/.test(line))).toBe(true)
  })

  it('prints the analysis as JSON: the retries the steps recorded, the tasks that never overlapped, the repeated inputs', async () => {
    const { code, stdout, stderr } = await weft('--format', 'json')
    expect(code, stderr).toBe(0)
    const analysis = JSON.parse(stdout) as WorkflowAnalysis
    expect(analysis.sample).toMatchObject({ given: 6, analyzed: 6, replayed: 6 })
    expect(analysis.tasks.map((t) => [t.task, t.attempts, t.failedAttempts])).toEqual([['fetch', 6, 0], ['summarize', 6, 0], ['translate', 9, 3], ['publish', 6, 0]])
    expect(analysis.observedConcurrency).toBe(1)
    expect(analysis.suggestions.find((s) => s.kind === 'concurrency')?.tasks).toEqual(['summarize', 'translate'])
    expect(analysis.cacheCandidates.find((c) => c.task === 'fetch')).toMatchObject({ calls: 6, distinctInputs: 2, repeats: 4, sameOutput: 4 })
  })

  it("writes a run's timeline from PostgreSQL as a Chrome trace", async () => {
    const runId = runIds[1]!
    const { code, stderr } = await weft('--trace', runId, '--out', 'run.trace.json')
    expect(code, stderr).toBe(0)
    const trace = JSON.parse(readFileSync(join(folder.path, 'run.trace.json'), 'utf8')) as ChromeTrace
    const spans = trace.traceEvents.filter((e) => e.ph === 'X').map((e) => e.name)
    // The retried task's step, and each of its two attempts within it.
    expect([...spans].sort()).toEqual([`run ${runId}`, 'fetch', 'publish', 'summarize', 'translate', 'translate attempt 1', 'translate attempt 2'].sort())
  })

  it('reads the newest --runs runs only, and names the database when a traced run is not in it', async () => {
    const { code, stdout } = await weft('--runs', '2', '--json')
    expect(code).toBe(0)
    expect((JSON.parse(stdout) as WorkflowAnalysis).sample.given).toBe(2)
    const missing = await weft('--trace', 'nope', '--out', 'x.json')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^weft: no run "nope" in postgres:\/\/.*; `weft runs list` shows the runs there\n$/)
  })
})

describePostgres("the reference's exercise 2 (example 13) on PostgreSQL", () => {
  let db: TestDatabase
  const dir = mkdtempSync(join(tmpdir(), 'weft-analyze-pg-'))
  beforeAll(async () => {
    db = await createTestDatabase()
  })
  afterAll(async () => {
    await db?.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints the same report line for line as on SQLite, flagging the slow, unreliable and high-variance tasks and not the normal one', async () => {
    const onPostgres: string[] = []
    const summary = await performanceAnalysis((line) => onPostgres.push(line), postgresStore({ connectionString: db.url }))
    const onSqlite: string[] = []
    await performanceAnalysis((line) => onSqlite.push(line), sqliteStore({ path: join(dir, 'challenge.sqlite') }))
    expect(onPostgres).toEqual(onSqlite)
    expect(summary.flagged.slow_task).toContain('slow')
    expect(summary.flagged.unreliable).toContain('unreliable')
    expect(summary.flagged.variable).toContain('high-variance')
    expect(summary.flagged.normal).toEqual([])
  }, 60_000)
})
