/** analyzeWorkflow over hand-built histories: statistics, bottleneck criteria, cache candidates, suggestions and their replayed savings. */
import { describe, expect, it } from 'vitest'
import { analyzeWorkflow, InvalidOptionsError, observeTasks, profileTask, type AnalysisGraph, type RecordedRun } from 'weft-sdk'
import { chainSteps, recordedRun, type StepSpec } from './recorded-runs.js'

const chain: AnalysisGraph = {
  workflow: 'w', version: 1,
  tasks: [{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: ['a'] }, { name: 'c', dependsOn: ['b'] }],
}

const failed = (attempt: number, start: number, ms: number, code?: string) => ({ attempt, outcome: 'failed' as const, startedAt: start, finishedAt: start + ms, error: { name: 'Error', message: 'boom', code } })

function runs(count: number, steps: (i: number) => StepSpec[], input: (i: number) => unknown = (i) => ({ i })): RecordedRun[] {
  return Array.from({ length: count }, (_, i) => recordedRun({ id: `r${String(i).padStart(3, '0')}`, input: input(i), steps: steps(i) }))
}

describe('task statistics', () => {
  it('counts failed attempts from the history and the final status, not interrupted ones, and the time before the last attempt', () => {
    const history = { earlier: [failed(1, 0, 10), { attempt: 2, outcome: 'interrupted' as const }], omitted: 1, lastStartedAt: 30 }
    const observed = observeTasks(chain, [recordedRun({ id: 'r1', steps: [{ task: 'a', start: 0, ms: 40, attempts: 4, history, status: 'failed' }] })])
    const profile = profileTask('a', observed.get('a')!)
    expect(profile).toMatchObject({ attempts: 4, failedAttempts: 3, failedSteps: 1, retryRate: 1, retryMs: 30, failureRate: 0.75 })
    expect(profile.duration).toMatchObject({ count: 1, medianMs: 40 })
  })

  it('measures blocked time from a refused attempt to the next attempt', () => {
    const history = { earlier: [failed(1, 0, 1, 'WEFT_RATE_LIMITED'), failed(2, 50, 5)], omitted: 0, lastStartedAt: 70 }
    const observed = observeTasks(chain, [recordedRun({ id: 'r1', steps: [{ task: 'a', start: 0, ms: 80, attempts: 3, history }] })])
    expect(profileTask('a', observed.get('a')!)).toMatchObject({ blockedSteps: 1, blockedMs: 50, failedAttempts: 2 })
  })

  it('computes median, p95, mean and the coefficient of variation by linear interpolation', () => {
    const history = runs(4, (i) => chainSteps({ a: [10, 20, 30, 40][i]!, b: 5, c: 5 }))
    const a = analyzeWorkflow(chain, history).tasks[0]!
    expect(a.duration).toEqual({ count: 4, medianMs: 25, p95Ms: 38.5, meanMs: 25, maxMs: 40, cv: Math.sqrt(125) / 25 })
  })
})

describe('bottleneck criteria', () => {
  it('flags a task holding at least 40% of the critical path as slow, and not the others', () => {
    const analysis = analyzeWorkflow(chain, runs(10, () => chainSteps({ a: 10, b: 50, c: 40 })))
    expect(analysis.criticalPath.steps.map((s) => [s.task, s.share])).toEqual([['a', 0.1], ['b', 0.5], ['c', 0.4]])
    expect(analysis.bottlenecks.map((b) => [b.task, b.kind])).toEqual([['b', 'slow'], ['c', 'slow']])
  })

  it('flags high variance only when the spread is also a material share of the critical path', () => {
    // a: CV ≈ 0.9 but its spread is tiny against the 1 s path; b: CV ≈ 0.9 and a spread of ~40% of the path.
    const analysis = analyzeWorkflow(chain, runs(20, (i) => chainSteps({ a: i % 2 === 0 ? 1 : 10, b: i % 2 === 0 ? 100 : 1000, c: 500 })))
    expect(analysis.bottlenecks.filter((b) => b.kind === 'high-variance').map((b) => b.task)).toEqual(['b'])
  })

  it('flags as unreliable a task failing well above the other tasks, not one failing like them', () => {
    const retried = (fails: boolean): Partial<StepSpec> => (fails ? { attempts: 2, history: { earlier: [failed(1, 0, 1)], omitted: 0, lastStartedAt: 1 } } : {})
    // a fails 1 attempt in 10 runs out of 50 (≈17% of attempts); b once, c never.
    const analysis = analyzeWorkflow(chain, runs(50, (i) => chainSteps({ a: 10, b: 10, c: 10 }, { a: retried(i % 5 === 0), b: retried(i === 7) })))
    const unreliable = analysis.bottlenecks.filter((b) => b.kind === 'unreliable')
    expect(unreliable.map((b) => b.task)).toEqual(['a'])
    expect(unreliable[0]!.evidence).toMatch(/^10 of 60 attempts failed \(16\.7%\) against 1\.0% for the other tasks \(1 of 101\); threshold 5\.0%, z = \d\.\d\d ≥ 1\.645$/)
  })

  it('does not flag a failure rate a small sample cannot tell from luck', () => {
    // a: 1 failed attempt of 6 (17%, far above the others' 0%), but z ≈ 1.33 < 1.645.
    const retried: Partial<StepSpec> = { attempts: 2, history: { earlier: [failed(1, 0, 1)], omitted: 0, lastStartedAt: 1 } }
    const analysis = analyzeWorkflow(chain, runs(5, (i) => chainSteps({ a: 10, b: 10, c: 10 }, { a: i === 0 ? retried : {} })))
    expect(analysis.bottlenecks.filter((b) => b.kind === 'unreliable')).toEqual([])
  })

  it('flags retry-heavy and blocked tasks with their evidence', () => {
    const blocked: Partial<StepSpec> = { attempts: 2, ms: 30, history: { earlier: [failed(1, 0, 1, 'WEFT_CIRCUIT_OPEN')], omitted: 0, lastStartedAt: 20 } }
    const analysis = analyzeWorkflow(chain, runs(10, (i) => chainSteps({ a: 10, b: 10, c: 10 }, { c: i < 3 ? blocked : {} })))
    const kinds = analysis.bottlenecks.filter((b) => b.task === 'c').map((b) => b.kind)
    expect(kinds).toEqual(expect.arrayContaining(['retry-heavy', 'blocked']))
    expect(analysis.bottlenecks.find((b) => b.kind === 'blocked')!.evidence).toMatch(/^3 of 10 steps had an attempt refused/)
  })

  it('judges no task with fewer steps than minSteps', () => {
    expect(analyzeWorkflow(chain, runs(4, () => chainSteps({ a: 10, b: 50, c: 40 }))).bottlenecks).toEqual([])
  })
})

