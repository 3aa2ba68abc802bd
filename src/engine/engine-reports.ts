import type { RunRecovered } from '../runtime/run-events.js'

// The engine's default reports on the console, used when `createEngine` is given no handler of its own.

/** `onListenerError`'s default: a listener that threw is reported, the other listeners still run. */
export function reportListenerError(error: unknown, event: { type: string }): void {
  console.error(`weft: a listener of "${event.type}" threw`, error)
}

/** `onRunRecovered`'s default: one warning per run this worker takes over. */
export function reportRecovery(event: RunRecovered): void {
  const recorded = event.replayedSteps === 1 ? '1 recorded step' : `${event.replayedSteps} recorded steps`
  const recoveries = event.recoveries === 1 ? '1 recovery' : `${event.recoveries} recoveries`
  console.warn(`weft: continuing run ${event.runId} of "${event.workflow}", left unfinished by an earlier worker (claim ${event.epoch}, ${recoveries}), from ${recorded}`)
}

/** `onBackgroundError`'s default: claiming and lease renewal failures, which no caller awaits. */
export function reportBackgroundError(error: unknown): void {
  console.error('weft: background work failed (claiming runs or renewing leases)', error)
}
