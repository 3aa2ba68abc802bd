// The life of one alert (a rule and one label set) as a pure transition function over observations: inactive →
// pending (the condition holds, for `for`) → firing → resolved (the condition stayed clear for `hold`) → inactive.
// No clock and no I/O: the monitor feeds it observations and acts on the transitions.

/**
 * Where one alert (one rule, one label set) is: `inactive` (its condition
 * does not hold), `pending` (it holds since `since`, not yet for the
 * rule's `for`), `firing` (it fired at `firedAt`; `clearSince` is when the
 * condition stopped holding, while it waits out the rule's `hold`).
 * Resolving returns it to `inactive`.
 *
 * @example
 * ```ts
 * import { stepAlert, type AlertPhase } from 'weft-sdk'
 * let phase: AlertPhase = { kind: 'inactive' }
 * phase = stepAlert(phase, true, 1_000, { forMs: 0, holdMs: 60_000 }).phase // firing
 * ```
 */
export type AlertPhase =
  | {
      /** The condition does not hold. */
      readonly kind: 'inactive'
    }
  | {
      /** The condition holds, not yet for the rule's `for`. */
      readonly kind: 'pending'
      /** Since when it holds (epoch milliseconds). */
      readonly since: number
    }
  | {
      /** The alert fired. */
      readonly kind: 'firing'
      /** Since when the condition held before it fired (epoch milliseconds). */
      readonly since: number
      /** When it fired (epoch milliseconds). */
      readonly firedAt: number
      /** Since when the condition has been clear, while the alert waits out the rule's `hold`; `undefined` while it holds. */
      readonly clearSince: number | undefined
    }

/**
 * The timing of a rule: how long its condition must hold before it fires
 * (`forMs`) and stay clear before it resolves (`holdMs`).
 *
 * @example
 * ```ts
 * import type { AlertTiming } from 'weft-sdk'
 * const timing: AlertTiming = { forMs: 120_000, holdMs: 300_000 }
 * ```
 */
export interface AlertTiming {
  /** Milliseconds the condition must hold before the alert fires. */
  readonly forMs: number
  /** Milliseconds the condition must stay clear before a firing alert resolves. */
  readonly holdMs: number
}

/**
 * What one observation did: the phase after it, and `'fired'` or
 * `'resolved'` when it crossed one of those lines.
 *
 * @example
 * ```ts
 * import type { AlertStep } from 'weft-sdk'
 * const crossed = (step: AlertStep) => step.transition !== undefined
 * ```
 */
export interface AlertStep {
  /** The phase after the observation. */
  readonly phase: AlertPhase
  /** `'fired'` when the alert began to fire, `'resolved'` when it resolved; `undefined` otherwise. */
  readonly transition: 'fired' | 'resolved' | undefined
}

const inactive: AlertPhase = { kind: 'inactive' }

/**
 * One observation of an alert's condition at `now` (epoch milliseconds,
 * never earlier than the previous observation). An alert fires once the
 * condition has held for `forMs` (at its first observation with `forMs` 0)
 * and resolves once it has been clear for `holdMs`: so it never fires twice
 * without resolving in between, never resolves sooner than `holdMs` after it
 * fired, and a condition clear for less than `holdMs` leaves it firing.
 *
 * @example
 * ```ts
 * import { stepAlert, type AlertPhase } from 'weft-sdk'
 * const timing = { forMs: 0, holdMs: 10_000 }
 * let phase: AlertPhase = { kind: 'inactive' }
 * for (const [now, holds] of [[0, true], [5_000, false], [9_000, true], [20_000, false], [31_000, false]] as const) {
 *   const step = stepAlert(phase, holds, now, timing)
 *   if (step.transition !== undefined) console.log(now, step.transition) // 0 fired, 31000 resolved
 *   phase = step.phase
 * }
 * ```
 */
export function stepAlert(phase: AlertPhase, holds: boolean, now: number, timing: AlertTiming): AlertStep {
  switch (phase.kind) {
    case 'inactive':
      return holds ? pendingOrFiring(now, now, timing) : { phase, transition: undefined }
    case 'pending':
      return holds ? pendingOrFiring(phase.since, now, timing) : { phase: inactive, transition: undefined }
    case 'firing':
      return holds ? { phase: phase.clearSince === undefined ? phase : { ...phase, clearSince: undefined }, transition: undefined } : clearing(phase, now, timing)
  }
}

/** The condition holds since `since`: firing once it has held for `forMs`. */
function pendingOrFiring(since: number, now: number, timing: AlertTiming): AlertStep {
  if (now - since >= timing.forMs) return { phase: { kind: 'firing', since, firedAt: now, clearSince: undefined }, transition: 'fired' }
  return { phase: { kind: 'pending', since }, transition: undefined }
}

/** A firing alert whose condition does not hold: resolved once clear for `holdMs`. */
function clearing(phase: Extract<AlertPhase, { kind: 'firing' }>, now: number, timing: AlertTiming): AlertStep {
  const clearSince = phase.clearSince ?? now
  if (now - clearSince >= timing.holdMs) return { phase: inactive, transition: 'resolved' }
  return { phase: phase.clearSince === undefined ? { ...phase, clearSince } : phase, transition: undefined }
}
