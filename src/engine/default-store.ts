import { SqliteWorkflowStore } from '../storage/sqlite/sqlite-workflow-store.js'
import type { WorkflowStore } from '../storage/workflow-store.js'

/** The store an engine uses when none is configured: the embedded SQLite file `.weft/weft.sqlite`. */
export function defaultStore(): WorkflowStore {
  return new SqliteWorkflowStore()
}
