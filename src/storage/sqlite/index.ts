export { SqliteWorkflowStore, sqliteStore, type SqliteStoreOptions } from './sqlite-workflow-store.js'
export type { SqliteDatabaseLike, SqliteStatementLike, SqliteRunResult } from './sqlite-database.js'
