import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Compilable,
  type Dialect,
} from 'kysely'
import type { SqlDialect } from './migrations.js'
import type { WeftDatabase } from './schema.js'

/**
 * A statement built with kysely's typed builder and compiled once: its SQL
 * text (the same every call, so the stores' prepared-statement caches hold
 * it) and how to bind a call's parameters in the order of its placeholders.
 * Building and compiling a query costs about as much as running a small
 * SQLite write (PERFORMANCE.md), so no statement is built per call.
 *
 * `P` names the parameters; `R` is the row the statement returns.
 */
export interface CompiledStatement<P, R> {
  /** The SQL text, with `?` (SQLite) or `$n` (PostgreSQL) placeholders. */
  readonly sql: string
  /** The placeholders' values for one call, in order (`undefined` is bound as null). */
  bind(parameters: P): unknown[]
  /** Never set: carries the row type. */
  readonly row?: R
}

const parameterName = Symbol('weft.sql.parameter')

/** What a named parameter stands as while the statement is built: kysely binds it as a value like any other. */
interface ParameterMarker {
  readonly [parameterName]: string
}

/** A placeholder's value: a named parameter, or a value the statement writes literally. */
type Slot = { readonly name: string; readonly value?: undefined } | { readonly name?: undefined; readonly value: unknown }

function isMarker(value: unknown): value is ParameterMarker {
  return typeof value === 'object' && value !== null && parameterName in value
}

/** An object whose every property is the marker of the parameter of that name. */
function markers<P>(): P {
  return new Proxy({}, { get: (_, name) => ({ [parameterName]: String(name) }) }) as P
}

/**
 * Compiles a statement once. `build` receives stand-ins for the parameters
 * (typed as their values, so kysely checks each against its column) and
 * returns the query; values it writes literally stay constant.
 *
 * @example
 * ```ts
 * const getRun = compileStatement(queryBuilder('sqlite'), (db, p: { id: string }) => db.selectFrom('weft_runs').selectAll().where('id', '=', p.id))
 * database.prepare(getRun.sql).get(...getRun.bind({ id: 'r1' }))
 * ```
 */
export function compileStatement<P, R>(db: Kysely<WeftDatabase>, build: (db: Kysely<WeftDatabase>, parameters: P) => Compilable<R>): CompiledStatement<P, R> {
  const compiled = build(db, markers<P>()).compile()
  const slots: readonly Slot[] = compiled.parameters.map((value) => (isMarker(value) ? { name: value[parameterName] } : { value }))
  return { sql: compiled.sql, bind: binder(slots) as (parameters: P) => unknown[] }
}

/**
 * A function that lists the values of `slots` for one call, generated once
 * per statement: a call is one array literal of property reads with the
 * names written out (`parameters["runId"]`), since it runs for every
 * statement a store executes. With it the SQLite store's reads and writes
 * cost the same CPU time as the hand-written statements they replace.
 */
function binder(slots: readonly Slot[]): (parameters: Record<string, unknown>) => unknown[] {
  const constants = slots.map((slot) => slot.value)
  const items = slots.map((slot, i) => (slot.name === undefined ? `constants[${i}]` : `(parameters[${JSON.stringify(slot.name)}] ?? null)`))
  return new Function('constants', `return (parameters) => [${items.join(', ')}]`)(constants) as (parameters: Record<string, unknown>) => unknown[]
}

/** Compiles a statement of one shape of a family (e.g. one set of patched columns) the first time the shape is asked for. */
export function shapeCache<S extends string, P, R>(compile: (shape: S) => CompiledStatement<P, R>): (shape: S) => CompiledStatement<P, R> {
  const compiled = new Map<S, CompiledStatement<P, R>>()
  return (shape) => {
    let statement = compiled.get(shape)
    if (statement === undefined) {
      statement = compile(shape)
      compiled.set(shape, statement)
    }
    return statement
  }
}

/** A dialect that compiles but cannot run anything: the stores run the SQL through their own connections. */
function compileOnly(dialect: SqlDialect): Dialect {
  const postgres = dialect === 'postgres'
  return {
    createAdapter: () => (postgres ? new PostgresAdapter() : new SqliteAdapter()),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => (postgres ? new PostgresIntrospector(db) : new SqliteIntrospector(db)),
    createQueryCompiler: () => (postgres ? new PostgresQueryCompiler() : new SqliteQueryCompiler()),
  }
}

/** kysely's typed builder over Weft's schema for `dialect`, for compiling statements (it holds no connection). */
export function queryBuilder(dialect: SqlDialect): Kysely<WeftDatabase> {
  return new Kysely<WeftDatabase>({ dialect: compileOnly(dialect) })
}
