import { describeCause, EngineClosedError, LeaseLostError, RunNotFoundError } from '../core/errors.js'
import type { RunId } from '../core/ids.js'
import type { WorkflowGraph } from '../graph/workflow-graph.js'
import type { RunRecovered } from '../runtime/run-events.js'
import { RunExecution, type RunEnvironment } from '../runtime/run-execution.js'
import type { WorkflowInstance } from '../runtime/task-host.js'
import { isBlockingStoreFailure, isStoreWideFailure } from '../storage/storage-failure.js'
import type { Fence, RequestedAction, RunLeases, RunRecord, RunStore, StepJournal, StepRecord } from '../storage/workflow-store.js'
import type { ChangeFeed } from './change-feed.js'
import type { EngineSettings } from './engine-config.js'
import type { StoreHealth } from './store-health.js'
import type { WorkflowRegistry } from './workflow-registry.js'

/** What {@link LocalRuns} needs from its engine. */
export interface LocalRunsDeps {
  readonly store: RunStore & RunLeases & StepJournal
  readonly registry: WorkflowRegistry
  readonly settings: EngineSettings
  readonly health: StoreHealth
  readonly changes: ChangeFeed
  readonly workerId: string
  readonly env: RunEnvironment
  /** Told of each run this worker takes over (its events carry the same `run.recovered`). */
  readonly onRunRecovered: (event: RunRecovered) => void
  now(): number
  reportBackgroundError(error: unknown): void
}

/**
 * The runs an engine executes in this process: launching them (new, or
 * claimed from the store), applying the actions requested through the store,
 * giving back what cannot start, and draining them on shutdown.
 */
export class LocalRuns {
  private readonly active = new Map<RunId, RunExecution>()
  /** Requests this process is writing to the store for its own runs, by `runId\u0000action` (see {@link applyRecorded}). */
  private readonly ownRequests = new Map<string, number>()
  /** Requests applied to a run whose clearing the store has not confirmed yet (see {@link applyAction}). */
  private readonly unclearedActions = new Map<RunId, RequestedAction>()

  constructor(private readonly deps: LocalRunsDeps) {}

  /** The run `runId` if it executes here. */
  get(runId: RunId): RunExecution | undefined {
    return this.active.get(runId)
  }

  /** The fences of every run executing here (whose leases the worker renews). */
  fences(): Fence[] {
    return [...this.active.values()].map((run) => run.fence)
  }

  /**
   * Starts executing a stored run here, replaying `steps`, and honours an
   * action requested while no worker held it. A run claimed before (epoch
   * above 1: its worker died, lost its lease or released it on shutdown) is
   * announced as taken over.
   */
  launch(graph: WorkflowGraph, run: RunRecord, instance: WorkflowInstance, steps: readonly StepRecord[]): RunExecution {
    const starter = { subject: run.principal, tenant: run.tenant, roles: run.roles }
    const execution = new RunExecution(this.deps.env, graph, { runId: run.id, epoch: run.epoch }, run.input, instance, new Map(steps.map((s) => [s.key, s])), starter)
    this.active.set(run.id, execution)
    const requested = run.requestedAction
    const recovered = run.epoch > 1 ? { recoveries: run.recoveries, epoch: run.epoch, replayedSteps: steps.length } : undefined
    execution.start({ status: run.status, requested, recovered, traceContext: run.traceContext, createdAt: run.createdAt })
    if (recovered !== undefined) this.deps.onRunRecovered({ type: 'run.recovered', at: this.deps.now(), runId: run.id, workflow: graph.name, ...recovered })
    // The request was honoured as the run started here (its worker died before it could).
    if (requested !== undefined) {
      this.unclearedActions.set(run.id, requested)
      this.clearAppliedAction(execution, requested)
    }
    return execution
  }

  /** Executes a run claimed from the store (recovery or scale-out), or dead-letters it after too many crashes. */
  async resumeClaimed(run: RunRecord): Promise<void> {
    const { store, registry, settings } = this.deps
    const fence = { runId: run.id, epoch: run.epoch }
    if (run.recoveries > settings.maxRecoveryAttempts) {
      const statusMessage = `it was recovered ${run.recoveries} times without finishing (more than maxRecoveryAttempts = ${settings.maxRecoveryAttempts}): its worker stopped, or could not start it; fix the cause, then resume it (weft runs resume ${run.id})`
      const at = this.deps.now()
      await store.updateRun(fence, { status: 'dead-lettered', statusMessage, finishedAt: at })
      this.deps.changes.changed(run.id)
      this.deps.env.hub.emit({ type: 'run.dead-lettered', at, runId: run.id, workflow: run.workflow, recoveries: run.recoveries, reason: statusMessage })
      return
    }
    try {
      const graph = registry.find(run.workflow, run.version)
      const instance = registry.instantiate(graph)
      // Epoch 1: this is the run's first claim, so nothing of it was recorded yet (saves a round trip).
      this.launch(graph, run, instance, run.epoch === 1 ? [] : await store.loadSteps(run.id))
    } catch (error) {
      await this.giveBack(fence, error)
      throw error
    }
  }

