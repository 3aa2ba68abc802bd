import { Duration, Effect } from 'effect'
import { toMillis, type Duration as WeftDuration } from '../core/duration.js'
import { InvalidOptionsError } from '../core/errors.js'
import type {
  EventStream,
  EventStreamOptions,
  LoopContext,
  MapOptions,
  WaitForEventOptions,
} from '../graph/task-context.js'
import { EventStreamImpl } from './event-stream.js'
import { waitForOneEvent } from './inbox-wait.js'
import type { TaskHost } from './task-host.js'

/**
 * The context object a task receives. Its `AbortSignal` is created only when
 * read: most tasks never look at it, and `abort()` (called by the interpreter
 * on cancel or timeout) then costs nothing.
 */
export class TaskContextImpl implements LoopContext<unknown> {
  private controller: AbortController | undefined
  private abortedBy: unknown = undefined
  private aborted = false
  private stepNames: Set<string> | undefined
  /** How many sleeps, waits and streams this attempt has begun: their step keys are numbered in call order. */
  private readonly sequence = { sleep: 0, wait: 0, events: 0 }

  constructor(
    private readonly host: TaskHost,
    readonly task: string,
    readonly attempt: number,
    /** The loop iteration, or -1 outside loops. */
    readonly iteration: number,
  ) {}

  get runId(): string {
    return this.host.runId
  }

  get workflow(): string {
    return this.host.workflow
  }

  get input(): unknown {
    return this.host.input
  }

  get idempotencyKey(): string {
    return `${this.host.runId}:${this.stepPrefix}`
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.aborted) this.controller.abort(this.abortedBy)
    }
    return this.controller.signal
  }

  /** Fires the signal (the interpreter calls this when the attempt is interrupted). */
  abort(reason?: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.abortedBy = reason
    this.controller?.abort(reason)
  }

  async waitForEvent<E = unknown>(name: string, options: WaitForEventOptions<E> = {}): Promise<E> {
    const timeoutMs = options.timeout === undefined ? undefined : toMillis(options.timeout, 'waitForEvent timeout')
    const key = `${this.stepPrefix}/wait:${name}#${this.sequence.wait++}`
    const recorded = this.host.recorded(key)
    if (recorded !== undefined) return recorded.output as E
    const since = await this.host.timer(`${key}:since`, this.host.now())
    const deadline = timeoutMs === undefined ? undefined : await this.host.timer(`${key}:deadline`, since + timeoutMs)
    const wait = waitForOneEvent(this.host, { name, task: this.task, key, since, deadline, match: options.match as never }, timeoutMs)
    return (await this.runEffect(wait)) as E
  }

  events<E = unknown>(name: string, options: EventStreamOptions<E> = {}): EventStream<E> {
    const timeoutMs = options.timeout === undefined ? undefined : toMillis(options.timeout, 'events timeout')
    const key = `${this.stepPrefix}/events:${name}#${this.sequence.events++}`
    return new EventStreamImpl<E>(this.host, { name, task: this.task, key, match: options.match as never, timeoutMs }, this.signal)
  }

  async step<R>(name: string, fn: (signal: AbortSignal) => Promise<R> | R): Promise<R> {
    this.claimStepName(name)
    const key = `${this.stepPrefix}/${name}`
    const recorded = this.host.recorded(key)
    if (recorded !== undefined) return recorded.output as R
    this.signal.throwIfAborted()
    const startedAt = this.host.now()
    const output = await fn(this.signal)
    return (await this.host.recordStep(key, this.task, output, startedAt)) as R
  }

  async map<T, R>(items: readonly T[], fn: (item: T, index: number, signal: AbortSignal) => Promise<R> | R, options: MapOptions = {}): Promise<R[]> {
    const concurrency = options.concurrency ?? Infinity
    if (!(concurrency >= 1)) throw new InvalidOptionsError(`map concurrency must be ≥ 1, got ${String(concurrency)}`)
    this.claimStepName(options.name === undefined ? '[map]' : `[map ${options.name}]`)
    const prefix = options.name === undefined ? this.stepPrefix : `${this.stepPrefix}/${options.name}`
    const results = new Array<R>(items.length)
    const controller = new AbortController()
    const stop = () => controller.abort(this.signal.reason)
    this.signal.addEventListener('abort', stop, { once: true })
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < items.length && !controller.signal.aborted) {
        const index = next++
        results[index] = await this.mapItem(prefix, items[index]!, index, fn, controller.signal)
      }
    }
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, () => worker().catch((error) => {
        controller.abort(error)
        throw error
      })))
      this.signal.throwIfAborted()
      return results
    } finally {
      this.signal.removeEventListener('abort', stop)
    }
  }

  /** A durable sleep: its deadline is stored the first time, so a restarted run wakes when it was due. */
  async sleep(duration: WeftDuration): Promise<void> {
    const ms = toMillis(duration, 'sleep duration')
    const key = `${this.stepPrefix}/sleep#${this.sequence.sleep++}`
    const wakeAt = await this.host.timer(key, this.host.now() + ms)
    const remaining = wakeAt - this.host.now()
    if (remaining > 0) await this.runEffect(Effect.sleep(Duration.millis(remaining)))
  }

  private async mapItem<T, R>(
    prefix: string,
    item: T,
    index: number,
    fn: (item: T, index: number, signal: AbortSignal) => Promise<R> | R,
    signal: AbortSignal,
  ): Promise<R> {
    const key = `${prefix}[${index}]`
    const recorded = this.host.recorded(key)
    if (recorded !== undefined) return recorded.output as R
    const startedAt = this.host.now()
    const output = await fn(item, index, signal)
    return (await this.host.recordStep(key, this.task, output, startedAt)) as R
  }

  private get stepPrefix(): string {
    return this.iteration >= 0 ? `${this.task}#${this.iteration}` : this.task
  }

  private claimStepName(name: string): void {
    this.stepNames ??= new Set()
    if (this.stepNames.has(name)) {
      const what = name.startsWith('[map') ? `ctx.map${name === '[map]' ? '' : ` named "${name.slice(5, -1)}"`}` : `ctx.step("${name}")`
      throw new InvalidOptionsError(`task "${this.task}": ${what} is called twice in one attempt; give each call its own name`)
    }
    this.stepNames.add(name)
  }

  private runEffect<A, E>(effect: Effect.Effect<A, E>): Promise<A> {
    return Effect.runPromiseWith(this.host.services)(effect, { signal: this.signal })
  }
}
