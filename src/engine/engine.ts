import 'reflect-metadata'
import { isDeepStrictEqual } from 'node:util'
import { Clock, Context, Effect, Exit, Scope } from 'effect'
import type { AnyWorkflow, WorkflowInput } from '../authoring/workflow-ref.js'
import { toMillis, type Duration } from '../core/duration.js'
import { EngineClosedError, RunConflictError, WrongWorkflowError, SerializationError } from '../core/errors.js'
import { newRunId, type RunId } from '../core/ids.js'
import { assertStorableName } from '../core/storable-name.js'
import type { WorkflowGraph } from '../graph/workflow-graph.js'
import type { CircuitState } from '../resilience/circuit-breakers.js'
import { TaskPolicyRunner, makePolicyServices, type PolicyServices } from '../resilience/task-policies.js'
import type { PolicyStateStore } from '../resilience/policy-services.js'
import { ConcurrencyGate } from '../runtime/concurrency-gate.js'
import { EventHub, type WeftListener } from '../runtime/event-hub.js'
import { EventWaiters } from '../runtime/event-waiters.js'
import { InboxWatcher } from '../runtime/inbox-watcher.js'
import { newOwnerId } from '../runtime/owner-id.js'
import { parseWorkflowInput } from '../runtime/parse-input.js'
import type { WeftEventOf, WeftEventType } from '../runtime/run-events.js'
import type { RunEnvironment, RunExecution } from '../runtime/run-execution.js'
import type { RunTracing } from '../runtime/run-tracing.js'
import { RunWorker } from '../runtime/run-worker.js'
import { RuntimeStats, type EngineStats } from '../runtime/runtime-stats.js'
import { LiveMetrics } from '../observability/live-metrics.js'
import { readHistory } from '../observability/history-report.js'
import type { MetricsReport } from '../observability/metrics-report.js'
import { MetricsUnavailableError } from '../core/metrics-errors.js'
import { AlertMonitor, type ActiveAlert } from '../observability/alerts/alert-monitor.js'
import { compileAlerts } from '../observability/alerts/compile-alert-rules.js'
import type { HistoryQuery } from '../storage/workflow-store.js'
import { inputDigest } from '../storage/serialization.js'
import type { AuditEntry } from '../storage/audit-store.js'
import type { CreateRunResult, NewRun, RunQuery, RunRecord, StoreNotification, WorkflowStore } from '../storage/workflow-store.js'
import { readSecuritySetting } from '../storage/settings-store.js'
import { recordSecurity } from './security-record.js'
import { ChangeFeed } from './change-feed.js'
import { StoreHealth } from './store-health.js'
import { defaultStore } from './default-store.js'
import { engineSettings, withAlertMetrics, type EngineConfig, type EngineSettings } from './engine-config.js'
import { LocalRunBackend, StoredRunBackend, type BackendServices } from './run-backends.js'
import { WorkflowRegistry } from './workflow-registry.js'
import { AdapterRegistry, type EngineHealth } from './adapter-registry.js'
import { containerOf, engineResolver } from './tsyringe-resolver.js'
import type { WorkflowResolver } from './workflow-resolver.js'
import type { WeftContainer } from './weft-container.js'
import { withDeclaredResult, WorkflowRun, type WorkflowResult, type WorkflowRunOf } from './workflow-run.js'
import { LocalRuns } from './local-runs.js'
import { reportBackgroundError, reportListenerError, reportRecovery } from './engine-reports.js'
import { emitResult, RunEventsOutbox, type EmitResult } from './run-events-outbox.js'
import { EngineOutbox, type EngineOutboxWiring } from '../integration/outbox/engine-outbox.js'
import { InvalidOptionsError } from '../core/errors.js'
import { AuthorizationError, SecurityConfigError } from '../core/security-errors.js'
import type { Principal } from '../security/principal.js'
import { MemoryAuditSink } from '../security/memory-audit.js'
import { StoreAuditSink } from './store-audit.js'
import { formatPermission } from '../security/permissions.js'
import { requiredAccess } from '../security/required-permissions.js'
import { accessOf, givenPrincipal, ownerOf, SecuredRunBackend, SecurePath, securityTokens, type AccessOptions, type Caller, type SecuredOperation, type SecurityConfig } from './secure-path.js'
import type { RunBackend } from './workflow-run.js'
import type { RunOwner } from '../security/ports.js'

export type { EmitResult } from './run-events-outbox.js'

/**
 * Options of {@link Engine.start}.
 *
 * @example
 * ```ts
 * import { createEngine, defineWorkflow, type RunId, type StartOptions } from 'weft-sdk'
 * const Hello = defineWorkflow<{ name: string }>({ name: 'hello', version: 1 }).task('say', (input) => `hi ${input.name}`).build()
 * const options: StartOptions = { runId: 'order-42' as RunId, principal: 'user:ada' } // a known id makes a retried start idempotent
 * const run = await createEngine({ workflows: [Hello] }).start(Hello, { name: 'Ada' }, options)
 * ```
 */
export interface StartOptions extends AccessOptions {
  /**
   * Use this id instead of a new one. Starting is idempotent: the same id with
   * the same workflow and input returns the existing run; with another input
   * it fails with `RunConflictError`.
   */
  readonly runId?: RunId
  /**
   * The W3C trace context (a `traceparent` header value) the run is started
   * under, for an engine with `tracing`: the run's trace continues it (an
   * incoming request's, a queue message's). Ignored without `tracing`.
   */
  readonly traceparent?: string
}

/**
 * The arguments after the workflow: the input (optional when the workflow takes none), then options.
 *
 * @example
 * ```ts
 * import type { StartArgs } from 'weft-sdk'
 * const withInput: StartArgs<{ orderId: string }> = [{ orderId: 'o-1' }] // the input is required
 * const without: StartArgs<void> = [] // a workflow without input needs none
 * ```
 */
export type StartArgs<I> = [I] extends [void] ? [input?: I, options?: StartOptions] : [input: I, options?: StartOptions]

