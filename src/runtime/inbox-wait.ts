import { Duration, Effect } from 'effect'
import { EventTimeoutError } from '../core/errors.js'
import type { StoredEvent } from '../storage/workflow-store.js'
import type { TaskHost } from './task-host.js'

/** How one event is awaited: where it is recorded, what it must match, until when. */
export interface InboxWaitOptions {
  readonly name: string
  /** The task waiting (recorded on the step). */
  readonly task: string
  /** The step key the taken event's payload is recorded under. */
  readonly key: string
  /** Events sent to every run count from this time (when the wait first began). */
  readonly since: number
  /** When to give up (epoch milliseconds), or `undefined` to wait until interrupted. */
  readonly deadline: number | undefined
  readonly match: ((payload: never) => boolean) | undefined
  /** Why the event's schema refuses a payload (`undefined`: it does not, or there is no schema); a refused payload is reported and skipped. */
  readonly refusal?: ((payload: unknown) => string | undefined) | undefined
}

/** Result of {@link takeNextEvent}: the payload, or that the deadline passed. */
export type InboxWaitResult = { readonly payload: unknown } | 'deadline'

function accepts(match: InboxWaitOptions['match'], payload: unknown): boolean {
  if (match === undefined) return true
  try {
    return match(payload as never)
  } catch {
    return false
  }
}

/** Takes the oldest matching event from the store's inbox, if any; records it as the wait's step. */
async function tryTake(host: TaskHost, options: InboxWaitOptions): Promise<StoredEvent | undefined> {
  for (const event of await host.pendingEvents(options.name, options.since)) {
    const refusal = options.refusal?.(event.payload)
    if (refusal !== undefined) host.eventRefused(event, options.task, refusal)
    else if (accepts(options.match, event.payload) && (await host.takeEvent(event, options.key, options.task))) return event
  }
  return undefined
}

/** One look in the inbox, then a wait for a wake-up, the poll interval or the deadline. */
function lookOnce(host: TaskHost, options: InboxWaitOptions): Effect.Effect<InboxWaitResult | 'again'> {
  return Effect.suspend(() => {
    let woken = false
    let wakeUp: (() => void) | undefined
    // Watch before looking, so an event sent while we look is not missed.
    const stop = host.waiters.watch(host.runId, options.name, () => {
      woken = true
      wakeUp?.()
    })
    const look = Effect.flatMap(
      Effect.promise(() => tryTake(host, options)),
      (event): Effect.Effect<InboxWaitResult | 'again'> => {
        if (event !== undefined) return Effect.succeed({ payload: event.payload })
        const remaining = options.deadline === undefined ? Infinity : options.deadline - host.now()
        if (remaining <= 0) return Effect.succeed('deadline')
        if (woken) return Effect.succeed('again')
        const wake = Effect.callback<void>((resume) => {
          wakeUp = () => resume(Effect.void)
        })
        // New events wake the waiter (a local send, a store notification, or the engine's inbox
        // watcher); only a deadline needs a timer.
        if (remaining === Infinity) return Effect.as(wake, 'again' as const)
        return Effect.as(Effect.raceFirst(wake, Effect.sleep(Duration.millis(remaining))), 'again' as const)
      },
    )
    return Effect.ensuring(look, Effect.sync(stop))
  })
}

/**
 * Waits until a matching event can be taken from the inbox, or the deadline
 * passes. It looks again each time it is woken: by a send in this process,
 * by a store notification, or by the engine's inbox watcher (events other
 * processes stored); it keeps no timer but for its deadline.
 * Time is the Effect `Clock`'s, so tests can use virtual time.
 */
export function takeNextEvent(host: TaskHost, options: InboxWaitOptions): Effect.Effect<InboxWaitResult> {
  const loop: Effect.Effect<InboxWaitResult> = Effect.flatMap(lookOnce(host, options), (result) =>
    result === 'again' ? loop : Effect.succeed(result),
  )
  return loop
}

/** {@link takeNextEvent}, failing with `EventTimeoutError` at the deadline. */
export function waitForOneEvent(host: TaskHost, options: InboxWaitOptions, timeoutMs: number | undefined): Effect.Effect<unknown, EventTimeoutError> {
  return Effect.flatMap(takeNextEvent(host, options), (result) =>
    result === 'deadline' ? Effect.fail(new EventTimeoutError(options.name, timeoutMs ?? 0)) : Effect.succeed(result.payload),
  )
}
