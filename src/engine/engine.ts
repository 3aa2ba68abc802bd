import 'reflect-metadata'
import { Clock, Context, Effect, Exit, Scope } from 'effect'
import { container as rootContainer, type DependencyContainer } from 'tsyringe'
import type { AnyWorkflow, WorkflowInput, WorkflowOutputs } from '../authoring/workflow-ref.js'
import { EngineClosedError, InvalidOptionsError, RunNotFoundError } from '../core/errors.js'
import { newRunId, type RunId } from '../core/ids.js'
import type { WorkflowGraph } from '../graph/workflow-graph.js'
import type { CircuitState } from '../resilience/circuit-breakers.js'
import { TaskPolicyRunner, makePolicyServices, type PolicyServices } from '../resilience/task-policies.js'
import { ConcurrencyGate } from '../runtime/concurrency-gate.js'
import { EventHub, type WeftListener } from '../runtime/event-hub.js'
import { EventInbox } from '../runtime/event-inbox.js'
import { parseWorkflowInput } from '../runtime/parse-input.js'
import type { WeftEventOf, WeftEventType } from '../runtime/run-events.js'
import { RunExecution, type RunEnvironment } from '../runtime/run-execution.js'
import { RuntimeStats, type EngineStats } from '../runtime/runtime-stats.js'
import { MemoryWorkflowStore } from '../storage/memory-workflow-store.js'
import type { RunQuery, RunRecord, WorkflowStore } from '../storage/workflow-store.js'
import type { EngineConfig } from './engine-config.js'
import type { RunResult } from './run-result.js'
import { WorkflowRegistry } from './workflow-registry.js'
import { WorkflowRun } from './workflow-run.js'

/** Options of {@link Engine.start}. */
export interface StartOptions {
  /** Use this id instead of a new one. Starting again with the id of a live run returns that run. */
  readonly runId?: RunId
}

/** The arguments after the workflow: the input (optional when the workflow takes none), then options. */
export type StartArgs<I> = [I] extends [void] ? [input?: I, options?: StartOptions] : [input: I, options?: StartOptions]

/** What {@link Engine.emit} did. */
export interface EmitResult {
  /** Runs whose waiting task took the event now. */
  readonly delivered: number
  /** 1 when the event went to one run that is not waiting for it yet: it is kept until a task waits. */
  readonly queued: number
  /** Runs the event started (workflows whose `trigger` is the event's name). */
  readonly started: readonly WorkflowRun[]
}

/**
 * Runs workflows. Created by {@link createEngine}; holds the registered
 * workflows, the DI container, the shared policy state (circuits, limiters,
 * caches) and the live runs.
 */
export class Engine {
  /** The engine's own container (a child of the configured one). Register adapters here. */
  readonly container: DependencyContainer
  private readonly store: WorkflowStore
  private readonly ownsStore: boolean
  private readonly registry: WorkflowRegistry
  private readonly hub: EventHub
  private readonly inbox = new EventInbox()
  private readonly statistics = new RuntimeStats()
  private readonly scope = Effect.runSync(Scope.make())
  private readonly env: RunEnvironment
  private readonly active = new Map<RunId, WorkflowRun<never>>()
  private closed = false

  constructor(config: EngineConfig = {}) {
    this.container = (config.container ?? rootContainer).createChildContainer()
    this.store = config.store ?? new MemoryWorkflowStore()
    this.ownsStore = config.store === undefined
    this.registry = new WorkflowRegistry(this.container)
    this.hub = new EventHub(config.onListenerError ?? reportListenerError)
    const clock = config.clock
    let services: Context.Context<PolicyServices> = makePolicyServices(this.scope)
    if (clock !== undefined) services = Context.add(services, Clock.Clock, clock)
    this.env = {
      store: this.store,
      services,
      policies: new TaskPolicyRunner((breaker, from, to) => this.breakerTransitioned(breaker, from, to)),
      hub: this.hub,
      inbox: this.inbox,
      stats: this.statistics,
      gate: new ConcurrencyGate(positiveLimit('maxConcurrentTasks', config.maxConcurrentTasks)),
      maxConcurrentTasks: positiveLimit('maxConcurrentTasksPerRun', config.maxConcurrentTasksPerRun),
      now: clock === undefined ? Date.now : () => clock.currentTimeMillisUnsafe(),
      finished: (run) => this.active.delete(run.runId),
    }
    for (const workflow of config.workflows ?? []) this.register(workflow)
  }

