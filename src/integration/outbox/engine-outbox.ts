import { toMillis, type Duration } from '../../core/duration.js'
import { OutboxUnavailableError } from '../../core/outbox-errors.js'
import { OptionCheck } from '../../graph/option-check.js'
import { normalizeRetry } from '../../graph/policy-normalizers.js'
import type { RetryOptions } from '../../graph/policy-options.js'
import type { Adapter } from '../adapter.js'
import type { OutboxEvent } from '../../runtime/run-events.js'
import type { OutboxCounts, OutboxEntry, OutboxQuery, OutboxStore } from '../../storage/outbox-store.js'
import { OutboxDeliverer, type OutboxDelivererConfig } from './outbox-deliverer.js'
import { isOutboxTarget, type OutboxTarget } from './outbox-target.js'

/**
 * Options of the engine's outbox deliverer (`createEngine({ outbox })`).
 *
 * @example
 * ```ts
 * import { createEngine, type OutboxOptions } from 'weft-sdk'
 * const outbox: OutboxOptions = { retry: { maxAttempts: 20, backoff: { initial: '1 s', max: '10 m' } }, pollInterval: '2 s' }
 * const engine = createEngine({ outbox })
 * ```
 */
export interface OutboxOptions {
  /**
   * Attempts per entry (counting the first delivery) and the backoff between
   * failed ones; after the last the entry is `dead`. Counted in the store, so
   * they hold across restarts and workers.
   * @defaultValue `{ maxAttempts: 10, backoff: { initial: '1 s', max: '5 m', jitter: 'full' } }`
   */
  readonly retry?: Pick<RetryOptions, 'maxAttempts' | 'backoff'>
  /** How often pending entries are looked for (retries due, entries of dead workers). @defaultValue `'1 s'` */
  readonly pollInterval?: Duration
  /** Most entries claimed per pass. @defaultValue `50` */
  readonly batch?: number
}

/** What the engine passes when it creates its outbox. */
export interface EngineOutboxWiring {
  /** The store's outbox role; `undefined` when the store has none. */
  readonly store: OutboxStore | undefined
  /** Whether this engine delivers (`claimRuns`: an API-only engine records but does not deliver). */
  readonly delivers: boolean
  readonly owner: string
  readonly leaseMs: number
  adapters(): readonly Adapter[]
  emit(event: OutboxEvent): void
  reportError(error: unknown): void
  now(): number
}

/**
 * Which dead entries `engine.outbox.retry` makes pending again.
 *
 * @example
 * ```ts
 * import type { OutboxRetryOptions } from 'weft-sdk'
 * const one: OutboxRetryOptions = { ids: ['run-1:notify:events:outbox:1'] }
 * ```
 */
export interface OutboxRetryOptions {
  /** Only these entries (those of them that are dead); every dead entry when absent. */
  readonly ids?: readonly string[]
}

/**
 * The engine's durable outbox (`engine.outbox`): what tasks recorded with
 * their steps (`ctx.use(amqp).publishDurably(...)`, `ctx.outbox`), and its
 * deliverer. An engine that claims runs delivers entries of the adapters it
 * has registered (right after their step commits, and by polling: retries,
 * entries whose worker died); an API-only engine (`claimRuns: false`) only
 * inspects.
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft-sdk'
 * const engine = createEngine()
 * const counts = await engine.outbox.counts() // { pending, delivered, dead }
 * for (const entry of await engine.outbox.list({ status: 'dead' })) console.error(entry.id, entry.lastError)
 * engine.on('outbox.failed', (event) => console.warn(event.id, event.error.message))
 * ```
 */
export class EngineOutbox {
  private readonly deliverer: OutboxDeliverer | undefined