  /**
   * Gives back a claimed run this worker could not start. When the store
   * failed (a lock, a full disk: not the run's fault) the run is simply released. Any other
   * failure (a stored step that no longer reads, a dependency that cannot be
   * resolved) would fail the same way on every claim, so the release counts
   * as a failed recovery: after `maxRecoveryAttempts` the run is dead-lettered.
   */
  private async giveBack(fence: Fence, error: unknown): Promise<void> {
    this.deps.health.failed(error)
    // The store failing as a whole (a lock, a full disk) says nothing about the run: no recovery is counted.
    const failure = isStoreWideFailure(error) ? undefined : `worker ${this.deps.workerId} could not start it: ${describeCause(error)}`
    await this.deps.store.releaseRuns(this.deps.workerId, [fence], { failure }).catch(this.deps.reportBackgroundError)
  }

  /**
   * A run of this engine ended here (the run environment's `finished`). A
   * recorded end says the store takes writes; a run given up because the
   * store takes none (a full disk) holds claims, and is released if the
   * store still allows that, so its next claim counts no recovery against it.
   */
  finished(run: RunExecution): void {
    if (this.active.get(run.runId) === run) this.active.delete(run.runId)
    this.unclearedActions.delete(run.runId)
    this.noteStoreHealth(run)
    this.deps.changes.changed(run.runId)
  }

  private noteStoreHealth(run: RunExecution): void {
    const error = run.abandonedBy
    if (error === undefined) return this.deps.health.healthy()
    if (!isBlockingStoreFailure(error)) return
    this.deps.health.failed(error)
    this.deps.store.releaseRuns(this.deps.workerId, [run.fence]).catch(() => undefined)
  }

  /**
   * Applies an action requested through the store, once: until the store
   * confirms the request was cleared, the same request seen again (a
   * heartbeat that read it before the clear landed, or after a clear failed)
   * is only cleared again, not applied a second time — a second cancel would
   * abort the run's cleanups. Returns whether the action changed the run.
   */
  applyAction(runId: RunId, action: RequestedAction, reason = `${action} requested`): boolean {
    // This process is writing the request itself: it applies it, with its reason, once the write is done.
    if (this.ownRequests.has(requestKey(runId, action))) return false
    return this.applyOnce(runId, action, reason)
  }

  /**
   * Applies a request this process records in the store (`record`: the write,
   * with its audit entry) to a run executing here, once the write is done; a
   * notification of the same write that comes back first is left to it.
   * @returns whether the request changed the run.
   * @throws `RunNotFoundError` when the store has no such run (nothing was written); what `record` throws.
   */
  async applyRecorded(runId: RunId, action: RequestedAction, reason: string | undefined, record: () => Promise<RunRecord | undefined>): Promise<boolean> {
    const key = requestKey(runId, action)
    this.ownRequests.set(key, (this.ownRequests.get(key) ?? 0) + 1)
    try {
      if ((await record()) === undefined) throw new RunNotFoundError(runId)
    } finally {
      const left = this.ownRequests.get(key)! - 1
      if (left === 0) this.ownRequests.delete(key)
      else this.ownRequests.set(key, left)
    }
    return this.applyOnce(runId, action, reason ?? `${action} requested`)
  }

  private applyOnce(runId: RunId, action: RequestedAction, reason: string): boolean {
    const run = this.active.get(runId)
    if (run === undefined) return false
    let applied = false
    if (this.unclearedActions.get(runId) !== action) {
      this.unclearedActions.set(runId, action)
      applied = action === 'cancel' ? run.cancel(reason) : action === 'pause' ? run.pause() : run.resume()
    }
    this.clearAppliedAction(run, action)
    return applied
  }

  private clearAppliedAction(run: RunExecution, action: RequestedAction): void {
    this.deps.store.clearAction(run.fence).then(() => {
      if (this.unclearedActions.get(run.runId) === action) this.unclearedActions.delete(run.runId)
    }, this.deps.reportBackgroundError)
  }

  /** Another worker holds the run now: this one stops executing it. */
  leaseLost(runId: RunId): void {
    const run = this.active.get(runId)
    run?.abandon(new LeaseLostError(runId, run.fence.epoch))
  }

  /**
   * Shuts down with a durable store: no task starts any more, in any run;
   * running tasks finish within `drainMs`; then every run still here (one a
   * concurrent start launched during the drain included) is released so
   * another worker resumes it at once.
   */
  async drain(drainMs: number): Promise<void> {
    this.deps.env.gate.close()
    await Promise.all([...this.active.values()].map((run) => run.drain(drainMs)))
    const left = [...this.active.values()]
    for (const run of left) run.abandon(new EngineClosedError())
    if (left.length > 0) await this.deps.store.releaseRuns(this.deps.workerId, left.map((run) => run.fence))
  }

  /** Shuts down with the memory store (runs cannot continue elsewhere): cancels every run and waits for their ends. */
  async cancelAll(reason: string): Promise<void> {
    const runs = [...this.active.values()]
    for (const run of runs) run.cancel(reason)
    await Promise.all(runs.map((run) => run.done))
  }
}

function requestKey(runId: RunId, action: RequestedAction): string {
  return `${runId}\u0000${action}`
}
