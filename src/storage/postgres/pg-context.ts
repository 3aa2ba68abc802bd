import type { SerializationLimits } from '../serialization.js'
import type { CompiledStatement } from '../sql/compiled-statement.js'
import { RowCodec } from '../sql/row-codec.js'
import { weftStatements } from '../sql/statements.js'
import { toStorageError } from '../storage-failure.js'
import type { ValueCodec } from '../value-codec.js'
import type { StepRecord } from '../workflow-store.js'
import { prepared, type PgClientLike, type PgPoolLike, type PgQueryable, type PgQueryConfig, type PgResult } from './pg-client.js'
import { classifyPgError } from './pg-errors.js'

/** The shared statements, compiled for PostgreSQL. */
export const shared = weftStatements('postgres')

/** Runs a compiled statement as a named (prepared) query on `db`. */
export function runStatement<P, R>(db: PgQueryable, statement: CompiledStatement<P, R>, parameters: P): Promise<PgResult<R>> {
  return db.query<R>(prepared(statement.sql, statement.bind(parameters)))
}

/** `pool` whose failed queries reject with a `StorageError` (the one model of store failures) instead of the driver's error. */
function classifyingQueries(pool: PgQueryable): PgQueryable {
  const query = (textOrConfig: string | PgQueryConfig, values?: readonly unknown[]) =>
    pool.query(textOrConfig as never, values as never).catch((error: unknown) => {
      throw toStorageError(error, classifyPgError, 'a PostgreSQL query')
    })
  return { query } as PgQueryable
}

/** What the PostgreSQL store's roles share: the pool, its classifying queries, transactions, the size limits and value codec. */
export class PgContext {
  /** The pool as the store's statements use it: a failed query is a `StorageError`. */
  readonly db: PgQueryable
  /** The row mappings through the store's value codec. */
  readonly rowCodec: RowCodec

  constructor(
    readonly pool: PgPoolLike,
    readonly limits: SerializationLimits,
    codec?: ValueCodec,
  ) {
    this.db = classifyingQueries(pool)
    this.rowCodec = new RowCodec(codec, limits)
  }

  /** Runs a compiled statement on the pool. */
  run<P, R>(statement: CompiledStatement<P, R>, parameters: P): Promise<PgResult<R>> {
    return runStatement(this.db, statement, parameters)
  }

  /** The rows of a compiled statement run on the pool. */
  async rows<P, R>(statement: CompiledStatement<P, R>, parameters: P): Promise<R[]> {
    return (await this.run(statement, parameters)).rows
  }

  /** Runs `work` in a transaction on one connection of the pool. */
  async transaction<T>(work: (client: PgClientLike) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw toStorageError(error, classifyPgError, 'connecting to PostgreSQL')
    })
    try {
      await client.query('begin')
      const result = await work(client)
      await client.query('commit')
      return result
    } catch (error) {
      await client.query('rollback').catch(() => undefined)
      throw toStorageError(error, classifyPgError, 'a PostgreSQL transaction')
    } finally {
      client.release()
    }
  }

  /** A completed step's output as stored text. */
  outputText(step: StepRecord): string | null {
    return this.rowCodec.outputText(step)
  }
}
