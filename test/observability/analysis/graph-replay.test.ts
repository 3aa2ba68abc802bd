/** The critical path and the list-scheduling replay, against brute-force references on random DAGs. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { criticalPath, InvalidOptionsError, replaySchedule, type AnalysisGraph } from 'weft-sdk'
import { dagArbitrary, taskName, type RandomDag } from '../../support/random-dag.js'
import { testSeed } from '../../support/seed.js'

const seed = testSeed('test/observability/analysis/graph-replay.test.ts')

function graphOf(dag: RandomDag): AnalysisGraph {
  return { workflow: 'w', version: 1, tasks: dag.deps.map((deps, i) => ({ name: taskName(i), dependsOn: deps.map(taskName) })) }
}

/** Every path's weight, by enumerating every path ending at every task (fine for small DAGs). */
function longestPathByEnumeration(dag: RandomDag, weights: readonly number[]): number {
  const heaviestEndingAt = (task: number): number => weights[task]! + Math.max(0, ...dag.deps[task]!.map(heaviestEndingAt))
  return Math.max(...dag.deps.map((_, i) => heaviestEndingAt(i)))
}

const weighted = (maxSize: number) =>
  dagArbitrary(maxSize).chain((dag) => fc.tuple(fc.constant(dag), fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: dag.size, maxLength: dag.size })))

describe('criticalPath', () => {
  it('is as long as the longest path found by enumerating every path', () => {
    fc.assert(
      fc.property(weighted(10), ([dag, weights]) => {
        const path = criticalPath(graphOf(dag), (task) => weights[Number(task.slice(1))]!)
        expect(path.lengthMs).toBe(longestPathByEnumeration(dag, weights))
      }),
      { seed, numRuns: 300 },
    )
  })

  it('is a chain of dependencies whose weights add up to its length, with shares summing to 1', () => {
    fc.assert(
      fc.property(weighted(30), ([dag, weights]) => {
        const graph = graphOf(dag)
        const path = criticalPath(graph, (task) => weights[Number(task.slice(1))]!)
        path.steps.slice(1).forEach((step, i) => expect(graph.tasks.find((t) => t.name === step.task)!.dependsOn).toContain(path.steps[i]!.task))
        expect(path.steps.reduce((sum, s) => sum + s.weightMs, 0)).toBe(path.lengthMs)
        if (path.lengthMs > 0) expect(path.steps.reduce((sum, s) => sum + s.share, 0)).toBeCloseTo(1, 9)
      }),
      { seed, numRuns: 300 },
    )
  })

  it('picks the heavier branch of a diamond', () => {
    const graph: AnalysisGraph = {
      workflow: 'w', version: 1,
      tasks: [{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: ['a'] }, { name: 'c', dependsOn: ['a'] }, { name: 'd', dependsOn: ['b', 'c'] }],
    }
    const weights: Record<string, number> = { a: 10, b: 5, c: 30, d: 20 }
    const path = criticalPath(graph, (task) => weights[task]!)
    expect(path.steps.map((s) => [s.task, s.share])).toEqual([['a', 10 / 60], ['c', 0.5], ['d', 20 / 60]])
    expect(path.lengthMs).toBe(60)
  })
})

describe('replaySchedule', () => {
  const arbitrary = weighted(40).chain(([dag, weights]) => fc.tuple(fc.constant(dag), fc.constant(weights), fc.integer({ min: 1, max: 8 })))

  it('starts a task only after its dependencies ended and never runs more than the limit at once', () => {
    fc.assert(
      fc.property(arbitrary, ([dag, weights, limit]) => {
        const graph = graphOf(dag)
        const replay = replaySchedule(graph, (task) => weights[Number(task.slice(1))]!, limit)
        for (const task of graph.tasks) {
          for (const dep of task.dependsOn) expect(replay.startMs.get(task.name)!).toBeGreaterThanOrEqual(replay.endMs.get(dep)!)
          expect(replay.endMs.get(task.name)! - replay.startMs.get(task.name)!).toBe(weights[Number(task.name.slice(1))])
        }
        for (const task of graph.tasks) {
          const at = replay.startMs.get(task.name)!
          const running = graph.tasks.filter((t) => replay.startMs.get(t.name)! <= at && at < replay.endMs.get(t.name)!)
          expect(running.length).toBeLessThanOrEqual(limit)
        }
      }),
      { seed, numRuns: 200 },
    )
  })

  it('stays within Graham\'s bound: at least the critical path and work/limit, at most work/limit + (1 − 1/limit)·critical path', () => {
    fc.assert(
      fc.property(arbitrary, ([dag, weights, limit]) => {
        const graph = graphOf(dag)
        const weight = (task: string) => weights[Number(task.slice(1))]!
        const { makespanMs } = replaySchedule(graph, weight, limit)
        const path = criticalPath(graph, weight).lengthMs
        const work = weights.reduce((sum, w) => sum + w, 0)
        expect(makespanMs).toBeGreaterThanOrEqual(Math.max(path, work / limit) - 1e-9)
        expect(makespanMs).toBeLessThanOrEqual(work / limit + (1 - 1 / limit) * path + 1e-9)
      }),
      { seed, numRuns: 300 },
    )
  })

  it('equals the critical path without a limit and the total work with a limit of 1', () => {
    fc.assert(
      fc.property(weighted(40), ([dag, weights]) => {
        const graph = graphOf(dag)
        const weight = (task: string) => weights[Number(task.slice(1))]!
        expect(replaySchedule(graph, weight).makespanMs).toBe(criticalPath(graph, weight).lengthMs)
        expect(replaySchedule(graph, weight, 1).makespanMs).toBe(weights.reduce((sum, w) => sum + w, 0))
      }),
      { seed, numRuns: 200 },
    )
  })

  it('refuses a concurrency below 1', () => {
    const graph: AnalysisGraph = { workflow: 'w', version: 1, tasks: [{ name: 'a', dependsOn: [] }] }
    expect(() => replaySchedule(graph, () => 1, 0)).toThrow(InvalidOptionsError)
    expect(() => replaySchedule(graph, () => 1, Number.NaN)).toThrow(/at least 1, got NaN/)
  })
})
