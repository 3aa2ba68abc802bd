import amqp, { type ChannelModel, type ConfirmChannel, type Message, type RecoveringChannelModel } from 'amqplib'
import { AmqpTopologyError, AmqpUnavailableError } from '../../core/amqp-errors.js'
import { InvalidOptionsError } from '../../core/errors.js'
import { AdapterClosedError } from '../../core/integration-errors.js'
import { toMillis, type Duration } from '../../core/duration.js'
import { declareTopology, type AmqpTopology } from './amqp-topology.js'

/**
 * How an AMQP adapter or trigger reconnects after it lost its connection
 * (broker restarted, network cut): amqplib's exponential backoff with ±20%
 * jitter between `initialDelay` and `maxDelay`, forever, re-declaring the
 * topology on every new connection.
 *
 * @example
 * ```ts
 * import type { AmqpReconnectOptions } from 'weft-sdk/amqp'
 * const reconnect: AmqpReconnectOptions = { initialDelay: '100 ms', maxDelay: '5 s' }
 * ```
 */
export interface AmqpReconnectOptions {
  /** The first delay. @defaultValue `'100 ms'` */
  readonly initialDelay?: Duration
  /** The longest delay. @defaultValue `'5 s'` */
  readonly maxDelay?: Duration
}

/** Where the connection is: one phase, no independent flags. */
type Phase = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'closed'

/** What an {@link AmqpConnection} needs from its owner. */
export interface AmqpConnectionOptions {
  /** The owner's name (in errors). */
  readonly owner: string
  readonly url: string
  readonly topology: AmqpTopology
  readonly reconnect: AmqpReconnectOptions | undefined
  /** Replaces secrets in a message. */
  readonly redact: (text: string) => string
  /** Runs on every new connection after the topology is declared (a trigger starts consuming there); a failure counts as a failed connect. */
  readonly onConnected?: (model: ChannelModel) => Promise<void>
}

/**
 * One connection to the broker with amqplib's opt-in recovery: opened on
 * first use, re-opened with backoff when lost, the topology re-declared on
 * every connect (its `setup` hook), and one confirm channel for publishes,
 * re-created when it closes (a channel dies with its connection, and alone
 * on a channel error such as a publish to a missing exchange).
 */
export class AmqpConnection {
  private model: Promise<RecoveringChannelModel> | undefined
  private channel: Promise<ConfirmChannel> | undefined
  /** The channel `channel` resolved to, while it is open. */
  private ready: ConfirmChannel | undefined
  private phase: Phase = 'idle'
  private lastError: string | undefined
  private topologyError: AmqpTopologyError | undefined
  /** Why each confirm channel closed, when the broker closed it (a 404 on publish). */
  readonly channelErrors = new WeakMap<ConfirmChannel, Error>()
  /** Ids of mandatory messages each channel got back (basic.return, which RabbitMQ sends before the message's confirm). */
  readonly returned = new WeakMap<ConfirmChannel, Set<string>>()
  readonly redactedUrl: string
  /** Health checks waiting for the next connection attempt's outcome. */
  private readonly failureListeners = new Set<(message: string) => void>()

  constructor(private readonly options: AmqpConnectionOptions) {
    this.redactedUrl = redactUrl(options.url)
    if (!/^amqps?:$/.test(protocolOf(options.url))) {
      throw new InvalidOptionsError(`adapter "${options.owner}": url ${this.redactedUrl} is not an AMQP URL; give amqp://user:password@host:5672/vhost (or amqps://)`)
    }
  }

  /** Whether a connection is up now. */
  get connected(): boolean {
    return this.phase === 'connected'
  }

  /** The last connection or declaration failure, secrets redacted. */
  get lastFailure(): string | undefined {
    return this.topologyError?.message ?? this.lastError
  }

  /** The confirm channel when it is open now (a publish takes it without an await), else `undefined`: then `confirmChannel` waits for one or says why not. */
  get readyChannel(): ConfirmChannel | undefined {
    return this.phase === 'closed' ? undefined : this.ready
  }

  /**
   * The confirm channel, waiting for a connection at most `waitMs` (no limit when `undefined`) or until
   * `signal` fires (which rejects with its reason).
   * @throws `AmqpUnavailableError` when none came in time, `AdapterClosedError` after `close()`.
   */
  async confirmChannel(signal: AbortSignal | undefined, waitMs: number | undefined): Promise<ConfirmChannel> {
    if (this.phase === 'closed') throw new AdapterClosedError(this.options.owner)
    if (this.ready !== undefined) return this.ready // the common case: no timer, no listener
    this.channel ??= this.openChannel()
    const started = performance.now()
    return waitBounded(this.channel, signal, waitMs, () => new AmqpUnavailableError(this.options.owner, this.redactedUrl, performance.now() - started, this.lastFailure))
  }

