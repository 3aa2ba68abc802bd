/**
 * Counts task slots shared by every run of an engine. A run that finds no
 * free slot registers a waker and is called back, in FIFO order, when one
 * frees up. Plain counters rather than an Effect `Semaphore`: the scheduler
 * asks synchronously, once per task, and must not allocate a fiber to wait.
 */
export class ConcurrencyGate {
  private used = 0
  private readonly waiting: (() => void)[] = []
  private head = 0
  private closed = false

  constructor(readonly limit: number) {}

  /** Takes a slot if one is free. */
  tryAcquire(): boolean {
    if (this.used >= this.limit || this.closed) return false
    this.used++
    return true
  }

  /** Frees a slot and wakes the longest-waiting run, if any. */
  release(): void {
    this.used--
    if (this.closed) return
    while (this.head < this.waiting.length && this.used < this.limit) {
      const wake = this.waiting[this.head]!
      this.waiting[this.head++] = noop
      wake()
    }
    if (this.head === this.waiting.length) {
      this.waiting.length = 0
      this.head = 0
    }
  }

  /** Asks to be called when a slot may be free (the callee must `tryAcquire` again). */
  whenFree(wake: () => void): void {
    this.waiting.push(wake)
  }

  /**
   * Lets no task start any more (a closing engine drains its runs): every
   * `tryAcquire` fails from now on and no waiting run is woken.
   */
  close(): void {
    this.closed = true
  }

  /** Slots in use. */
  get inUse(): number {
    return this.used
  }
}

function noop(): void {}