  /** @internal */
  constructor(
    private readonly wiring: EngineOutboxWiring,
    options: OutboxOptions = {},
  ) {
    const config = delivererConfig(wiring, options)
    if (wiring.store !== undefined && wiring.delivers) {
      this.deliverer = new OutboxDeliverer(wiring.store, config, {
        targets: () => targetsOf(wiring.adapters()),
        emit: wiring.emit,
        reportError: wiring.reportError,
        now: wiring.now,
      })
    }
  }

  /** Entries, oldest first (by default the first 100). @throws `OutboxUnavailableError` when the store has no outbox. */
  list(query?: OutboxQuery): Promise<OutboxEntry[]> {
    return this.store('engine.outbox.list()').listOutbox(query)
  }

  /** How many entries are pending, delivered and dead. @throws `OutboxUnavailableError` when the store has no outbox. */
  counts(): Promise<OutboxCounts> {
    return this.store('engine.outbox.counts()').countOutbox()
  }

  /**
   * Gives dead entries another life: every dead entry, or those of `ids`
   * that are dead, becomes pending again with its attempts counted from 0
   * (its `lastError` kept), and an engine that delivers delivers them at
   * once. An entry goes dead when its adapter refused it (a non-retryable
   * error) or after `outbox.retry.maxAttempts` failed deliveries (a broker
   * down for longer than the backoff reaches); fix the cause, then retry.
   * Resolves with the ids requeued (entries that were not dead are left as
   * they are). `weft outbox retry` does the same from the command line.
   *
   * @example
   * ```ts
   * import { createEngine } from 'weft-sdk'
   * const engine = createEngine()
   * const dead = await engine.outbox.list({ status: 'dead' })
   * console.log(dead.map((entry) => `${entry.id}: ${entry.lastError}`))
   * const requeued = await engine.outbox.retry() // or retry({ ids: [dead[0]!.id] })
   * await engine.outbox.deliver()
   * ```
   * @throws `OutboxUnavailableError` when the store has no outbox.
   */
  async retry(options: OutboxRetryOptions = {}): Promise<string[]> {
    const store = this.store('engine.outbox.retry()')
    const ids = await store.requeueOutbox({ ...(options.ids === undefined ? {} : { ids: options.ids }), now: this.wiring.now() })
    if (ids.length > 0) this.deliverer?.deliverSoon(ids)
    return ids
  }

  /** Delivers what is claimable now and resolves when done (without waiting for the poll); nothing on an engine that does not deliver. */
  async deliver(): Promise<void> {
    await this.deliverer?.flush()
  }

  /** @internal Starts delivering (the engine opened). */
  start(): void {
    this.deliverer?.start()
  }

  /** @internal A step's entries were committed: deliver them now. */
  stored(ids: readonly string[]): void {
    this.deliverer?.deliverSoon(ids)
  }

  /** @internal Stops delivering (the engine closes, before its adapters). */
  async stop(): Promise<void> {
    await this.deliverer?.stop()
  }

  private store(operation: string): OutboxStore {
    if (this.wiring.store === undefined) throw new OutboxUnavailableError(operation)
    return this.wiring.store
  }
}

function delivererConfig(wiring: EngineOutboxWiring, options: OutboxOptions): OutboxDelivererConfig {
  const check = new OptionCheck('createEngine outbox')
  const retry = normalizeRetry(check, { maxAttempts: options.retry?.maxAttempts ?? 10, backoff: { initial: '1 s', max: '5 m', ...options.retry?.backoff } }, 'retry')
  const pollMs = toMillis(options.pollInterval ?? '1 s', 'outbox.pollInterval')
  if (pollMs <= 0) check.fail('pollInterval', 'a positive duration', options.pollInterval)
  return { owner: wiring.owner, leaseMs: wiring.leaseMs, pollMs, batch: check.integer('batch', options.batch ?? 50, 1), retry }
}

function targetsOf(adapters: readonly Adapter[]): ReadonlyMap<string, OutboxTarget> {
  const targets = new Map<string, OutboxTarget>()
  for (const adapter of adapters) if (isOutboxTarget(adapter)) targets.set(adapter.name, adapter)
  return targets
}
