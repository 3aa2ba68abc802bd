// The writer of the audit log: seals records into its own chains (one per lane, named after the writer), keeps
// each chain's head in memory (read from the store once, at open), and signs checkpoints of its heads every N
// entries, every T milliseconds and at close. A lane is held by one write from sealing to commit, so an entry
// whose transaction rolls back leaves no gap: the lane's head only moves when the write succeeded.
import { InvalidOptionsError } from '../core/definition-errors.js'
import { StorageError } from '../core/errors.js'
import { SecurityConfigError } from '../core/security-errors.js'
import { auditOutcomes, type AuditEntry, type AuditStore, type NewAuditEntry } from '../storage/audit-store.js'
import { auditGenesisHash, positionAfter, sealAuditEntry, type AuditChainPosition } from './audit-chain.js'
import type { AuditCheckpoint, AuditSigner, CheckpointHead, CheckpointSink } from './audit-checkpoints.js'

/**
 * Options of {@link AuditLog.open}.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * import { AuditSigner, FileCheckpointSink, sqliteStore, type AuditLogOptions } from 'weft-sdk'
 * const store = sqliteStore()
 * const options: AuditLogOptions = {
 *   store: store.audit,
 *   writer: 'host-1/4242/ab12',
 *   signer: new AuditSigner(readFileSync('audit-key.pem', 'utf8')),
 *   checkpoints: new FileCheckpointSink('audit-checkpoints.jsonl'),
 * }
 * ```
 */
export interface AuditLogOptions {
  /** The store's audit log (`store.audit`). */
  readonly store: AuditStore
  /** This writer's id (the engine's id): its chains are named after it, so two live writers must not share one. */
  readonly writer: string
  /** Signs checkpoints; with {@link AuditLogOptions.checkpoints}, or neither (then nothing guards against truncation). */
  readonly signer?: AuditSigner
  /** Where signed checkpoints go. */
  readonly checkpoints?: CheckpointSink
  /** A checkpoint after this many entries. @defaultValue `1000` */
  readonly checkpointEvery?: number
  /** A checkpoint at least this often while entries are written (milliseconds). @defaultValue `60000` */
  readonly checkpointIntervalMs?: number
  /**
   * How many chains this writer appends to concurrently (each held by one
   * write from sealing to commit). @defaultValue `1`
   */
  readonly lanes?: number
  /** The time of entries without `at` (epoch milliseconds). @defaultValue `Date.now` */
  readonly clock?: () => number
  /** Called when a checkpoint taken in the background fails (the next one covers its entries). @defaultValue ignores it */
  readonly onCheckpointError?: (error: unknown) => void
}

/** One chain of the writer: where it goes on from, and whether that must be read again (after a failed write). */
interface Lane {
  position: AuditChainPosition
  stale: boolean
}

const actionPattern = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$/
const maxReasonLength = 1000

/**
 * The tamper-evident audit log a writer (an engine) appends to: each entry
 * is sealed into the writer's chain (its hash covers its fields and the
 * previous entry's hash), written to the store, and covered by the next
 * signed checkpoint. `record` writes an entry in its own transaction;
 * `recordWith` hands the sealed entry to a write of the caller's, so it
 * commits with the operation it records.
 *
 * @example
 * ```ts
 * import { AuditLog, AuditSigner, FileCheckpointSink, generateAuditKeys, sqliteStore } from 'weft-sdk'
 * const store = sqliteStore()
 * await store.init()
 * const log = await AuditLog.open({ store: store.audit, writer: 'worker-1', signer: new AuditSigner(generateAuditKeys().privateKey), checkpoints: new FileCheckpointSink('audit.jsonl') })
 * await log.record({ subject: 'user:ada', action: 'run.cancel', resource: 'run:r-1', runId: 'r-1', outcome: 'succeeded' })
 * await log.close() // a last checkpoint
 * ```
 */
export class AuditLog {
  private readonly free: Lane[]
  private readonly lanes: Lane[]
  private readonly waiting: ((lane: Lane) => void)[] = []
  private sinceCheckpoint = 0
  private phase: 'open' | 'closed' = 'open'
  private readonly timer: ReturnType<typeof setInterval> | undefined
  private checkpointing: Promise<AuditCheckpoint | undefined> = Promise.resolve(undefined)