/**
 * Options of {@link Engine.close}.
 *
 * @example
 * ```ts
 * import { createEngine, type CloseOptions } from 'weft-sdk'
 * const engine = createEngine()
 * const options: CloseOptions = { drain: '10 s' } // running tasks get 10 s to finish
 * await engine.close(options)
 * ```
 */
export interface CloseOptions {
  /**
   * How long running tasks may take to finish before the engine releases
   * their runs to other workers (durable stores). @defaultValue `'10 s'`
   */
  readonly drain?: Duration
}

/**
 * Runs workflows. Created by {@link createEngine}; holds the registered
 * workflows, the DI container, the shared policy state (circuits, limiters,
 * caches) and the runs it executes, and shares runs with other engines
 * through the store (claims, leases, fencing).
 *
 * @example
 * ```ts
 * import { createEngine, defineWorkflow } from 'weft-sdk'
 * const Hello = defineWorkflow<{ name: string }>({ name: 'hello', version: 1 })
 *   .task('greet', (input) => `Hello, ${input.name}`)
 *   .build()
 * const engine = createEngine()
 * const result = await engine.run(Hello, { name: 'Ada' })
 * console.log(result.output('greet')) // 'Hello, Ada'
 * await engine.close()
 * ```
 */
export class Engine {
  /** How workflow instances and their dependencies are resolved (`createEngine({ resolver })`, else tsyringe). */
  readonly resolver: WorkflowResolver
  /** Resolves when the store is ready and unfinished runs of registered workflows have been claimed. */
  readonly ready: Promise<void>
  /** This engine's id in run leases. */
  readonly workerId: string
  /** The engine's adapters (`createEngine({ adapters })`, `engine.adapters.register(token, adapter)`): in its container, reported by `health()`, closed by `close()`. */
  readonly adapters: AdapterRegistry
  /** The durable outbox: entries tasks recorded with their steps, delivered through the registered adapters (see {@link EngineOutbox}). */
  readonly outbox: EngineOutbox
  private readonly store: WorkflowStore
  private readonly ownsStore: boolean
  private readonly settings: EngineSettings
  private readonly registry: WorkflowRegistry
  private readonly hub: EventHub
  private readonly waiters = new EventWaiters()
  private readonly statistics = new RuntimeStats()
  /** The live metrics monitor (`config.metrics`), subscribed to the hub; `undefined` when off. */
  private readonly monitor: LiveMetrics | undefined
  /** The alert rules at work (`config.alerts`); `undefined` without alerts. */
  private readonly alertMonitor: AlertMonitor | undefined
  private readonly scope = Effect.runSync(Scope.make())
  private readonly env: RunEnvironment
  private readonly worker: RunWorker
  private readonly storeHealth: StoreHealth
  private readonly changes: ChangeFeed
  private readonly backendServices: BackendServices
  private readonly runs: LocalRuns
  private readonly runEvents: RunEventsOutbox
  private readonly reportBackgroundError: (error: unknown) => void
  private unsubscribe: (() => Promise<void>) | undefined
  private inboxWatcher: InboxWatcher | undefined
  private closed = false
  /** Where tasks' (and adapters') limiters and breakers keep their state; `undefined` for the default, in memory. */
  private readonly policyState: PolicyStateStore | undefined
  private readonly tracing: RunTracing | undefined
  /** Authenticate → authorize → limit → execute → audit, for every operation (a pass-through without `security`). */
  private readonly secure: SecurePath
  /** The store's audit log, once the secure path opened it (closed with the engine). */
  private storeAudit: StoreAuditSink | undefined
  /** The graphs whose required permissions were checked against the grammar. */
  private readonly checkedRequirements = new WeakSet<WorkflowGraph>()
  /** Starts between their first check and their run's launch: `close` waits for them, so no run starts on a closed store. */
  private readonly starting = new Set<Promise<unknown>>()

  constructor(config: EngineConfig = {}) {
    config = withAlertMetrics(config)
    this.settings = engineSettings(config)
    this.resolver = engineResolver(config)
    this.store = config.store ?? defaultStore()
    this.ownsStore = config.store === undefined
    this.workerId = config.workerId ?? newOwnerId()
    this.registry = new WorkflowRegistry(this.resolver, this.settings.claimRuns)
    this.hub = new EventHub(config.onListenerError ?? reportListenerError)
    this.reportBackgroundError = config.onBackgroundError ?? reportBackgroundError
    this.changes = new ChangeFeed(this.settings.pollMs)
    this.policyState = config.policyState
    this.tracing = config.tracing
    config.tracing?.attach((listener) => this.hub.on(listener))
    registerSecurity(this.resolver, config.security)
    this.secure = new SecurePath({
      lookup: <T>(token: string) => (this.resolver.isRegistered(token) ? this.resolver.resolve<T>(token as never) : undefined),
      // The store's hash-chained log; a store that is not durable and has no audit role keeps entries in memory.
      defaultAudit: () => (this.storeAudit = this.store.audit === undefined ? undefined : new StoreAuditSink(this.store.audit, this.workerId, config.security?.auditLog ?? {}, () => this.env.now())) ?? new MemoryAuditSink(),
      now: () => this.env.now(),
      reportError: (error) => this.reportBackgroundError(error),
    })
    this.adapters = new AdapterRegistry(this.resolver, (event) => this.hub.emit(event), config.policyState).registerAll(config.adapters ?? [])
    this.outbox = new EngineOutbox(this.outboxWiring(), config.outbox)
    this.monitor = this.subscribeMetrics(config.metrics, clockNow(config.clock)())
    this.env = this.runEnvironment(config.clock)
    this.alertMonitor = this.watchAlerts(config)
    this.backendServices = {
      store: this.store,
      sendEvent: (runId, name, payload, graph, audit) => this.sendEvent(runId, name, payload, graph, audit),
      applyRecorded: (runId, action, reason, record) => this.runs.applyRecorded(runId, action, reason, record),
      nextChange: (runId) => this.changes.next(runId),
      now: () => this.env.now(),
    }
    this.worker = new RunWorker(this.store, this.workerConfig(), {
      registeredVersions: () => this.registry.versions(),
      activeFences: () => this.runs.fences(),
      resumeClaimed: (run) => this.runs.resumeClaimed(run),
      applyAction: (runId, action) => this.runs.applyAction(runId, action),
      leaseLost: (runId) => this.runs.leaseLost(runId),
      reportError: this.reportBackgroundError,
      now: () => this.env.now(),
    })
    this.storeHealth = new StoreHealth(this.store, this.worker, this.settings.claimIntervalMs, this.reportBackgroundError)
    const { store, registry, settings, storeHealth: health, changes, workerId, env } = this
    const onRunRecovered = config.onRunRecovered ?? reportRecovery
    this.runs = new LocalRuns({ store, registry, settings, health, changes, workerId, env, onRunRecovered, now: () => env.now(), reportBackgroundError: this.reportBackgroundError })
    // Their dependencies are checked once the engine opens: callers register them right after createEngine.
    for (const workflow of config.workflows ?? []) this.checked(this.registry.register(workflow, false))
    this.runEvents = new RunEventsOutbox({ store, registry, waiters: this.waiters, runs: () => this.runs, now: () => env.now() })
    this.statistics.workflows = this.registry.size
    this.ready = this.open()
    this.ready.catch(() => undefined)
  }

