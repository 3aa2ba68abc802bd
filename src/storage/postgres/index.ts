export { PostgresWorkflowStore, postgresStore, type PostgresStoreOptions } from './postgres-workflow-store.js'
export type { PgPoolLike, PgClientLike, PgQueryable, PgQueryConfig, PgResult } from './pg-client.js'
export { forceGenericPlans } from './pg-client.js'
