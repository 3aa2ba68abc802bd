import type { OutboxStore } from './outbox-store.js'
import { MemorySessions } from './memory-sessions.js'
import { MemoryHistory } from './memory-history.js'
import type { HistoryStore } from './history-store.js'
import { backlogOf, type BacklogStore, type RunBacklog } from './backlog-store.js'
import { MemorySettings } from './memory-settings.js'
import type { SettingsStore } from './settings-store.js'
import type { LocalUserStore, SessionStore } from './session-store.js'
import { LeaseLostError } from '../core/errors.js'
import type { RunId } from '../core/ids.js'
import { claimableStatus, decideAction, isFinished, unclaimableMessage } from './run-rules.js'
import { MemoryOutbox } from './memory-outbox.js'
import type { AuditEntry } from './audit-store.js'
import { MemoryAudit } from './memory-audit.js'
import { defaultSerializationLimits, deserialize, serialize, type SerializationLimits } from './serialization.js'
import type {
  AttemptHistory,
  ClaimRequest,
  ErrorRecord,
  CreateRunResult,
  EventNotice,
  Fence,
  NewEvent,
  NewRun,
  ReleaseOptions,
  RenewResult,
  RequestedAction,
  RunPatch,
  RunQuery,
  RunRecord,
  StepRecord,
  StoredEvent,
  WorkflowStore,
  WorkflowVersion,
} from './workflow-store.js'

interface MemoryEvent extends StoredEvent {
  consumed: boolean
  readonly takenBy: Set<RunId>
}

/**
 * Options of {@link MemoryWorkflowStore}.
 *
 * @example
 * ```ts
 * import { MemoryWorkflowStore } from 'weft-sdk'
 * const store = new MemoryWorkflowStore({ serialization: 'on', limits: { warnBytes: 64_000, maxBytes: 1_000_000 } })
 * ```
 */
export interface MemoryStoreOptions {
  /**
   * `'on'`: inputs, outputs and event payloads are serialized as the durable
   * stores serialize them, so what would fail on SQLite or PostgreSQL (a class
   * instance, a function, a cycle, a value over `limits.maxBytes`) fails here
   * too, with the same `SerializationError` or `PayloadTooLargeError`, and
   * what is read back is a copy (a change to a value after it was stored, or
   * to one read back, does not change the record). Error records are copied
   * as JSON, as the durable stores keep them.
   *
   * `'off'`: values are kept by reference, unchecked and uncopied. Use it
   * only where that cost matters more than the check: a benchmark of the
   * engine itself, or a test that keeps millions of values in one process.
   * Tests should keep the default, or they pass with outputs production refuses.
   * @defaultValue `'on'`
   */
  readonly serialization?: 'on' | 'off'
  /** Size limits of stored inputs, outputs and event payloads (with `serialization: 'on'`). @defaultValue warn at 256 KiB, fail at 2 MiB, as the durable stores */
  readonly limits?: SerializationLimits
}

/** How the store keeps values: as the durable stores' text, or by reference. */
interface ValueKeeper {
  keep(value: unknown, what: string): unknown
  read(kept: unknown): unknown
  error(record: ErrorRecord | undefined): ErrorRecord | undefined
}

const byReference: ValueKeeper = { keep: (value) => value, read: (kept) => kept, error: (record) => record }

function serialized(limits: SerializationLimits): ValueKeeper {
  return {
    keep: (value, what) => serialize(value, what, limits),
    read: (kept) => deserialize(kept as string),
    error: (record) => (record === undefined ? undefined : (JSON.parse(JSON.stringify(record)) as ErrorRecord)),
  }
}

/**
 * A {@link WorkflowStore} in process memory: fast, and gone when the process
 * exits. For tests and for runs that need no durability. By default it
 * refuses and copies values as the durable stores do (see
 * {@link MemoryStoreOptions.serialization}), so a test on it fails where
 * production on SQLite or PostgreSQL would.
 *
 * @example
 * ```ts
 * import { createEngine, MemoryWorkflowStore } from 'weft-sdk'
 * const engine = createEngine({ store: new MemoryWorkflowStore() })
 * // Values by reference, unchecked: for benchmarks of the engine itself.
 * const unchecked = new MemoryWorkflowStore({ serialization: 'off' })
 * ```
 */
