export { PostgresWorkflowStore, postgresStore, type PostgresStoreOptions } from './postgres-workflow-store.js'
export type { PgPoolLike, PgClientLike, PgQueryable, PgResult } from './pg-client.js'