  /**
   * The engine's own tsyringe container (a child of the configured one, or
   * the container of the `TsyringeResolver` it was given). Register adapters here.
   * @throws `InvalidOptionsError` when the engine was given another kind of resolver.
   */
  get container(): WeftContainer {
    return containerOf(this.resolver) as WeftContainer
  }

  /**
   * Registers workflows (compiling them: a bad definition throws here) and
   * claims their unfinished runs. `start` registers a workflow on first use too.
   */
  register(...workflows: AnyWorkflow[]): this {
    for (const workflow of workflows) this.checked(this.registry.register(workflow))
    this.statistics.workflows = this.registry.size
    void this.ready.then(() => this.worker.wake(), () => undefined)
    return this
  }

  /**
   * Starts a run. The input is validated first: invalid input throws
   * `InputValidationError` and creates nothing.
   *
   * @example
   * ```ts
   * // const run = await engine.start(OrderFulfilment, { orderId: 'o-1' })
   * // const result = await run.result()
   * // result.output('ship')
   * ```
   * @throws `InputValidationError`, `RunConflictError` (an id reused with another input), `EngineClosedError`.
   */
  async start<W extends AnyWorkflow>(workflow: W, ...args: StartArgs<WorkflowInput<W>>): Promise<WorkflowRunOf<W>> {
    const [input, options = {}] = args as [unknown, StartOptions | undefined]
    const graph = this.checked(this.registry.register(workflow))
    this.statistics.workflows = this.registry.size
    const run = await this.startGraph(graph, input, options, true)
    return withDeclaredResult(run, graph.result) as unknown as WorkflowRunOf<W>
  }

  /**
   * Starts a run and waits for its result: the result the workflow declares,
   * else a `RunResult` with every task's output (as `run.result()`).
   * @throws what `start` and `run.result()` throw.
   */
  async run<W extends AnyWorkflow>(workflow: W, ...args: StartArgs<WorkflowInput<W>>): Promise<WorkflowResult<W>> {
    return (await this.start(workflow, ...args)).result() as Promise<WorkflowResult<W>>
  }

  /**
   * A handle on a run: executing here, in another worker, or finished.
   * `undefined` if no run has this id. Untyped, its `result()` is always a
   * `RunResult` (every task's output), even for a workflow that declares a
   * result: the shape does not depend on what this process registered. Pass
   * the workflow (`getRun(W, id)`) for the declared result, typed.
   *
   * @example
   * ```ts
   * import { createEngine, type RunId } from 'weft-sdk'
   * const engine = createEngine()
   * const run = await engine.getRun('order-7' as RunId)
   * if (run !== undefined) console.log(run.status(), (await run.result()).outputs)
   * ```
   */
  async getRun(runId: RunId, access?: AccessOptions): Promise<WorkflowRun | undefined>
  /**
   * A handle on a run of `workflow`, its outputs typed by it; `undefined` if
   * no run has this id.
   *
   * @example
   * ```ts
   * // const run = await engine.getRun(OrderFulfilment, 'order-7')
   * // (await run?.result())?.output('ship')   // typed as ship's output
   * ```
   * @throws `WrongWorkflowError` when the run belongs to another workflow or version.
   */
  async getRun<W extends AnyWorkflow>(workflow: W, runId: RunId, access?: AccessOptions): Promise<WorkflowRunOf<W> | undefined>
  async getRun(workflowOrId: AnyWorkflow | RunId, idOrAccess?: RunId | AccessOptions, access?: AccessOptions): Promise<WorkflowRun | undefined> {
    if (typeof workflowOrId === 'string') return this.findRun(workflowOrId, undefined, idOrAccess as AccessOptions | undefined)
    // Not registered: reading a run does not make this engine a worker of its workflow.
    const graph = this.registry.graphOf(workflowOrId)
    const run = await this.findRun(idOrAccess as RunId, graph, access)
    if (run !== undefined && (run.workflow !== graph.name || run.version !== graph.version)) {
      throw new WrongWorkflowError(run.id, `${graph.name}@${graph.version}`, `${run.workflow}@${run.version}`)
    }
    return run === undefined ? undefined : withDeclaredResult(run, graph.result)
  }

  /** The handle of a run; `expected` is the graph of the workflow the caller names (used when this engine did not register it). */
  private async findRun(runId: RunId, expected: WorkflowGraph | undefined, access: AccessOptions | undefined): Promise<WorkflowRun | undefined> {
    const local = this.runs.get(runId)
    if (local !== undefined) {
      if (this.secure.enabled) await this.secure.admit(readOperation(local.graph.name, runId, local.starter), access)
      return this.localHandle(local, access) as WorkflowRun
    }
    this.assertOpen()
    await this.ready
    const stored = await this.store.getRun(runId)
    // A caller learns that a run does not exist only once authenticated.
    if (this.secure.enabled) await this.secure.admit(stored === undefined ? { ...readOperation('*', runId, {}), authenticateOnly: true } : readOperation(stored.workflow, runId, ownerOf(stored)), access)
    return stored === undefined ? undefined : this.storedHandle(stored, expected, access)
  }