describe('cache candidates', () => {
  it('finds a task whose arguments repeat with the same output, and replays repeats as hits', () => {
    const history = runs(10, (i) => chainSteps({ a: 20, b: 30, c: 10 }, { a: { output: { region: i % 2 } }, b: { output: `report-${i % 2}` }, c: { output: i } }), (i) => ({ region: i % 2, n: i }))
    const analysis = analyzeWorkflow(chain, history)
    expect(analysis.cacheCandidates.map((c) => [c.task, c.calls, c.distinctInputs, c.repeats, c.sameOutput])).toEqual([['b', 10, 2, 8, 8]])
    const cache = analysis.suggestions.find((s) => s.kind === 'cache')!
    // 8 of 10 runs lose b's 30 ms: 24 ms per run of 60.
    expect(cache.estimatedSavingMs).toBe(24)
    expect(cache.estimatedSavingShare).toBeCloseTo(0.4, 9)
  })

  it('does not suggest caching a task whose output differs for the same arguments', () => {
    const history = runs(10, (i) => chainSteps({ a: 20, b: 30, c: 10 }, { a: { output: 'same' }, b: { output: i } }))
    expect(analyzeWorkflow(chain, history).cacheCandidates.map((c) => c.task)).not.toContain('b')
  })
})

describe('suggestions', () => {
  const fan: AnalysisGraph = { workflow: 'w', version: 1, tasks: ['x', 'y', 'z'].map((name) => ({ name, dependsOn: [] })) }

  it('suggests more concurrency when independent tasks ran one after another, with the replayed saving', () => {
    const analysis = analyzeWorkflow(fan, runs(6, () => chainSteps({ x: 30, y: 20, z: 10 })))
    expect(analysis.observedConcurrency).toBe(1)
    const suggestion = analysis.suggestions.find((s) => s.kind === 'concurrency')!
    expect(suggestion.tasks).toEqual(['x', 'y', 'z'])
    // Limit 2: x alone, y then z beside it → 30 ms instead of 60.
    expect(suggestion.estimatedSavingMs).toBe(30)
    expect(suggestion.replayedRuns).toBe(6)
  })

  it('suggests no concurrency when independent tasks overlapped', () => {
    const parallel = runs(6, () => ['x', 'y', 'z'].map((task) => ({ task, start: 0, ms: 10 })))
    expect(analyzeWorkflow(fan, parallel).suggestions.filter((s) => s.kind === 'concurrency')).toEqual([])
  })

  it('estimates the saving of removing failed attempts by replaying only the last attempt', () => {
    // b starts at 10: a failed attempt of 10 ms, 10 ms of backoff, its last attempt from 30 to 40.
    const retried: Partial<StepSpec> = { ms: 30, attempts: 2, history: { earlier: [failed(1, 10, 10)], omitted: 0, lastStartedAt: 30 } }
    const analysis = analyzeWorkflow(chain, runs(10, (i) => chainSteps({ a: 10, b: 10, c: 10 }, { b: i < 5 ? retried : {} })))
    const fix = analysis.suggestions.find((s) => s.kind === 'reduce-failures')!
    expect(fix.tasks).toEqual(['b'])
    // Half the runs took 50 ms; replayed with b's last attempt alone every run takes 30 ms → 10 ms per run.
    expect(fix.estimatedSavingMs).toBe(10)
  })

  it('leaves out the runs of other versions and unfinished runs, and counts them', () => {
    const history = [
      ...runs(3, () => chainSteps({ a: 1, b: 1, c: 1 })),
      recordedRun({ id: 'old', version: 2, steps: chainSteps({ a: 1, b: 1, c: 1 }) }),
      recordedRun({ id: 'live', status: 'running', steps: [] }),
      recordedRun({ id: 'half', status: 'failed', steps: chainSteps({ a: 1 }) }),
    ]
    expect(analyzeWorkflow(chain, history).sample).toMatchObject({ given: 6, analyzed: 4, ignored: 2, completed: 3, notCompleted: 1, replayed: 3 })
  })

  it('refuses a threshold that is not a finite number ≥ 0', () => {
    expect(() => analyzeWorkflow(chain, [], { thresholds: { slowShare: -1 } })).toThrow(InvalidOptionsError)
    expect(() => analyzeWorkflow(chain, [], { thresholds: { varianceCv: Number.NaN } })).toThrow('analysis threshold "varianceCv" must be a finite number ≥ 0, got NaN')
  })
})
