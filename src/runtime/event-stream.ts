import { Duration, Effect, type Context, type Fiber } from 'effect'
import type { EventStream } from '../graph/task-context.js'

/** Where an {@link EventStreamImpl} gets its events from. */
export interface EventSource<E> {
  /** Starts delivering events to `onEvent`; returns a function that stops it. */
  subscribe(onEvent: (payload: E) => void): () => void
}

/**
 * An event stream for one task: subscribed as soon as it is created (no event
 * is lost before the first `next()`), ended by its timeout (on the Effect
 * `Clock`), by the task's signal, or by `break`.
 */
export class EventStreamImpl<E> implements EventStream<E> {
  private readonly queue: E[] = []
  private head = 0
  private waker: (() => void) | undefined
  private unsubscribe: (() => void) | undefined
  private timer: Fiber.Fiber<void> | undefined
  private ended = false
  timedOut = false

  constructor(
    source: EventSource<E>,
    timeoutMs: number | undefined,
    signal: AbortSignal,
    services: Context.Context<never>,
  ) {
    this.unsubscribe = source.subscribe((payload) => {
      this.queue.push(payload)
      this.wake()
    })
    if (timeoutMs !== undefined) {
      this.timer = Effect.runForkWith(services)(Effect.sleep(Duration.millis(timeoutMs)))
      this.timer.addObserver(() => {
        if (this.ended) return
        this.timedOut = true
        this.end()
      })
    }
    if (signal.aborted) this.end()
    else signal.addEventListener('abort', () => this.end(), { once: true })
  }

  [Symbol.asyncIterator](): AsyncIterator<E> {
    return {
      next: () => this.next(),
      return: async () => {
        this.end()
        return { done: true, value: undefined }
      },
    }
  }

  private async next(): Promise<IteratorResult<E>> {
    while (true) {
      if (this.head < this.queue.length) {
        const value = this.queue[this.head]!
        this.queue[this.head++] = undefined as E
        return { done: false, value }
      }
      if (this.ended) return { done: true, value: undefined }
      await new Promise<void>((resolve) => (this.waker = resolve))
    }
  }

  private end(): void {
    if (this.ended) return
    this.ended = true
    this.unsubscribe?.()
    this.unsubscribe = undefined
    this.timer?.interruptUnsafe()
    this.wake()
  }

  private wake(): void {
    const waker = this.waker
    this.waker = undefined
    waker?.()
  }
}
