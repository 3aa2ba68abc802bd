/**
 * What cuts one attempt of a call (its timeout, or the caller's signal),
 * without an `AbortSignal` unless someone asks for one.
 *
 * Why: an `AbortController` per attempt, and a signal that fetch must
 * follow, cost ~6% of a local HTTP call (undici wires its request's own
 * controller to it with a listener, a `WeakRef` and a finalization
 * registration: GC work on every call; bench section 3b). An attempt that can
 * abort its work another way registers a hook with `onCut` (the HTTP adapter
 * hands undici's own abort of the request); one that needs a signal reads
 * `signal`, made at that moment (already aborted when the attempt was cut).
 * A cut made `of` a signal (the Effect composition's, or the caller's when no
 * policy needs a cut of its own) is that signal.
 */
export class AttemptCut {
  private controller: AbortController | undefined
  /** The first hook (an attempt registers one, its request's abort: no array for it), then the others. */
  private hook: (() => void) | undefined
  private hooks: (() => void)[] | undefined
  private done = false

  private constructor(private readonly given: AbortSignal | undefined) {}

  /** A cut of its own, fired by `cut()`. */
  static make(): AttemptCut {
    return new AttemptCut(undefined)
  }

  /** The cut that is `signal` (`undefined` without one). */
  static of(signal: AbortSignal | undefined): AttemptCut | undefined {
    return signal === undefined ? undefined : new AttemptCut(signal)
  }

  /** Whether the attempt was cut. */
  get aborted(): boolean {
    return this.given === undefined ? this.done : this.given.aborted
  }

  /** The attempt's signal, made at the first ask (aborted, with the default `AbortError` reason, when the attempt was cut). */
  get signal(): AbortSignal {
    if (this.given !== undefined) return this.given
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.done) this.controller.abort()
    }
    return this.controller.signal
  }

  /** The signal when there is one already (given, or asked for), else `undefined`: an attempt that can do without one uses `onCut`. */
  get madeSignal(): AbortSignal | undefined {
    return this.given ?? this.controller?.signal
  }

  /** Runs `hook` when the attempt is cut (at once when it was). */
  onCut(hook: () => void): void {
    if (this.given !== undefined) {
      if (this.given.aborted) hook()
      else this.given.addEventListener('abort', hook, { once: true })
      return
    }
    if (this.done) hook()
    else if (this.hook === undefined) this.hook = hook
    else (this.hooks ??= []).push(hook)
  }

  /** Drops `hook` (the work it would have cut ended first): a long-lived given signal keeps no listener of a finished attempt. */
  offCut(hook: () => void): void {
    if (this.given !== undefined) this.given.removeEventListener('abort', hook)
    else if (this.hook === hook) this.hook = undefined
    else if (this.hooks !== undefined) {
      const at = this.hooks.indexOf(hook)
      if (at >= 0) this.hooks.splice(at, 1)
    }
  }

  /** Cuts the attempt: its signal (if made) aborts and its hooks run, once. Only for a cut of its own. */
  cut(): void {
    if (this.done || this.given !== undefined) return
    this.done = true
    this.controller?.abort()
    const { hook, hooks } = this
    this.hook = undefined
    this.hooks = undefined
    hook?.()
    if (hooks !== undefined) for (const next of hooks) next()
  }
}
