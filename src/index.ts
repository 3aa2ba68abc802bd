/**
 * Weft: typed, durable agentic workflows for TypeScript.
 *
 * @packageDocumentation
 */

// Engine
export { Engine, createEngine, type StartOptions, type StartArgs, type EmitResult, type CloseOptions } from './engine/engine.js'
export { engineSettings, type EngineConfig, type EngineSettings } from './engine/engine-config.js'
export { WorkflowRun, type RunBackend } from './engine/workflow-run.js'
export { RunResult } from './engine/run-result.js'

// Authoring
export { WorkflowBase } from './authoring/workflow-base.js'
export {
  Workflow,
  type WorkflowOptions,
  type DeclaredInput,
  type DeclaredEncodedInput,
  type SchemaMatches,
} from './authoring/workflow-decorator.js'
export { Task, DependsOn, type TaskOptions } from './authoring/task-decorators.js'
export { Retry, Timeout, CircuitBreaker, RateLimit, Bulkhead, Cache } from './authoring/policy-decorators.js'
export { When, OnFailure, Always, Loop, type AlwaysOptions, type OnFailureOptions, type LoopDecoratorOptions } from './authoring/flow-decorators.js'
export { defaultCleanupTimeout } from './graph/compile-graph.js'
export {
  defineWorkflow,
  type DefineWorkflowOptions,
  type DefineTaskOptions,
  type DefineLoopOptions,
  type DefineAlwaysOptions,
  type DefinedTaskArgs,
  type DefinedValues,
  type FreshName,
  type KnownDependencies,
  type LoopState,
  type Rest,
  type InputSchemaOf,
  type WorkflowBuilder,
} from './authoring/define-workflow.js'
export { compileWorkflow } from './authoring/compile-workflow.js'
export type {
  InputSchema,
  WorkflowClass,
  WorkflowDefinition,
  AnyWorkflow,
  WorkflowInput,
  WorkflowOutputs,
} from './authoring/workflow-ref.js'

// Task context and results
export type {
  TaskContext,
  LoopContext,
  LoopResult,
  TaskFailure,
  WaitForEventOptions,
  EventStreamOptions,
  EventStream,
  MapOptions,
} from './graph/task-context.js'

// Graph
export { toMermaid } from './graph/mermaid.js'
export type {
  WorkflowGraph,
  TaskNode,
  TaskKind,
  Dependency,
  TaskPolicies,
  TaskCondition,
  RetryPolicy,
  CircuitBreakerPolicy,
  RateLimitPolicy,
  CachePolicy,
  BulkheadPolicy,
} from './graph/workflow-graph.js'
export type {
  RetryOptions,
  BackoffOptions,
  CircuitBreakerOptions,
  RateLimitOptions,
  CacheOptions,
  BulkheadOptions,
  LoopOptions,
  ErrorClass,
} from './graph/policy-options.js'

// Type-level checks (what the decorators constrain their method with)
export type {
  WeftTypeError,
  WeftTypeMismatch,
  Verdict,
  InputOf,
  EncodedInputOf,
  TaskName,
  TaskOutput,
  TaskOutputs,
  IsLoopBody,
  Normalize,
  DependencyRef,
  DependencyName,
  IsOptional,
  DependencyValue,
  DependsOnCheck,
  TaskCheck,
  ArgumentsCheck,
  LoopCheck,
  OnFailureCheck,
} from './graph/type-level.js'

// Events and stats
export type {
  WeftEvent,
  WeftEventType,
  WeftEventOf,
  RunEvent,
  RunStarted,
  RunCompleted,
  RunFailed,
  RunCancelled,
  RunPaused,
  RunResumed,
  TaskStarted,
  TaskRetrying,
  TaskCompleted,
  TaskFailed,
  TaskSkipped,
  TaskCancelled,
  BreakerTransitioned,
} from './runtime/run-events.js'
export type { WeftListener, ListenerErrorHandler } from './runtime/event-hub.js'
export { maxLoggedRetriesPerTask } from './runtime/run-reporter.js'
export type { RunOutcome, TaskSummary } from './runtime/run-outcome.js'
export type { EngineStats } from './runtime/runtime-stats.js'
export type { CircuitState } from './resilience/circuit-breakers.js'

// Storage
export { MemoryWorkflowStore } from './storage/memory-workflow-store.js'
export { SqliteWorkflowStore, sqliteStore, type SqliteStoreOptions } from './storage/sqlite/sqlite-workflow-store.js'
export type { SqliteDatabaseLike, SqliteStatementLike, SqliteRunResult } from './storage/sqlite/sqlite-database.js'
export { serialize, deserialize, inputDigest, defaultSerializationLimits, type SerializationLimits } from './storage/serialization.js'
export {
  finishedRunStatuses,
  type WorkflowStore,
  type RunRecord,
  type RunWithSteps,
  type NewRun,
  type RunPatch,
  type StepRecord,
  type RunQuery,
  type CreateRunResult,
  type RunStatus,
  type TaskStatus,
  type ErrorRecord,
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

// Step keys (how step records are identified; for tools that read the store)
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
export { assertStorableName, storableNameProblem } from './core/storable-name.js'

// Core
export { type Duration, type DurationUnit, toMillis, formatMillis } from './core/duration.js'
export { type RunId, newRunId } from './core/ids.js'
export { withoutPassword } from './core/connection-url.js'
export {
  WeftError,
  type WeftErrorOptions,
  type WeftErrorCode,
  isWeftError,
  CycleError,
  UnknownDependencyError,
  DuplicateTaskError,
  EmptyWorkflowError,
  InvalidOptionsError,
  InvalidWorkflowError,
  type InputIssue,
  InputValidationError,
  TaskTimeoutError,
  CircuitOpenError,
  RateLimitedError,
  BulkheadRejectedError,
  EventTimeoutError,
  RunCancelledError,
  RunFailedError,
  WorkflowNotRegisteredError,
  RunNotFoundError,
  TaskOutputMissingError,
  EngineClosedError,
  SerializationError,
  PayloadTooLargeError,
  RunConflictError,
  LeaseLostError,
  RunFinishedError,
  NewerSchemaError,
  NotAWeftDatabaseError,
  ContextClosedError,
  UninspectableThrowError,
  StorageError,
  type StorageFailureReason,
  describeCause,
} from './core/errors.js'