  private constructor(
    private readonly options: AuditLogOptions,
    positions: readonly AuditChainPosition[],
  ) {
    this.lanes = positions.map((position) => ({ position, stale: false }))
    this.free = [...this.lanes]
    if (options.signer !== undefined) {
      this.timer = setInterval(() => this.checkpointInBackground(), options.checkpointIntervalMs ?? 60_000)
      this.timer.unref()
    }
  }

  /**
   * Opens the writer's chains: reads their heads from the store once.
   * @throws `SecurityConfigError` when only one of `signer` and `checkpoints` is given; `InvalidOptionsError` for a bad lane count or writer.
   */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    if ((options.signer === undefined) !== (options.checkpoints === undefined)) {
      throw new SecurityConfigError('an audit log signs checkpoints with `signer` and writes them to `checkpoints`: give both or neither')
    }
    const lanes = options.lanes ?? 1
    if (!Number.isInteger(lanes) || lanes < 1 || lanes > 64) throw new InvalidOptionsError(`audit log lanes must be an integer from 1 to 64; got ${lanes}`)
    if (options.writer.length === 0) throw new InvalidOptionsError('an audit log needs a writer id (the engine id)')
    const chains = Array.from({ length: lanes }, (_, i) => auditChainName(options.writer, i))
    const heads = await options.store.auditHeads()
    return new AuditLog(options, chains.map((chain) => positionFrom(chain, heads)))
  }

  /** The writer's chains, lane by lane. */
  get chains(): readonly string[] {
    return this.lanes.map((lane) => lane.position.chain)
  }

  /**
   * Seals `entry` into one of the writer's chains and appends it to the
   * store in a transaction of its own.
   * @returns the stored entry (with its chain, index and hashes).
   * @throws `InvalidOptionsError` for a malformed action or outcome; the store's error when the write fails (nothing is written).
   */
  async record(entry: NewAuditEntry): Promise<AuditEntry> {
    const append = async (sealed: AuditEntry) => {
      await this.options.store.appendAudit([sealed])
      return sealed
    }
    try {
      return await this.recordWith(entry, append)
    } catch (error) {
      // Its index was taken (a write reported failed had committed, or another live writer has this id): once more from the stored head.
      if (!(error instanceof StorageError && error.reason === 'constraint')) throw error
      return this.recordWith(entry, append)
    }
  }

  /**
   * Seals `entry` and hands it to `write`, which inserts it in the same
   * transaction as the operation it records (`insertAuditEntry` inside a
   * SQLite write, `insertAuditEntryOn(client, …)` inside a PostgreSQL
   * transaction, `store.audit.insert` in memory). The chain's head moves on
   * only when `write` resolves; when it rejects, the head is read again
   * before that chain's next entry (the commit may have happened).
   */
  async recordWith<T>(entry: NewAuditEntry, write: (sealed: AuditEntry) => Promise<T>): Promise<T> {
    assertWritable(entry, this.phase)
    return this.recordWithin((seal) => write(seal(entry)))
  }

  /**
   * Holds one of the writer's chains while `write` runs and hands it `seal`,
   * which seals entries at the chain's end, one after the other, for
   * `write` to insert in its transaction: for entries that depend on what
   * the write finds (a refresh token reused or rotated, how many sessions a
   * revocation ended). Every entry sealed must be inserted by `write`, or
   * `write` must reject. The chain goes on after the last entry sealed when
   * `write` resolves (stays where it was when none was sealed), and is read
   * again before its next entry when `write` rejects.
   * @throws `InvalidOptionsError` from `seal` for a malformed entry (inside `write`, which then fails) or when the log is closed.
   */
  async recordWithin<T>(write: (seal: (entry: NewAuditEntry) => AuditEntry) => Promise<T>): Promise<T> {
    if (this.phase === 'closed') throw closedError()
    const lane = await this.acquire()
    try {
      if (lane.stale) await this.reload(lane)
      let position = lane.position
      let sealed = 0
      const result = await write((entry) => {
        assertWritable(entry, 'open')
        const entrySealed = sealAuditEntry(entry, position, (this.options.clock ?? Date.now)())
        position = positionAfter(entrySealed)
        sealed++
        return entrySealed
      })
      lane.position = position
      for (let i = 0; i < sealed; i++) this.counted()
      return result
    } catch (error) {
      lane.stale = true
      throw error
    } finally {
      this.release(lane)
    }
  }

  /**
   * Signs the writer's chain heads as they are now (entries committed) and
   * writes the checkpoint to the sink after any write under way;
   * `undefined` without a signer, or when no chain has an entry yet.
   */
  flushCheckpoint(): Promise<AuditCheckpoint | undefined> {
    const checkpoint = this.signHeads()
    if (checkpoint === undefined) return this.checkpointing.catch(() => undefined).then(() => undefined)
    this.checkpointing = this.checkpointing.catch(() => undefined).then(async () => {
      await this.options.checkpoints!.write(checkpoint)
      return checkpoint
    })
    return this.checkpointing
  }

  /** Waits for writes under way, takes a last checkpoint (when entries came after the last one), and refuses records from then on. */
  async close(): Promise<void> {
    if (this.phase === 'closed') return
    this.phase = 'closed'
    if (this.timer !== undefined) clearInterval(this.timer)
    await Promise.all(this.lanes.map(async () => this.release(await this.acquire())))
    await (this.sinceCheckpoint > 0 ? this.flushCheckpoint() : this.checkpointing.catch(() => undefined))
  }

  /** A checkpoint of the heads now, signed; `undefined` without a signer or without entries. */
  private signHeads(): AuditCheckpoint | undefined {
    const heads: Record<string, CheckpointHead> = {}
    for (const { position } of this.lanes) if (position.next > 0) heads[position.chain] = { index: position.next - 1, hash: position.prevHash }
    if (this.options.signer === undefined || Object.keys(heads).length === 0) return undefined
    this.sinceCheckpoint = 0
    return this.options.signer.sign({ version: 1, writer: this.options.writer, at: (this.options.clock ?? Date.now)(), heads })
  }

  private counted(): void {
    this.sinceCheckpoint++
    if (this.sinceCheckpoint >= (this.options.checkpointEvery ?? 1000)) this.checkpointInBackground()
  }

  private checkpointInBackground(): void {
    if (this.options.signer === undefined || this.sinceCheckpoint === 0) return
    this.flushCheckpoint().catch((error: unknown) => this.options.onCheckpointError?.(error))
  }

  private async reload(lane: Lane): Promise<void> {
    lane.position = positionFrom(lane.position.chain, await this.options.store.auditHeads())
    lane.stale = false
  }

  private acquire(): Promise<Lane> {
    const lane = this.free.pop()
    if (lane !== undefined) return Promise.resolve(lane)
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  private release(lane: Lane): void {
    const next = this.waiting.shift()
    if (next === undefined) this.free.push(lane)
    else next(lane)
  }
}