  /**
   * Runs recorded in the store, newest first. On a secured engine, only the
   * runs the caller may read: its own and its tenant's, every run of a
   * workflow it administers (a page may then hold fewer than `limit` runs).
   */
  async listRuns(query: RunQuery = {}, access?: AccessOptions): Promise<RunRecord[]> {
    this.assertOpen()
    await this.ready
    const who = await this.secure.admit({ audit: 'run.list', request: { action: 'read', resource: query.workflow ?? '*' }, authenticateOnly: true, auditSuccess: false }, access)
    if (!this.secure.enabled || who === undefined) return this.store.listRuns(query)
    // Narrowed in the store to the caller's and its tenant's runs unless it administers them all; every row is then
    // checked with the rule a read of that run applies (a deny rule on one workflow included).
    const rows = this.secure.readsAll(who, query.workflow ?? '*') ? await this.store.listRuns(query) : await this.store.listRuns({ ...query, ownedBy: { subject: who.subject, tenant: who.tenant } })
    return rows.filter((run) => this.secure.mayRead(who, run))
  }

  /**
   * Sends an external event, stored in the inbox so it survives restarts: to
   * one run (`runId`), or to every run, and starts the workflows it triggers
   * with the payload as input (each payload is validated before anything is sent).
   * Sent to one run whose workflow declares the event, the payload must
   * decode with the declared schema; to every run, it is checked by each
   * run's schema on receipt (a run never receives a payload its schema refuses).
   * `startedOf(Workflow)` on the result gives the started runs of a workflow, typed.
   * @throws `EventPayloadError` when `runId`'s workflow declares the event and its schema refuses the payload,
   * `RunNotFoundError` when `runId` names no run, `RunFinishedError` when it names a finished one, `EngineClosedError`.
   */
  async emit(name: string, payload?: unknown, options: { readonly runId?: RunId } & AccessOptions = {}): Promise<EmitResult> {
    assertStorableName('event name', name)
    this.assertOpen()
    await this.ready
    if (options.runId !== undefined) {
      const runId = options.runId
      const sent = await this.secure.run(await this.signalOperation(runId), options, (_who, audited) => audited((audit) => this.runEvents.toRun(runId, name, payload, undefined, audit)))
      return emitResult(sent, [])
    }
    const graphs = this.registry.triggeredBy(name)
    // A broadcast reaches every run waiting for the event, whoever started it: on a secured engine only a
    // principal who may steer every run (admin:*) sends one; others send to one run ({ runId }) or start runs.
    const broadcast = formatPermission('admin', '*')
    const requires = [...(this.secure.enabled ? [broadcast] : []), ...graphs.flatMap((graph) => startRequirements(graph))]
    const operation: SecuredOperation = { audit: 'event.emit', request: { action: 'emit', resource: name }, limit: 'emit', requires }
    return this.secure.run(operation, options, async (who, audited) => {
      const triggered = graphs.map((graph) => ({ graph, input: parseWorkflowInput(graph, payload) }))
      // Each triggered start is admitted as the emitter (its permissions, its start limit) before the event is
      // stored: a start refused sends nothing. Then the event commits with its audit entry, each run with its own.
      if (who !== undefined) for (const { graph } of triggered) await this.secure.admit(startOperation(graph), { principal: who })
      const sent = await audited((audit) => this.runEvents.toEveryRun(name, payload, audit))
      const started = await Promise.all(triggered.map(({ graph, input }) => this.startGraph(graph, input, { principal: who }, false, who)))
      return emitResult(sent, started as WorkflowRun[])
    })
  }

  /**
   * The same engine acting as `caller` (a principal, a subject, or
   * credentials): every operation of the view, and of the run handles it
   * returns, goes through the secure path as that caller.
   *
   * @example
   * ```ts
   * import { createEngine, principal } from 'weft-sdk'
   * const engine = createEngine()
   * const ada = engine.as(principal({ subject: 'user:ada', roles: ['analyst'] }))
   * const mine = await ada.listRuns({ status: 'running' })
   * ```
   */
  as(caller: Caller): EngineAs {
    return new EngineAs(this, accessOf(caller))
  }

  /** Listens to every engine event. Returns a function that stops listening. */
  on(listener: WeftListener): () => void
  /** Listens to events of one type. */
  on<T extends WeftEventType>(type: T, listener: WeftListener<WeftEventOf<T>>): () => void
  on(typeOrListener: WeftEventType | WeftListener, listener?: WeftListener<never>): () => void {
    return typeof typeOrListener === 'function' ? this.hub.on(typeOrListener) : this.hub.on(typeOrListener, listener as never)
  }

  /**
   * Checks every adapter with a real round trip: its state (up, degraded,
   * down), latency, breakers and limiter headroom, and the worst state.
   *
   * @example
   * ```ts
   * // const health = await engine.health()
   * // if (health.state === 'down') console.error(health.adapters.filter((a) => a.state === 'down'))
   * ```
   */
  health(): Promise<EngineHealth> {
    return this.adapters.health(this.env.now())
  }

  /**
   * The alerts pending or firing now, by rule (see `createEngine({ alerts })`
   * and guides/observability.md, "Alerts"); none for an engine without alerts.
   *
   * @example
   * ```ts
   * import { createEngine } from 'weft-sdk'
   * const engine = createEngine({ metrics: true, alerts: { rules: [{ kind: 'breaker-open', name: 'breaker-open', severity: 'critical' }] } })
   * for (const alert of engine.alerts()) console.log(alert.state, alert.summary)
   * ```
   */
  alerts(): ActiveAlert[] {
    return this.alertMonitor?.active() ?? []
  }

  /** Counts of workflows, runs by status and tasks by status. */
  stats(): EngineStats {
    return this.statistics.snapshot()
  }