export class MemoryWorkflowStore implements WorkflowStore {
  readonly durable = false
  private readonly runs = new Map<RunId, RunRecord>()
  private readonly steps = new Map<RunId, Map<string, StepRecord>>()
  private readonly timers = new Map<string, number>()
  private readonly events: MemoryEvent[] = []
  private readonly values: ValueKeeper
  /** The durable outbox's entries (see `OutboxStore`), inserted with their steps. */
  /** The outbox (the `OutboxStore` port; the store writes entries with their steps through its own face). */
  readonly outbox: OutboxStore
  private readonly outboxTable: MemoryOutbox
  /** Sessions and refresh tokens (see `SessionStore`), in this process only. */
  readonly sessions: SessionStore
  /** Local users and login attempts (see `LocalUserStore`), in this process only. */
  readonly localUsers: LocalUserStore
  /** The audit log (see `AuditStore`); `audit.insert` adds entries synchronously, inside whatever the store is doing. */
  readonly audit = new MemoryAudit()
  /** Database-wide settings (see `SettingsStore`), in this process only. */
  readonly settings: SettingsStore = new MemorySettings()
  /** Historical metrics over the runs and steps in memory (see `HistoryStore`). */
  /** Pending and dead-lettered runs per workflow (see `BacklogStore`), counted over the runs held. */
  readonly backlog: BacklogStore = { backlog: async () => memoryBacklog(this.runs.values()) }
  readonly history: HistoryStore = new MemoryHistory(() => this.runs.values(), (runId) => this.steps.get(runId)?.values() ?? [])

  constructor(options: MemoryStoreOptions = {}) {
    this.values = options.serialization === 'off' ? byReference : serialized(options.limits ?? defaultSerializationLimits)
    this.outboxTable = new MemoryOutbox(this.values)
    this.outbox = this.outboxTable
    const sessions = new MemorySessions(this.audit)
    this.sessions = sessions
    this.localUsers = sessions
  }

  async init(): Promise<void> {}

  async createRun(run: NewRun): Promise<CreateRunResult> {
    const existing = this.runs.get(run.id)
    if (existing !== undefined) {
      if (run.audit !== undefined) this.audit.insert(run.audit)
      return { run: this.view(existing), created: false }
    }
    const { claimBy, audit: _audit, ...fields } = run
    const input = this.values.keep(run.input, `input of run ${run.id}`)
    const record: RunRecord =
      claimBy === undefined
        ? { ...fields, input, status: 'pending', epoch: 0, recoveries: 0 }
        : {
            ...fields,
            input,
            status: 'running',
            epoch: 1,
            recoveries: 0,
            startedAt: run.createdAt,
            leaseOwner: claimBy.owner,
            leaseExpiresAt: run.createdAt + claimBy.leaseMs,
          }
    this.runs.set(run.id, record)
    if (run.audit !== undefined) this.audit.insert(run.audit)
    return { run: this.view(record), created: true }
  }

  async getRun(runId: RunId): Promise<RunRecord | undefined> {
    const run = this.runs.get(runId)
    return run === undefined ? undefined : this.view(run)
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    const limit = query.limit ?? 100
    const newestFirst = (a: RunRecord, b: RunRecord) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
    const cursor = query.before === undefined ? undefined : this.runs.get(query.before)
    if (query.before !== undefined && cursor === undefined) return []
    return [...this.runs.values()]
      .sort(newestFirst)
      .filter(
        (run) =>
          (query.status === undefined || run.status === query.status) &&
          (query.workflow === undefined || run.workflow === query.workflow) &&
          ownedBy(run, query.ownedBy) &&
          (cursor === undefined || newestFirst(cursor, run) < 0),
      )
      .slice(0, limit)
      .map((run) => this.view(run))
  }

  async claimRuns(request: ClaimRequest): Promise<RunRecord[]> {
    const wanted = new Set(request.workflows.map((w) => `${w.name}@${w.version}`))
    const dead = new Set(request.deadOwners ?? [])
    const claimed: RunRecord[] = []
    const candidates = [...this.runs.values()].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
    for (const run of candidates) {
      if (claimed.length >= request.limit) break
      if (!wanted.has(`${run.workflow}@${run.version}`) || !claimableStatus(run, request.now, dead)) continue
      // A run whose worker stopped holding it (a pending one too: see noteUnclaimable).
      const recovered = run.leaseOwner !== undefined
      const next: RunRecord = {
        ...run,
        status: run.status === 'pending' ? 'running' : run.status,
        statusMessage: undefined,
        startedAt: run.startedAt ?? request.now,
        epoch: run.epoch + 1,
        recoveries: run.recoveries + (recovered ? 1 : 0),
        leaseOwner: request.owner,
        leaseExpiresAt: request.now + request.leaseMs,
      }
      this.runs.set(run.id, next)
      claimed.push(this.view(next))
    }
    return claimed
  }

