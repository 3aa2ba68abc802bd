/**
 * A real, throwaway PostgreSQL server for tests: `initdb` into a temporary
 * folder, started on a free loopback port, stopped and deleted at the end.
 *
 * The implementation lives in `scripts/postgres-server.mjs` (plain ESM with
 * JSDoc types and a `.d.mts` declaration), shared with the benchmarks
 * (`npm run bench`), so tests and benchmarks start PostgreSQL the same way.
 */
export {
  POSTGRES_INSTALL_HINT,
  PostgresUnavailableError,
  findPostgresBinaries,
  freePort,
  startPostgres,
  type PostgresBinaries,
  type PostgresServer,
  type PostgresServerOptions,
} from '../../scripts/postgres-server.mjs'
