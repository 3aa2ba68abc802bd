// Turns a driver's error (pg, mysql2, better-sqlite3, Node's sockets) into the
// SQL adapter's tagged errors, by what retrying can do about it. One table per
// driver family, read by the shape of the error (so a ready-made kysely
// Dialect on any of these drivers is classified too).
import {
  SqlConnectionError,
  SqlConstraintError,
  SqlStatementError,
  SqlTransientError,
  type SqlCallShape,
  type SqlConstraintKind,
  type SqlPhase,
  type SqlStatementReason,
  type SqlTransientReason,
} from '../../core/sql-errors.js'
import { describeCause, type WeftError } from '../../core/errors.js'

/** What kind of failure a driver's error is; `undefined` for an error that is not a driver's (the caller's own). */
export type SqlVerdict =
  | { readonly class: 'connection' }
  | { readonly class: 'transient'; readonly reason: SqlTransientReason }
  | { readonly class: 'constraint'; readonly kind: SqlConstraintKind; readonly constraint: string | undefined }
  | { readonly class: 'statement'; readonly reason: SqlStatementReason }

/** Where a failure happened, for the classification of a connection failure. */
export interface SqlFailureContext {
  readonly adapter: string
  readonly operation: string
  readonly phase: SqlPhase
  readonly shape: SqlCallShape
  /** Removes secrets from the driver's message. */
  readonly redact: (text: string) => string
}

/** The fields drivers put on their errors. */
interface DriverErrorFields {
  readonly code?: unknown
  readonly errno?: unknown
  readonly sqlState?: unknown
  readonly fatal?: unknown
  readonly constraint?: unknown
}

/** Node.js socket and DNS codes: the server could not be reached or the connection broke. */
const socketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND'])

/** pg's errors of a broken connection carry no code, only these messages. */
const pgConnectionMessages = /Connection terminated|not queryable|Client was closed|timeout exceeded when trying to connect|Connection ended unexpectedly/i

/** The error classified into the adapter's tagged errors, or returned unchanged when it is not a driver's. */
export function classifySqlError(error: unknown, context: SqlFailureContext): unknown {
  const verdict = sqlVerdictOf(error)
  if (verdict === undefined) return error
  return errorOf(verdict, error, context)
}

function errorOf(verdict: SqlVerdict, error: unknown, context: SqlFailureContext): WeftError {
  const { adapter, operation } = context
  const code = driverCodeOf(error)
  const detail = context.redact(describeCause(error))
  const options = { cause: error }
  switch (verdict.class) {
    case 'connection':
      return new SqlConnectionError(adapter, operation, code, detail, context.phase, context.shape, options)
    case 'transient':
      return new SqlTransientError(adapter, operation, code, detail, verdict.reason, options)
    case 'constraint':
      return new SqlConstraintError(adapter, operation, code, detail, verdict.kind, verdict.constraint, options)
    case 'statement':
      return new SqlStatementError(adapter, operation, code, detail, verdict.reason, options)
  }
}

/** The driver's code as the error carries it (a SQLSTATE, `ER_*`, `SQLITE_*`, `E*`). */
export function driverCodeOf(error: unknown): string | undefined {
  const code = (error as DriverErrorFields | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** What kind of failure `error` is, by the driver that threw it; `undefined` when no driver did. */
export function sqlVerdictOf(error: unknown): SqlVerdict | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const fields = error as DriverErrorFields
  const code = typeof fields.code === 'string' ? fields.code : undefined
  const message = error instanceof Error ? error.message : ''
  if (code !== undefined && socketCodes.has(code)) return { class: 'connection' }
  if (code?.startsWith('SQLITE_')) return sqliteVerdict(code, message)
  if (typeof fields.errno === 'number' && (typeof fields.sqlState === 'string' || typeof fields.fatal === 'boolean')) return mysqlVerdict(code, fields.errno, fields.sqlState, fields.fatal === true)
  // mysql2 reports a connection it closed (the server killed the session) as fatal, without a code.
  if (fields.fatal === true) return { class: 'connection' }
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) return postgresVerdict(code, typeof fields.constraint === 'string' ? fields.constraint : undefined)
  if (code === undefined && pgConnectionMessages.test(message)) return { class: 'connection' }
  return undefined
}

