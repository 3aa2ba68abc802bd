import type { RunCancelledError } from '../core/errors.js'
import type { ErrorRecord, RunStatus } from '../storage/workflow-store.js'

/**
 * Why a run stops before all its tasks ran: a task failed and nothing
 * handles it (`failed`, keeping the first such task and its error), or it
 * was cancelled (`cancelled`, with the error its outcome carries).
 */
export type StopCause =
  | { readonly reason: 'failed'; readonly task: string; readonly error: unknown }
  | { readonly reason: 'cancelled'; readonly error: RunCancelledError }

/** How a run ends: its status, the error its outcome carries, what the store records, and when. */
export interface FinalState {
  readonly status: 'completed' | 'failed' | 'cancelled'
  readonly error: Error | undefined
  readonly errorRecord: ErrorRecord | undefined
  readonly finishedAt: number
}

/** A phase in which the run still executes tasks. */
export type ActivePhase =
  | { readonly kind: 'running' }
  | { readonly kind: 'paused' }
  /**
   * Stopping: running tasks are interrupted, the rest cancelled; `@Always`
   * cleanups still run (`cleanups: 'allowed'`) until a second cancel aborts
   * them too (`'aborted'`).
   */
  | { readonly kind: 'stopping'; readonly cause: StopCause; readonly cleanups: 'allowed' | 'aborted' }

/**
 * Where a run is in its life, as one value (one place decides every change:
 * {@link nextPhase}). `finishing`: the write recording the run's end is in
 * flight (on its own, or with the last task's checkpoint: `before` is the
 * phase to return to should that checkpoint's value be refused). `settled`:
 * the end is stored. `abandoned`: this worker gave the run up (a lost lease,
 * a failed store, the engine closed); another worker finishes it.
 */
export type RunPhase =
  | ActivePhase
  | { readonly kind: 'finishing'; readonly final: FinalState; readonly before: ActivePhase }
  | { readonly kind: 'settled'; readonly status: FinalState['status'] }
  | { readonly kind: 'abandoned'; readonly error: Error }

/** What may happen to a run. */
export type RunPhaseEvent =
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'cancel'; readonly error: RunCancelledError }
  /** A task failed and nothing handles its failure. */
  | { readonly type: 'fail'; readonly task: string; readonly error: unknown }
  /** The write of the run's end begins. */
  | { readonly type: 'finish'; readonly final: FinalState }
  /** The last checkpoint, which carried the run's end, was refused its value: the run goes on (its task fails). */
  | { readonly type: 'refuse' }
  /** The run's end is stored. */
  | { readonly type: 'settle' }
  | { readonly type: 'abandon'; readonly error: Error }

/** The kinds of {@link RunPhase}. */
export type RunPhaseKind = RunPhase['kind']

type Transition<K extends RunPhaseKind, E extends RunPhaseEvent['type']> = (
  phase: Extract<RunPhase, { kind: K }>,
  event: Extract<RunPhaseEvent, { type: E }>,
) => RunPhase | undefined

/**
 * The transition table: for each phase, the events it accepts and the phase
 * each leads to. An event missing from a phase's row is refused there
 * (`nextPhase` returns `undefined`: a cancel of a finished run, a pause of a
 * stopping one). Returning the same phase accepts the event without change
 * (a second failure keeps the first one's cause).
 */
const table: { readonly [K in RunPhaseKind]: { readonly [E in RunPhaseEvent['type']]?: Transition<K, E> } } = {
  running: {
    pause: () => paused,
    cancel: (_, e) => stopping({ reason: 'cancelled', error: e.error }),
    fail: (_, e) => stopping({ reason: 'failed', task: e.task, error: e.error }),
    finish: (p, e) => ({ kind: 'finishing', final: e.final, before: p }),
    abandon: (_, e) => abandoned(e.error),
  },
  paused: {
    resume: () => running,
    cancel: (_, e) => stopping({ reason: 'cancelled', error: e.error }),
    fail: (_, e) => stopping({ reason: 'failed', task: e.task, error: e.error }),
    finish: (p, e) => ({ kind: 'finishing', final: e.final, before: p }),
    abandon: (_, e) => abandoned(e.error),
  },
  stopping: {
    // A cancel while a failure stops the run makes it a cancel; a second cancel aborts the cleanups too.
    cancel: (p, e) => (p.cause.reason === 'failed' ? stopping({ reason: 'cancelled', error: e.error }) : p.cleanups === 'allowed' ? { ...p, cleanups: 'aborted' } : undefined),
    fail: (p) => p,
    finish: (p, e) => ({ kind: 'finishing', final: e.final, before: p }),
    abandon: (_, e) => abandoned(e.error),
  },
  // No cancel while the end is being written: the run has decided its outcome. (Should the last
  // checkpoint's value then be refused, the run fails; a cancel refused meanwhile is not replayed.)
  finishing: {
    refuse: (p) => p.before,
    settle: (p) => ({ kind: 'settled', status: p.final.status }),
    abandon: (_, e) => abandoned(e.error),
  },
  settled: {},
  abandoned: {},
}

const running: RunPhase = { kind: 'running' }
const paused: RunPhase = { kind: 'paused' }

function stopping(cause: StopCause): RunPhase {
  return { kind: 'stopping', cause, cleanups: 'allowed' }
}

function abandoned(error: Error): RunPhase {
  return { kind: 'abandoned', error }
}

/**
 * The phase `event` leads to from `phase`, or `undefined` when `phase` does
 * not accept it.
 *
 * @example
 * ```ts
 * nextPhase({ kind: 'running' }, { type: 'pause' }) // { kind: 'paused' }
 * nextPhase({ kind: 'settled', status: 'completed' }, { type: 'pause' }) // undefined
 * ```
 */
export function nextPhase(phase: RunPhase, event: RunPhaseEvent): RunPhase | undefined {
  const row = table[phase.kind] as { readonly [E in RunPhaseEvent['type']]?: (p: RunPhase, e: RunPhaseEvent) => RunPhase | undefined }
  return row[event.type]?.(phase, event)
}

/** The events each phase accepts (for tests and docs). */
export function acceptedEvents(kind: RunPhaseKind): readonly RunPhaseEvent['type'][] {
  return Object.keys(table[kind]) as RunPhaseEvent['type'][]
}

/** The initial phase of every run. */
export const initialPhase: RunPhase = running

/** The status a phase counts as in the engine's statistics (`abandoned` included). */
export function phaseStatus(phase: RunPhase): RunStatus | 'abandoned' {
  switch (phase.kind) {
    case 'paused':
      return 'paused'
    case 'settled':
      return phase.status
    case 'abandoned':
      return 'abandoned'
    default:
      return 'running'
  }
}

/** Whether the run still executes tasks (it has not begun writing its end, nor been given up). */
export function isActive(phase: RunPhase): phase is ActivePhase {
  return phase.kind === 'running' || phase.kind === 'paused' || phase.kind === 'stopping'
}

/** Whether the run is over here: its end is stored, or this worker gave it up. */
export function isOver(phase: RunPhase): boolean {
  return phase.kind === 'settled' || phase.kind === 'abandoned'
}

/** Whether `task` (a cleanup when `cleanup` is true) may no longer start: the run stops, and cleanups only once aborted. */
export function forbidsStart(phase: RunPhase, cleanup: boolean): boolean {
  if (phase.kind === 'stopping') return !cleanup || phase.cleanups === 'aborted'
  if (phase.kind === 'finishing') return forbidsStart(phase.before, cleanup)
  return phase.kind === 'abandoned'
}
