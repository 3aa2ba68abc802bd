export { RunExecution, type RunEnvironment } from './run-execution.js'
export type { RunOutcome, TaskSummary } from './run-outcome.js'
export { EventHub, RunEventLog, type WeftListener, type ListenerErrorHandler } from './event-hub.js'
export { EventWaiters } from './event-waiters.js'
export { InboxWatcher } from './inbox-watcher.js'
export { takeNextEvent, waitForOneEvent, type InboxWaitOptions, type InboxWaitResult } from './inbox-wait.js'
export { ConcurrencyGate } from './concurrency-gate.js'
export { RuntimeStats, type EngineStats } from './runtime-stats.js'
export { parseWorkflowInput } from './parse-input.js'
export { toErrorRecord } from './error-record.js'
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
} from './run-events.js'
