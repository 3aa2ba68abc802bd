import { createEngine, formatMillis, InvalidOptionsError, toMillis, type Duration, type Engine } from '../index.js'
import type { StoreLifecycle, WorkflowStore } from '../store.js'
import { CommandFailedError } from './cli-errors.js'
import { defaultDatabase, describeDatabase, messageOf, openStore } from './database.js'
import { logRunEvents, stamped, type WorkerLog } from './run-event-log.js'
import { waitForStop } from './stop-request.js'
import { serveWorkerMetrics, type MetricsEndpoint } from './worker-metrics.js'
import { mergeWorkerConfigs, registerWorkerWorkflows, type WorkerSetup } from './worker-setup.js'
import { configWorkflows, importWorkflowModule, listWorkflows, workerConfigExport, workflowExports, type WorkerConfigExport, type WorkflowExport } from './workflow-module.js'
import type { CliConfig } from './cli-config.js'

/**
 * Options of {@link runWorker}.
 *
 * @example
 * ```ts
 * import { runWorker, type WorkerOptions } from 'weft-sdk/cli'
 * const options: WorkerOptions = { database: 'postgres://localhost/weft', modules: ['dist/workflows.js'], drain: '30 s', maxTasks: 16 }
 * await runWorker(options)
 * ```
 */
export interface WorkerOptions {
  /** Where runs are stored: a SQLite file (created if missing) or a `postgres://` URL. @defaultValue `'.weft/weft.sqlite'` */
  readonly database?: string
  /**
   * Built JavaScript modules (paths relative to `cwd`); at least one. A module
   * that exports a worker configuration (`defineWorkerConfig`, as `weft` or
   * as its default export) gives the workflows it lists and sets up the
   * engine (`register(container)`, `resolver`, engine settings); any other
   * module gives every workflow it exports.
   */
  readonly modules: readonly string[]
  /** How long running tasks may take to finish when the worker stops, before their runs are released to other workers. @defaultValue `'10 s'` */
  readonly drain?: Duration
  /** Tasks running at once across every run of the worker. @defaultValue `Infinity` */
  readonly maxTasks?: number
  /** Stops the worker when aborted. @defaultValue stop on SIGTERM or SIGINT (a second one ends the process at once) */
  readonly signal?: AbortSignal
  /** Where progress and trouble are written. @defaultValue `console.log` and `console.error` */
  readonly log?: WorkerLog
  /** The directory relative paths are resolved from. @defaultValue `process.cwd()` */
  readonly cwd?: string
  /**
   * A CLI configuration (`--config`): its `security` is the worker engine's
   * (worker modules cannot set security, so it never conflicts with them) and
   * its `codec` the store's. Required once the database has security enabled.
   */
  readonly config?: CliConfig | undefined
  /**
   * Turns on the worker engine's live metrics (`createEngine({ metrics: true })`)
   * and serves them to Prometheus at `/metrics` on 127.0.0.1 at this port
   * (0: one the system chooses; the banner names it).
   * @defaultValue no live metrics, no metrics endpoint
   */
  readonly metricsPort?: number | undefined
}

/**
 * What a worker did, once it stopped.
 *
 * @example
 * ```ts
 * import { runWorker, type WorkerSummary } from 'weft-sdk/cli'
 * const summary: WorkerSummary = await runWorker({ modules: ['dist/workflows.js'] })
 * console.log(`${summary.workerId}: ${summary.runs.completed} completed, ${summary.released} released`)
 * ```
 */
export interface WorkerSummary {
  /** The worker's id in run leases (`<host>/<pid>/<random>`). */
  readonly workerId: string
  /** The workflows it ran, as `name@version`. */
  readonly workflows: readonly string[]
  /** Runs it completed, failed and cancelled. */
  readonly runs: {
    /** Runs that completed. */
    readonly completed: number
    /** Runs that failed. */
    readonly failed: number
    /** Runs that were cancelled. */
    readonly cancelled: number
  }
  /** Runs still running when the drain time ran out, released for another worker to resume. */
  readonly released: number
}

const consoleLog: WorkerLog = { info: (line) => console.log(line), error: (line) => console.error(line) }

/**
 * Runs a worker, as `weft worker` does: imports the modules, sets up the
 * engine as their worker configurations say, registers their workflows, claims runs of those workflows from the store and
 * executes them until stopped, then drains (`engine.close({ drain })`).
 *
 * @example
 * ```ts
 * import { runWorker } from 'weft-sdk/cli'
 * const stop = new AbortController()
 * const done = runWorker({ database: process.env.DATABASE_URL, modules: ['dist/workflows.js'], signal: stop.signal })
 * process.once('SIGUSR2', () => stop.abort('redeploying'))
 * console.log(await done) // { workerId, workflows, runs: { completed, failed, cancelled }, released }
 * ```
 * @returns once the worker stopped and drained, what it did.
 * @throws `InvalidOptionsError` for bad options; `CommandFailedError` when a module cannot be
 * imported or exports no workflow, the database cannot be opened, or the metrics port cannot be listened on.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  const log = options.log ?? consoleLog
  const drainMs = toMillis(options.drain ?? '10 s', 'drain')
  if (options.modules.length === 0) throw new InvalidOptionsError('modules must name at least one module exporting workflows')
  const port = options.metricsPort
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) throw new InvalidOptionsError(`metricsPort must be a whole number from 0 to 65535, got ${String(port)}`)
  const cwd = options.cwd ?? process.cwd()
  const stop = waitForStop(options.signal)
  try {
    const { workflows, setup } = await loadModules(options.modules, cwd)
    const store = await openStore(options.database, { cwd, create: true, secured: options.config !== undefined, codec: options.config?.codec })
    const engine = await startEngine(store, { workflows, setup }, options, log, (workerId) =>
      printBanner(log, workerId, { ...options, maxTasks: options.maxTasks ?? setup.engine.maxConcurrentTasks }, workflows, drainMs),
    )
    const names = workflows.map(({ graph }) => `${graph.name}@${graph.version}`)
    const metrics = await startMetrics(engine, store, options.metricsPort, log)
    log.info(stamped(Date.now(), `ready: claiming runs of ${names.join(', ')}`))
    const reason = await stop.requested
    try {
      return await shutDown(engine, store, log, reason, drainMs, names)
    } finally {
      await metrics?.close()
    }
  } finally {
    stop.dispose()
  }
}

/** What the modules give the worker: the workflows to run, and its engine's set-up. */
interface LoadedModules {
  readonly workflows: readonly WorkflowExport[]
  readonly setup: WorkerSetup
}