  /**
   * Live metrics of this process: what its events showed since the engine
   * was created (runs and tasks by outcome, rates, retries, duration
   * percentiles from DDSketches within 1 % by default, throughput over a
   * sliding window, breaker trips, outbox dead letters). Needs
   * `createEngine({ metrics: true })`. Render it with `metricsToJson` or
   * `metricsToCsv`; see guides/observability.md for the definitions.
   *
   * @example
   * ```ts
   * import { createEngine } from 'weft-sdk'
   * const engine = createEngine({ metrics: true })
   * for (const task of engine.metrics().tasks) console.log(task.workflow, task.task, task.duration.p95)
   * ```
   * @throws `MetricsUnavailableError` when the engine was created without `metrics`.
   */
  metrics(): MetricsReport {
    return this.liveMetrics().report(this.env.now())
  }

  /**
   * The engine's own live metrics monitor (the one behind `engine.metrics()`),
   * for what a report does not carry: its sketches, which
   * `prometheusText(engine.liveMetrics())` and
   * `metricsHandler(() => engine.liveMetrics())` render as Prometheus
   * histograms, and `new LiveMetrics().merge(...)` adds up over several
   * engines. Read it (`report`, `histograms`, `merge` it into another); the
   * engine feeds it (its tasks' completions as numbers, without event
   * objects), so do not subscribe or `record` into it yourself. Needs
   * `createEngine({ metrics: true })`.
   *
   * @example
   * ```ts
   * import { createServer } from 'node:http'
   * import { createEngine, metricsHandler } from 'weft-sdk'
   * const engine = createEngine({ metrics: true })
   * const scrape = metricsHandler(() => engine.liveMetrics())
   * createServer((req, res) => (req.url === '/metrics' ? scrape(req, res) : res.writeHead(404).end())).listen(9464, '127.0.0.1')
   * ```
   * @throws `MetricsUnavailableError` when the engine was created without `metrics`.
   */
  liveMetrics(): LiveMetrics {
    if (this.monitor === undefined) throw new MetricsUnavailableError('live-metrics-off')
    return this.monitor
  }

  /**
   * Historical metrics from the store, over every worker's runs: per
   * workflow and task, counts by outcome, rates, retries, tokens and cost,
   * exact duration and queue-wait percentiles (nearest rank unless
   * `query.definition` says `'linear'`), throughput over the window. Filters:
   * `workflow`, runs created in `[from, to)`. On a secured engine the caller
   * needs `read:stats` (a refusal is audited as `stats.read`).
   *
   * Without `query.from` the window starts at the first run ever recorded:
   * the API reads what it is asked for, and an absent bound means none. On a
   * big history that costs seconds (the task rows read every step of the
   * window: about 3–4 s for 3.9 million steps in the guide's benchmark, and
   * a SQLite store reads on its connection, so the engine's other work waits
   * meanwhile), so pass a window; `weft stats` defaults to the last 24 h for
   * that reason.
   *
   * @example
   * ```ts
   * import { createEngine, metricsToCsv } from 'weft-sdk'
   * const engine = createEngine()
   * const lastDay = await engine.history({ workflow: 'order-fulfilment', from: Date.now() - 86_400_000 })
   * process.stdout.write(metricsToCsv(lastDay))
   * ```
   * @throws `MetricsUnavailableError` when the store has no history role, `AuthorizationError` without `read:stats`.
   */
  async history(query: HistoryQuery = {}, access?: AccessOptions): Promise<MetricsReport> {
    this.assertOpen()
    await this.ready
    await this.secure.admit({ audit: 'stats.read', request: { action: 'read', resource: 'stats' }, auditSuccess: false }, access)
    if (this.store.history === undefined) throw new MetricsUnavailableError('no-history')
    return readHistory(this.store.history, query, this.env.now())
  }

  /**
   * The live metrics monitor `config.metrics` asks for, counting from `since`: runs tell it their tasks'
   * completions directly (`RunEnvironment.metrics`), the hub every other event.
   */
  private subscribeMetrics(config: EngineConfig['metrics'], since: number): LiveMetrics | undefined {
    if (config === undefined || config === false) return undefined
    const monitor = new LiveMetrics(config === true ? {} : config, since).followRecovery(() => this.statistics.recovery.snapshot())
    this.hub.onAllBut(monitor.sink.directEvents, monitor.sink.listener)
    return monitor
  }

  /**
   * The alert monitor `config.alerts` asks for, over the live metrics, woken at once by the events that should not
   * wait for its tick (a breaker opened, a run or an outbox entry dead-lettered, a failure escalated).
   */
  private watchAlerts(config: EngineConfig): AlertMonitor | undefined {
    if (config.alerts === undefined) return undefined
    const compiled = compileAlerts(config.alerts, this.store)
    const metrics = this.monitor!
    const monitor = new AlertMonitor(compiled, { metrics, store: this.store, owner: this.workerId, emit: (event) => this.hub.emit(event), now: () => this.env.now(), reportError: this.reportBackgroundError })
    this.hub.on('breaker.opened', monitor.soon)
    this.hub.on('run.dead-lettered', monitor.soon)
    this.hub.on('outbox.failed', (event) => (event.willRetry ? undefined : monitor.soon()))
    this.hub.on('task.error-classified', monitor.classified)
    return monitor
  }

  /**
   * Shuts the engine down. With a durable store it stops claiming runs, lets
   * running tasks finish within the drain time, then releases the runs it
   * still holds so another worker resumes them at once. With the memory store
   * runs cannot continue elsewhere, so they are cancelled.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.ready.catch(() => undefined)
    // A start that was under way when close began launches its run first (and that run is drained with the rest).
    await Promise.allSettled(this.starting)
    // A closing engine takes no more runs, from now on (not after the drain).
    await this.worker.stopClaiming()
    // No evaluation reads the store once it closes; deliveries under way finish (each bounded by its sink's timeout).
    await this.alertMonitor?.close()
    if (this.store.durable) await this.runs.drain(toMillis(options.drain ?? '10 s', 'drain'))
    else await this.runs.cancelAll('the engine was closed')
    await this.worker.stop()
    await this.outbox.stop()
    this.storeHealth.stop()
    this.inboxWatcher?.stop()
    await this.unsubscribe?.()
    await Effect.runPromise(Scope.close(this.scope, Exit.void))
    try {
      await this.adapters.closeAll()
      await this.storeAudit?.close()
    } finally {
      await this.policyState?.close()
      if (this.ownsStore) await this.store.close()
    }
  }

  // ---- runs --------------------------------------------------------------------------

  /** Starts a run of `graph`; `admitted` is the principal the secure path admitted this start for already (an emit's triggered starts). */
  private startGraph(graph: WorkflowGraph, rawInput: unknown, options: StartOptions, parse: boolean, admitted?: Principal): Promise<WorkflowRun<never>> {
    this.assertOpen()
    const started = this.createAndLaunch(graph, rawInput, options, parse, admitted)
    this.starting.add(started)
    const forget = () => this.starting.delete(started)
    started.then(forget, forget)
    return started
  }

