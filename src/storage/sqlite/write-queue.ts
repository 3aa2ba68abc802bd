import type { StorageError } from '../../core/errors.js'
import { driverCode, toStorageError } from '../storage-failure.js'
import { retryDelay, type StoreRetryPolicy } from '../store-retry.js'
import { classifySqliteError, jitteredMs, sqliteBusyRetry } from './sqlite-errors.js'
import type { SqliteDatabaseLike } from './sqlite-database.js'

interface QueuedWrite {
  readonly write: () => unknown
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
  /** Runs in a transaction of its own: its failure must not take other writes with it. */
  readonly alone: boolean
}

/** How one write of a batch went: its value, its own error, or the loss of the whole transaction. */
type Attempt = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown } | { readonly lost: unknown }


/** A driver error as a `StorageError`; errors of the write's own logic (a lost lease, ...) pass through. */
export function asStorageError(error: unknown, operation: string): unknown {
  const code = driverCode(error)
  const fromDriver = code?.startsWith('SQLITE_') === true || (error instanceof TypeError && /connection is not open/i.test(error.message))
  return fromDriver ? toStorageError(error, classifySqliteError, operation) : error
}

/**
 * Group commit for SQLite: writes issued in the same turn of the event loop
 * run in one `begin immediate … commit`, each in its own savepoint so one
 * write failing (a lost lease, a constraint) does not undo the others. When
 * another process holds the write lock past the busy timeout, the batch is
 * retried later without blocking, so SQLITE_BUSY never reaches the caller
 * unless the database stays locked for `maxBusyWaitMs`.
 *
 * Nothing here throws into the event loop: when SQLite rolls the whole
 * transaction back under a write (it does on SQLITE_FULL and some I/O
 * errors), every write of the batch is rejected with that failure (their
 * changes were undone with it), and the queue goes on with the next batch.
 * Driver failures reach callers as `StorageError`s.
 */
export class SqliteWriteQueue {
  private queue: QueuedWrite[] = []
  private scheduled = false
  private idleWaiters: (() => void)[] = []
  /** While another process holds the write lock, a batch waits and tries again (without blocking). */
  private readonly busyRetry: StoreRetryPolicy
  private readonly statements: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'undo', { run(): unknown }>

  /**
   * @param check - asked before each batch: a failure that stops every write
   *   (the database file was deleted or replaced), or `undefined`.
   */
  constructor(
    db: SqliteDatabaseLike,
    maxBusyWaitMs: number,
    private readonly check: () => StorageError | undefined = () => undefined,
  ) {
    this.busyRetry = sqliteBusyRetry(maxBusyWaitMs, jitteredMs(5, 20))
    this.statements = {
      begin: db.prepare('begin immediate'),
      commit: db.prepare('commit'),
      rollback: db.prepare('rollback'),
      savepoint: db.prepare('savepoint weft_write'),
      release: db.prepare('release weft_write'),
      undo: db.prepare('rollback to weft_write'),
    }
  }

  /** Resolves once every write queued so far is committed or rejected (before the connection closes). */
  idle(): Promise<void> {
    if (!this.scheduled && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /**
   * Runs `write` inside the next batch's transaction; resolves with its result
   * once committed. With `alone`, the write gets a transaction of its own
   * (a probe expected to fail must not roll other writes back with it).
   */
  run<T>(write: () => T, options: { readonly alone?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject, alone: options.alone === true })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => this.flush(Date.now()))
      }
    })
  }

  private flush(startedAt: number): void {
    const batch = this.nextBatch()
    const stopped = this.check()
    if (stopped !== undefined) return this.fail(batch, stopped)
    try {
      this.statements.begin.run()
    } catch (error) {
      const delay = retryDelay(this.busyRetry, error, 1, startedAt)
      if (delay !== undefined) {
        this.queue = batch.concat(this.queue)
        setTimeout(() => this.flush(startedAt), delay)
        return
      }
      return this.fail(batch, asStorageError(error, 'starting a write transaction'))
    }
    const results: Attempt[] = []
    for (const item of batch) {
      const result = this.attempt(item)
      if ('lost' in result) {
        this.rollbackQuietly()
        return this.fail(batch, asStorageError(result.lost, 'a write'))
      }
      results.push(result)
    }
    try {
      this.statements.commit.run()
    } catch (error) {
      this.rollbackQuietly()
      return this.fail(batch, asStorageError(error, 'committing writes'))
    }
    batch.forEach((item, i) => {
      const result = results[i] as Exclude<Attempt, { lost: unknown }>
      if (result.ok) item.resolve(result.value)
      else item.reject(result.error)
    })
    this.continue()
  }

  /** The writes of the next transaction: the queue up to the first write that runs alone, or that write by itself. */
  private nextBatch(): QueuedWrite[] {
    const alone = this.queue.findIndex((item) => item.alone)
    const size = alone === -1 ? this.queue.length : Math.max(alone, 1)
    return this.queue.splice(0, size)
  }

  /** Runs one write in its savepoint. When its failure took the whole transaction with it, says so (`lost`). */
  private attempt(item: QueuedWrite): Attempt {
    try {
      this.statements.savepoint.run()
    } catch (error) {
      return { lost: error }
    }
    try {
      const value = item.write()
      this.statements.release.run()
      return { ok: true, value }
    } catch (error) {
      try {
        this.statements.undo.run()
        this.statements.release.run()
      } catch {
        // "no such savepoint": SQLite rolled the whole transaction back under the failed write.
        return { lost: error }
      }
      return { ok: false, error: asStorageError(error, 'a write') }
    }
  }

  /** Rejects every write of a batch with one failure, and goes on with the next batch. */
  private fail(batch: readonly QueuedWrite[], error: unknown): void {
    for (const item of batch) item.reject(error)
    this.continue()
  }

  private continue(): void {
    if (this.queue.length === 0) {
      this.scheduled = false
      this.notifyIdle()
      return
    }
    setImmediate(() => this.flush(Date.now()))
  }

  private notifyIdle(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve()
  }

  private rollbackQuietly(): void {
    try {
      this.statements.rollback.run()
    } catch {
      // The transaction is already gone.
    }
  }
}
