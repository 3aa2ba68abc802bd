/**
 * Weft: typed, durable agentic workflows for TypeScript.
 *
 * @packageDocumentation
 */

// Engine
export { Engine, createEngine, type StartOptions, type StartArgs, type EmitResult, type CloseOptions } from './engine/engine.js'
export { engineSettings, withAlertMetrics, type EngineConfig, type EngineSettings } from './engine/engine-config.js'
export type { WorkflowResolver, ParameterRequest, ResolverFixes } from './engine/workflow-resolver.js'
export { TsyringeResolver } from './engine/tsyringe-resolver.js'
export { WorkflowRun, type RunBackend, type WorkflowResult, type WorkflowRunOf, type SignalName, type SignalPayload } from './engine/workflow-run.js'
export { RunResult, type RunResultJson } from './engine/run-result.js'

// Adapters (integration)
export { AdapterRegistry, type AdapterToken, type AdapterRegistration, type AdapterReport, type EngineHealth } from './engine/adapter-registry.js'
export {
  isAdapter,
  type Adapter,
  type AdapterState,
  type AdapterHealth,
  type AdapterStats,
  type OperationStats,
  type BreakerStatus,
  type LimiterStatus,
} from './integration/adapter.js'
export { AdapterBase, type AdapterBaseOptions, type CallOptions } from './integration/adapter-base.js'
export type { AdapterCacheOptions, AdapterPolicyOptions, AdapterPolicyStateOptions, AdapterResilienceOptions, CallBody } from './integration/adapter-policies.js'
export { LatencyWindow, latencyWindowSize, nearestRank, type LatencyPercentiles } from './integration/latency-window.js'
export type { Bindable, CallContext, CallReport } from './graph/call-context.js'
// The durable outbox (a publish recorded with its step, delivered at least once with a stable id)
export { EngineOutbox, type OutboxOptions, type OutboxRetryOptions } from './integration/outbox/engine-outbox.js'
export { isOutboxTarget, type OutboxTarget } from './integration/outbox/outbox-target.js'
export type { OutboxEntry, OutboxStatus, OutboxQuery, OutboxCounts, NewOutboxEntry } from './storage/outbox-store.js'
export { OutboxUnavailableError, OutboxPayloadError } from './core/outbox-errors.js'
export type { StepUsage } from './core/step-usage.js'
export { HttpAdapter, retryAfterMs, type HttpAdapterOptions, type HttpRequest, type HttpResult, type HttpCallOptions, type HttpClient } from './integration/http/http-adapter.js'
export { reveal, type HttpAuth, type Secret } from './integration/http/http-auth.js'

// Authoring
export { WorkflowBase, type WorkflowBaseWithInput, type WorkflowBaseWithEvents } from './authoring/workflow-base.js'
export type { ResultDeclaration, ResultRef, NoDeclaredResult } from './authoring/workflow-result.js'
export { Workflow, type WorkflowOptions } from './authoring/workflow-decorator.js'
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
  type DefineFailureHandlerOptions,
  type DefinedRecoverOptions,
  type BuildOptions,
  type WorkflowBuilder,
  type WorkflowStart,
  type WorkflowWithServices,
  type WithServices,
} from './authoring/define-workflow.js'
export { token, type ServiceToken, type ServiceKey, type ServiceMap, type ServicesOf } from './authoring/service-token.js'
export type { WeftContainer, TokenRegistrations } from './engine/weft-container.js'
export { compileWorkflow } from './authoring/compile-workflow.js'
export type {
  InputSchema,
  WorkflowClass,
  WorkflowDefinition,
  AnyWorkflow,
  WorkflowInput,
  WorkflowOutputs,
  WorkflowEvents,
  WorkflowResultValue,
  WorkflowResultDeclaration,
} from './authoring/workflow-ref.js'