/**
 * The name of a writer's chain in lane `lane`: the writer's id for the
 * first, `<writer>#<lane>` for the others.
 *
 * @example
 * ```ts
 * import { auditChainName } from 'weft-sdk'
 * auditChainName('worker-1', 0) // 'worker-1'
 * auditChainName('worker-1', 2) // 'worker-1#2'
 * ```
 */
export function auditChainName(writer: string, lane: number): string {
  return lane === 0 ? writer : `${writer}#${lane}`
}

function positionFrom(chain: string, heads: readonly { chain: string; index: number; hash: string }[]): AuditChainPosition {
  const head = heads.find((h) => h.chain === chain)
  return head === undefined ? { chain, next: 0, prevHash: auditGenesisHash } : { chain, next: head.index + 1, prevHash: head.hash }
}

function assertWritable(entry: NewAuditEntry, phase: 'open' | 'closed'): void {
  if (phase === 'closed') throw closedError()
  if (!actionPattern.test(entry.action)) throw new InvalidOptionsError(`audit action "${entry.action}" must be <area>.<event> in lower case, e.g. run.cancel`)
  if (!auditOutcomes.includes(entry.outcome)) throw new InvalidOptionsError(`audit outcome "${String(entry.outcome)}" must be one of ${auditOutcomes.join(', ')}`)
  if ((entry.reason ?? '').length > maxReasonLength) throw new InvalidOptionsError(`an audit reason is at most ${maxReasonLength} characters; got ${entry.reason!.length}`)
}

function closedError(): InvalidOptionsError {
  return new InvalidOptionsError('the audit log is closed: nothing more can be recorded')
}
