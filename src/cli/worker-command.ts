import { toMillis, type Duration } from '../index.js'
import { UsageError } from './cli-errors.js'
import { parseCount } from './command-line.js'
import type { CliCommand } from './command.js'
import { databaseOption, messageOf } from './database.js'
import { jsonOption, printJson } from './run-json.js'
import { runWorker } from './worker.js'
import { configOption } from './cli-security.js'
import { loadCliConfig } from './cli-config.js'

/** `weft worker`: runs the workflows of some modules, claiming their runs from the store, until SIGTERM or SIGINT. */
export const workerCommand: CliCommand = {
  path: ['worker'],
  summary: 'run workflows: claim and execute their runs until stopped',
  details: [
    'Imports each module (a built .js file), registers every workflow it exports (@Workflow classes and',
    'defineWorkflow(...).build() definitions) and executes runs of them: new ones, and unfinished ones',
    'of stopped workers. Prints a line when ready and one per run started and finished.',
    'A module may instead export a worker configuration, as `weft` or as its default export:',
    '  export const weft = defineWorkerConfig({ workflows: [Orders], adapters: [...], register(container) { ... } })',
    "(defineWorkerConfig from 'weft-sdk/cli'). The worker then runs the workflows it lists; its adapters",
    'and what register(container) puts on the worker engine\'s own container are there before they',
    'are registered (or `resolver` replaces tsyringe; engine settings such as leaseDuration apply too).',
    "A module without one registers on tsyringe's root container by side effect, which the worker sees.",
    'On SIGTERM or SIGINT it stops claiming, lets running tasks finish within the drain time, releases',
    'the runs still running to other workers, and exits 0. A second signal ends it at once.',
    'With --json its progress lines go to standard error, and when it stops it prints its summary as',
    'JSON: { workerId, workflows, runs: { completed, failed, cancelled }, released }.',
    'With --metrics-port it serves its live metrics (runs, tasks, retries, durations as histograms) in',
    "Prometheus's text format at http://127.0.0.1:<port>/metrics (0: a free port, named in the banner).",
  ],
  positionals: [],
  options: {
    database: databaseOption,
    config: { ...configOption, description: "a built module exporting defineCliConfig({ security, codec }): the worker engine's security and the store's codec; required once the database has security enabled" },
    module: { type: 'string', multiple: true, valueName: '<path>', description: 'a built module exporting workflows or a worker configuration (repeat for several)' },
    drain: { type: 'string', valueName: '<duration>', description: "how long running tasks may take to finish on shutdown, e.g. '30 s' [default: 10 s]" },
    'max-tasks': { type: 'string', valueName: '<n>', description: 'tasks running at once across all runs [default: unlimited]' },
    'metrics-port': { type: 'string', valueName: '<port>', description: "serve the worker's live metrics to Prometheus at http://127.0.0.1:<port>/metrics [default: none]" },
    json: jsonOption,
  },
  examples: [
    'weft worker --module dist/workflows.js',
    "weft worker --database postgres://weft@db.internal/weft --module dist/orders.js --module dist/billing.js --drain '30 s'",
    'weft worker --module dist/workflows.js --metrics-port 9464',
  ],
  async run(args, context) {
    const modules = args.strings('module')
    if (modules.length === 0) throw new UsageError('weft worker needs at least one --module <path> (a built module exporting workflows)')
    const json = args.flag('json')
    const progress = json ? context.err : context.out
    const configPath = args.string('config')
    const summary = await runWorker({
      config: configPath === undefined ? undefined : await loadCliConfig(configPath, context.cwd),
      database: args.string('database'),
      modules,
      drain: parseDrain(args.string('drain')),
      maxTasks: parseCount('max-tasks', args.string('max-tasks'), 1),
      metricsPort: parseMetricsPort(args.string('metrics-port')),
      log: { info: (line) => progress.line(line), error: (line) => context.err.line(line) },
      cwd: context.cwd,
    })
    if (json) printJson(context.out, summary)
    return 0
  },
}

function parseMetricsPort(text: string | undefined): number | undefined {
  const port = parseCount('metrics-port', text, 0)
  if (port !== undefined && port > 65_535) throw new UsageError(`--metrics-port must be a port number from 0 to 65535, got "${text}"`)
  return port
}

function parseDrain(text: string | undefined): Duration | undefined {
  if (text === undefined) return undefined
  const duration = (/^\d+$/.test(text.trim()) ? Number(text) : text) as Duration
  try {
    toMillis(duration, '--drain')
    return duration
  } catch (error) {
    throw new UsageError(messageOf(error))
  }
}