// Task context and results
export type {
  TaskContext,
  LoopContext,
  LoopResult,
  TaskFailure,
  WaitForEventOptions,
  WaitForSchemaEventOptions,
  PayloadSchema,
  EventSchemas,
  EventStreamOptions,
  EventStream,
  MapOptions,
  AllMapOptions,
  SettledMapOptions,
  MapItemResult,
  MapItemValue,
  MapItemFailed,
  MapItemError,
  MapItemContext,
  MapItemFunction,
  NoFailFastWhenSettled,
} from './graph/task-context.js'

// Graph
export { toMermaid } from './graph/mermaid.js'
export type {
  WorkflowGraph,
  WorkflowResultSpec,
  ResultTask,
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

// Types an author names (the checks themselves are in weft/types)
export type { InputOf, TaskName, TaskOutput, TaskOutputs } from './graph/type-level.js'

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
  RunRecovered,
  RunDeadLettered,
  TaskStarted,
  TaskRetrying,
  TaskProgress,
  TaskCallReported,
  TaskCompleted,
  TaskFailed,
  TaskSkipped,
  TaskCancelled,
  EventRefused,
  BreakerTransitioned,
  AdapterCallFailed,
  AdapterEvent,
  OutboxDelivered,
  OutboxFailed,
  OutboxEvent,
} from './runtime/run-events.js'
export type { WeftListener, ListenerErrorHandler } from './runtime/event-hub.js'
export type { RunTracing, TracedRunStart } from './runtime/run-tracing.js'
export { maxLoggedRetriesPerTask } from './runtime/run-reporter.js'
export { maxLoggedProgressPerTask } from './runtime/run-events.js'
export type { RunOutcome, TaskSummary } from './runtime/run-outcome.js'
export type { EngineStats } from './runtime/runtime-stats.js'
export type { CircuitState } from './resilience/circuit-breakers.js'
export { memoryPolicyState, type PolicyStateStore } from './resilience/policy-services.js'

// Stores (the store SPI is in weft/store, PostgreSQL in weft/postgres)
export { MemoryWorkflowStore, type MemoryStoreOptions } from './storage/memory-workflow-store.js'
export { SqliteWorkflowStore, sqliteStore, type SqliteStoreOptions } from './storage/sqlite/sqlite-workflow-store.js'
// What the engine's API returns about runs (Engine.listRuns, WorkflowRun.status)
export type { RunRecord, RunQuery, RunStatus, TaskStatus, ErrorRecord } from './storage/workflow-store.js'

// Error classification and recovery strategies (issue 12: @Recover, the taxonomy, engine.stats().recovery)
export { Recover } from './authoring/policy-decorators.js'
export type {
  BuiltInErrorClass,
  ErrorClassName,
  ErrorFacts,
  ErrorRule,
  RecoverOptions,
  RecoveryStrategyOptions,
  RecoveryStrategyKind,
  RecoveryStrategies,
} from './graph/recovery-options.js'
export type { RecoveryStrategy, RecoveryPolicy, FallbackRun } from './graph/workflow-graph.js'
export type { FallbackContext, FallbackFunction } from './graph/fallback-options.js'
export { builtInErrorRules } from './resilience/recovery/built-in-rules.js'
export { ErrorClassifier, createErrorClassifier, type ErrorClassification, type ErrorClassifierOptions } from './resilience/recovery/error-classifier.js'
export type { ErrorRecordLike } from './resilience/recovery/error-facts.js'
export type { RecoveryCounts, RecoveryStatsSnapshot, RecoveryReport, RecoveryListener } from './resilience/recovery/recovery-stats.js'
export type { TaskErrorClassified } from './runtime/run-events.js'

