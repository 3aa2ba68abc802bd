import { StorageError } from '../../core/errors.js'
import type { ErrorFacts, ErrorRule } from '../../graph/recovery-options.js'

/** Node and undici system error codes of a connection that could not be made or was lost. */
const connectionCodes = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]

/** Node and undici system error codes of a call that ran out of time. */
const timeoutCodes = ['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']

/** A `StorageError` (live) whose reason is one of `reasons`. */
function storageReason(...reasons: string[]): (facts: ErrorFacts) => boolean {
  return (facts) => facts.error instanceof StorageError && reasons.includes(facts.error.reason)
}

/** `HttpNetworkError` names the system error in its message (`… failed without a response (ETIMEDOUT) …`). */
const networkTimeout = new RegExp(`\\((?:${timeoutCodes.join('|')})\\)`)

/**
 * The built-in rules, in the order they are tried (after a user's rules).
 * Specific before generic: an HTTP 429 is `rate-limited` before any 4xx is
 * `validation`; a SQLSTATE before the SQL error that carries it. A rule
 * matches an error when it matches the error or one of its causes, so a
 * `fetch` `TypeError` whose cause has `code: 'ECONNREFUSED'` is `connection`.
 *
 * @example
 * ```ts
 * import { builtInErrorRules } from 'weft-sdk'
 * for (const rule of builtInErrorRules) console.log(rule.as.padEnd(14), rule.description)
 * ```
 */
export const builtInErrorRules: readonly ErrorRule[] = Object.freeze([
  // Weft's own errors, by code.
  { code: ['WEFT_TASK_TIMEOUT', 'WEFT_EVENT_TIMEOUT'], as: 'timeout', description: 'a Weft timeout (task attempt, event wait)' },
  { code: ['WEFT_RATE_LIMITED', 'WEFT_BULKHEAD_FULL', 'WEFT_BUDGET_EXCEEDED'], as: 'rate-limited', description: 'a Weft rate limit, full bulkhead or spent budget' },
  { code: 'WEFT_CIRCUIT_OPEN', as: 'connection', description: 'an open circuit: the dependency is known to be failing' },
  { code: ['WEFT_UNAUTHENTICATED', 'WEFT_FORBIDDEN', 'WEFT_OBJECT_ACCESS_DENIED'], as: 'authorization', description: 'a Weft authentication or authorization refusal' },
  {
    code: ['WEFT_INVALID_INPUT', 'WEFT_INVALID_EVENT_PAYLOAD', 'WEFT_SERIALIZATION', 'WEFT_PAYLOAD_TOO_LARGE', 'WEFT_OUTBOX_PAYLOAD', 'WEFT_AMQP_INVALID_MESSAGE', 'WEFT_OBJECT_KEY_INVALID', 'WEFT_OBJECT_METADATA_INVALID', 'WEFT_HTTP_DECODE', 'WEFT_HTTP_RESPONSE_TOO_LARGE', 'WEFT_LLM_OUTPUT', 'WEFT_SQL_CONSTRAINT'],
    as: 'validation',
    description: 'a Weft refusal of invalid input, payload or response',
  },
  // HTTP, by status (HttpStatusError, or a client library's status property).
  { status: 429, as: 'rate-limited', description: 'HTTP 429 Too Many Requests' },
  { status: 408, as: 'timeout', description: 'HTTP 408 Request Timeout' },
  { status: 504, as: 'timeout', description: 'HTTP 504 Gateway Timeout' },
  { status: 401, as: 'authorization', description: 'HTTP 401 Unauthorized' },
  { status: 403, as: 'authorization', description: 'HTTP 403 Forbidden' },
  { status: [500, 599], as: 'connection', description: 'HTTP 5xx: the server failed, transient' },
  { status: [400, 499], as: 'validation', description: 'HTTP 4xx: the request must change' },
  { code: 'WEFT_HTTP_NETWORK', message: networkTimeout, as: 'timeout', description: 'an HTTP call that timed out without a response' },
  // PostgreSQL SQLSTATE classes (pg's errors carry the SQLSTATE as `code`).
  { code: /^08[0-9A-Z]{3}$/, as: 'connection', description: 'SQLSTATE class 08: connection exception' },
  { code: /^57P0[1-3]$/, as: 'connection', description: 'SQLSTATE 57P01–57P03: the server is shutting down or not accepting connections' },
  { code: '57014', as: 'timeout', description: 'SQLSTATE 57014: statement cancelled (statement_timeout)' },
  { code: ['40001', '40P01', '55P03'], as: 'database', description: 'SQLSTATE 40001/40P01/55P03: serialization failure, deadlock, lock not available' },
  { code: /^23[0-9A-Z]{3}$/, as: 'validation', description: 'SQLSTATE class 23: integrity constraint violation' },
  { code: /^28[0-9A-Z]{3}$/, as: 'authorization', description: 'SQLSTATE class 28: invalid authorization' },
  { code: '42501', as: 'authorization', description: 'SQLSTATE 42501: insufficient privilege' },
  { code: /^53[0-9A-Z]{3}$/, as: 'database', description: 'SQLSTATE class 53: insufficient resources' },
  // SQLite (better-sqlite3's SqliteError carries the extended code).
  { code: /^SQLITE_(BUSY|LOCKED)/, as: 'database', description: 'SQLite busy or locked' },
  // The database file or its disk failed, not the statement: retrying may help once the disk or file is fixed, changing the input never does.
  { code: /^SQLITE_(IOERR|FULL|CANTOPEN|READONLY)/, as: 'database', description: 'SQLite I/O error, full database or disk, file that cannot be opened, or a read-only database' },
  { code: /^SQLITE_CONSTRAINT/, as: 'validation', description: 'SQLite constraint violation' },
  // Weft's store and SQL adapter errors not told apart above.
  { when: storageReason('connection-lost'), as: 'connection', description: 'a StorageError: the database connection was lost' },
  { when: storageReason('constraint'), as: 'validation', description: 'a StorageError: a constraint refused the write' },
  { code: ['WEFT_HTTP_NETWORK', 'WEFT_SQL_CONNECTION', 'WEFT_AMQP_UNAVAILABLE', 'WEFT_OUTBOX_UNAVAILABLE', 'WEFT_OBJECT_STORAGE_IO'], as: 'connection', description: 'a Weft adapter that could not reach its server' },
  { code: ['WEFT_STORAGE', 'WEFT_SQL_TRANSIENT', 'WEFT_SQL_STATEMENT'], as: 'database', description: "a Weft store's or SQL adapter's database error" },
  // Node and undici system errors.
  { code: timeoutCodes, as: 'timeout', description: 'a system error: timed out' },
  { code: connectionCodes, as: 'connection', description: 'a system error: connection refused, reset or unreachable' },
  { name: 'TimeoutError', as: 'timeout', description: 'a TimeoutError (AbortSignal.timeout)' },
] satisfies ErrorRule[])
