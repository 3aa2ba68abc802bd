import { statSync } from 'node:fs'
import { StorageError } from '../../core/errors.js'

/** The identity of an opened file, to tell it from another file at the same path later. */
interface OpenedFile {
  readonly path: string
  readonly dev: number
  readonly ino: number
}

/**
 * The file at `path` now; `undefined` when there is none (or its folder was
 * replaced by a file); `'unknown'` when it cannot be looked at now. Never
 * throws (it runs in the write queue's background callback).
 */
function openedFile(path: string): OpenedFile | 'unknown' | undefined {
  try {
    const stats = statSync(path, { throwIfNoEntry: false })
    return stats === undefined ? undefined : { path, dev: stats.dev, ino: stats.ino }
  } catch (error) {
    // Its folder became a file: gone. Other errors (permissions, a stale network mount) say nothing either way.
    return (error as NodeJS.ErrnoException).code === 'ENOTDIR' ? undefined : 'unknown'
  }
}

/**
 * Watches that the file at a store's path is still the one it opened. If it
 * was deleted or replaced, writes would go to a file nobody can see any more:
 * the store stops, and every operation fails with a `StorageError`.
 */
export class DatabaseFile {
  private readonly file: OpenedFile | undefined
  /** Set once the store can no longer be used safely (its file is gone): every operation then fails with it. */
  private stopped: StorageError | undefined

  /** @param path - the absolute path of the file opened, or `undefined` (`:memory:`, a connection of the user's). */
  constructor(path: string | undefined) {
    const opened = path === undefined ? undefined : openedFile(path)
    this.file = opened === 'unknown' ? undefined : opened
  }

  /** The file's path, when the store opened one. */
  get path(): string | undefined {
    return this.file?.path
  }

  /** The failure that stopped the store, if any (without looking at the file again). */
  get failure(): StorageError | undefined {
    return this.stopped
  }

  /** Looks at the file: the failure that stops the store when it is gone or replaced, else `undefined`. */
  check(): StorageError | undefined {
    if (this.stopped !== undefined || this.file === undefined) return this.stopped
    const now = openedFile(this.file.path)
    if (now === 'unknown' || (now?.dev === this.file.dev && now.ino === this.file.ino)) return undefined
    const what = now === undefined ? 'was deleted' : 'was replaced by another file'
    this.stopped = new StorageError(
      'file-replaced',
      `the database file ${this.file.path} ${what} while Weft had it open; Weft stopped writing so that nothing goes to a file nobody can see: ` +
        'restore the file (runs resume from it), then start a new engine',
    )
    return this.stopped
  }
}
