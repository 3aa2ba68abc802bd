import { MemoryWorkflowStore } from '../storage/memory-workflow-store.js'
import type { WorkflowStore } from '../storage/workflow-store.js'

/** The store an engine uses when none is configured. */
export function defaultStore(): WorkflowStore {
  return new MemoryWorkflowStore()
}