  async noteUnclaimable(workflows: readonly WorkflowVersion[], now: number): Promise<number> {
    const known = new Set(workflows.map((w) => `${w.name}@${w.version}`))
    let noted = 0
    for (const run of this.runs.values()) {
      if (known.has(`${run.workflow}@${run.version}`) || !claimableStatus(run, now, new Set())) continue
      const statusMessage = unclaimableMessage(run.workflow, run.version)
      if (run.statusMessage === statusMessage && run.status !== 'running') continue
      this.runs.set(run.id, { ...run, status: run.status === 'running' ? 'pending' : run.status, statusMessage })
      noted++
    }
    return noted
  }

  async renewLeases(owner: string, fences: readonly Fence[], leaseMs: number, now: number): Promise<RenewResult> {
    const lost: RunId[] = []
    const requested: { runId: RunId; action: RequestedAction }[] = []
    for (const fence of fences) {
      const run = this.runs.get(fence.runId)
      if (run === undefined || run.epoch !== fence.epoch || run.leaseOwner !== owner) {
        lost.push(fence.runId)
        continue
      }
      this.runs.set(run.id, { ...run, leaseExpiresAt: now + leaseMs })
      if (run.requestedAction !== undefined) requested.push({ runId: run.id, action: run.requestedAction })
    }
    return { lost, requested }
  }

  async releaseRuns(owner: string, fences: readonly Fence[], options: ReleaseOptions = {}): Promise<void> {
    const { failure } = options
    for (const fence of fences) {
      const run = this.runs.get(fence.runId)
      if (run?.epoch !== fence.epoch || run.leaseOwner !== owner) continue
      this.runs.set(run.id, failure === undefined ? { ...run, leaseOwner: undefined, leaseExpiresAt: undefined } : { ...run, leaseExpiresAt: 0, statusMessage: failure })
    }
  }

  async leaseOwners(now: number): Promise<string[]> {
    const owners = new Set<string>()
    for (const run of this.runs.values()) {
      if (!isFinished(run.status) && run.leaseOwner !== undefined && (run.leaseExpiresAt ?? 0) > now) owners.add(run.leaseOwner)
    }
    return [...owners]
  }

  async updateRun(fence: Fence, patch: RunPatch): Promise<void> {
    const run = this.fenced(fence)
    const finished = patch.status !== undefined && isFinished(patch.status)
    if (patch.error !== undefined) patch = { ...patch, error: this.values.error(patch.error) }
    this.runs.set(run.id, { ...run, ...patch, ...(finished ? { leaseOwner: undefined, leaseExpiresAt: undefined, requestedAction: undefined } : {}) })
  }

  async requestAction(runId: RunId, action: RequestedAction, now: number, audit?: readonly AuditEntry[]): Promise<RunRecord | undefined> {
    const run = this.runs.get(runId)
    if (run === undefined) return undefined
    if (audit !== undefined) this.audit.insert(audit)
    const decision = decideAction(run, action, now)
    let next = run
    if (decision.kind === 'cancel-now') next = { ...run, ...decision.patch, error: this.values.error(decision.patch.error) }
    else if (decision.kind === 'revive') next = { ...run, status: 'pending', statusMessage: undefined, recoveries: 0, finishedAt: undefined }
    else if (decision.kind === 'ask-worker') next = { ...run, requestedAction: action }
    this.runs.set(runId, next)
    return this.view(next)
  }

  async clearAction(fence: Fence): Promise<void> {
    const run = this.fenced(fence)
    this.runs.set(run.id, { ...run, requestedAction: undefined })
  }

  async saveStep(fence: Fence, step: StepRecord): Promise<StepRecord> {
    this.fenced(fence)
    if (step.outbox === undefined || step.outbox.length === 0 || step.status !== 'completed') return this.insertStep(step)
    // Kept before the step is inserted: a payload it refuses fails the write and stores nothing.
    const entries = this.outboxTable.prepare(step.runId, step.key, step.outbox, step.finishedAt)
    const existing = this.insertKept(this.kept(step))
    if (existing !== undefined) return this.stepView(existing)
    this.outboxTable.insert(entries)
    return step
  }

  async loadSteps(runId: RunId): Promise<StepRecord[]> {
    return [...(this.steps.get(runId)?.values() ?? [])].map((step) => this.stepView(step))
  }

  async timer(fence: Fence, key: string, wakeAt: number): Promise<number> {
    this.fenced(fence)
    const id = `${fence.runId}\u0000${key}`
    const stored = this.timers.get(id)
    if (stored !== undefined) return stored
    this.timers.set(id, wakeAt)
    return wakeAt
  }

  async sendEvent(event: NewEvent): Promise<number> {
    const payload = this.values.keep(event.payload, `payload of event "${event.name}"`)
    const id = this.events.length + 1
    if (event.audit !== undefined) this.audit.insert(event.audit)
    this.events.push({ id, name: event.name, runId: event.runId, payload, sentAt: event.sentAt, consumed: false, takenBy: new Set() })
    return id
  }

