import { Effect } from 'effect'
import { formatStepSegment } from '../core/step-key.js'
import type { EventStream } from '../graph/task-context.js'
import { takeNextEvent } from './inbox-wait.js'
import type { TaskHost } from './task-host.js'

/** Where a stream's events are recorded and what it takes. */
export interface EventStreamOptions {
  readonly name: string
  readonly task: string
  /** The stream's key: each taken event is recorded under it plus an `event` segment, its window under `:since`/`:deadline`. */
  readonly key: string
  readonly match: ((payload: never) => boolean) | undefined
  /** Why the event's schema refuses a payload (reported as `event.refused`, never yielded). */
  readonly refusal?: ((payload: unknown) => string | undefined) | undefined
  readonly timeoutMs: number | undefined
  /** Turns a taken or recorded payload into the value yielded (the declared schema's decoding); the payload itself when absent. */
  readonly toValue?: ((payload: unknown) => unknown) | undefined
}

/**
 * A durable stream of events for one task. Each event it yields is taken
 * from the store's inbox and recorded as a step, so after a crash the task's
 * loop gets the same events again, in order, then continues with new ones.
 * It ends at its deadline (kept across restarts; `timedOut` then reads true),
 * when the task's signal fires, or on `break`.
 */
export class EventStreamImpl<E> implements EventStream<E> {
  timedOut = false
  private index = 0
  private ended = false
  private window: Promise<{ since: number; deadline: number | undefined }> | undefined

  constructor(
    private readonly host: TaskHost,
    private readonly options: EventStreamOptions,
    private readonly signal: AbortSignal,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<E> {
    return {
      next: () => this.next(),
      return: async () => {
        this.ended = true
        return { done: true, value: undefined }
      },
    }
  }

  private async next(): Promise<IteratorResult<E>> {
    if (this.ended || this.signal.aborted) return this.end()
    const key = this.options.key + formatStepSegment({ kind: 'event', index: this.index })
    const recorded = this.host.recorded(key)
    if (recorded !== undefined) {
      this.index++
      return { done: false, value: this.valueOf(recorded.output) }
    }
    const { since, deadline } = await this.openWindow()
    const take = takeNextEvent(this.host, { ...this.options, key, since, deadline })
    const result = await Effect.runPromiseWith(this.host.services)(take, { signal: this.signal }).catch(() => 'aborted' as const)
    if (result === 'aborted') return this.end()
    if (result === 'deadline') {
      this.timedOut = true
      return this.end()
    }
    this.index++
    return { done: false, value: this.valueOf(result.payload) }
  }

  private valueOf(payload: unknown): E {
    return (this.options.toValue === undefined ? payload : this.options.toValue(payload)) as E
  }

  /** When the stream began and when it ends, stored as durable timers the first time. */
  private openWindow(): Promise<{ since: number; deadline: number | undefined }> {
    this.window ??= (async () => {
      const now = this.host.now()
      const since = await this.host.timer(this.options.key + formatStepSegment({ kind: 'since' }), now)
      const { timeoutMs } = this.options
      const deadline = timeoutMs === undefined ? undefined : await this.host.timer(this.options.key + formatStepSegment({ kind: 'deadline' }), since + timeoutMs)
      return { since, deadline }
    })()
    return this.window
  }

  private end(): IteratorResult<E> {
    this.ended = true
    return { done: true, value: undefined }
  }
}
