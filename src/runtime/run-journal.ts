import { ContextClosedError } from '../core/errors.js'
import type { RunId } from '../core/ids.js'
import { addUsage, noUsage, type StepUsage } from '../core/step-usage.js'
import type { NewOutboxEntry } from '../storage/outbox-store.js'
import type { TaskNode } from '../graph/workflow-graph.js'
import { storeFailureError, writeFailure } from '../storage/storage-failure.js'
import type { AttemptHistory, EventInbox, Fence, RunPatch, RunStore, StepJournal, StepRecord, StoredEvent } from '../storage/workflow-store.js'
import { toErrorRecord } from './error-record.js'
import type { FinalState } from './run-phase.js'
import type { Recorded, SubStepEnd } from './task-host.js'

/** The store roles a run writes through: its steps, its events, and the run's own record. */
export type JournalStore = StepJournal & EventInbox & Pick<RunStore, 'updateRun'>

/** What a {@link RunJournal} needs from the run it writes for. */
export interface JournalOwner {
  /** Whether the run is over here (its end stored, or given up): nothing may be written for it any more. */
  readonly over: boolean
  /** The workflow's name (errors name it). */
  readonly workflow: string
  /** The store failed under the run, or its lease was lost: the run is given up here. */
  giveUp(error: Error): void
  now(): number
  /** A step was stored with outbox entries (committed): they may be delivered now. */
  outboxStored?(entries: readonly NewOutboxEntry[]): void
}

/**
 * How a checkpoint write ended: `stored` (with the output the store holds:
 * the first one written wins), `refused` (the value cannot be stored: too
 * large, not serializable — the task's failure), or `lost` (the store failed
 * or the lease was lost: the run's, not the task's).
 */
export type CheckpointSettlement =
  | { readonly kind: 'stored'; readonly step: StepRecord }
  | { readonly kind: 'refused'; readonly error: unknown }
  | { readonly kind: 'lost'; readonly error: Error }

/**
 * One run's journal: the steps recorded so far and every write the run and
 * its tasks make, each fenced by the run's lease. A write that fails for a
 * reason that is not the task's (a lost lease, a locked or full store, a
 * lost connection) gives the run up (see {@link JournalOwner.giveUp}) before
 * the task sees the error: a storage failure never fails a task, and the run
 * resumes from its checkpoints.
 */
export class RunJournal {
  /** Usage metered for steps not recorded yet, by step key: written with the step's record (see {@link meter}). */
  private readonly metered = new Map<string, StepUsage>()
  /** Outbox entries of the running attempt of each step, by step key: written with the step's record when it completes. */
  private staged: Map<string, NewOutboxEntry[]> | undefined

  constructor(
    private readonly store: JournalStore,
    readonly fence: Fence,
    private readonly steps: Map<string, StepRecord>,
    private readonly owner: JournalOwner,
  ) {}

  get runId(): RunId {
    return this.fence.runId
  }

  /** The step recorded under `key`, if any (this run or a previous process). */
  step(key: string): StepRecord | undefined {
    return this.steps.get(key)
  }

  /** Whether every one of `tasks` has a recorded step. */
  recordsAll(tasks: readonly TaskNode[]): boolean {
    return tasks.every((task) => this.steps.has(task.stepKey))
  }

  /** Adds what a call of step `key` spent; stored with the step's record when it is written. */
  meter(key: string, usage: StepUsage): void {
    this.metered.set(key, addUsage(this.metered.get(key) ?? noUsage, usage))
  }

  /** What the run has spent: the usage of its recorded steps (loaded at a resume, too) and of its steps metered but not recorded yet. */
  spent(): StepUsage {
    let total = noUsage
    for (const step of this.steps.values()) if (step.usage !== undefined) total = addUsage(total, step.usage)
    for (const usage of this.metered.values()) total = addUsage(total, usage)
    return total
  }

  /**
   * Stages the outbox entries of step `key`'s running attempt (`entries`,
   * which grows in place), or drops them (`undefined`) when `attempt`'s list
   * is the one staged: a failed attempt records none.
   */
  stageOutbox(key: string, entries: NewOutboxEntry[] | undefined, attempt: readonly NewOutboxEntry[]): void {
    if (entries !== undefined) (this.staged ??= new Map()).set(key, entries)
    else if (this.staged?.get(key) === attempt) this.staged.delete(key)
  }

  /** `step` with the usage metered for it and, when it completed, the outbox entries its attempt staged (the common step has neither: no copy). */
  private withUsage(step: StepRecord): StepRecord {
    const usage = this.metered.size === 0 ? undefined : this.metered.get(step.key)
    const outbox = this.staged === undefined || step.status !== 'completed' ? undefined : this.staged.get(step.key)
    if (usage === undefined && outbox === undefined) return step
    return { ...step, ...(usage === undefined ? {} : { usage }), ...(outbox === undefined || outbox.length === 0 ? {} : { outbox: [...outbox] }) }
  }

  /** `stored` is the step's record now: what was metered and staged for it is in the record (or lost to the first writer's). */
  private keep(stored: StepRecord, written?: StepRecord): void {
    if (written?.outbox !== undefined) this.owner.outboxStored?.(written.outbox)
    this.steps.set(stored.key, stored)
    if (this.metered.size > 0) this.metered.delete(stored.key)
    if (this.staged !== undefined) this.staged.delete(stored.key)
  }

