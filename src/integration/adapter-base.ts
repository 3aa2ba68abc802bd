import { describeCause, isWeftError } from '../core/errors.js'
import { AdapterClosedError } from '../core/integration-errors.js'
import { toMillis, type Duration } from '../core/duration.js'
import type { Bindable, CallContext } from '../graph/call-context.js'
import type { CircuitState } from '../resilience/circuit-breakers.js'
import type { PolicyStateStore } from '../resilience/policy-services.js'
import type { AdapterEvent } from '../runtime/run-events.js'
import type { Adapter, AdapterHealth, AdapterStats } from './adapter.js'
import { AdapterPolicies, type AdapterResilienceOptions, type CallBody, type CutBody } from './adapter-policies.js'
import { OperationCounters } from './operation-counters.js'

/**
 * Options every adapter built on {@link AdapterBase} takes: its name, its
 * health check's time limit, and its resilience (per adapter and per
 * operation). A subclass's options extend them.
 *
 * @example
 * ```ts
 * import type { AdapterBaseOptions } from 'weft-sdk'
 * const options: AdapterBaseOptions = { name: 'inventory', healthTimeout: '2 s', retry: { maxAttempts: 3 }, operations: { reserve: { timeout: '1 s' } } }
 * ```
 */
export interface AdapterBaseOptions extends AdapterResilienceOptions {
  /** The adapter's name: unique among an engine's adapters; names its breakers, limiters, events and idempotency keys. */
  readonly name: string
  /** How long `health()` waits for its round trip before reporting `down`. @defaultValue `'5 s'` */
  readonly healthTimeout?: Duration
}

/**
 * What a call through an adapter carries: the task's signal and the call's
 * idempotency key. `ctx.use(adapter)` sets both; pass them yourself when you
 * call an adapter outside a task.
 *
 * @example
 * ```ts
 * import { HttpAdapter, type CallOptions } from 'weft-sdk'
 * const payments = new HttpAdapter({ name: 'payments', baseUrl: 'http://127.0.0.1:8080' })
 * const call: CallOptions = { signal: AbortSignal.timeout(5_000), idempotencyKey: 'refund-order-42' }
 * await payments.post('refunds', { order: 42 }, {}, call)
 * ```
 */
export interface CallOptions {
  /** Cancels the call (a task's `ctx.signal`). */
  readonly signal?: AbortSignal
  /** The key the remote side deduplicates the call by. `ctx.use(adapter)` sets it per call. */
  readonly idempotencyKey?: string
}

/**
 * The base of Weft's adapters and a convenient one for yours: counters per
 * operation, resilience per adapter and per operation (the task policies'
 * options and objects), events for failed calls and breaker transitions,
 * `health()` timed around your `ping`, secrets redacted from errors and
 * events, and `close()`. A subclass implements `kind`, `ping` and `bind`, and
 * makes each call through `this.call(operation, options, body)`.
 *
 * @example
 * ```ts
 * import { AdapterBase, type CallContext, type CallOptions } from 'weft-sdk'
 *
 * class Inventory extends AdapterBase<{ reserve(sku: string): Promise<boolean> }> {
 *   readonly kind = 'inventory'
 *   constructor() {
 *     super({ name: 'inventory', retry: { maxAttempts: 3 }, timeout: '2 s' })
 *   }
 *   reserve(sku: string, options: CallOptions = {}): Promise<boolean> {
 *     return this.call('reserve', options, async (signal) => sku.length > 0 && !signal?.aborted)
 *   }
 *   bind(call: CallContext) {
 *     return { reserve: (sku: string) => this.reserve(sku, { signal: call.signal, idempotencyKey: call.nextIdempotencyKey(this.name) }) }
 *   }
 *   protected async ping(): Promise<void> {}
 * }
 * ```
 */
export abstract class AdapterBase<C> implements Adapter, Bindable<C> {
  /** What it talks to, e.g. `'http'`. */
  abstract readonly kind: string
  readonly name: string
  private readonly policies: AdapterPolicies
  private readonly counters = new Map<string, OperationCounters>()
  private readonly listeners = new Set<(event: AdapterEvent) => void>()
  private readonly healthTimeoutMs: number
  private readonly secrets: string[] = []
  private closed = false

  protected constructor(options: AdapterBaseOptions) {
    if (typeof options.name !== 'string' || options.name === '') throw new TypeError('an adapter needs a name (options.name), unique among the engine\'s adapters')
    this.name = options.name
    this.healthTimeoutMs = toMillis(options.healthTimeout ?? '5 s', 'healthTimeout')
    this.policies = new AdapterPolicies(options.name, options, (breaker, from, to) => this.breakerChanged(breaker, from, to))
  }

  /** A client bound to one task attempt (`ctx.use(adapter)`): its calls carry the attempt's signal and numbered idempotency keys. */
  abstract bind(call: CallContext): C