async function loadModules(modules: readonly string[], cwd: string): Promise<LoadedModules> {
  const workflows: WorkflowExport[] = []
  const configs: WorkerConfigExport[] = []
  for (const path of modules) {
    const module = await importWorkflowModule(path, cwd)
    const config = workerConfigExport(module)
    if (config !== undefined) configs.push(config)
    const found = config === undefined ? workflowExports(module) : configWorkflows(config)
    if (found.length === 0) throw new CommandFailedError(`${path} has no workflow to run: ${listWorkflows(module, found)}`)
    workflows.push(...found.filter((w) => !workflows.some((known) => known.workflow === w.workflow)))
  }
  return { workflows, setup: mergeWorkerConfigs(configs) }
}

/**
 * Creates the engine, announces it (before it claims anything), runs the
 * modules' `register` hooks, registers the workflows and waits until it is
 * ready; closes the store if that fails.
 */
async function startEngine(
  store: WorkflowStore,
  { workflows, setup }: LoadedModules,
  options: WorkerOptions,
  log: WorkerLog,
  announce: (workerId: string) => void,
): Promise<Engine> {
  let engine: Engine | undefined
  try {
    engine = createEngine({
      ...setup.engine,
      store,
      security: options.config?.security,
      maxConcurrentTasks: options.maxTasks ?? setup.engine.maxConcurrentTasks,
      // The engine's own monitor is what --metrics-port serves; without a port the worker keeps none.
      metrics: options.metricsPort !== undefined,
      // The run log below prints a `recovered` line instead.
      onRunRecovered: () => undefined,
      onBackgroundError: (error) => log.error(stamped(Date.now(), `background work failed (claiming runs, renewing leases): ${messageOf(error)}`)),
    })
    announce(engine.workerId)
    // A store that encrypts values keeps errors' messages out of the log too (a message may quote a payload).
    logRunEvents(engine, log, { errorMessages: options.config?.codec?.isCurrent === undefined })
    await registerWorkerWorkflows(engine, setup, workflows.map((w) => w.workflow))
    await engine.ready
    return engine
  } catch (error) {
    await engine?.close({ drain: 0 }).catch(() => undefined)
    await store.close().catch(() => undefined)
    throw error
  }
}

function printBanner(log: WorkerLog, workerId: string, options: WorkerOptions, workflows: readonly WorkflowExport[], drainMs: number): void {
  log.info(`weft worker ${workerId}`)
  log.info(`  database   ${describeDatabase(options.database ?? defaultDatabase)}`)
  for (const [i, { graph, exportName }] of workflows.entries()) {
    log.info(`  ${i === 0 ? 'workflows' : '         '}  ${graph.name}@${graph.version} (${exportName})`)
  }
  log.info(`  max tasks  ${options.maxTasks ?? 'unlimited'}`)
  log.info(`  drain      ${formatMillis(drainMs)}`)
}

/** Serves the metrics when a port is given; closes the engine and the store when it cannot. */
async function startMetrics(engine: Engine, store: StoreLifecycle, port: number | undefined, log: WorkerLog): Promise<MetricsEndpoint | undefined> {
  if (port === undefined) return undefined
  try {
    const endpoint = await serveWorkerMetrics(engine, port)
    log.info(`  metrics    ${endpoint.url}`)
    return endpoint
  } catch (error) {
    await engine.close({ drain: 0 }).catch(() => undefined)
    await store.close().catch(() => undefined)
    throw error
  }
}

async function shutDown(engine: Engine, store: StoreLifecycle, log: WorkerLog, reason: string, drainMs: number, names: string[]): Promise<WorkerSummary> {
  const before = engine.stats().runs
  const active = before.running + before.paused
  const draining = active === 0 ? 'no runs to drain' : `draining ${active} ${active === 1 ? 'run' : 'runs'} (up to ${formatMillis(drainMs)})`
  log.info(stamped(Date.now(), `${reason}: stopping; ${draining}`))
  try {
    await engine.close({ drain: drainMs })
  } finally {
    await store.close()
  }
  const { completed, failed, cancelled, abandoned } = engine.stats().runs
  const released = abandoned - before.abandoned
  log.info(stamped(Date.now(), `stopped: ${completed} completed, ${failed} failed, ${cancelled} cancelled, ${released} released to other workers`))
  return { workerId: engine.workerId, workflows: names, runs: { completed, failed, cancelled }, released }
}
