import { EngineClosedError, RunNotFoundError } from '../core/errors.js'
import type { RunId } from '../core/ids.js'
import type { WorkflowGraph } from '../graph/workflow-graph.js'
import type { RunEvent } from '../runtime/run-events.js'
import type { RunExecution } from '../runtime/run-execution.js'
import type { RunOutcome, TaskSummary } from '../runtime/run-outcome.js'
import type { AuditEntry } from '../storage/audit-store.js'
import { isFinished } from '../storage/run-rules.js'
import { isPersistentStoreFailure } from '../storage/storage-failure.js'
import type { RequestedAction, RunRecord, RunStatus, RunStore, RunWithSteps, StepJournal, StepRecord } from '../storage/workflow-store.js'
import { storedOutcome, storedSummaries } from './stored-outcome.js'
import type { RunBackend } from './workflow-run.js'

/** How backends send events and wait for runs of other processes. */
export interface BackendServices {
  /** The runs (read, steered) and their journals (read). */
  readonly store: RunStore & Pick<StepJournal, 'loadSteps'>
  /**
   * `graph`: the run's workflow when the handle knows it (its declared events check the payload);
   * `audit`: entries written with the event.
   */
  sendEvent(runId: RunId, name: string, payload: unknown, graph?: WorkflowGraph, audit?: readonly AuditEntry[]): Promise<void>
  /**
   * Records a request in the store (`record`: the write, with its audit
   * entry), then applies it to the run executing here, once (the same
   * request seen again through the store is only cleared): whether it changed the run.
   * @throws `RunNotFoundError` when `record` found no run.
   */
  applyRecorded(runId: RunId, action: RequestedAction, reason: string | undefined, record: () => Promise<RunRecord | undefined>): Promise<boolean>
  /** Resolves when the store may have news about a run (notification or poll interval). */
  nextChange(runId: RunId): Promise<void>
  now(): number
}

/** A run executing in this process. */
export class LocalRunBackend implements RunBackend {
  constructor(
    private readonly execution: RunExecution,
    private readonly services: BackendServices,
  ) {}

  get runId(): RunId {
    return this.execution.runId
  }

  get workflow(): string {
    return this.execution.graph.name
  }

  get version(): number {
    return this.execution.graph.version
  }

  status(): RunStatus {
    return this.execution.status
  }

  /**
   * The run's outcome. When this process gave the run up (its lease was lost,
   * or the store failed under it), the run goes on in another worker or after
   * recovery: the handle follows it in the store to its real end. Runs
   * released because this engine closed end here as `abandoned`.
   */
  async outcome(): Promise<RunOutcome> {
    const outcome = await this.execution.done
    if (outcome.status !== 'abandoned' || outcome.error instanceof EngineClosedError) return outcome
    // A store that will not recover by itself (a full disk, a deleted file) cannot tell how the run ends:
    // report the failure now rather than wait for as long as it lasts.
    if (isPersistentStoreFailure(outcome.error)) return outcome
    const run = await this.services.store.getRun(this.runId).catch(() => undefined)
    if (run === undefined) return outcome
    return new StoredRunBackend(run, this.execution.graph, this.services).outcome()
  }

  tasks(): TaskSummary[] {
    return this.execution.summaries()
  }

  events(): AsyncIterable<RunEvent> {
    return { [Symbol.asyncIterator]: () => this.execution.log.iterate() }
  }

  async pause(audit?: readonly AuditEntry[]): Promise<boolean> {
    if (audit !== undefined) return this.recorded('pause', audit)
    return this.execution.pause()
  }

  async resume(audit?: readonly AuditEntry[]): Promise<boolean> {
    if (audit !== undefined) return this.recorded('resume', audit)
    return this.execution.resume()
  }

  async cancel(reason?: string, audit?: readonly AuditEntry[]): Promise<boolean> {
    if (audit !== undefined) return this.recorded('cancel', audit, reason)
    return this.execution.cancel(reason)
  }

  signal(name: string, payload: unknown, audit?: readonly AuditEntry[]): Promise<void> {
    return this.services.sendEvent(this.runId, name, payload, undefined, audit)
  }

