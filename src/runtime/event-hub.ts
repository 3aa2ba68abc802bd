import type { RunEvent, WeftEvent, WeftEventOf, WeftEventType } from './run-events.js'

/** A function called with each event. */
export type WeftListener<E = WeftEvent> = (event: E) => void

/** Called when a listener throws; the error never reaches the run. */
export type ListenerErrorHandler = (error: unknown, event: WeftEvent) => void

/**
 * Delivers engine events to listeners, synchronously and in order. A listener
 * that throws is reported to `onListenerError` and does not affect the run.
 */
export class EventHub {
  private readonly everything = new Set<WeftListener>()
  private readonly byType = new Map<WeftEventType, Set<WeftListener>>()
  private count = 0

  constructor(private readonly onListenerError: ListenerErrorHandler) {}

  /** True when at least one listener is registered (emitters skip building events otherwise). */
  get listening(): boolean {
    return this.count > 0
  }

  /** Listens to every event, or to events of one type. Returns a function that stops listening. */
  on(listener: WeftListener): () => void
  on<T extends WeftEventType>(type: T, listener: WeftListener<WeftEventOf<T>>): () => void
  on(typeOrListener: WeftEventType | WeftListener, maybeListener?: WeftListener<never>): () => void {
    const [set, listener] =
      typeof typeOrListener === 'function'
        ? [this.everything, typeOrListener]
        : [this.listenersOf(typeOrListener), maybeListener as WeftListener]
    // A wrapper per subscription: the same function subscribed twice is called twice, and each
    // unsubscribe removes only its own subscription.
    const subscription: WeftListener = (event) => listener(event)
    set.add(subscription)
    this.count++
    return () => {
      if (set.delete(subscription)) this.count--
    }
  }

  emit(event: WeftEvent): void {
    if (this.count === 0) return
    for (const listener of this.everything) this.call(listener, event)
    const typed = this.byType.get(event.type)
    if (typed !== undefined) for (const listener of typed) this.call(listener, event)
  }

  private listenersOf(type: WeftEventType): Set<WeftListener> {
    let set = this.byType.get(type)
    if (set === undefined) {
      set = new Set()
      this.byType.set(type, set)
    }
    return set
  }

  private call(listener: WeftListener, event: WeftEvent): void {
    try {
      listener(event)
    } catch (error) {
      this.onListenerError(error, event)
    }
  }
}

/**
 * The events of one run, kept from its start so that an iterator created at
 * any time replays them all, then follows live events until the run ends.
 */
export class RunEventLog {
  private readonly events: RunEvent[] = []
  private readonly wakers = new Set<() => void>()
  private ended = false

  push(event: RunEvent): void {
    this.events.push(event)
    this.wake()
  }

  end(): void {
    this.ended = true
    this.wake()
  }

  /** Iterates every event of the run, from the first; ends after the run's final event. */
  async *iterate(): AsyncGenerator<RunEvent, void, undefined> {
    let next = 0
    while (true) {
      while (next < this.events.length) yield this.events[next++]!
      if (this.ended) return
      await new Promise<void>((resolve) => this.wakers.add(resolve))
    }
  }

  private wake(): void {
    if (this.wakers.size === 0) return
    for (const wake of this.wakers) wake()
    this.wakers.clear()
  }
}
