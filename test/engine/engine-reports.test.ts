/** The engine's default reports: the warning for a run taken over reads as English for one recovery and for several. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { reportRecovery } from '../../src/engine/engine-reports.js'
import type { RunId } from '../../src/core/ids.js'

const recovered = (recoveries: number, replayedSteps: number) =>
  ({ type: 'run.recovered', at: 0, runId: 'r1' as RunId, workflow: 'hello', recoveries, epoch: recoveries + 1, replayedSteps }) as const

afterEach(() => vi.restoreAllMocks())

describe('reportRecovery', () => {
  it.each([
    [1, 1, '(claim 2, 1 recovery), from 1 recorded step'],
    [2, 3, '(claim 3, 2 recoveries), from 3 recorded steps'],
  ])('counts %i recoveries and %i steps in words', (recoveries, steps, text) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    reportRecovery(recovered(recoveries, steps))
    expect(warn).toHaveBeenCalledWith(`weft: continuing run r1 of "hello", left unfinished by an earlier worker ${text}`)
  })
})
