// A kysely Dialect around another that notes, for every error its driver
// throws, where the call was: checking a connection out, opening, committing
// or rolling back a transaction, or running a statement. The retry rule needs
// it: a connection refused at checkout sent nothing, a connection lost during
// a COMMIT leaves the outcome unknown. Wrapping the Driver (kysely's own seam)
// works for the dialects Weft builds and for a ready-made one alike.
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely'
import type { SqlPhase } from '../../core/sql-errors.js'

const phases = new WeakMap<object, SqlPhase>()

/** Where the call was when the driver threw `error`; `undefined` for an error no driver threw. */
export function phaseOf(error: unknown): SqlPhase | undefined {
  return typeof error === 'object' && error !== null ? phases.get(error) : undefined
}

/**
 * Notes a transaction's failure after its callback returned as the COMMIT's,
 * whatever step of the driver threw it (a rollback after a failed COMMIT
 * masks the COMMIT's own error): its outcome may be unknown.
 */
export function asCommitFailure(error: unknown): unknown {
  if (typeof error === 'object' && error !== null) phases.set(error, 'commit')
  return error
}

/** Runs `step`, noting `phase` on what it throws (the first phase noted stays: the innermost knows best). */
async function tagged<T>(phase: SqlPhase, step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (error) {
    if (typeof error === 'object' && error !== null && !phases.has(error)) phases.set(error, phase)
    throw error
  }
}

/** `dialect` with its driver's errors tagged by phase ({@link phaseOf}). */
export function phaseTaggingDialect(dialect: Dialect): Dialect {
  return {
    createDriver: () => new PhaseTaggingDriver(dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  }
}

/** A connection whose statements' errors are tagged `statement`. */
class TaggingConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return tagged('statement', () => this.inner.executeQuery<R>(compiledQuery))
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(compiledQuery, chunkSize)
    } catch (error) {
      if (typeof error === 'object' && error !== null && !phases.has(error)) phases.set(error, 'statement')
      throw error
    }
  }
}

/** The driver's own methods get the driver's own connection objects (kysely's drivers keep private state on them). */
function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof TaggingConnection ? connection.inner : connection
}

class PhaseTaggingDriver implements Driver {
  savepoint?: Driver['savepoint']
  rollbackToSavepoint?: Driver['rollbackToSavepoint']
  releaseSavepoint?: Driver['releaseSavepoint']

  constructor(private readonly driver: Driver) {
    // Only the savepoint methods the driver has: kysely refuses savepoints on a driver without them.
    const { savepoint, rollbackToSavepoint, releaseSavepoint } = driver
    if (savepoint) this.savepoint = (c, name, compile) => tagged('statement', () => savepoint.call(driver, unwrap(c), name, compile))
    if (rollbackToSavepoint) this.rollbackToSavepoint = (c, name, compile) => tagged('statement', () => rollbackToSavepoint.call(driver, unwrap(c), name, compile))
    if (releaseSavepoint) this.releaseSavepoint = (c, name, compile) => tagged('statement', () => releaseSavepoint.call(driver, unwrap(c), name, compile))
  }

  init(): Promise<void> {
    return tagged('connect', () => this.driver.init())
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new TaggingConnection(await tagged('connect', () => this.driver.acquireConnection()))
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return tagged('begin', () => this.driver.beginTransaction(unwrap(connection), settings))
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return tagged('commit', () => this.driver.commitTransaction(unwrap(connection)))
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return tagged('rollback', () => this.driver.rollbackTransaction(unwrap(connection)))
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.driver.releaseConnection(unwrap(connection))
  }

  destroy(): Promise<void> {
    return this.driver.destroy()
  }
}
