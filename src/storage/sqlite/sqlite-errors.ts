import type { StorageFailureReason } from '../../core/errors.js'
import { driverCode, driverMessage, type Classified } from '../storage-failure.js'
import type { StoreRetryPolicy } from '../store-retry.js'

const byPrefix: readonly [string, StorageFailureReason, string][] = [
  ['SQLITE_BUSY', 'busy', 'another connection held the database lock past the busy timeout; the write can be retried'],
  ['SQLITE_LOCKED', 'busy', 'a table was locked by another statement of the same connection; the write can be retried'],
  ['SQLITE_FULL', 'disk-full', 'the disk (or the database size limit, max_page_count) is full; free space, then the run resumes'],
  ['SQLITE_IOERR', 'io', 'the operating system failed a read or write (an I/O error, or a file-size limit such as ulimit -f); fix the disk, then the run resumes'],
  ['SQLITE_CORRUPT', 'corrupt', 'the database file is damaged; restore it from a backup'],
  ['SQLITE_NOTADB', 'corrupt', 'the file is not a SQLite database; pass the path of a Weft database'],
  [
    'SQLITE_READONLY_DIRECTORY',
    'read-only',
    "SQLite reads a database in WAL mode through a shared-memory file beside it (<file>-shm), which it cannot create because the folder is not writable: give this user write access to the folder, or read while a worker has the database open",
  ],
  ['SQLITE_READONLY', 'read-only', 'the database file cannot be written (permissions, or a read-only mount)'],
  ['SQLITE_CANTOPEN', 'io', 'the database file cannot be opened (a missing folder, permissions)'],
  ['SQLITE_CONSTRAINT', 'constraint', 'a constraint of the schema rejected the write'],
]

/**
 * What a better-sqlite3 error means: by its result code (`SQLITE_FULL`,
 * `SQLITE_IOERR_WRITE`, ...), or a closed connection.
 */
export function classifySqliteError(error: unknown): Classified {
  const code = driverCode(error) ?? ''
  const known = byPrefix.find(([prefix]) => code.startsWith(prefix))
  if (known !== undefined) return { reason: known[1], explanation: `${code}: ${known[2]}` }
  const message = driverMessage(error)
  if (/connection is not open/i.test(message)) return { reason: 'closed', explanation: 'the store was closed' }
  return { reason: 'unknown', explanation: message }
}

/** A short random wait, so that processes retrying together spread out. */
export function jitteredMs(minMs: number, spreadMs: number): () => number {
  return () => minMs + Math.random() * spreadMs
}

/**
 * Retries while SQLite reports the database busy (another process holds the
 * write lock past the busy timeout, or is migrating), for up to `maxWaitMs`.
 */
export function sqliteBusyRetry(maxWaitMs: number, delayMs: (attempt: number) => number): StoreRetryPolicy {
  return { reasons: new Set(['busy']), classify: classifySqliteError, maxWaitMs, delayMs }
}