  /**
   * A request whose audit entry must commit with it: recorded in the store
   * (request and entry in one transaction), then applied here at once
   * through the same path as a request from another process, so the stored
   * request is applied once and cleared.
   */
  private recorded(action: RequestedAction, audit: readonly AuditEntry[], reason?: string): Promise<boolean> {
    // No run: the store wrote no entry either, and `applyRecorded` throws, so the audit log does not take it as written.
    return this.services.applyRecorded(this.runId, action, reason, () => this.services.store.requestAction(this.runId, action, this.services.now(), audit))
  }
}

/** A run known from the store: executing in another process, waiting for a worker, or finished. */
export class StoredRunBackend implements RunBackend {
  private finished: Promise<RunOutcome> | undefined
  private steps: readonly StepRecord[] = []

  constructor(
    private record: RunRecord,
    private readonly graph: WorkflowGraph | undefined,
    private readonly services: BackendServices,
  ) {}

  get runId(): RunId {
    return this.record.id
  }

  get workflow(): string {
    return this.record.workflow
  }

  get version(): number {
    return this.record.version
  }

  status(): RunStatus {
    return this.record.status
  }

  outcome(): Promise<RunOutcome> {
    this.finished ??= this.waitForEnd()
    return this.finished
  }

  /** The tasks as last read: every task pending until the run's end has been read (by `outcome()`). */
  tasks(): TaskSummary[] {
    return storedSummaries(this.steps, this.graph)
  }

  events(): AsyncIterable<RunEvent> {
    return { [Symbol.asyncIterator]: async function* () {} }
  }

  pause(audit?: readonly AuditEntry[]): Promise<boolean> {
    return this.request('pause', audit)
  }

  resume(audit?: readonly AuditEntry[]): Promise<boolean> {
    return this.request('resume', audit)
  }

  cancel(_reason?: string, audit?: readonly AuditEntry[]): Promise<boolean> {
    return this.request('cancel', audit)
  }

  signal(name: string, payload: unknown, audit?: readonly AuditEntry[]): Promise<void> {
    return this.services.sendEvent(this.runId, name, payload, this.graph, audit)
  }

  private async request(action: RequestedAction, audit: readonly AuditEntry[] | undefined): Promise<boolean> {
    const before = this.record.status
    const after = await this.services.store.requestAction(this.runId, action, this.services.now(), audit)
    // No run: the store wrote no audit entry either; the audit log must not take it as written (its chain moves on).
    if (after === undefined && audit !== undefined) throw new RunNotFoundError(this.runId)
    if (after === undefined) return false
    this.record = after
    return !isFinished(before) || (before === 'dead-lettered' && (action === 'resume' || action === 'cancel'))
  }

  private async waitForEnd(): Promise<RunOutcome> {
    while (true) {
      const change = this.services.nextChange(this.runId)
      let found: RunWithSteps | undefined
      try {
        found = await this.read()
      } catch (error) {
        // The store failed: wait for it while it may recover (a lock, a lost connection), else report the failure.
        if (isPersistentStoreFailure(error)) return this.unknownEnd(error)
        await change
        continue
      }
      if (found !== undefined) this.record = found.run
      if (found?.steps !== undefined) {
        this.steps = found.steps
        return storedOutcome(found.run, found.steps, this.graph)
      }
      await change
    }
  }

  /** What a handle reports when the store cannot say how the run ends. */
  private unknownEnd(error: unknown): RunOutcome {
    const now = this.services.now()
    const reason = error instanceof Error ? error : new Error(String(error))
    return { runId: this.runId, workflow: this.workflow, status: 'abandoned', outputs: {}, tasks: this.tasks(), error: reason, startedAt: this.record.startedAt ?? now, finishedAt: now }
  }

  /** The run, with its steps once it has ended: one read where the store can. */
  private async read(): Promise<RunWithSteps | undefined> {
    const { store } = this.services
    if (store.getRunWithSteps !== undefined) return store.getRunWithSteps(this.runId)
    const run = await store.getRun(this.runId)
    if (run === undefined || !isFinished(run.status) || run.status === 'dead-lettered') return run && { run }
    return { run, steps: await store.loadSteps(run.id) }
  }
}
