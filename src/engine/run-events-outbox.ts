import { compileWorkflow } from '../authoring/compile-workflow.js'
import type { AnyWorkflow } from '../authoring/workflow-ref.js'
import { EventPayloadError, RunFinishedError, RunNotFoundError } from '../core/errors.js'
import type { RunId } from '../core/ids.js'
import { assertStorableName } from '../core/storable-name.js'
import { payloadDecoder } from '../graph/event-payload.js'
import type { WorkflowGraph } from '../graph/workflow-graph.js'
import type { EventWaiters } from '../runtime/event-waiters.js'
import type { AuditEntry } from '../storage/audit-store.js'
import { isFinished } from '../storage/run-rules.js'
import type { WorkflowStore } from '../storage/workflow-store.js'
import type { LocalRuns } from './local-runs.js'
import type { WorkflowRegistry } from './workflow-registry.js'
import { withDeclaredResult, type WorkflowRun, type WorkflowRunOf } from './workflow-run.js'

/**
 * What {@link Engine.emit} did.
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft-sdk'
 * const engine = createEngine()
 * const { eventId, waitingRuns, started } = await engine.emit('order.placed', { orderId: 'o-1' })
 * console.log(`event ${eventId}: ${waitingRuns} runs were waiting, ${started.length} started`)
 * ```
 */
export interface EmitResult {
  /** The stored event's id. */
  readonly eventId: number
  /** Runs of this engine that were waiting for an event of this name when it was sent. */
  readonly waitingRuns: number
  /** Runs the event started (workflows whose `trigger` is the event's name), untyped: see {@link EmitResult.startedOf}. */
  readonly started: readonly WorkflowRun[]
  /**
   * The runs the event started of one workflow, typed by it (outputs,
   * declared result, declared events); empty when the event does not trigger
   * that workflow (version included).
   *
   * @example
   * ```ts
   * import { createEngine, defineWorkflow } from 'weft-sdk'
   * const Placed = defineWorkflow<{ orderId: string }>({ name: 'placed', version: 1, trigger: 'order.placed' })
   *   .task('ack', (input) => `ack ${input.orderId}`)
   *   .build({ result: 'ack' })
   * const engine = createEngine({ workflows: [Placed] })
   * const [run] = (await engine.emit('order.placed', { orderId: 'o-1' })).startedOf(Placed)
   * const ack: string | undefined = await run?.result()
   * ```
   */
  startedOf<W extends AnyWorkflow>(workflow: W): WorkflowRunOf<W>[]
}

/** An event stored in the inbox, and how many runs of this engine were waiting for it. */
export interface SentEvent {
  readonly eventId: number
  readonly waitingRuns: number
}

/** What {@link RunEventsOutbox} needs from its engine. */
export interface RunEventsOutboxDeps {
  readonly store: WorkflowStore
  readonly waiters: EventWaiters
  readonly registry: WorkflowRegistry
  readonly runs: () => LocalRuns
  now(): number
}

/**
 * Sends external events: stores them in the store's inbox (so they survive
 * restarts and reach runs executing in other processes) and wakes the tasks
 * of this process waiting for them. A payload sent to one run whose workflow
 * declares the event is checked by the declared schema before it is stored.
 */
export class RunEventsOutbox {
  constructor(private readonly deps: RunEventsOutboxDeps) {}

  /**
   * Stores an event for one run (executing here or elsewhere) and wakes its waiting task if it is here.
   * `known` is the run's workflow when the caller's handle knows it, though this engine did not register it;
   * `audit`, entries written with the event (one transaction).
   * @throws `RunNotFoundError`, `RunFinishedError`, `EventPayloadError`.
   */
  async toRun(runId: RunId, name: string, payload: unknown, known?: WorkflowGraph, audit?: readonly AuditEntry[]): Promise<SentEvent> {
    assertStorableName('event name', name)
    const graph = (await this.graphOfOpenRun(runId)) ?? known
    if (graph !== undefined) assertEventPayload(graph, name, payload)
    const waitingRuns = this.deps.waiters.waitingRuns(name).includes(runId) ? 1 : 0
    const eventId = await this.deps.store.sendEvent({ name, runId, payload, sentAt: this.deps.now(), audit })
    this.deps.waiters.wake(runId, name)
    return { eventId, waitingRuns }
  }

  /** Stores an event for every run (with `audit` entries, in one transaction) and wakes the tasks of this process waiting for its name. */
  async toEveryRun(name: string, payload: unknown, audit?: readonly AuditEntry[]): Promise<SentEvent> {
    assertStorableName('event name', name)
    const waitingRuns = this.deps.waiters.waitingRuns(name).length
    const eventId = await this.deps.store.sendEvent({ name, payload, sentAt: this.deps.now(), audit })
    this.deps.waiters.wake(undefined, name)
    return { eventId, waitingRuns }
  }

  /** The graph of an unfinished run, when this engine knows its workflow. @throws `RunNotFoundError`, `RunFinishedError`. */
  private async graphOfOpenRun(runId: RunId): Promise<WorkflowGraph | undefined> {
    const local = this.deps.runs().get(runId)
    if (local !== undefined) return local.graph
    const run = await this.deps.store.getRun(runId)
    if (run === undefined) throw new RunNotFoundError(runId)
    if (isFinished(run.status)) throw new RunFinishedError(runId, run.status)
    return this.deps.registry.findOptional(run.workflow, run.version)
  }
}

/**
 * Refuses, before it is stored, a payload the workflow's declared schema for
 * this event refuses (the same decoding a waiting task applies on receipt).
 * @throws {@link EventPayloadError}
 */
export function assertEventPayload(graph: WorkflowGraph, name: string, payload: unknown): void {
  const schema = graph.events.get(name)
  if (schema === undefined) return
  const decoded = payloadDecoder(schema)(payload)
  if (!decoded.ok) throw new EventPayloadError(name, `${graph.name}@${graph.version}`, decoded.issues)
}

/** What `emit` returns: the stored event, and the runs it started with their typed view. */
export function emitResult(sent: SentEvent, started: readonly WorkflowRun[]): EmitResult {
  return {
    ...sent,
    started,
    startedOf<W extends AnyWorkflow>(workflow: W): WorkflowRunOf<W>[] {
      const graph = compileWorkflow(workflow)
      return started
        .filter((run) => run.workflow === graph.name && run.version === graph.version)
        .map((run) => withDeclaredResult(run, graph.result) as unknown as WorkflowRunOf<W>)
    },
  }
}