/** PostgreSQL: by SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
function postgresVerdict(sqlState: string, constraint: string | undefined): SqlVerdict {
  const known = postgresStates[sqlState]
  if (known !== undefined) return known === 'constraint' ? { class: 'constraint', kind: postgresConstraint(sqlState), constraint } : known
  const byClass = postgresClasses[sqlState.slice(0, 2)]
  if (byClass === 'constraint') return { class: 'constraint', kind: 'other', constraint }
  return byClass ?? { class: 'statement', reason: 'other' }
}

const postgresStates: Readonly<Record<string, SqlVerdict | 'constraint'>> = {
  '40001': { class: 'transient', reason: 'serialization' },
  '40P01': { class: 'transient', reason: 'deadlock' },
  '55P03': { class: 'transient', reason: 'lock-timeout' },
  '57014': { class: 'transient', reason: 'statement-timeout' },
  '57P01': { class: 'connection' }, // admin_shutdown: the server stops, or pg_terminate_backend
  '57P02': { class: 'connection' }, // crash_shutdown
  '57P03': { class: 'connection' }, // cannot_connect_now: starting up
  '53300': { class: 'connection' }, // too_many_connections
  '42601': { class: 'statement', reason: 'syntax' },
  '42501': { class: 'statement', reason: 'access' },
  '3D000': { class: 'statement', reason: 'schema' }, // the database does not exist
  '23505': 'constraint',
  '23503': 'constraint',
  '23502': 'constraint',
  '23514': 'constraint',
  '23P01': 'constraint',
}

const postgresClasses: Readonly<Record<string, SqlVerdict | 'constraint'>> = {
  '08': { class: 'connection' },
  '22': { class: 'statement', reason: 'data' },
  '23': 'constraint',
  '28': { class: 'statement', reason: 'access' },
  '42': { class: 'statement', reason: 'schema' },
}

function postgresConstraint(sqlState: string): SqlConstraintKind {
  const kinds: Record<string, SqlConstraintKind> = { '23505': 'unique', '23503': 'foreign-key', '23502': 'not-null', '23514': 'check', '23P01': 'exclusion' }
  return kinds[sqlState] ?? 'other'
}

/** MySQL / MariaDB through mysql2: by error number, then SQLSTATE class; `fatal` marks a connection mysql2 closed. */
function mysqlVerdict(code: string | undefined, errno: number, sqlState: unknown, fatal: boolean): SqlVerdict {
  const known = mysqlErrors[errno]
  if (known !== undefined) return known
  if (code?.startsWith('PROTOCOL_') || code === 'ER_SERVER_SHUTDOWN') return { class: 'connection' }
  const state = typeof sqlState === 'string' ? sqlState : ''
  if (state.startsWith('23')) return { class: 'constraint', kind: 'other', constraint: undefined }
  if (state.startsWith('22')) return { class: 'statement', reason: 'data' }
  if (state.startsWith('08')) return { class: 'connection' }
  if (state.startsWith('42')) return { class: 'statement', reason: 'schema' }
  // A fatal error without a server code is mysql2 reporting a connection it closed.
  if (fatal) return { class: 'connection' }
  return { class: 'statement', reason: 'other' }
}

const mysqlErrors: Readonly<Record<number, SqlVerdict>> = {
  1213: { class: 'transient', reason: 'deadlock' }, // ER_LOCK_DEADLOCK
  1205: { class: 'transient', reason: 'lock-timeout' }, // ER_LOCK_WAIT_TIMEOUT
  1317: { class: 'transient', reason: 'statement-timeout' }, // ER_QUERY_INTERRUPTED (KILL QUERY)
  3024: { class: 'transient', reason: 'statement-timeout' }, // MySQL max_execution_time
  1969: { class: 'transient', reason: 'statement-timeout' }, // MariaDB max_statement_time
  1040: { class: 'connection' }, // ER_CON_COUNT_ERROR: too many connections
  1053: { class: 'connection' }, // ER_SERVER_SHUTDOWN
  1927: { class: 'connection' }, // MariaDB ER_CONNECTION_KILLED
  2013: { class: 'connection' }, // CR_SERVER_LOST
  2006: { class: 'connection' }, // CR_SERVER_GONE_ERROR
  1062: { class: 'constraint', kind: 'unique', constraint: undefined }, // ER_DUP_ENTRY
  1586: { class: 'constraint', kind: 'unique', constraint: undefined }, // ER_DUP_ENTRY_WITH_KEY_NAME
  1451: { class: 'constraint', kind: 'foreign-key', constraint: undefined }, // ER_ROW_IS_REFERENCED_2
  1452: { class: 'constraint', kind: 'foreign-key', constraint: undefined }, // ER_NO_REFERENCED_ROW_2
  1048: { class: 'constraint', kind: 'not-null', constraint: undefined }, // ER_BAD_NULL_ERROR
  4025: { class: 'constraint', kind: 'check', constraint: undefined }, // MariaDB ER_CONSTRAINT_FAILED
  3819: { class: 'constraint', kind: 'check', constraint: undefined }, // MySQL ER_CHECK_CONSTRAINT_VIOLATED
  1064: { class: 'statement', reason: 'syntax' }, // ER_PARSE_ERROR
  1146: { class: 'statement', reason: 'schema' }, // ER_NO_SUCH_TABLE
  1054: { class: 'statement', reason: 'schema' }, // ER_BAD_FIELD_ERROR
  1049: { class: 'statement', reason: 'schema' }, // ER_BAD_DB_ERROR
  1045: { class: 'statement', reason: 'access' }, // ER_ACCESS_DENIED_ERROR
  1044: { class: 'statement', reason: 'access' }, // ER_DBACCESS_DENIED_ERROR
  1142: { class: 'statement', reason: 'access' }, // ER_TABLEACCESS_DENIED_ERROR
}

/** SQLite through better-sqlite3: by extended result code (https://sqlite.org/rescode.html). */
function sqliteVerdict(code: string, message: string): SqlVerdict {
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return { class: 'transient', reason: 'lock-timeout' }
  if (code.startsWith('SQLITE_CONSTRAINT')) return { class: 'constraint', kind: sqliteConstraint(code), constraint: undefined }
  if (code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG' || code === 'SQLITE_RANGE') return { class: 'statement', reason: 'data' }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH') || code.startsWith('SQLITE_CANTOPEN')) return { class: 'statement', reason: 'access' }
  if (/syntax error|incomplete input|unrecognized token/.test(message)) return { class: 'statement', reason: 'syntax' }
  if (/no such (table|column|index)|has no column/.test(message)) return { class: 'statement', reason: 'schema' }
  return { class: 'statement', reason: 'other' }
}

function sqliteConstraint(code: string): SqlConstraintKind {
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'unique'
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign-key'
  if (code === 'SQLITE_CONSTRAINT_NOTNULL') return 'not-null'
  if (code === 'SQLITE_CONSTRAINT_CHECK') return 'check'
  return 'other'
}