  /** Refuses to work once `close` was called: the store may be closed already. */
  private assertOpen(): void {
    if (this.closed) throw new EngineClosedError()
  }

  private createAndLaunch(graph: WorkflowGraph, rawInput: unknown, options: StartOptions, parse: boolean, admitted: Principal | undefined): Promise<WorkflowRun<never>> {
    // Without security: no step between the launch and the caller getting its handle (a task.started listener may use it).
    if (!this.secure.enabled) return this.createRun(graph, rawInput, options, parse, admitted ?? givenPrincipal(options))
    return this.securedStart(graph, rawInput, options, parse, admitted)
  }

  /** A start through the secure path: admitted (or refused and audited; `admitted` when it was already), then created and audited. */
  private async securedStart(graph: WorkflowGraph, rawInput: unknown, options: StartOptions, parse: boolean, admitted: Principal | undefined): Promise<WorkflowRun<never>> {
    const operation = startOperation(graph)
    // A start under another principal's run id is refused before it takes a permit of the caller's start limit.
    const who = admitted ?? (await this.secure.admitChecked(operation, options, (caller) => this.ready.then(() => this.refuseForeignRunId(operation, caller, options.runId))))
    await this.ready
    const sink = this.secure.auditSink
    try {
      if (sink instanceof StoreAuditSink && options.runId === undefined) {
        // The start and its audit entry commit together (one transaction). Under an explicit id the start may find a
        // run instead of creating one (an idempotent repeat, a conflict): it is audited after, by what it did.
        const entry = this.secure.entryOf(operation, who, 'succeeded')
        return await this.createRun(graph, rawInput, options, parse, who, (run) => sink.recordWith({ ...entry, runId: run.id }, (sealed) => this.store.createRun({ ...run, audit: [sealed] })))
      }
      const run = await this.createRun(graph, rawInput, options, parse, who)
      await this.secure.done(operation, who, undefined, run.id)
      return run
    } catch (error) {
      await this.secure.done(operation, who, error)
      throw error
    }
  }

  /** Creates (or finds) the run and launches it here; `persist` writes it (with its audit entry, on a secured engine). */
  private async createRun(
    graph: WorkflowGraph,
    rawInput: unknown,
    options: StartOptions,
    parse: boolean,
    who: Principal | undefined,
    persist: (run: NewRun) => Promise<CreateRunResult> = (run) => this.store.createRun(run),
  ): Promise<WorkflowRun<never>> {
    const input = parse ? parseWorkflowInput(graph, rawInput) : rawInput
    const runId = options.runId === undefined ? newRunId() : assertStorableName('run id', options.runId)
    await this.ready
    const claimBy = this.settings.claimRuns ? { owner: this.workerId, leaseMs: this.settings.leaseMs } : undefined
    // Only an engine that executes the run here needs the workflow's dependencies (resolved before the run is stored).
    const instance = claimBy === undefined ? undefined : this.registry.instantiate(graph)
    const now = this.env.now()
    // Only a run started under an explicit id can be started again: only then is the digest needed.
    const digest = options.runId === undefined ? undefined : digestOf(input)
    const starter = { principal: who?.subject, tenant: who?.tenant, roles: who?.roles }
    const traceContext = this.tracing?.runCreated({ runId, workflow: graph.name, version: graph.version, createdAt: now, parent: options.traceparent })
    const { run, created } = await persist({ id: runId, workflow: graph.name, version: graph.version, input, createdAt: now, ...starter, claimBy, inputDigest: digest, traceContext })
    if (!created) {
      // Found under a caller's explicit id, perhaps created by another principal since the check before the create.
      if (who !== undefined && this.secure.enabled && !this.secure.mayRead(who, run)) throw foreignRun(who, run.id)
      return this.existingRun(run, graph, input, digest, options)
    }
    if (instance === undefined) return this.storedHandle(run, undefined, options) as WorkflowRun<never>
    return this.localHandle(this.runs.launch(graph, run, instance, []), options)
  }

  /** The handle for an id that was already used: the same run if it is the same request, else a conflict. */
  private existingRun(run: RunRecord, graph: WorkflowGraph, input: unknown, digest: string | undefined, access: AccessOptions): WorkflowRun<never> {
    if (run.workflow !== graph.name || run.version !== graph.version) throw new RunConflictError(run.id, 'workflow')
    // Runs created without a digest (by Weft 0.1, or under a generated id) are compared by value.
    const same = run.inputDigest !== undefined && digest !== undefined ? run.inputDigest === digest : isDeepStrictEqual(run.input, input)
    if (!same) throw new RunConflictError(run.id, 'input')
    const local = this.runs.get(run.id)
    return (local === undefined ? this.storedHandle(run, undefined, access) : this.localHandle(local, access)) as WorkflowRun<never>
  }

  /** Sends an event to one run for a handle (`run.signal`), once the engine is open. */
  private async sendEvent(runId: RunId, name: string, payload: unknown, graph: WorkflowGraph | undefined, audit: readonly AuditEntry[] | undefined): Promise<void> {
    this.assertOpen()
    await this.runEvents.toRun(runId, name, payload, graph, audit)
  }

  private localHandle(execution: RunExecution, access: AccessOptions | undefined): WorkflowRun<never> {
    return new WorkflowRun<never>(this.securedBackend(new LocalRunBackend(execution, this.backendServices), execution.starter, access))
  }

  private storedHandle(run: RunRecord, expected: WorkflowGraph | undefined, access: AccessOptions | undefined): WorkflowRun {
    const graph = this.registry.findOptional(run.workflow, run.version) ?? (expected?.name === run.workflow && expected.version === run.version ? expected : undefined)
    return new WorkflowRun(this.securedBackend(new StoredRunBackend(run, graph, this.backendServices), ownerOf(run), access))
  }

