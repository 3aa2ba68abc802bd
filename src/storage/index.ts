export type {
  RunStatus,
  TaskStatus,
  ErrorRecord,
  RunRecord,
  RunPatch,
  StepRecord,
  RunQuery,
  CreateRunResult,
  WorkflowStore,
} from './workflow-store.js'
export { MemoryWorkflowStore } from './memory-workflow-store.js'
