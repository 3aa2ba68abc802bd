/**
 * Weft's store SPI (`weft/store`): for those who write a store, or a tool that
 * reads one directly. It holds the `WorkflowStore` port and the role
 * interfaces it combines, the records stores keep, the SQLite driver subset,
 * serialization, step keys and name rules.
 *
 * A workflow author does not need it: the stores themselves (`sqliteStore`,
 * `MemoryWorkflowStore`) and the records the engine's API returns
 * (`RunRecord`, `RunStatus`, ...) are in `weft`, and `postgresStore` in
 * `weft/postgres`.
 *
 * @example
 * ```ts
 * import { MemoryWorkflowStore } from 'weft-sdk'
 * import { parseStepKey, type WorkflowStore } from 'weft-sdk/store'
 *
 * // The keys of a run's own task steps (not loop iterations, items or events).
 * async function taskKeys(store: WorkflowStore, runId: string): Promise<string[]> {
 *   const steps = await store.loadSteps(runId)
 *   return steps.filter((step) => parseStepKey(step.key)?.length === 1).map((step) => step.key)
 * }
 * void taskKeys(new MemoryWorkflowStore(), 'r-1')
 * ```
 *
 * @packageDocumentation
 */

// The port and its roles
export type {
  WorkflowStore,
  RunStore,
  RunLeases,
  StepJournal,
  EventInbox,
  ChangeFeed,
  StoreLifecycle,
} from './storage/workflow-store.js'
export type { OutboxStore, NewOutboxEntry, OutboxEntry, OutboxStatus, OutboxClaimRequest, OutboxClaim, OutboxSettlement, OutboxQuery, OutboxCounts, OutboxRequeueRequest } from './storage/outbox-store.js'
// Pending and dead-lettered runs (the store's backlog role, for the alert rules run-waiting and dead-letters)
export type { BacklogStore, RunBacklog } from './storage/backlog-store.js'
// Historical metrics (the store's history role, for engine.history() and weft stats)
export type { HistoryStore, HistoryQuery, WorkflowHistoryRow, TaskHistoryRow, DurationPercentiles, RecoveryStepRow, StepRecovery } from './storage/workflow-store.js'

// What stores keep and exchange
export {
  finishedRunStatuses,
  type RunWithSteps,
  type NewRun,
  type RunPatch,
  type StepRecord,
  type AttemptRecord,
  type AttemptHistory,
  type AttemptOutcome,
  maxRecordedAttempts,
  type CreateRunResult,
  type Fence,
  type RequestedAction,
  type WorkflowVersion,
  type ClaimRequest,
  type RenewResult,
  type ReleaseOptions,
  type StoredEvent,
  type EventNotice,
  type NewEvent,
  type StoreNotification,
} from './storage/workflow-store.js'

// A step's attempts
export { stepAttempts, omittedAttempts, type AttemptSource } from './storage/attempt-history.js'

// SQLite: the subset of a driver the store needs (better-sqlite3 has it)
export type { SqliteDatabaseLike, SqliteStatementLike, SqliteRunResult } from './storage/sqlite/sqlite-database.js'

// Serialization of inputs, outputs and payloads
export { serialize, deserialize, inputDigest, defaultSerializationLimits, type SerializationLimits } from './storage/serialization.js'

// Encoding of stored values (the stores' `codec` option; the payload codec encrypts) and re-encryption after a key rotation
export { clearValueCodec, encryptedValuePrefix, describeLocation, type CodecKeyIds, type ValueCodec, type ValueLocation } from './storage/value-codec.js'
export type { KeyUsage, ReencryptOptions, RotationCursor, RotationProgress, RotationTable } from './storage/sql/value-rotation.js'

// Database-wide settings (store.settings), among them the record that security is enabled
export { readSecuritySetting, enableSecuritySetting, securitySettingName, type SettingsStore, type SecuritySetting } from './storage/settings-store.js'
export { keysSettingName, nextKeysSetting, parseKeysSetting, readKeysSetting, recordKeyIds, type KeysSetting } from './storage/key-ids-setting.js'

// Step keys (how step records are identified)
export {
  formatStepKey,
  formatStepSegment,
  parseStepKey,
  stepKeyKind,
  taskStepKey,
  isTaskStepKey,
  encodeStepName,
  InvalidStepPathError,
  type StepSegment,
  type StepPath,
  type StepKeyKind,
} from './core/step-key.js'

// Lease owners: whether a worker of this host is gone
export { isDeadOwner } from './runtime/owner-id.js'

// Names a store accepts, and connection URLs fit to print
export { assertStorableName, storableNameProblem } from './core/storable-name.js'
export { withoutPassword } from './core/connection-url.js'

// The audit log: its store role, and verification of a store's chains against signed checkpoints (`weft audit verify`)
export { auditOutcomes, type AuditStore, type AuditEntry, type NewAuditEntry, type AuditAction, type AuditOutcome, type AuditQuery, type AuditPage, type AuditChainHead } from './storage/audit-store.js'
export { MemoryAudit } from './storage/memory-audit.js'
export { verifyAudit, verifyAuditOrThrow, readCheckpointFile, type VerifyAuditOptions, type AuditReport, type AuditChainReport, type AuditProblem, type AuditProblemKind, type CheckpointProblem } from './security/audit-verify.js'
export { auditEntryHash, canonicalAuditEncoding, auditGenesisHash, type AuditEntryContent } from './security/audit-chain.js'
export { isCheckpointSigned, type AuditCheckpoint, type CheckpointHead } from './security/audit-checkpoints.js'
// Sessions and local users (the security layer's store roles)
export {
  decideAttempt,
  isActiveSession,
  refusedRotation,
  reusedTokenReason,
  type SessionStore,
  type LocalUserStore,
  type SessionRecord,
  type NewSession,
  type NewRefreshToken,
  type RefreshTokenRecord,
  type RotationRequest,
  type RotationOutcome,
  type LocalUserRecord,
  type LockoutPolicy,
  type LoginAttempts,
  type AttemptDecision,
  type AuditEntriesOf,
} from './storage/session-store.js'
