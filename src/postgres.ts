/**
 * Weft's PostgreSQL store, for many workers on many machines sharing one
 * database. A separate entry point (`weft/postgres`) so that applications on
 * the embedded SQLite store never load `pg`.
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft-sdk'
 * import { postgresStore } from 'weft-sdk/postgres'
 * const engine = createEngine({ store: postgresStore({ connectionString: process.env.DATABASE_URL! }) })
 * ```
 *
 * @packageDocumentation
 */
export { PostgresWorkflowStore, postgresStore, type PostgresStoreOptions } from './storage/postgres/postgres-workflow-store.js'
export type { PgPoolLike, PgClientLike, PgQueryable, PgQueryConfig, PgResult } from './storage/postgres/pg-client.js'
export type { StepHistoryCompletion } from './storage/postgres/pg-step-history.js'
export { forceGenericPlans } from './storage/postgres/pg-client.js'
export { postgresPolicyState, type PostgresPolicyStateOptions } from './integration/shared-state/postgres-policy-state.js'