  /**
   * Registers workflows (compiling them: a bad definition throws here).
   * `start` registers a workflow on first use too.
   */
  register(...workflows: AnyWorkflow[]): this {
    for (const workflow of workflows) {
      this.registry.register(workflow)
      this.statistics.workflows = this.registry.size
    }
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
   */
  async start<W extends AnyWorkflow>(workflow: W, ...args: StartArgs<WorkflowInput<W>>): Promise<WorkflowRun<WorkflowOutputs<W>>> {
    const [input, options = {}] = args as [unknown, StartOptions | undefined]
    return this.startGraph(this.ensureRegistered(workflow), input, options) as Promise<WorkflowRun<WorkflowOutputs<W>>>
  }

  /** Starts a run and waits for its result. */
  async run<W extends AnyWorkflow>(workflow: W, ...args: StartArgs<WorkflowInput<W>>): Promise<RunResult<WorkflowOutputs<W>>> {
    return (await this.start(workflow, ...args)).result()
  }

  /** A live run of this engine. */
  getRun(runId: RunId): WorkflowRun | undefined {
    return this.active.get(runId) as WorkflowRun | undefined
  }

  /** Runs recorded in the store, newest first. */
  listRuns(query?: RunQuery): Promise<RunRecord[]> {
    return this.store.listRuns(query)
  }

  /**
   * Sends an external event: to one run (`runId`), or to every run waiting
   * for it, and starts the workflows it triggers with the payload as input.
   * @throws `RunNotFoundError` when `runId` names no live run.
   */
  async emit(name: string, payload?: unknown, options: { readonly runId?: RunId } = {}): Promise<EmitResult> {
    if (options.runId !== undefined) {
      if (!this.active.has(options.runId)) throw new RunNotFoundError(options.runId)
      const delivered = this.inbox.send(name, payload, options.runId)
      return { delivered, queued: 1 - delivered, started: [] }
    }
    if (this.closed) throw new EngineClosedError()
    // Check the payload against every triggered workflow before delivering anything.
    const triggered = this.registry.triggeredBy(name).map((graph) => ({ graph, input: parseWorkflowInput(graph, payload) }))
    const delivered = this.inbox.send(name, payload)
    const started = await Promise.all(triggered.map(({ graph, input }) => this.startGraph(graph, input, {}, false)))
    return { delivered, queued: 0, started: started as WorkflowRun[] }
  }

  /** Listens to every engine event. Returns a function that stops listening. */
  on(listener: WeftListener): () => void
  /** Listens to events of one type. */
  on<T extends WeftEventType>(type: T, listener: WeftListener<WeftEventOf<T>>): () => void
  on(typeOrListener: WeftEventType | WeftListener, listener?: WeftListener<never>): () => void {
    return typeof typeOrListener === 'function' ? this.hub.on(typeOrListener) : this.hub.on(typeOrListener, listener as never)
  }

  /** Counts of workflows, runs by status and tasks by status. */
  stats(): EngineStats {
    return this.statistics.snapshot()
  }

  /** Cancels live runs, waits for them to settle, and releases the engine's resources. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const runs = [...this.active.values()]
    for (const run of runs) run.cancel('the engine was closed')
    await Promise.all(runs.map((run) => run.outcome()))
    await Effect.runPromise(Scope.close(this.scope, Exit.void))
    if (this.ownsStore) await this.store.close()
  }

  private ensureRegistered(workflow: AnyWorkflow): WorkflowGraph {
    const graph = this.registry.register(workflow)
    this.statistics.workflows = this.registry.size
    return graph
  }

  private async startGraph(graph: WorkflowGraph, rawInput: unknown, options: StartOptions, parse = true): Promise<WorkflowRun<never>> {
    if (this.closed) throw new EngineClosedError()
    const input = parse ? parseWorkflowInput(graph, rawInput) : rawInput
    const runId = options.runId ?? newRunId()
    const live = this.active.get(runId)
    if (live !== undefined) return live
    const instance = this.registry.instantiate(graph)
    const now = this.env.now()
    const record: RunRecord = { id: runId, workflow: graph.name, version: graph.version, input, status: 'running', createdAt: now, startedAt: now }
    const { created } = await this.store.createRun(record)
    if (!created) throw new InvalidOptionsError(`run id "${runId}" is already used by a finished run; start without runId or pick another`)
    const execution = new RunExecution(this.env, graph, runId, input, instance, new Map())
    const run = new WorkflowRun<never>(execution, this.inbox)
    this.active.set(runId, run)
    execution.start()
    return run
  }

  private breakerTransitioned(breaker: string, from: CircuitState, to: CircuitState): void {
    const type = to === 'open' ? 'breaker.opened' : to === 'half-open' ? 'breaker.half-open' : 'breaker.closed'
    this.hub.emit({ type, at: this.env.now(), breaker, from })
  }
}

function positiveLimit(name: string, value: number | undefined): number {
  if (value === undefined) return Infinity
  if (value === Infinity || (Number.isInteger(value) && value >= 1)) return value
  throw new InvalidOptionsError(`${name} must be an integer ≥ 1 or Infinity, got ${String(value)}`)
}

function reportListenerError(error: unknown, event: { type: string }): void {
  console.error(`weft: a listener of "${event.type}" threw`, error)
}

/**
 * Creates an engine.
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft'
 * const engine = createEngine({ maxConcurrentTasks: 64 })
 * // engine.container.register(PaymentsApi, { useValue: new PaymentsApi() })
 * // const run = await engine.start(OrderFulfilment, { orderId: 'o-1' })
 * // await engine.close()
 * ```
 */
export function createEngine(config: EngineConfig = {}): Engine {
  return new Engine(config)
}
