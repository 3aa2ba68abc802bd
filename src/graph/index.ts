export type {
  TaskKind,
  Dependency,
  RetryPolicy,
  CircuitBreakerPolicy,
  RateLimitPolicy,
  CachePolicy,
  BulkheadPolicy,
  TaskPolicies,
  TaskCondition,
  TaskNode,
  WorkflowGraph,
} from './workflow-graph.js'
export type { DependencySpec, TaskPolicyOptions, TaskDraft, WorkflowDraft } from './workflow-draft.js'
export type {
  ErrorClass,
  RetryOptions,
  BackoffOptions,
  CircuitBreakerOptions,
  RateLimitOptions,
  CacheOptions,
  BulkheadOptions,
  LoopOptions,
} from './policy-options.js'
export type {
  TaskContext,
  LoopContext,
  LoopResult,
  TaskFailure,
  WaitForEventOptions,
  EventStreamOptions,
  EventStream,
  MapOptions,
} from './task-context.js'
export {
  workflowInputKey,
  workflowEncodedInputKey,
  type EncodedInputOf,
  weftTypeErrorKey,
  type WeftTypeError,
  type Verdict,
  type InputOf,
  type TaskName,
  type TaskOutput,
  type TaskOutputs,
  type IsLoopBody,
  type DependencyRef,
  type DependencyValue,
  type DependsOnCheck,
  type TaskCheck,
  type ArgumentsCheck,
  type LoopCheck,
  type OnFailureCheck,
} from './type-level.js'
export { compileGraph } from './compile-graph.js'
export { normalizePolicies } from './normalize-policies.js'
export { toMermaid } from './mermaid.js'
export { closestName } from './did-you-mean.js'