  async eventsAfter(afterId: number, limit: number): Promise<EventNotice[]> {
    return this.events.slice(afterId, afterId + limit).map(({ id, name, runId }) => ({ id, name, runId }))
  }

  async latestEventId(): Promise<number> {
    return this.events.length
  }

  async pendingEvents(runId: RunId, name: string, since: number): Promise<StoredEvent[]> {
    return this.events
      .filter((e) => e.name === name && (e.runId === runId ? !e.consumed : e.runId === undefined && e.sentAt >= since && !e.takenBy.has(runId)))
      .map(({ id, runId: to, payload, sentAt }) => ({ id, name, runId: to, payload: this.values.read(payload), sentAt }))
  }

  async takeEvent(fence: Fence, event: StoredEvent, step: StepRecord): Promise<boolean> {
    this.fenced(fence)
    const kept = this.kept(step)
    const stored = this.events[event.id - 1]
    if (stored === undefined || stored.takenBy.has(fence.runId) || (stored.runId !== undefined && stored.consumed)) return false
    stored.takenBy.add(fence.runId)
    if (stored.runId !== undefined) stored.consumed = true
    this.insertKept(kept)
    return true
  }

  async close(): Promise<void> {}

  /**
   * Records a step unless its key is stored. Returns the step given when it
   * is recorded (as the durable stores do), else a copy of the stored one.
   */
  private insertStep(step: StepRecord): StepRecord {
    const existing = this.insertKept(this.kept(step))
    return existing === undefined ? step : this.stepView(existing)
  }

  /** Stores a step as kept; returns the step stored before under its key, if any. */
  private insertKept(step: StepRecord): StepRecord | undefined {
    let steps = this.steps.get(step.runId)
    if (steps === undefined) {
      steps = new Map()
      this.steps.set(step.runId, steps)
    }
    const existing = steps.get(step.key)
    if (existing === undefined) steps.set(step.key, step)
    return existing
  }

  /** A step as stored: a completed one's output kept (checked first: a refusal writes nothing), others without one. */
  private kept(step: StepRecord): StepRecord {
    if (this.values === byReference) return step
    // A literal, not a rest spread: this runs once per step.
    return {
      runId: step.runId,
      key: step.key,
      task: step.task,
      status: step.status,
      output: step.status === 'completed' ? this.values.keep(step.output, `output of step "${step.key}" of run ${step.runId}`) : undefined,
      error: this.values.error(step.error),
      attempts: step.attempts,
      startedAt: step.startedAt,
      finishedAt: step.finishedAt,
      // Kept as the durable stores keep it: JSON text, read back as a copy.
      history: step.history === undefined ? undefined : (JSON.parse(JSON.stringify(step.history)) as AttemptHistory),
      usage: step.usage === undefined ? undefined : { tokens: step.usage.tokens, costUsd: step.usage.costUsd },
    }
  }

  /** A stored step as read: a completed one's output a copy. */
  private stepView(step: StepRecord): StepRecord {
    return this.values === byReference || step.status !== 'completed' ? step : { ...step, output: this.values.read(step.output) }
  }

  /** A stored run as read: its input a copy. */
  private view(run: RunRecord): RunRecord {
    return this.values === byReference ? run : { ...run, input: this.values.read(run.input) }
  }

  private fenced(fence: Fence): RunRecord {
    const run = this.runs.get(fence.runId)
    if (run === undefined || run.epoch !== fence.epoch) throw new LeaseLostError(fence.runId, fence.epoch)
    return run
  }
}

/** Whether `run` passes a listing's owner filter (see `RunQuery.ownedBy`). */
function ownedBy(run: RunRecord, owner: RunQuery['ownedBy']): boolean {
  if (owner === undefined) return true
  return run.principal === owner.subject || (owner.tenant !== undefined && run.tenant === owner.tenant)
}

/** The backlog of runs held in memory: a pass over them (the memory store is for tests and small programs). */
function memoryBacklog(runs: Iterable<RunRecord>): RunBacklog {
  const groups = new Map<string, { status: string; workflow: string; n: number; oldest: number }>()
  for (const run of runs) {
    if (run.status !== 'pending' && run.status !== 'dead-lettered') continue
    const key = `${run.status}\u0000${run.workflow}`
    const group = groups.get(key)
    if (group === undefined) groups.set(key, { status: run.status, workflow: run.workflow, n: 1, oldest: run.createdAt })
    else {
      group.n++
      group.oldest = Math.min(group.oldest, run.createdAt)
    }
  }
  return backlogOf([...groups.values()])
}