// Core
export { type Duration, type DurationUnit, toMillis, formatMillis } from './core/duration.js'
export { type RunId, newRunId } from './core/ids.js'
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
  ResultDeclarationError,
  type InputIssue,
  InputValidationError,
  TaskTimeoutError,
  CircuitOpenError,
  RateLimitedError,
  BulkheadRejectedError,
  EventTimeoutError,
  MapItemsFailedError,
  type MapItemFailure,
  FallbackFailedError,
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
  WrongWorkflowError,
  EventPayloadError,
  RecordedPayloadError,
  NewerSchemaError,
  NotAWeftDatabaseError,
  ContextClosedError,
  UninspectableThrowError,
  SqliteDriverMissingError,
  StorageError,
  type StorageFailureReason,
  describeCause,
  HttpStatusError,
  isRetryableStatus,
  HttpNetworkError,
  HttpDecodeError,
  HttpResponseTooLargeError,
  AdapterClosedError,
} from './core/errors.js'

// Security (principals, the secure path's ports, their errors)
export { principal, isPrincipal, maxPrincipalFieldLength, type Principal, type Credentials } from './security/principal.js'
export type { Authenticator, Authorizer, AccessRequest, AccessDecision, RunOwner, AuditRecord, AuditOutcome, AuditSink, PrincipalLimiter } from './security/ports.js'
export { securityTokens, type SecurityConfig, type AccessOptions, type Caller } from './engine/secure-path.js'
export { EngineAs } from './engine/engine.js'
export { MemoryAuditSink } from './security/memory-audit.js'
export { RequiresPermission } from './authoring/security-decorators.js'
export { parsePermission, permissionMatches, formatPermission, maxPermissionLength, type Permission, type ActionPattern, type ResourcePattern } from './security/permissions.js'
export { Rbac, runInScope, type RbacConfig, type RunListScope, type EffectiveRules } from './security/rbac.js'
export type { RoleConfig, RoleRule } from './security/rbac-rules.js'
export { JwtAuthenticator, type JwtAuthenticatorStats } from './security/jwt-authenticator.js'
export { JwtIssuer, generateJwtKeys, type JwtIssuerOptions, type JwtSubject, type JwtKeyPair, type JwtKeyOptions } from './security/jwt-issuer.js'
export { jwtAlgorithms, type JwtAlgorithm, type JwtAuthenticatorOptions, type JwtKeySource } from './security/jwt-options.js'
export { SessionManager, createSessionManager, type AccessTokenClaims, type AccessTokenSigner, type SessionCheck, type SessionTokens, type SessionManagerOptions, type LogoutTarget } from './security/sessions.js'
export { LocalUsers, createLocalUsers, type LocalUsersOptions, type NewLocalUser } from './security/local-users.js'
export { hashPassword, verifyPasswordHash, needsRehash, checkScryptParameters, defaultScryptParameters, type ScryptParameters } from './security/password-hash.js'
export { PrincipalLimits, type PrincipalLimit, type PrincipalLimitsConfig, type OperationLimits } from './security/principal-limits.js'
export { sqlitePolicyState, type SqlitePolicyStateOptions } from './integration/shared-state/sqlite-policy-state.js'
export { AuditLog, type AuditLogOptions, auditChainName } from './security/audit-log.js'
export { AuditSigner, generateAuditKeys, auditKeyId, checkpointPayload, FileCheckpointSink, type CheckpointSink } from './security/audit-checkpoints.js'
export type { AuditLogSettings } from './security/store-audit-sink.js'
export type { AuditTrailOptions } from './security/audit-trail.js'
export { createPayloadCodec, type PayloadCodec, type PayloadCodecOptions } from './security/payload-codec.js'
export { staticKeyProvider, envKeyProvider, fileKeyProvider, type KeyProvider, type EncryptionKey, type KeyMaterial, type EnvKeyProviderOptions } from './security/key-provider.js'
export {
  InvalidPrincipalError,
  AuthenticationError,
  AuthorizationError,
  InvalidPermissionError,
  SecurityConfigError,
  DecryptionError,
  UnknownKeyError,
  AuditIntegrityError,
  type AuthenticationFailure,
} from './core/security-errors.js'

