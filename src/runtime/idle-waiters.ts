/**
 * Callers waiting for a run to become idle (no task running, no write in
 * flight), each for at most its own time: a draining engine releases the run
 * then. Woken all at once.
 */
export class IdleWaiters {
  private waiting: (() => void)[] = []

  /** Resolves when {@link wake} is called or `timeoutMs` has passed. */
  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      this.waiting.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** Wakes every waiter if the run is `idle` now. */
  wakeIf(idle: boolean): void {
    if (idle && this.waiting.length > 0) this.wake()
  }

  /** Wakes every waiter. */
  wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve()
  }
}
