import type { AttemptCut } from '../../resilience/attempt-cut.js'

/**
 * Aborting a fetch made by Node's `fetch` (undici) when its attempt is cut,
 * without an `AbortSignal`: fetch takes a `dispatcher` (undici's own
 * option), and this one hands every request to the global dispatcher (the one
 * fetch uses when given none: an `Agent`, or whatever `setGlobalDispatcher`
 * set), keeping the abort function undici gives the request when it starts
 * and calling it when the attempt is cut (at once when the attempt was cut
 * before the request started).
 *
 * Why: a signal given to fetch costs ~6% of a local HTTP call (undici
 * follows it with a listener, a `WeakRef` and a finalization registration,
 * GC work on every call), this ~0.5% (bench section 3b). The request ends as
 * an aborted one does; the attempt's promise was already settled by the cut
 * (its timeout error, or the caller's reason), so nothing sees the
 * difference.
 *
 * Only where fetch is Node's own (see {@link fetchTakesDispatcher}); else the
 * adapter gives fetch the attempt's signal as before.
 */
export class CutDispatcher {
  constructor(private readonly cut: AttemptCut) {}

  /** undici's fetch reads it off the dispatcher it was given (a `MockAgent` set globally). */
  get isMockActive(): unknown {
    return globalDispatcher()?.isMockActive
  }

  dispatch(options: unknown, handler: Handler): boolean {
    const inner = globalDispatcher()
    if (inner === undefined) throw new TypeError('fetch gave a request to a dispatcher, but undici has no global dispatcher')
    const cut = this.cut
    const onConnect = handler.onConnect
    const onRequestStart = handler.onRequestStart
    if (typeof onConnect === 'function') {
      handler.onConnect = function (this: unknown, abort: (error?: Error) => void, context?: unknown): unknown {
        if (cut.aborted) return abort()
        cut.onCut(abort)
        return onConnect.call(this, abort, context)
      }
    } else if (typeof onRequestStart === 'function') {
      // undici 7's handler interface.
      handler.onRequestStart = function (this: unknown, controller: { abort(reason: Error): void }, context?: unknown): unknown {
        const abort = () => controller.abort(new DOMException('This operation was aborted', 'AbortError'))
        if (cut.aborted) return abort()
        cut.onCut(abort)
        return onRequestStart.call(this, controller, context)
      }
    }
    return inner.dispatch(options, handler)
  }
}

/** What undici passes `dispatch` (the part used here). */
interface Handler {
  onConnect?: (abort: (error?: Error) => void, context?: unknown) => unknown
  onRequestStart?: (controller: { abort(reason: Error): void }, context?: unknown) => unknown
}

interface Dispatcher {
  dispatch(options: unknown, handler: Handler): boolean
  readonly isMockActive?: unknown
}

/** Where undici keeps its global dispatcher (`setGlobalDispatcher` of Node's fetch and of the `undici` package alike). */
const globalDispatcherKey = Symbol.for('undici.globalDispatcher.1')

function globalDispatcher(): Dispatcher | undefined {
  return (globalThis as unknown as Record<symbol, Dispatcher | undefined>)[globalDispatcherKey]
}

let checkedFetch: unknown
let checkedAnswer = false

/**
 * Whether `globalThis.fetch` is Node's own (undici, which takes a
 * `dispatcher`): not when it was replaced (a test's stub, a mocking library),
 * which may rely on the signal. Checked once per fetch function.
 */
export function fetchTakesDispatcher(): boolean {
  const fetchNow = globalThis.fetch
  if (fetchNow !== checkedFetch) {
    checkedFetch = fetchNow
    checkedAnswer =
      typeof process !== 'undefined' &&
      typeof process.versions?.undici === 'string' &&
      typeof fetchNow === 'function' &&
      /^function fetch\(input, init = undefined\)[^]*undici/.test(Function.prototype.toString.call(fetchNow))
  }
  return checkedAnswer
}
