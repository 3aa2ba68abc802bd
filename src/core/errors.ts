// Every Weft error, from one module: import errors from here. Each group
// lives in a file of its own: the base class (weft-error.ts), definition
// errors, run errors, attempt errors, store errors.

export {
  type WeftErrorOptions,
  type WeftErrorCode,
  WeftError,
  isWeftError,
  describeCause,
  unprintable,
} from './weft-error.js'
export {
  CycleError,
  UnknownDependencyError,
  DuplicateTaskError,
  EmptyWorkflowError,
  InvalidOptionsError,
  InvalidWorkflowError,
  ResultDeclarationError,
} from './definition-errors.js'
export {
  type InputIssue,
  InputValidationError,
  RunCancelledError,
  RunFailedError,
  WorkflowNotRegisteredError,
  RunNotFoundError,
  TaskOutputMissingError,
  EngineClosedError,
  RunFinishedError,
  WrongWorkflowError,
  EventPayloadError,
  RecordedPayloadError,
} from './run-errors.js'
export {
  TaskTimeoutError,
  CircuitOpenError,
  RateLimitedError,
  BulkheadRejectedError,
  EventTimeoutError,
  UninspectableThrowError,
  ContextClosedError,
  MapItemsFailedError,
  type MapItemFailure,
  FallbackFailedError,
} from './attempt-errors.js'
export {
  type StorageFailureReason,
  StorageError,
  NotAWeftDatabaseError,
  NewerSchemaError,
  SerializationError,
  PayloadTooLargeError,
  SqliteDriverMissingError,
  RunConflictError,
  LeaseLostError,
} from './storage-errors.js'
export {
  HttpStatusError,
  isRetryableStatus,
  HttpNetworkError,
  HttpDecodeError,
  HttpResponseTooLargeError,
  AdapterClosedError,
} from './integration-errors.js'
