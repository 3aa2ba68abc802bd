export { WorkflowBase } from './workflow-base.js'
export { Workflow, type WorkflowOptions } from './workflow-decorator.js'
export { Task, DependsOn, type TaskOptions } from './task-decorators.js'
export { Retry, Timeout, CircuitBreaker, RateLimit, Bulkhead, Cache } from './policy-decorators.js'
export { When, OnFailure, Always, Loop } from './flow-decorators.js'
export {
  defineWorkflow,
  type DefineWorkflowOptions,
  type DefineTaskOptions,
  type DefineLoopOptions,
  type DefinedTaskArgs,
  type WorkflowBuilder,
} from './define-workflow.js'
export { compileWorkflow } from './compile-workflow.js'
export {
  isWorkflowDefinition,
  definitionTypesKey,
  type InputSchema,
  type WorkflowClass,
  type WorkflowDefinition,
  type AnyWorkflow,
  type WorkflowInput,
  type WorkflowOutputs,
} from './workflow-ref.js'