  /**
   * The confirm channel, or a rejection at the next failed connection attempt
   * (a refused or unreachable broker), whichever comes first: a health check
   * answers at once with the real cause instead of waiting out its timeout.
   */
  channelOrFailure(signal: AbortSignal): Promise<ConfirmChannel> {
    return new Promise<ConfirmChannel>((resolve, reject) => {
      const onFailure = (message: string): void => {
        this.failureListeners.delete(onFailure)
        reject(new Error(`not connected to ${this.redactedUrl}: ${message}`))
      }
      this.failureListeners.add(onFailure)
      this.confirmChannel(signal, undefined).then(
        (channel) => (this.failureListeners.delete(onFailure), resolve(channel)),
        (error: unknown) => (this.failureListeners.delete(onFailure), reject(error)),
      )
    })
  }

  /** Forgets `channel` (a publish found it closed before its 'close' event was seen): the next call opens another. */
  discard(channel: ConfirmChannel): void {
    if (this.ready !== channel) return
    this.ready = undefined
    this.channel = undefined
  }

  /** Opens the connection if it is not yet (a trigger starts here); resolves at once, connecting in the background. */
  open(): Promise<RecoveringChannelModel> {
    if (this.phase === 'closed') return Promise.reject(new AdapterClosedError(this.options.owner))
    if (this.model !== undefined) return this.model
    this.phase = 'connecting'
    const reconnect = this.options.reconnect ?? {}
    const initialDelay = toMillis(reconnect.initialDelay ?? '100 ms', 'reconnect.initialDelay')
    const maxDelay = Math.max(initialDelay, toMillis(reconnect.maxDelay ?? '5 s', 'reconnect.maxDelay'))
    // waitForConnect: false resolves at once; the first attempt starts on setImmediate, after the listeners below are attached.
    const recovery = { initialDelay, maxDelay, maxRetries: Infinity, waitForConnect: false, setup: (model: ChannelModel) => this.setup(model) }
    this.model = amqp.connect(this.options.url, { recovery }).then((model) => this.listen(model))
    return this.model
  }

  async close(): Promise<void> {
    if (this.phase === 'closed') return
    this.phase = 'closed'
    this.channel = undefined
    this.ready = undefined
    // Closing the connection closes its channels, and rejects a channel still waiting for a connection (awaiting it first would wait forever).
    await this.model?.then((model) => model.close()).catch(() => undefined)
  }

  private openChannel(): Promise<ConfirmChannel> {
    const opening = this.open().then((model) => model.createConfirmChannel())
    void opening.then(
      (channel) => {
        channel.on('error', (error: Error) => this.channelErrors.set(channel, error))
        const returned = new Set<string>()
        this.returned.set(channel, returned)
        channel.on('return', (message: Message) => {
          if (typeof message.properties.messageId === 'string') returned.add(message.properties.messageId)
        })
        channel.on('close', () => {
          if (this.ready === channel) this.ready = undefined
          if (this.channel === opening) this.channel = undefined
        })
        if (this.channel === opening) this.ready = channel
      },
      () => {
        if (this.channel === opening) this.channel = undefined
      },
    )
    return opening
  }

  /** amqplib's recovery `setup`: declares the topology on a channel of its own, then the owner's part. */
  private async setup(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel()
    channel.on('error', () => undefined) // a refused declaration closes the channel; the rejection says why
    try {
      await declareTopology(this.options.owner, channel, this.options.topology, this.options.redact)
      this.topologyError = undefined
    } catch (error) {
      if (error instanceof AmqpTopologyError) this.topologyError = error
      throw error
    }
    await channel.close().catch(() => undefined)
    await this.options.onConnected?.(model)
  }

  private listen(model: RecoveringChannelModel): RecoveringChannelModel {
    model.on('connect', () => {
      if (this.phase !== 'closed') this.phase = 'connected'
      this.lastError = undefined
    })
    model.on('disconnect', (error: Error) => this.failed('disconnected', error))
    model.on('connect-failed', (error: Error) => this.failed('disconnected', error))
    model.on('error', (error: Error) => (this.lastError = this.options.redact(describe(error))))
    model.on('handler-error', () => undefined)
    return model
  }

  private failed(phase: Phase, error: Error): void {
    if (this.phase !== 'closed') this.phase = phase
    this.lastError = this.options.redact(describe(error))
    for (const listener of [...this.failureListeners]) listener(this.lastError)
  }
}

/** A system error's code (`ECONNREFUSED`) with its message, or the message. */
function describe(error: Error): string {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message
}

function protocolOf(url: string): string {
  try {
    return new URL(url).protocol
  } catch {
    return ''
  }
}

/** `url` with its password replaced by `<redacted>`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = 'redacted'
    return parsed.toString().replace(':redacted@', ':<redacted>@')
  } catch {
    return '<an unparsable URL>'
  }
}

/** `promise`, or a rejection with `signal`'s reason when it fires, or with `timeout()` after `waitMs` (no limit when `undefined`). */
export function waitBounded<A>(promise: Promise<A>, signal: AbortSignal | undefined, waitMs: number | undefined, timeout: () => Error): Promise<A> {
  if (signal?.aborted) return Promise.reject(signal.reason)
  return new Promise<A>((resolve, reject) => {
    const onAbort = () => settle(() => reject(signal?.reason))
    const timer = waitMs === undefined ? undefined : setTimeout(() => settle(() => reject(timeout())), waitMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    let done = false
    const settle = (finish: () => void) => {
      if (done) return
      done = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      finish()
    }
    promise.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    )
  })
}