  /** One round trip to the server; throws when it does not answer as it should. */
  protected abstract ping(signal: AbortSignal): Promise<void>

  /** Called by `close()` before the policies are released: close connections here. */
  protected async closeConnections(): Promise<void> {}

  async health(): Promise<AdapterHealth> {
    const started = performance.now()
    const statusNow = async () => {
      const latencyMs = performance.now() - started
      return { latencyMs, breakers: await this.policies.breakerStatus(), limiters: this.policies.limiterStatus(Date.now()) }
    }
    try {
      if (this.closed) throw new AdapterClosedError(this.name)
      await this.ping(AbortSignal.timeout(this.healthTimeoutMs))
    } catch (error) {
      return { state: 'down', detail: this.redact(describeCause(error)), ...(await statusNow()) }
    }
    const status = await statusNow()
    const tripped = status.breakers.filter((breaker) => breaker.state !== 'closed')
    if (tripped.length === 0) return { state: 'up', ...status }
    return { state: 'degraded', detail: tripped.map((b) => `breaker "${b.name}" is ${b.state}`).join('; '), ...status }
  }

  stats(): AdapterStats {
    return { adapter: this.name, kind: this.kind, operations: [...this.counters.values()].map((counters) => counters.snapshot()) }
  }

  /** Takes the engine's limiter and breaker state (called when the adapter is registered), unless it was given `policyState` of its own. */
  usePolicyState(state: PolicyStateStore): void {
    this.policies.adopt(state)
  }

  observe(listener: (event: AdapterEvent) => void): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.closeConnections()
    await this.policies.close()
  }

  /**
   * Makes one call of `operation` under its policies, counted and reported:
   * `body(signal, attempt)` runs once per attempt. With `cacheKey`, an
   * operation with a `cache` answers calls of the same key from it (give one
   * only for calls that read: the same key must mean the same answer); it is
   * called only when the operation has a cache.
   * @throws what the last attempt threw, or the policy's error; `AdapterClosedError` after `close()`.
   */
  protected call<A>(operation: string, options: CallOptions, body: CallBody<A>, cacheKey?: () => string): Promise<A> {
    return this.callCut(operation, options, (cut, n) => body(cut?.signal, n), cacheKey)
  }

  /**
   * `call`, for an attempt that takes what cuts it as an `AttemptCut` (its
   * signal made only if asked for: the HTTP adapter aborts its request
   * without one). @internal
   */
  protected async callCut<A>(operation: string, options: CallOptions, body: CutBody<A>, cacheKey?: () => string): Promise<A> {
    if (this.closed) throw new AdapterClosedError(this.name)
    const started = performance.now()
    let attempts = 0
    try {
      const value = await this.policies.run(operation, options.signal, (cut, n) => ((attempts = n), body(cut, n)), cacheKey)
      this.countersOf(operation).record(performance.now() - started, false)
      return value
    } catch (error) {
      const durationMs = performance.now() - started
      this.countersOf(operation).record(durationMs, true)
      this.callFailed(operation, Math.max(attempts, 1), durationMs, error)
      throw error
    }
  }

  /** Marks a value as secret: it is replaced by `<redacted>` in every message this adapter reports. */
  protected addSecret(value: string): void {
    if (value.length > 0 && !this.secrets.includes(value)) this.secrets.push(value)
  }

  /** Stops redacting `value` (a token long replaced: secrets must not pile up in a long-lived adapter). */
  protected forgetSecret(value: string): void {
    const at = this.secrets.indexOf(value)
    if (at >= 0) this.secrets.splice(at, 1)
  }

  /** `text` with every secret replaced by `<redacted>`. */
  protected redact(text: string): string {
    let redacted = text
    for (const secret of this.secrets) redacted = redacted.split(secret).join('<redacted>')
    return redacted
  }

  private countersOf(operation: string): OperationCounters {
    let counters = this.counters.get(operation)
    if (counters === undefined) {
      counters = new OperationCounters(operation)
      this.counters.set(operation, counters)
    }
    return counters
  }

  private callFailed(operation: string, attempts: number, durationMs: number, error: unknown): void {
    if (this.listeners.size === 0) return
    const weft = isWeftError(error)
    const record = {
      name: error instanceof Error ? error.name : typeof error,
      code: weft ? error.code : undefined,
      message: this.redact(describeCause(error)),
    }
    this.emit({ type: 'adapter.call-failed', at: Date.now(), adapter: this.name, operation, attempts, durationMs, retryable: weft ? error.isRetryable : true, error: record })
  }

  private breakerChanged(breaker: string, from: CircuitState, to: CircuitState): void {
    const type = to === 'open' ? 'breaker.opened' : to === 'half-open' ? 'breaker.half-open' : 'breaker.closed'
    this.emit({ type, at: Date.now(), breaker, from, adapter: this.name })
  }

  private emit(event: AdapterEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch {
        // A listener's failure never reaches the call; the engine reports its listeners' errors itself.
      }
    }
  }
}
