import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RunCancelledError } from '../../src/core/errors.js'
import { acceptedEvents, forbidsStart, initialPhase, nextPhase, phaseStatus, type FinalState, type RunPhase, type RunPhaseEvent, type RunPhaseKind } from '../../src/runtime/run-phase.js'

const cancelError = new RunCancelledError('r-1', 'asked')
const final: FinalState = { status: 'completed', error: undefined, errorRecord: undefined, finishedAt: 5 }
const boom = new Error('boom')

const running: RunPhase = { kind: 'running' }
const paused: RunPhase = { kind: 'paused' }
const failing: RunPhase = { kind: 'stopping', cause: { reason: 'failed', task: 'a', error: boom }, cleanups: 'allowed' }
const cancelling: RunPhase = { kind: 'stopping', cause: { reason: 'cancelled', error: cancelError }, cleanups: 'allowed' }
const aborting: RunPhase = { kind: 'stopping', cause: { reason: 'cancelled', error: cancelError }, cleanups: 'aborted' }
const finishing: RunPhase = { kind: 'finishing', final, before: failing }
const settled: RunPhase = { kind: 'settled', status: 'completed' }
const abandoned: RunPhase = { kind: 'abandoned', error: boom }

const events: Record<RunPhaseEvent['type'], RunPhaseEvent> = {
  pause: { type: 'pause' },
  resume: { type: 'resume' },
  cancel: { type: 'cancel', error: cancelError },
  fail: { type: 'fail', task: 'b', error: new Error('later') },
  finish: { type: 'finish', final },
  refuse: { type: 'refuse' },
  settle: { type: 'settle' },
  abandon: { type: 'abandon', error: boom },
}

/** Every row of the transition table, written out independently of it: phase, event, the phase it leads to (undefined: refused). */
const rows: [string, RunPhase, RunPhaseEvent['type'], RunPhase | undefined][] = [
  ['running', running, 'pause', paused],
  ['running', running, 'resume', undefined],
  ['running', running, 'cancel', cancelling],
  ['running', running, 'fail', { kind: 'stopping', cause: { reason: 'failed', task: 'b', error: (events.fail as { error: unknown }).error }, cleanups: 'allowed' }],
  ['running', running, 'finish', { kind: 'finishing', final, before: running }],
  ['running', running, 'refuse', undefined],
  ['running', running, 'settle', undefined],
  ['running', running, 'abandon', abandoned],
  ['paused', paused, 'pause', undefined],
  ['paused', paused, 'resume', running],
  ['paused', paused, 'cancel', cancelling],
  ['paused', paused, 'fail', { kind: 'stopping', cause: { reason: 'failed', task: 'b', error: (events.fail as { error: unknown }).error }, cleanups: 'allowed' }],
  ['paused', paused, 'finish', { kind: 'finishing', final, before: paused }],
  ['paused', paused, 'settle', undefined],
  ['paused', paused, 'abandon', abandoned],
  ['stopping (failed)', failing, 'pause', undefined],
  ['stopping (failed)', failing, 'resume', undefined],
  ['stopping (failed)', failing, 'cancel', cancelling],
  ['stopping (failed)', failing, 'fail', failing],
  ['stopping (failed)', failing, 'finish', { kind: 'finishing', final, before: failing }],
  ['stopping (failed)', failing, 'settle', undefined],
  ['stopping (failed)', failing, 'abandon', abandoned],
  ['stopping (cancelled)', cancelling, 'cancel', aborting],
  ['stopping (cancelled)', cancelling, 'fail', cancelling],
  ['stopping (cleanups aborted)', aborting, 'cancel', undefined],
  ['stopping (cleanups aborted)', aborting, 'finish', { kind: 'finishing', final, before: aborting }],
  ['finishing', finishing, 'pause', undefined],
  ['finishing', finishing, 'resume', undefined],
  ['finishing', finishing, 'cancel', undefined],
  ['finishing', finishing, 'fail', undefined],
  ['finishing', finishing, 'finish', undefined],
  ['finishing', finishing, 'refuse', failing],
  ['finishing', finishing, 'settle', settled],
  ['finishing', finishing, 'abandon', abandoned],
  ...(Object.keys(events) as RunPhaseEvent['type'][]).flatMap((type): [string, RunPhase, RunPhaseEvent['type'], undefined][] => [
    ['settled', settled, type, undefined],
    ['abandoned', abandoned, type, undefined],
  ]),
]

describe('the run phase transition table', () => {
  it.each(rows.map(([name, phase, type, to]) => [`${name} + ${type}`, phase, type, to] as const))('%s', (_name, phase, type, expected) => {
    expect(nextPhase(phase, events[type])).toEqual(expected)
  })

  it('lists, for each phase, exactly the events the rows above accept', () => {
    const kinds: RunPhaseKind[] = ['running', 'paused', 'stopping', 'finishing', 'settled', 'abandoned']
    for (const kind of kinds) {
      const accepted = new Set(rows.filter(([, phase, , to]) => phase.kind === kind && to !== undefined).map(([, , type]) => type))
      expect(new Set(acceptedEvents(kind)), kind).toEqual(accepted)
    }
  })

  it('counts a run by the status the engine reports for each phase', () => {
    expect([running, paused, failing, finishing, settled, abandoned].map(phaseStatus)).toEqual(['running', 'paused', 'running', 'running', 'completed', 'abandoned'])
  })

  it('lets cleanups start while a run stops, until a second cancel aborts them', () => {
    expect([forbidsStart(running, false), forbidsStart(failing, false), forbidsStart(failing, true), forbidsStart(aborting, true)]).toEqual([false, true, false, true])
  })
})

const anyEvent = fc.constantFrom(...Object.values(events))

describe('random event sequences', () => {
  it('never reach an illegal phase', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 40 }), (sequence) => {
        let phase = initialPhase
        let stopped = false
        let cancelled = false
        for (const event of sequence) {
          const next = nextPhase(phase, event)
          if (next === undefined) continue
          // Over is over: nothing leaves settled or abandoned.
          expect(phase.kind === 'settled' || phase.kind === 'abandoned').toBe(false)
          // Settling only ends a finishing run; a finishing run returns only to the phase it came from.
          if (next.kind === 'settled') expect(phase.kind).toBe('finishing')
          if (phase.kind === 'finishing' && next.kind !== 'settled' && next.kind !== 'abandoned') expect(next).toBe(phase.before)
          if (next.kind === 'finishing') expect(['running', 'paused', 'stopping']).toContain(next.before.kind)
          // A run that stops never runs or pauses again, and a cancel is never turned back into a failure.
          if (next.kind === 'stopping') {
            stopped = true
            if (next.cause.reason === 'cancelled') cancelled = true
            else expect(cancelled).toBe(false)
          }
          if (stopped) expect(['running', 'paused']).not.toContain(next.kind)
          if (next.kind === 'finishing' && next.before.kind === 'stopping') expect(stopped).toBe(true)
          phase = next
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('always reach an end when the run finishes and settles, whatever happened before', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 20 }), (sequence) => {
        let phase = initialPhase
        for (const event of sequence) phase = nextPhase(phase, event) ?? phase
        const finishing = nextPhase(phase, events.finish)
        if (finishing === undefined) expect(['finishing', 'settled', 'abandoned']).toContain(phase.kind)
        else expect(nextPhase(finishing, events.settle)?.kind).toBe('settled')
      }),
    )
  })
})
