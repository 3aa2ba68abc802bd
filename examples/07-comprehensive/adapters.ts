/**
 * The systems the comprehensive workflow talks to, as in-memory fakes: a
 * warehouse that fails its first write, an image service that counts how many
 * resizes run at once, and a CDN whose final publish step is down. A real
 * application registers real adapters under the same classes.
 *
 * @module
 */
import { setTimeout as delay } from 'node:timers/promises'
import type { InjectionToken } from 'tsyringe'

/** Where tasks report fine-grained progress: the task's name and one line. Injected with `@inject(ProgressLog)`. */
export type ProgressLog = (task: string, message: string) => void

/** The injection token of {@link ProgressLog}: an interface has no run-time class to inject by. */
export const ProgressLog: InjectionToken<ProgressLog> = Symbol('ProgressLog')

/** One row as the warehouse stores it. */
export interface WarehouseRow {
  readonly id: string
  readonly value: number
}

/** A database that reports a transient deadlock on its first write, then works. */
export class Warehouse {
  readonly tables = new Map<string, readonly WarehouseRow[]>()
  private writes = 0
  private readonly locks = new Set<string>()

  async write(table: string, rows: readonly WarehouseRow[], idempotencyKey: string, signal: AbortSignal): Promise<number> {
    this.writes++
    this.locks.add(table)
    await delay(2, undefined, { signal })
    if (this.writes === 1) throw new Error('deadlock detected, transaction rolled back')
    this.tables.set(`${table}@${idempotencyKey}`, rows)
    return rows.length
  }

  /** Drops the table locks a run took; returns how many it held. */
  releaseLocks(table: string): number {
    return this.locks.delete(table) ? 1 : 0
  }
}

/** An image service; remembers the most resizes it ever ran at once. */
export class ImageService {
  peakConcurrency = 0
  private running = 0

  async resize(url: string, signal: AbortSignal): Promise<string> {
    this.running++
    this.peakConcurrency = Math.max(this.peakConcurrency, this.running)
    try {
      await delay(3, undefined, { signal })
      return url.replace(/\.jpg$/, '.thumb.jpg')
    } finally {
      this.running--
    }
  }
}

/** A CDN: uploads work, but switching the dataset live fails (its purge API is down). */
export class Cdn {
  readonly uploaded = new Map<string, readonly string[]>()

  async publish(datasetId: string, files: readonly string[], signal: AbortSignal): Promise<string> {
    await delay(2, undefined, { signal })
    this.uploaded.set(datasetId, files)
    throw new Error('CDN cache purge failed (502 Bad Gateway)')
  }

  /** Deletes what {@link publish} uploaded; returns how many files it removed. */
  removeUploads(datasetId: string): number {
    const files = this.uploaded.get(datasetId) ?? []
    this.uploaded.delete(datasetId)
    return files.length
  }
}