  recorded(key: string): Recorded {
    const step = this.steps.get(key)
    return step?.status === 'completed' ? { output: step.output } : undefined
  }

  async recordStep(key: string, task: string, output: unknown, startedAt: number): Promise<unknown> {
    this.assertOpen(task, key)
    const step = this.withUsage({ runId: this.runId, key, task, status: 'completed', output, attempts: 1, startedAt, finishedAt: this.owner.now() })
    const stored = await this.guarded(() => this.store.saveStep(this.fence, step))
    this.keep(stored)
    return stored.output
  }

  /** Records a sub-step's end (a `map` item: completed, or failed in a settled map) with its attempts. */
  async recordSubStep(end: SubStepEnd): Promise<StepRecord> {
    this.assertOpen(end.task, end.key)
    const { key, task, status, attempts, startedAt, history } = end
    const error = status === 'failed' ? toErrorRecord(end.error) : undefined
    const output = status === 'completed' ? end.output : undefined
    const step = this.withUsage({ runId: this.runId, key, task, status, output, error, attempts, startedAt, finishedAt: this.owner.now(), history })
    const stored = await this.guarded(() => this.store.saveStep(this.fence, step))
    this.keep(stored, step)
    return stored
  }

  timer(key: string, wakeAt: number): Promise<number> {
    this.assertOpen(undefined, key)
    return this.guarded(() => this.store.timer(this.fence, key, wakeAt))
  }

  pendingEvents(name: string, since: number): Promise<StoredEvent[]> {
    return this.guarded(() => this.store.pendingEvents(this.runId, name, since))
  }

  async takeEvent(event: StoredEvent, key: string, task: string): Promise<boolean> {
    this.assertOpen(task, key)
    const now = this.owner.now()
    const step: StepRecord = { runId: this.runId, key, task, status: 'completed', output: event.payload, attempts: 1, startedAt: now, finishedAt: now }
    const taken = await this.guarded(() => this.store.takeEvent(this.fence, event, step))
    if (taken) this.steps.set(key, step)
    return taken
  }

  /** Updates the stored run; the run does not wait (a failure gives it up). */
  update(patch: RunPatch): void {
    this.guarded(() => this.store.updateRun(this.fence, patch)).catch(ignore)
  }

  /** Records the run's end on its own; rejects (after giving the run up) when the store fails. */
  writeEnd(final: FinalState): Promise<void> {
    return this.guarded(() => this.store.updateRun(this.fence, { status: final.status, finishedAt: final.finishedAt, error: final.errorRecord }))
  }

  /** Records a failed or skipped task once; the run does not wait for this write. */
  recordUnfinished(task: TaskNode, status: 'failed' | 'skipped', error: unknown, attempts: number, startedAt: number | undefined, history?: AttemptHistory): void {
    if (this.steps.has(task.stepKey)) return
    const step = this.withUsage({
      runId: this.runId,
      key: task.stepKey,
      task: task.name,
      status,
      error: error === undefined ? undefined : toErrorRecord(error),
      attempts,
      startedAt,
      finishedAt: this.owner.now(),
      history,
    })
    this.keep(step)
    this.guarded(() => this.store.saveStep(this.fence, step)).catch(ignore)
  }

  /** Whether the store can record the run's end with its last checkpoint (one commit instead of two). */
  get writesEndWithCheckpoint(): boolean {
    return this.store.saveFinalStep !== undefined
  }

  /**
   * Writes a task's checkpoint (with the run's end when `final` is given)
   * and says how it went; never rejects. On `stored` the journal holds the
   * stored step. Unlike the other writes it does not give the run up: the
   * caller decides from the settlement.
   */
  checkpoint(metered: StepRecord, final: FinalState | undefined): Promise<CheckpointSettlement> {
    const store = this.store
    const step = this.withUsage(metered)
    let pending: Promise<StepRecord>
    // A store may throw at once (an output it cannot serialize, or too large): that is a refusal, as a rejection
    // would be. (Not `new Promise(resolve => resolve(write()))`: adopting the store's promise costs two more turns.)
    try {
      pending =
        final === undefined
          ? store.saveStep(this.fence, step)
          : store.saveFinalStep!(this.fence, step, { status: final.status, finishedAt: final.finishedAt, error: final.errorRecord })
    } catch (error) {
      pending = Promise.reject(error)
    }
    return pending.then(
      (stored): CheckpointSettlement => {
        this.keep(stored, step)
        return { kind: 'stored', step: stored }
      },
      (error: unknown): CheckpointSettlement => (writeFailure(error) === 'value' ? { kind: 'refused', error } : { kind: 'lost', error: storeFailureError(error) }),
    )
  }

  /** A write into a run that is over here is refused: nothing may change it any more. */
  private assertOpen(task: string | undefined, key: string): void {
    if (this.owner.over) throw new ContextClosedError(this.runId, task ?? this.owner.workflow, `recording step "${key}"`)
  }

  private guarded<A>(operation: () => Promise<A>): Promise<A> {
    let pending: Promise<A>
    try {
      pending = operation()
    } catch (error) {
      pending = Promise.reject(error)
    }
    return pending.catch((error: unknown) => {
      if (writeFailure(error) !== 'value') this.owner.giveUp(storeFailureError(error))
      throw error
    })
  }
}

function ignore(): void {}
