import { Effect, Layer } from 'effect'
import { CircuitBreaker as EffectBreaker, RateLimiter, Redis as EffectRedis } from 'effect/persistence'
import { Redis, type RedisOptions } from 'ioredis'
import { toMillis, type Duration } from '../../core/duration.js'
import type { PolicyStateStore } from '../../resilience/policy-services.js'

/**
 * Options of {@link redisPolicyState}: the server (a URL, or a client you
 * own), and the prefix of its keys.
 *
 * @example
 * ```ts
 * import type { RedisPolicyStateOptions } from 'weft-sdk/redis'
 * const options: RedisPolicyStateOptions = { url: 'redis://127.0.0.1:6379', prefix: 'billing:weft:' }
 * ```
 */
export interface RedisPolicyStateOptions {
  /** `redis://[user:password@]host:port[/db]`; Weft opens the connection and closes it on `close()`. */
  readonly url?: string
  /** A connected (or lazily connecting) ioredis client you own: Weft uses it and leaves closing it to you. */
  readonly client?: Redis
  /** ioredis options for the connection Weft opens from `url`. */
  readonly redisOptions?: RedisOptions
  /** Prefix of every key Weft writes (limiter buckets, circuits). @defaultValue `'weft:'` */
  readonly prefix?: string
  /** How long a half-open circuit's probe holds the circuit (renewed while it runs); a probe whose process died frees it after this. @defaultValue `'10 s'` */
  readonly probeLease?: Duration
}

/**
 * Limiter and breaker state on Redis, shared by every process that uses the
 * same server and prefix: a rate limit of 10 per second is 10 per second
 * across all workers, and a breaker opened by one worker refuses calls in all
 * of them. Built on Effect's Redis stores (`effect/persistence`: atomic Lua
 * scripts, times from the server's clock, a probe lease for half-open
 * circuits) over an `ioredis` connection.
 *
 * Give it to the engine (`createEngine({ policyState })`: tasks' policies and
 * every registered adapter without state of its own use it; the engine closes
 * it) or to one adapter (`policyState` option).
 *
 * When Redis cannot be reached, a limited call fails with a retryable
 * `StorageError` naming the limit, and a breaker lets the call through (its
 * outcome is not recorded): a Redis outage does not stop the work.
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft-sdk'
 * import { redisPolicyState } from 'weft-sdk/redis'
 * const engine = createEngine({ policyState: redisPolicyState({ url: 'redis://127.0.0.1:6379' }) })
 * ```
 */
export function redisPolicyState(options: RedisPolicyStateOptions): PolicyStateStore {
  const owned = options.client === undefined
  const client = options.client ?? openClient(options)
  const prefix = options.prefix ?? 'weft:'
  const probeLease = toMillis(options.probeLease ?? '10 s', 'probeLease')
  const redis = Layer.effect(EffectRedis.Redis, EffectRedis.make(redisCommands(client)))
  const stores = Layer.mergeAll(
    EffectBreaker.layerStoreRedis({ prefix: `${prefix}circuit:`, probeLease: probeLease }),
    RateLimiter.layerStoreRedis({ prefix: `${prefix}limit:` }),
  )
  return {
    kind: 'redis',
    shared: true,
    layer: stores.pipe(Layer.provide(redis)),
    close: async () => {
      // Once: quitting an ended client would reject.
      if (owned && client.status !== 'end') await client.quit().catch(() => client.disconnect())
    },
  }
}

function openClient(options: RedisPolicyStateOptions): Redis {
  if (options.url === undefined) throw new TypeError('redisPolicyState needs a url (redis://host:port) or a client')
  // A limiter must not hang a call while Redis is away: fail the command after two reconnection attempts.
  const client = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5_000, ...options.redisOptions })
  // A connection error is also each waiting command's failure, reported where the call is; unheard, ioredis would print every one.
  client.on('error', () => undefined)
  return client
}

type RedisCommands = Parameters<typeof EffectRedis.make>[0]

/** Effect's Redis service over an ioredis client: commands, pub/sub on a second connection, and dedicated connections. */
function redisCommands(client: Redis): RedisCommands {
  const sendOn =
    (connection: Redis) =>
    <A>(command: string, ...args: ReadonlyArray<string>): Effect.Effect<A, EffectRedis.RedisError> =>
      Effect.tryPromise({
        try: () => connection.call(command, ...args) as Promise<A>,
        catch: (cause) => new EffectRedis.RedisError({ cause }),
      })
  return {
    send: sendOn(client),
    subscribe: (channel, onMessage) =>
      Effect.gen(function* () {
        const subscriber = yield* Effect.acquireRelease(
          Effect.tryPromise({ try: async () => client.duplicate(), catch: (cause) => new EffectRedis.RedisError({ cause }) }),
          (connection) => Effect.promise(() => connection.quit().catch(() => undefined)),
        )
        subscriber.on('message', (from: string, message: string) => onMessage({ channel: from, message }))
        yield* Effect.tryPromise({ try: () => subscriber.subscribe(channel), catch: (cause) => new EffectRedis.RedisError({ cause }) })
        return Effect.never
      }),
    connect: Effect.tryPromise({
      try: async () => {
        const connection = client.duplicate()
        return { send: sendOn(connection), close: Effect.promise(() => connection.quit().catch(() => undefined)).pipe(Effect.asVoid) }
      },
      catch: (cause) => new EffectRedis.RedisError({ cause }),
    }),
  }
}
