import type { SqliteDatabaseLike } from './sqlite-database.js'

interface QueuedWrite {
  readonly write: () => unknown
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED'
}

/**
 * Group commit for SQLite: writes issued in the same turn of the event loop
 * run in one `begin immediate … commit`, each in its own savepoint so one
 * write failing (a lost lease, a constraint) does not undo the others. When
 * another process holds the write lock past the busy timeout, the batch is
 * retried later without blocking, so SQLITE_BUSY never reaches the caller
 * unless the database stays locked for `maxBusyWaitMs`.
 */
export class SqliteWriteQueue {
  private queue: QueuedWrite[] = []
  private scheduled = false
  private idleWaiters: (() => void)[] = []
  private readonly statements: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'undo', { run(): unknown }>

  constructor(
    db: SqliteDatabaseLike,
    private readonly maxBusyWaitMs: number,
  ) {
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

  /** Runs `write` inside the next batch's transaction; resolves with its result once committed. */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => void this.flush(Date.now()))
      }
    })
  }

  private async flush(startedAt: number): Promise<void> {
    const batch = this.queue
    this.queue = []
    try {
      this.statements.begin.run()
    } catch (error) {
      this.queue = batch.concat(this.queue)
      if (isBusy(error) && Date.now() - startedAt < this.maxBusyWaitMs) {
        setTimeout(() => void this.flush(startedAt), 5 + Math.random() * 20)
        return
      }
      this.scheduled = false
      for (const item of this.queue.splice(0)) item.reject(error)
      this.notifyIdle()
      return
    }
    const results = batch.map((item) => this.attempt(item))
    try {
      this.statements.commit.run()
    } catch (error) {
      this.rollbackQuietly()
      for (const item of batch) item.reject(error)
      this.continue()
      return
    }
    batch.forEach((item, i) => {
      const result = results[i]!
      if (result.ok) item.resolve(result.value)
      else item.reject(result.error)
    })
    this.continue()
  }

  private attempt(item: QueuedWrite): { ok: true; value: unknown } | { ok: false; error: unknown } {
    this.statements.savepoint.run()
    try {
      const value = item.write()
      this.statements.release.run()
      return { ok: true, value }
    } catch (error) {
      this.statements.undo.run()
      this.statements.release.run()
      return { ok: false, error }
    }
  }

  private continue(): void {
    if (this.queue.length === 0) {
      this.scheduled = false
      this.notifyIdle()
      return
    }
    setImmediate(() => void this.flush(Date.now()))
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