  /** On a secured engine, a handle's control operations go through the secure path as the caller that got the handle. */
  private securedBackend(backend: RunBackend, owner: RunOwner, access: AccessOptions | undefined): RunBackend {
    return this.secure.enabled ? new SecuredRunBackend(backend, this.secure, owner, access) : backend
  }

  /**
   * Refuses a start under an explicit run id that names a run the caller may
   * not read: an idempotent start returns the existing run's handle, which
   * must not hand another principal's run over.
   */
  private async refuseForeignRunId(operation: SecuredOperation, who: Principal | undefined, runId: RunId | undefined): Promise<void> {
    if (runId === undefined || who === undefined) return
    const existing = await this.store.getRun(runId)
    if (existing === undefined || this.secure.mayRead(who, existing)) return
    const refusal = foreignRun(who, runId)
    await this.secure.deny({ ...operation, runId }, who, refusal.reason)
    throw refusal
  }

  /** Sending an event to one run (`emit` with a `runId`): a `signal` of its workflow, under the object-level rule. */
  private async signalOperation(runId: RunId): Promise<SecuredOperation> {
    if (!this.secure.enabled) return { audit: 'run.signal', request: { action: 'signal', resource: '*' }, runId }
    const local = this.runs.get(runId)
    const run = local === undefined ? await this.store.getRun(runId) : undefined
    const workflow = local?.graph.name ?? run?.workflow
    const owner = local?.starter ?? (run === undefined ? undefined : ownerOf(run))
    return { audit: 'run.signal', request: { action: 'signal', resource: workflow ?? '*', owner }, runId, limit: 'emit', authenticateOnly: workflow === undefined }
  }

  /** A registered graph, its required permissions checked against the grammar once. */
  private checked(graph: WorkflowGraph): WorkflowGraph {
    if (this.checkedRequirements.has(graph)) return graph
    for (const permission of SecurePath.startRequirements(graph)) requiredAccess(permission)
    this.checkedRequirements.add(graph)
    return graph
  }

  // ---- wiring ------------------------------------------------------------------------

  private async open(): Promise<void> {
    await this.store.init()
    // A durable store's audit entries must outlive the process: without an audit log of its own, a sink is required.
    if (this.secure.enabled && this.store.durable && this.store.audit === undefined && !this.resolver.isRegistered(securityTokens.audit)) {
      throw new SecurityConfigError('this store keeps no audit log, and an audit kept in memory would be lost at restart: give createEngine({ security: { audit } }) a sink of yours, or use a store with one (sqliteStore, postgresStore)')
    }
    // The CLI opens the database directly and cannot see this configuration: the store records that security is on.
    if (this.store.settings !== undefined) {
      if (this.secure.enabled) await recordSecurity(this.store.settings, { fingerprint: this.secure.policyFingerprint, policyChanged: (reason) => this.secure.policyChanged(reason) }, this.env.now())
      else if ((await readSecuritySetting(this.store.settings))?.enabled === true) throw new SecurityConfigError('this database was used by a secured engine (its store records security as enabled): give this engine the same createEngine({ security }), or turn it off with `weft security disable` (needs admin:security)')
    }
    this.registry.checkDependencies()
    this.unsubscribe = await this.store.subscribe?.((notification) => this.notified(notification))
    if (this.store.durable) {
      // Other processes may send events: look for them once per interval for the whole engine (slower
      // when the store notifies, as a safety net only).
      const interval = this.unsubscribe === undefined ? this.settings.pollMs : this.settings.pollMs * 20
      this.inboxWatcher = new InboxWatcher(this.store, this.waiters, interval, this.reportBackgroundError)
      await this.inboxWatcher.start()
    }
    await this.worker.start()
    this.outbox.start()
    this.alertMonitor?.start()
  }

  private notified(notification: StoreNotification): void {
    switch (notification.type) {
      case 'run-created':
        return this.worker.wake()
      case 'run-finished':
        return this.changes.changed(notification.runId)
      case 'event':
        return this.waiters.wake(notification.runId, notification.name)
      case 'action':
        this.changes.changed(notification.runId)
        if (this.runs.get(notification.runId) !== undefined) this.worker.heartbeat().catch(this.reportBackgroundError)
    }
  }

  private runEnvironment(clock: Clock.Clock | undefined): RunEnvironment {
    let services: Context.Context<PolicyServices> = makePolicyServices(this.scope, this.policyState)
    if (clock !== undefined) services = Context.add(services, Clock.Clock, clock)
    return {
      store: this.store,
      services,
      policies: new TaskPolicyRunner((breaker, from, to) => this.breakerTransitioned(breaker, from, to), this.statistics.recovery),
      hub: this.hub,
      waiters: this.waiters,
      stats: this.statistics,
      gate: new ConcurrencyGate(this.settings.maxConcurrentTasks),
      maxConcurrentTasks: this.settings.maxConcurrentTasksPerRun,
      now: clockNow(clock),
      finished: (run) => this.runs.finished(run),
      reportError: (error) => this.reportBackgroundError(error),
      outboxStored: (entries) => this.outbox.stored(entries.map((entry) => entry.id)),
      taskGuard: this.secure.taskGuard,
      tracing: this.tracing,
      metrics: this.monitor?.sink,
    }
  }

  private outboxWiring(): EngineOutboxWiring {
    return {
      store: this.store.outbox,
      delivers: this.settings.claimRuns,
      owner: this.workerId,
      leaseMs: this.settings.leaseMs,
      adapters: () => this.adapters.list(),
      emit: (event) => this.hub.emit(event),
      reportError: (error) => this.reportBackgroundError(error),
      now: () => this.env.now(),
    }
  }

  private workerConfig() {
    const { leaseMs, heartbeatMs, claimIntervalMs, claimRuns } = this.settings
    return { owner: this.workerId, leaseMs, heartbeatMs, claimIntervalMs, claimBatch: 50, claim: claimRuns }
  }