// Analysis of a workflow's history (critical path, bottlenecks, suggestions; `weft analyze`)
export { toAnalysisGraph, type AnalysisGraph, type AnalysisTask, type RecordedRun } from './observability/analysis/analysis-input.js'
export { analyzeWorkflow, type AnalysisOptions, type AnalysisSample, type WorkflowAnalysis } from './observability/analysis/analyze-workflow.js'
export { formatAnalysis } from './observability/analysis/analysis-text.js'
export { defaultAnalysisThresholds, findBottlenecks, type AnalysisThresholds, type Bottleneck, type BottleneckKind } from './observability/analysis/bottlenecks.js'
export { findCacheCandidates, type CacheCandidate, type CacheCandidateOptions } from './observability/analysis/cache-candidates.js'
export { toChromeTrace, type ChromeTrace, type ChromeTraceEvent } from './observability/analysis/chrome-trace.js'
export { criticalPath, type CriticalPath, type CriticalPathStep } from './observability/analysis/critical-path.js'
export { defaultHistoryRuns, loadRunSteps, loadWorkflowHistory, type HistoryOptions } from './observability/analysis/load-history.js'
export { replaySchedule, type ReplayedSchedule } from './observability/analysis/schedule-replay.js'
export type { Suggestion, SuggestionKind } from './observability/analysis/suggestions.js'
export { observeTasks, type TaskObservation } from './observability/analysis/task-observations.js'
export { profileTask, summarizeDurations, type DurationSummary, type TaskProfile } from './observability/analysis/task-profile.js'
export { valueDigest } from './observability/analysis/value-digest.js'

// Metrics: exact percentiles, the live monitor (engine.metrics()), the store's history (engine.history()), JSON and CSV
export { percentile, percentiles, type PercentileOptions } from './observability/percentiles.js'
export type { PercentileDefinition } from './core/percentile-rank.js'
export { LiveMetrics, type LiveMetricsOptions } from './observability/live-metrics.js'
export type { MetricsReport, WorkflowMetrics, TaskMetrics, RunCounts, TaskCounts, BreakerMetrics } from './observability/metrics-report.js'
export type { DurationPercentiles, HistoryQuery } from './storage/workflow-store.js'
export { readHistory } from './observability/history-report.js'
export { metricsToJson, metricsToCsv, metricsCsvColumns, recoveryToCsv, recoveryCsvColumns, recoveryRows } from './observability/metrics-export.js'
export { MetricsUnavailableError } from './core/metrics-errors.js'

// Prometheus: the text exposition (format 0.0.4) of the metrics and a handler for node:http
export { prometheusText, metricsHandler, escapeLabelValue, defaultPrometheusBuckets, prometheusContentType, type PrometheusOptions, type PrometheusSource, type MetricsRequestLike, type MetricsResponseLike } from './observability/prometheus.js'
export type { DurationHistogram, LiveHistograms, TaskTokens } from './observability/live-metrics.js'

// Alerts: rules on the live metrics and the store's backlog, their state machine, events and sinks (a webhook built in)
export type {
  AlertsConfig,
  AlertRule,
  AlertRuleBase,
  DurationAlertRule,
  FailureRateAlertRule,
  BreakerOpenAlertRule,
  DeadLetterAlertRule,
  RunWaitingAlertRule,
  EscalationAlertRule,
  PredicateAlertRule,
  AlertMatch,
} from './observability/alerts/alert-rules.js'
export type { AlertSeverity, AlertFired, AlertResolved, AlertNotification, AlertDeliveryFailed, AlertEvent } from './runtime/alert-events.js'
export type { AlertSink } from './observability/alerts/alert-sink.js'
export { webhookSink, type WebhookSinkOptions } from './observability/alerts/webhook-sink.js'
export type { ActiveAlert } from './observability/alerts/alert-monitor.js'
export { stepAlert, type AlertPhase, type AlertTiming, type AlertStep } from './observability/alerts/alert-state.js'
export { InvalidAlertError, AlertDeliveryError } from './core/alert-errors.js'
export type { RunBacklog, BacklogStore } from './storage/backlog-store.js'
