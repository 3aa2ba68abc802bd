import type { RunId } from '../core/ids.js'
import type { AuditEntry } from './audit-store.js'
import type {
  ChangeFeed,
  ClaimRequest,
  CreateRunResult,
  EventInbox,
  EventNotice,
  Fence,
  NewEvent,
  NewRun,
  ReleaseOptions,
  RenewResult,
  RequestedAction,
  RunLeases,
  RunPatch,
  RunQuery,
  RunRecord,
  RunStore,
  RunWithSteps,
  StepJournal,
  StepRecord,
  StoredEvent,
  StoreNotification,
  WorkflowStore,
  WorkflowVersion,
} from './workflow-store.js'

/** The role implementations a SQL store is made of (see {@link ComposedWorkflowStore}). */
export interface StoreRoles {
  readonly runs: RunStore
  readonly leases: RunLeases
  readonly journal: StepJournal
  readonly inbox: EventInbox
  readonly feed: ChangeFeed
}

/**
 * A {@link WorkflowStore} assembled from one implementation per role: the
 * SQL stores write each role in a file of its own and inherit the port's
 * shape from here; they add the lifecycle (`init`, `probe`, `close`).
 * The optional operations exist exactly when the role has them.
 */
export abstract class ComposedWorkflowStore implements WorkflowStore {
  abstract readonly durable: boolean
  readonly saveFinalStep?: (fence: Fence, step: StepRecord, patch: RunPatch) => Promise<StepRecord>
  readonly getRunWithSteps?: (runId: RunId) => Promise<RunWithSteps | undefined>
  readonly subscribe?: (listener: (notification: StoreNotification) => void) => Promise<() => Promise<void>>

  protected constructor(private readonly roles: StoreRoles) {
    const { runs, journal, feed } = roles
    if (journal.saveFinalStep !== undefined) this.saveFinalStep = journal.saveFinalStep.bind(journal)
    if (runs.getRunWithSteps !== undefined) this.getRunWithSteps = runs.getRunWithSteps.bind(runs)
    if (feed.subscribe !== undefined) this.subscribe = feed.subscribe.bind(feed)
  }

  abstract init(): Promise<void>
  abstract close(): Promise<void>

  createRun(run: NewRun): Promise<CreateRunResult> {
    return this.roles.runs.createRun(run)
  }

  getRun(runId: RunId): Promise<RunRecord | undefined> {
    return this.roles.runs.getRun(runId)
  }

  listRuns(query?: RunQuery): Promise<RunRecord[]> {
    return this.roles.runs.listRuns(query)
  }

  updateRun(fence: Fence, patch: RunPatch): Promise<void> {
    return this.roles.runs.updateRun(fence, patch)
  }

  requestAction(runId: RunId, action: RequestedAction, now: number, audit?: readonly AuditEntry[]): Promise<RunRecord | undefined> {
    return this.roles.runs.requestAction(runId, action, now, audit)
  }

  clearAction(fence: Fence): Promise<void> {
    return this.roles.runs.clearAction(fence)
  }

  claimRuns(request: ClaimRequest): Promise<RunRecord[]> {
    return this.roles.leases.claimRuns(request)
  }

  noteUnclaimable(workflows: readonly WorkflowVersion[], now: number): Promise<number> {
    return this.roles.leases.noteUnclaimable(workflows, now)
  }

  renewLeases(owner: string, fences: readonly Fence[], leaseMs: number, now: number): Promise<RenewResult> {
    return this.roles.leases.renewLeases(owner, fences, leaseMs, now)
  }

  releaseRuns(owner: string, fences: readonly Fence[], options?: ReleaseOptions): Promise<void> {
    return this.roles.leases.releaseRuns(owner, fences, options)
  }

  leaseOwners(now: number): Promise<string[]> {
    return this.roles.leases.leaseOwners(now)
  }

  saveStep(fence: Fence, step: StepRecord): Promise<StepRecord> {
    return this.roles.journal.saveStep(fence, step)
  }

  loadSteps(runId: RunId): Promise<StepRecord[]> {
    return this.roles.journal.loadSteps(runId)
  }

  timer(fence: Fence, key: string, wakeAt: number): Promise<number> {
    return this.roles.journal.timer(fence, key, wakeAt)
  }

  sendEvent(event: NewEvent): Promise<number> {
    return this.roles.inbox.sendEvent(event)
  }

  pendingEvents(runId: RunId, name: string, since: number): Promise<StoredEvent[]> {
    return this.roles.inbox.pendingEvents(runId, name, since)
  }

  takeEvent(fence: Fence, event: StoredEvent, step: StepRecord): Promise<boolean> {
    return this.roles.inbox.takeEvent(fence, event, step)
  }

  eventsAfter(afterId: number, limit: number): Promise<readonly EventNotice[]> {
    return this.roles.feed.eventsAfter(afterId, limit)
  }

  latestEventId(): Promise<number> {
    return this.roles.feed.latestEventId()
  }
}