  private breakerTransitioned(breaker: string, from: CircuitState, to: CircuitState): void {
    const type = to === 'open' ? 'breaker.opened' : to === 'half-open' ? 'breaker.half-open' : 'breaker.closed'
    this.hub.emit({ type, at: this.env.now(), breaker, from })
  }
}

/** The engine's time in epoch milliseconds: the configured Effect clock's, else the system's. */
function clockNow(clock: Clock.Clock | undefined): () => number {
  return clock === undefined ? Date.now : () => clock.currentTimeMillisUnsafe()
}

/**
 * The digest of an input, or `undefined` when it cannot be serialized (the
 * memory store with `serialization: 'off'` keeps such inputs by reference; a second start then compares
 * them by value, and a durable store refuses them anyway).
 */
function digestOf(input: unknown): string | undefined {
  try {
    return inputDigest(input)
  } catch (error) {
    if (error instanceof SerializationError) return undefined
    throw error
  }
}

/**
 * The engine acting as one caller (`engine.as(caller)`): the same operations,
 * each going through the secure path as that caller, and so do the control
 * operations of the run handles it returns. Cheap: make one per request.
 *
 * @example
 * ```ts
 * import { createEngine, defineWorkflow, principal } from 'weft-sdk'
 * const Report = defineWorkflow<{ month: string }>({ name: 'report', version: 1 }).task('build', (input) => input.month).build()
 * const engine = createEngine({ workflows: [Report] })
 * const ada = engine.as(principal({ subject: 'user:ada', roles: ['analyst'] }))
 * const run = await ada.start(Report, { month: '2026-11' })
 * await run.cancel() // checked as user:ada
 * ```
 */
export class EngineAs {
  /** @internal */
  constructor(
    private readonly engine: Engine,
    private readonly access: AccessOptions,
  ) {}

  /** `engine.start` as this caller. */
  start<W extends AnyWorkflow>(workflow: W, ...args: StartArgs<WorkflowInput<W>>): Promise<WorkflowRunOf<W>> {
    const [input, options] = args as [unknown, StartOptions | undefined]
    return this.engine.start(workflow, ...([input, { ...options, ...this.access }] as unknown as StartArgs<WorkflowInput<W>>))
  }

  /** `engine.run` as this caller. */
  async run<W extends AnyWorkflow>(workflow: W, ...args: StartArgs<WorkflowInput<W>>): Promise<WorkflowResult<W>> {
    return (await this.start(workflow, ...args)).result() as Promise<WorkflowResult<W>>
  }

  /** `engine.getRun` as this caller (a run it may not read is refused with `AuthorizationError`). */
  getRun(runId: RunId): Promise<WorkflowRun | undefined>
  /** `engine.getRun(workflow, id)` as this caller. */
  getRun<W extends AnyWorkflow>(workflow: W, runId: RunId): Promise<WorkflowRunOf<W> | undefined>
  getRun(workflowOrId: AnyWorkflow | RunId, id?: RunId): Promise<WorkflowRun | undefined> {
    if (typeof workflowOrId === 'string') return this.engine.getRun(workflowOrId, this.access)
    return this.engine.getRun(workflowOrId, id!, this.access) as Promise<WorkflowRun | undefined>
  }

  /** `engine.listRuns` as this caller: only the runs it may read. */
  listRuns(query?: RunQuery): Promise<RunRecord[]> {
    return this.engine.listRuns(query, this.access)
  }

  /** `engine.history` as this caller (needs `read:stats`). */
  history(query?: HistoryQuery): Promise<MetricsReport> {
    return this.engine.history(query, this.access)
  }

  /** `engine.emit` as this caller. */
  emit(name: string, payload?: unknown, options: { readonly runId?: RunId } = {}): Promise<EmitResult> {
    return this.engine.emit(name, payload, { ...options, ...this.access })
  }
}

/** The refusal of a start whose explicit run id names a run the caller may not read. */
function foreignRun(who: Principal, runId: RunId): AuthorizationError {
  return new AuthorizationError(who.subject, 'start', `run ${runId}`, 'the run id names an existing run this principal may not read; start under another id')
}

/** A start of `graph` as the secure path sees it: its permissions (the workflow's and its tasks'), its limit. */
function startOperation(graph: WorkflowGraph): SecuredOperation {
  return { audit: 'run.start', request: { action: 'start', resource: graph.name }, requires: SecurePath.startRequirements(graph), limit: 'start' }
}

/** The read of a run, under the object-level rule (audited only when denied). */
function readOperation(workflow: string, runId: RunId, owner: RunOwner): SecuredOperation {
  return { audit: 'run.read', request: { action: 'read', resource: workflow, owner }, runId, auditSuccess: false }
}

/** What starting `graph` requires: `start:<name>`, its own `requires` and every task's. */
function startRequirements(graph: WorkflowGraph): string[] {
  return [formatPermission('start', graph.name), ...SecurePath.startRequirements(graph)]
}

/** Registers the configured security policies in the engine's container (under {@link securityTokens}). */
function registerSecurity(resolver: WorkflowResolver, security: SecurityConfig | undefined): void {
  if (security === undefined) return
  if (security.authorizer === undefined) throw new InvalidOptionsError('security.authorizer is required: security is deny by default (give an Rbac, or your own Authorizer)')
  if (resolver.registerValue === undefined) throw new InvalidOptionsError("createEngine({ security }) needs a resolver that can register values; register the policies under securityTokens in your container instead")
  resolver.registerValue(securityTokens.authorizer, security.authorizer)
  if (security.authenticator !== undefined) resolver.registerValue(securityTokens.authenticator, security.authenticator)
  if (security.limits !== undefined) resolver.registerValue(securityTokens.limits, security.limits)
  if (security.audit !== undefined) resolver.registerValue(securityTokens.audit, security.audit)
}

/**
 * Creates an engine.
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft-sdk'
 * const engine = createEngine({ maxConcurrentTasks: 64 })
 * // engine.container.register(PaymentsApi, { useValue: new PaymentsApi() })
 * // const run = await engine.start(OrderFulfilment, { orderId: 'o-1' })
 * // await engine.close()
 * ```
 */
export function createEngine(config: EngineConfig = {}): Engine {
  return new Engine(config)
}
