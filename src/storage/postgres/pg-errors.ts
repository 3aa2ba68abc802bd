import type { StorageFailureReason } from '../../core/errors.js'
import { driverCode, driverMessage, type Classified } from '../storage-failure.js'
import type { StoreRetryPolicy } from '../store-retry.js'

// PostgreSQL's SQLSTATE codes (https://www.postgresql.org/docs/current/errcodes-appendix.html)
// and Node's socket errors.
const byCode: Readonly<Record<string, readonly [StorageFailureReason, string]>> = {
  '40P01': ['deadlock', 'the transaction was chosen as a deadlock victim; it can be retried'],
  '40001': ['serialization-conflict', 'a serializable transaction conflicted with another; it can be retried'],
  '55P03': ['busy', 'a lock could not be taken in time; it can be retried'],
  '53300': ['busy', 'the server has no free connection slot; it can be retried'],
  '53100': ['disk-full', "the server's disk is full; free space, then the run resumes"],
  '53200': ['disk-full', 'the server is out of memory'],
  '58030': ['io', 'the server failed a read or write'],
  '25006': ['read-only', 'the database accepts no writes (a read-only replica or transaction)'],
  '57P01': ['connection-lost', 'the server ended the connection (an administrator, or a shutdown); it can be retried'],
  '57P02': ['connection-lost', 'the server crashed and ended the connection; it can be retried'],
  '57P03': ['connection-lost', 'the server is starting up or shutting down; it can be retried'],
  ECONNREFUSED: ['connection-lost', 'the server refused the connection (is it running?); it can be retried'],
  ECONNRESET: ['connection-lost', 'the connection was reset; it can be retried'],
  EPIPE: ['connection-lost', 'the connection was closed; it can be retried'],
  ETIMEDOUT: ['connection-lost', 'the connection timed out; it can be retried'],
}

/** What a `pg` error means: by its SQLSTATE class or code, or its socket error. */
export function classifyPgError(error: unknown): Classified {
  const code = driverCode(error)
  const message = driverMessage(error)
  const known = code === undefined ? undefined : byCode[code]
  if (known !== undefined) return { reason: known[0], explanation: `${code}: ${known[1]}` }
  if (code?.startsWith('08') === true) return { reason: 'connection-lost', explanation: `${code}: ${message}; it can be retried` }
  if (code?.startsWith('23') === true) return { reason: 'constraint', explanation: `${code}: ${message}` }
  if (/connection terminated|connection ended|not queryable|timeout exceeded when trying to connect/i.test(message)) {
    return { reason: 'connection-lost', explanation: `${message}; it can be retried` }
  }
  if (/pool after calling end|client was closed/i.test(message)) return { reason: 'closed', explanation: 'the store was closed' }
  return { reason: 'unknown', explanation: code === undefined ? message : `${code}: ${message}` }
}

/**
 * Runs a statement again (up to 5 attempts) when PostgreSQL aborted it as a
 * deadlock victim or a serialization failure: for statements that are safe
 * to repeat (first-writer-wins inserts).
 */
export const pgConflictRetry: StoreRetryPolicy = {
  reasons: new Set(['deadlock', 'serialization-conflict']),
  classify: classifyPgError,
  maxAttempts: 5,
  delayMs: (attempt) => attempt * 5 * Math.random(),
}
