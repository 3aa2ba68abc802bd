export {
  finishedRunStatuses,
  type RunStatus,
  type TaskStatus,
  type ErrorRecord,
  type RunRecord,
  type RunWithSteps,
  type RequestedAction,
  type Fence,
  type NewRun,
  type RunPatch,
  type StepRecord,
  type RunQuery,
  type CreateRunResult,
  type WorkflowVersion,
  type ClaimRequest,
  type RenewResult,
  type StoredEvent,
  type EventNotice,
  type NewEvent,
  type StoreNotification,
  type WorkflowStore,
  type RunStore,
  type RunLeases,
  type StepJournal,
  type EventInbox,
  type ChangeFeed,
  type StoreLifecycle,
  type ReleaseOptions,
} from './workflow-store.js'
export { MemoryWorkflowStore } from './memory-workflow-store.js'
export { isFinished, claimableStatus, unclaimableMessage } from './run-rules.js'
export { SqliteWorkflowStore, sqliteStore, type SqliteStoreOptions } from './sqlite/index.js'
export { serialize, deserialize, defaultSerializationLimits, type SerializationLimits } from './serialization.js'
