/** `weft analyze <module> <workflow>` on a SQLite file recorded by a real engine, run as the built CLI. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, sqliteStore, type ChromeTrace, type WorkflowAnalysis } from 'weft-sdk'
import { createModuleFolder, runWeft, type ModuleFolder } from '../support/weft-cli.js'

/** The workflow, as the module the CLI imports declares it too: summarize and translate are independent. */
const workflowSource = (sleep: string) => `
  .task('fetch', (input) => ({ topic: input.topic }))
  .task('summarize', { dependsOn: ['fetch'] }, async (doc) => { ${sleep}; return 'summary of ' + doc.topic })
  .task('translate', { dependsOn: ['fetch'] }, async (doc) => { ${sleep}; return 'translation of ' + doc.topic })
  .task('publish', { dependsOn: ['summarize', 'translate'] }, (summary, translation) => summary.length + translation.length)
  .build()`

const Pipeline = defineWorkflow<{ topic: string }>({ name: 'pipeline', version: 1 })
  .task('fetch', (input) => ({ topic: input.topic }))
  .task('summarize', { dependsOn: ['fetch'] }, async (doc) => {
    await delay(5)
    return `summary of ${doc.topic}`
  })
  .task('translate', { dependsOn: ['fetch'] }, async (doc) => {
    await delay(5)
    return `translation of ${doc.topic}`
  })
  .task('publish', { dependsOn: ['summarize', 'translate'] }, (summary, translation) => summary.length + translation.length)
  .build()

const Other = defineWorkflow({ name: 'other', version: 1 }).task('only', () => 1).build()

let folder: ModuleFolder
const runIds: string[] = []
let otherRunId: string

beforeAll(async () => {
  folder = createModuleFolder('weft-cli-analyze-')
  folder.write('workflows.mjs', `import { defineWorkflow } from 'weft-sdk'\nexport const Pipeline = defineWorkflow({ name: 'pipeline', version: 1 })${workflowSource('await new Promise((r) => setTimeout(r, 5))')}\n`)
  // One task of a run at a time: summarize and translate are recorded one after the other.
  const engine = createEngine({ store: sqliteStore({ path: join(folder.path, 'weft.sqlite') }), maxConcurrentTasksPerRun: 1 })
  for (let i = 0; i < 8; i++) {
    const run = await engine.start(Pipeline, { topic: i % 2 === 0 ? 'rivers' : 'lakes' })
    await run.result()
    runIds.push(run.id)
  }
  const other = await engine.start(Other)
  await other.result()
  otherRunId = other.id
  await engine.close()
})

afterAll(() => folder.remove())

const weft = (...args: string[]) => runWeft(['analyze', 'workflows.mjs', 'Pipeline', '--database', 'weft.sqlite', ...args], folder.path)

describe('weft analyze', () => {
  it('prints the sample, the task table, the critical path, bottlenecks, cache candidates and suggestions as text', async () => {
    const { code, stderr, lines } = await weft()
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(lines[0]).toBe('workflow pipeline@1: 8 runs analyzed (8 completed, 0 not)')
    expect(lines[1]).toBe('8 runs with a step for every task are replayed for savings; at most 1 task(s) of a run ran at once')
    expect(lines.filter((line) => /^(fetch|summarize|translate|publish) +8 /.test(line))).toHaveLength(4)
    expect(lines).toContain('cache candidates:')
    expect(lines.some((line) => /^ {2}\d\. let more tasks of a run run at once: raise maxConcurrentTasksPerRun/.test(line))).toBe(true)
  })

  it('prints one JSON value with --format json: independent tasks that never overlapped, and repeated arguments with the same output', async () => {
    const { code, stdout, stderr } = await weft('--format', 'json')
    expect(code, stderr).toBe(0)
    const analysis = JSON.parse(stdout) as WorkflowAnalysis
    expect(analysis.sample).toMatchObject({ given: 8, analyzed: 8, replayed: 8 })
    expect(analysis.tasks.map((t) => t.task)).toEqual(['fetch', 'summarize', 'translate', 'publish'])
    expect(analysis.observedConcurrency).toBe(1)
    const concurrency = analysis.suggestions.find((s) => s.kind === 'concurrency')!
    expect(concurrency.tasks).toEqual(['summarize', 'translate'])
    expect(concurrency.estimatedSavingMs).toBeGreaterThan(0)
    // Two topics over 8 runs: 6 calls of each task repeat earlier arguments with the same output.
    expect(analysis.cacheCandidates.find((c) => c.task === 'fetch')).toMatchObject({ calls: 8, distinctInputs: 2, repeats: 6, sameOutput: 6 })
  })

  it('reads only the newest --runs runs (--json is --format json)', async () => {
    const { code, stdout } = await weft('--runs', '3', '--json')
    expect(code).toBe(0)
    expect((JSON.parse(stdout) as WorkflowAnalysis).sample.given).toBe(3)
  })

  it("writes a run's timeline as a Chrome trace with --trace and --out", async () => {
    const runId = runIds[2]!
    const { code, stderr } = await weft('--trace', runId, '--out', 'run.trace.json')
    expect(code, stderr).toBe(0)
    expect(stderr).toBe(`wrote the timeline of run ${runId} (5 spans) to run.trace.json; open it in ui.perfetto.dev or chrome://tracing\n`)
    const trace = JSON.parse(readFileSync(join(folder.path, 'run.trace.json'), 'utf8')) as ChromeTrace
    expect(trace.traceEvents.filter((e) => e.ph === 'X').map((e) => e.name)).toEqual([`run ${runId}`, 'fetch', 'summarize', 'translate', 'publish'])
  })

  it.concurrent.for<[string[], number, string]>([
    [['--trace', 'x'], 2, 'weft: --trace <run-id> and --out <file> go together: the trace of that run is written to that file'],
    [['--format', 'csv'], 2, 'weft: --format must be text or json, got "csv"'],
    [['--json', '--format', 'text'], 2, 'weft: --json is --format json; it cannot go with --format text'],
    [['--runs', '0'], 2, 'weft: --runs must be a whole number ≥ 1, got "0"'],
    [['--runs', '10001'], 2, 'weft: --runs must be at most 10000 (a bounded sample of the newest runs), got 10001'],
    [['--trace', 'nope', '--out', 'x.json'], 1, 'weft: no run "nope" in weft.sqlite; `weft runs list` shows the runs there'],
  ])('refuses %j with exit code %i', async ([args, exitCode, message]) => {
    const { code, stderr, stdout } = await weft(...args)
    expect(code).toBe(exitCode)
    expect(stderr).toBe(`${message}\n`)
    expect(stdout).toBe('')
  })

  it('refuses to trace a run of another workflow', async () => {
    const { code, stderr } = await weft('--trace', otherRunId, '--out', 'x.json')
    expect(code).toBe(1)
    expect(stderr).toBe(`weft: run "${otherRunId}" is a run of workflow "other", not "pipeline"\n`)
  })
})
