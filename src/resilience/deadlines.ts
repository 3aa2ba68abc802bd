/** One attempt's deadline: `fire` runs at `at` unless the attempt is `done` first (then `fire` is dropped, so a finished attempt holds nothing). */
export interface Deadline {
  readonly at: number
  fire: (() => void) | undefined
  done: boolean
}

/**
 * Deadlines all `timeoutMs` long (the attempts of one target, the confirms
 * of one AMQP adapter), on one timer: set in order, they fall due in order, so they queue and the timer
 * waits for the first one not done. A finished attempt only marks its
 * deadline done (it leaves the queue when the timer passes it). Why not a
 * `setTimeout` per attempt: inserting and clearing a timer of every call was
 * ~2 µs of its CPU (bench section 3b's profile); this is a push.
 */
export class Deadlines {
  private readonly queue: Deadline[] = []
  private head = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  /** Deadlines not done: while there is one, the timer keeps the process alive (as a timer per attempt would); a queue of finished ones does not. */
  private pending = 0

  constructor(readonly timeoutMs: number) {}

  add(fire: () => void): Deadline {
    const deadline: Deadline = { at: performance.now() + this.timeoutMs, fire, done: false }
    this.queue.push(deadline)
    if (this.pending++ === 0) this.timer?.ref()
    if (this.timer === undefined) this.schedule(this.timeoutMs)
    return deadline
  }

  /** The attempt ended before its deadline. */
  finish(deadline: Deadline): void {
    if (deadline.done) return
    deadline.done = true
    deadline.fire = undefined
    if (--this.pending > 0) {
      // Attempts end roughly in the order they began: drop the finished ones at the front now, so the queue stays
      // about as long as the attempts in flight rather than everything of the last `timeoutMs`.
      while (this.head < this.queue.length && this.queue[this.head]!.done) this.head += 1
      // A long attempt at the front holds the rest back: past twice the attempts in flight, keep only those (amortized O(1)).
      if (this.queue.length - this.head > 2 * this.pending + 1024) {
        let kept = 0
        for (let i = this.head; i < this.queue.length; i++) if (!this.queue[i]!.done) this.queue[kept++] = this.queue[i]!
        this.queue.length = kept
        this.head = 0
      }
      return
    }
    // Nothing in flight: forget the finished deadlines at once (the timer, if it fires, finds an empty queue). One
    // attempt at a time (the common case) pops its own: setting the length to 0 dropped the array's backing store,
    // which the next push allocated again, every call.
    if (this.queue.length === 1) this.queue.pop()
    else this.queue.length = 0
    this.head = 0
    this.timer?.unref()
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.due(), Math.max(0, ms))
    if (this.pending === 0) this.timer.unref()
  }

  /** Fires every deadline passed, drops the finished ones, and waits for the next. */
  private due(): void {
    this.timer = undefined
    const now = performance.now()
    while (this.head < this.queue.length) {
      const next = this.queue[this.head]!
      if (!next.done && next.at > now) break
      this.head += 1
      if (!next.done) {
        const fire = next.fire!
        this.finish(next)
        fire()
      }
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
    if (this.head < this.queue.length) this.schedule(this.queue[this.head]!.at - now)
  }
}
