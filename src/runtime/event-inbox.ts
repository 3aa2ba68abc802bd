import { Effect } from 'effect'
import type { RunId } from '../core/ids.js'

interface Waiter {
  readonly runId: RunId
  readonly match: ((payload: never) => boolean) | undefined
  readonly deliver: (payload: unknown) => void
  /** A stream's subscription stays registered after a delivery; a single wait does not. */
  readonly persistent: boolean
}

interface Letter {
  readonly name: string
  readonly payload: unknown
}

/**
 * Routes external events to the tasks waiting for them. An event sent to one
 * run (`runId` given) that nobody waits for yet is kept in that run's mailbox
 * until a wait or stream takes it; an event sent to every run reaches the
 * runs waiting now. Each event is taken at most once per run, by the first
 * matching waiter in the order they started waiting.
 */
export class EventInbox {
  /** Waiters by event name, then by run, in the order they started waiting. */
  private readonly waiters = new Map<string, Map<RunId, Waiter[]>>()
  private readonly mailboxes = new Map<RunId, Letter[]>()

  /**
   * Delivers an event; returns how many runs took it now. An event for one
   * run that no task waits for yet is kept in its mailbox (and counts 0).
   */
  send(name: string, payload: unknown, runId?: RunId): number {
    if (runId !== undefined) {
      if (this.deliverTo(runId, name, payload)) return 1
      this.mailbox(runId).push({ name, payload })
      return 0
    }
    const runs = [...(this.waiters.get(name)?.keys() ?? [])]
    let delivered = 0
    for (const run of runs) if (this.deliverTo(run, name, payload)) delivered++
    return delivered
  }

  /** Waits for one event named `name` sent to `runId` or to every run. */
  wait<E>(runId: RunId, name: string, match: ((payload: E) => boolean) | undefined): Effect.Effect<E> {
    return Effect.callback<E>((resume) => {
      const kept = this.takeFromMailbox(runId, name, match)
      if (kept !== undefined) return resume(Effect.succeed(kept.payload as E))
      const waiter: Waiter = { runId, match, persistent: false, deliver: (payload) => resume(Effect.succeed(payload as E)) }
      this.register(name, waiter)
      return Effect.sync(() => this.unregister(name, waiter))
    })
  }

  /** Subscribes a stream: `onEvent` gets every matching event until the returned function is called. */
  subscribe<E>(runId: RunId, name: string, match: ((payload: E) => boolean) | undefined, onEvent: (payload: E) => void): () => void {
    for (let kept = this.takeFromMailbox(runId, name, match); kept !== undefined; kept = this.takeFromMailbox(runId, name, match)) {
      onEvent(kept.payload as E)
    }
    const waiter: Waiter = { runId, match, persistent: true, deliver: (payload) => onEvent(payload as E) }
    this.register(name, waiter)
    return () => this.unregister(name, waiter)
  }

  /** Forgets a finished run's mailbox. */
  dropRun(runId: RunId): void {
    this.mailboxes.delete(runId)
  }

  /** Runs with at least one task waiting for `name` (for tests and diagnostics). */
  waitingRuns(name: string): RunId[] {
    return [...(this.waiters.get(name)?.keys() ?? [])]
  }

  private deliverTo(runId: RunId, name: string, payload: unknown): boolean {
    const waiter = this.waiters.get(name)?.get(runId)?.find((w) => accepts(w.match, payload))
    if (waiter === undefined) return false
    if (!waiter.persistent) this.unregister(name, waiter)
    waiter.deliver(payload)
    return true
  }

  private takeFromMailbox(runId: RunId, name: string, match: ((payload: never) => boolean) | undefined): Letter | undefined {
    const letters = this.mailboxes.get(runId)
    if (letters === undefined) return undefined
    const index = letters.findIndex((letter) => letter.name === name && accepts(match, letter.payload))
    return index === -1 ? undefined : letters.splice(index, 1)[0]
  }

  private mailbox(runId: RunId): Letter[] {
    let letters = this.mailboxes.get(runId)
    if (letters === undefined) {
      letters = []
      this.mailboxes.set(runId, letters)
    }
    return letters
  }

  private register(name: string, waiter: Waiter): void {
    let runs = this.waiters.get(name)
    if (runs === undefined) {
      runs = new Map()
      this.waiters.set(name, runs)
    }
    const list = runs.get(waiter.runId)
    if (list === undefined) runs.set(waiter.runId, [waiter])
    else list.push(waiter)
  }

  private unregister(name: string, waiter: Waiter): void {
    const runs = this.waiters.get(name)
    const list = runs?.get(waiter.runId)
    if (runs === undefined || list === undefined) return
    const index = list.indexOf(waiter)
    if (index !== -1) list.splice(index, 1)
    if (list.length === 0) runs.delete(waiter.runId)
    if (runs.size === 0) this.waiters.delete(name)
  }
}

function accepts(match: ((payload: never) => boolean) | undefined, payload: unknown): boolean {
  if (match === undefined) return true
  try {
    return match(payload as never)
  } catch {
    return false
  }
}
