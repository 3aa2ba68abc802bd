import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { analyzeWorkflow, defaultHistoryRuns, formatAnalysis, loadRunSteps, loadWorkflowHistory, toAnalysisGraph, toChromeTrace, type AnalysisGraph, type RecordedRun } from '../index.js'
import type { RunStore, StepJournal } from '../store.js'
import { CommandFailedError, UsageError } from './cli-errors.js'
import { configOption, requireReadableRun, securedCommand, tokenOption, withSecuredEngine } from './cli-security.js'
import { parseCount } from './command-line.js'
import type { CliCommand, CliContext, CommandArgs } from './command.js'
import { databaseOption, withStore } from './database.js'
import { requireRun } from './require-run.js'
import { jsonOption, printJson } from './run-json.js'
import { findWorkflowExport, importWorkflowModule } from './workflow-module.js'

const maxRuns = 10_000
const formats = ['text', 'json'] as const

/** `weft analyze <module> <workflow>`: the analysis of a workflow's recorded runs (critical path, bottlenecks, suggestions). */
export const analyzeCommand: CliCommand = {
  path: ['analyze'],
  summary: "analyze a workflow's recorded runs: critical path, bottlenecks, suggestions with estimated savings",
  details: [
    'Imports the module (a built .js file) for the workflow\'s graph, as `weft graph` does, and reads the',
    `newest --runs runs of the workflow (default ${defaultHistoryRuns}) with their steps; runs of other versions and unfinished`,
    'runs are left out. Prints per-task durations (median, p95, mean, coefficient of variation), failure, retry',
    'and blocked rates, the critical path by median durations and each task\'s share of it, the bottlenecks',
    '(slow, high-variance, unreliable, retry-heavy, blocked; criteria and thresholds in guides/observability.md),',
    'cache candidates, and suggestions, each with an estimated saving: the recorded runs replayed through the',
    'graph with the change applied. --trace <run-id> --out <file> also writes that run\'s timeline as a Chrome',
    'trace (open it in ui.perfetto.dev or chrome://tracing).',
  ],
  positionals: [
    { name: 'module', description: 'path of a built JavaScript module exporting the workflow' },
    { name: 'workflow', description: 'the name of the export holding the workflow (or the workflow\'s name)' },
  ],
  options: {
    runs: { type: 'string', valueName: '<n>', description: `how many of the newest runs to analyze, 1 to ${maxRuns} [default: ${defaultHistoryRuns}]` },
    format: { type: 'string', valueName: '<format>', description: `${formats.join(', ')} [default: text]` },
    json: { ...jsonOption, description: 'the same as --format json' },
    trace: { type: 'string', valueName: '<run-id>', description: 'also write this run\'s timeline as a Chrome trace (needs --out)' },
    out: { type: 'string', valueName: '<file>', description: 'where --trace writes the trace JSON' },
    database: databaseOption,
    config: configOption,
    token: tokenOption,
  },
  examples: [
    'weft analyze dist/workflows/orders.js OrderFulfilment',
    'weft analyze dist/workflows/orders.js OrderFulfilment --runs 50 --format json | jq .bottlenecks',
    'weft analyze dist/workflows/orders.js OrderFulfilment --trace 01jhkm5100k3m9xq4v0c8n2r --out run.trace.json',
  ],
  async run(args, context) {
    const options = parseOptions(args)
    const module = await importWorkflowModule(args.positionals[0]!, context.cwd)
    const graph = toAnalysisGraph(findWorkflowExport(module, args.positionals[1]!).graph)
    const { history, traced } = await readHistory(args, context, graph, options)
    const analysis = analyzeWorkflow(graph, history)
    if (options.format === 'json') printJson(context.out, analysis)
    else for (const line of formatAnalysis(analysis)) context.out.line(line)
    if (traced !== undefined) writeTrace(context, traced, options.out!)
    return 0
  },
}

interface AnalyzeOptions {
  readonly runs: number
  readonly format: (typeof formats)[number]
  readonly trace: string | undefined
  readonly out: string | undefined
}

function parseOptions(args: CommandArgs): AnalyzeOptions {
  const runs = parseCount('runs', args.string('runs'), 1) ?? defaultHistoryRuns
  if (runs > maxRuns) throw new UsageError(`--runs must be at most ${maxRuns} (a bounded sample of the newest runs), got ${runs}`)
  const format = args.string('format') ?? (args.flag('json') ? 'json' : 'text')
  if (!(formats as readonly string[]).includes(format)) throw new UsageError(`--format must be text or json, got "${format}"`)
  if (args.flag('json') && format !== 'json') throw new UsageError(`--json is --format json; it cannot go with --format ${format}`)
  const trace = args.string('trace')
  const out = args.string('out')
  if ((trace === undefined) !== (out === undefined)) throw new UsageError('--trace <run-id> and --out <file> go together: the trace of that run is written to that file')
  return { runs, format: format as AnalyzeOptions['format'], trace, out }
}

type HistoryReader = Pick<RunStore, 'getRun' | 'listRuns'> & Pick<StepJournal, 'loadSteps'>

/** The sample of runs and, with --trace, the traced run; with --config only the runs the caller may read. */
async function readHistory(args: CommandArgs, context: CliContext, graph: AnalysisGraph, options: AnalyzeOptions): Promise<{ history: RecordedRun[]; traced: RecordedRun | undefined }> {
  const database = args.string('database')
  const secured = await securedCommand(args, context)
  if (secured === undefined) {
    return withStore(database, context.cwd, 'read', async (store) => ({
      history: await loadWorkflowHistory(store, graph, { runs: options.runs }),
      traced: options.trace === undefined ? undefined : await tracedRun(store, graph, options.trace, database),
    }))
  }
  return withSecuredEngine(database, context, secured, async (caller, store) => {
    const history = await loadRunSteps(store, await caller.listRuns({ workflow: graph.workflow, limit: options.runs }))
    if (options.trace === undefined) return { history, traced: undefined }
    await requireReadableRun(caller, options.trace, database)
    return { history, traced: await tracedRun(store, graph, options.trace, database) }
  })
}

async function tracedRun(store: HistoryReader, graph: AnalysisGraph, runId: string, database: string | undefined): Promise<RecordedRun> {
  const run = await requireRun(store, runId, database)
  if (run.workflow !== graph.workflow) throw new CommandFailedError(`run "${runId}" is a run of workflow "${run.workflow}", not "${graph.workflow}"`)
  return { run, steps: await store.loadSteps(run.id) }
}

function writeTrace(context: CliContext, traced: RecordedRun, out: string): void {
  const trace = toChromeTrace(traced)
  try {
    writeFileSync(resolve(context.cwd, out), `${JSON.stringify(trace)}\n`)
  } catch (error) {
    throw new CommandFailedError(`cannot write the trace to ${out}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  context.err.line(`wrote the timeline of run ${traced.run.id} (${trace.traceEvents.filter((e) => e.ph === 'X').length} spans) to ${out}; open it in ui.perfetto.dev or chrome://tracing`)
}
