import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CycleError } from 'weft-sdk'
import { compileGraph } from '../../src/graph/compile-graph.js'
import type { TaskDraft } from '../../src/graph/workflow-draft.js'
import { dagArbitrary, taskName, type RandomDag } from '../support/random-dag.js'
import { testSeed } from '../support/seed.js'

const seed = testSeed('test/graph/topological-order.property.test.ts')

function drafts(dag: RandomDag, order: readonly number[]): TaskDraft[] {
  return order.map((i) => ({ name: taskName(i), method: taskName(i), kind: 'task', dependsOn: dag.deps[i]!.map(taskName) }))
}

describe('graph compilation of random DAGs', () => {
  it('puts every task after its dependencies, whatever the declaration order', () => {
    fc.assert(
      fc.property(
        dagArbitrary(200).chain((dag) => fc.tuple(fc.constant(dag), fc.shuffledSubarray([...Array(dag.size).keys()], { minLength: dag.size }))),
        ([dag, order]) => {
          const graph = compileGraph({ name: 'random', version: 1, tasks: drafts(dag, order), source: {} })
          const position = new Map(graph.tasks.map((t) => [t.name, t.id]))
          for (const task of graph.tasks) for (const dep of task.dependsOn) expect(position.get(dep.task)!).toBeLessThan(task.id)
          expect(graph.tasks).toHaveLength(dag.size)
        },
      ),
      { seed, numRuns: 200 },
    )
  })

  it('always rejects a random back-edge before any run, whatever the declaration order, naming exactly one cycle of real edges', () => {
    const withBackEdge = dagArbitrary(200)
      .filter((dag) => dag.deps.some((d) => d.length > 0))
      .chain((dag) => {
        const edges = dag.deps.flatMap((deps, to) => deps.map((from) => [from, to] as const))
        const order = fc.shuffledSubarray([...Array(dag.size).keys()], { minLength: dag.size })
        return fc.tuple(fc.constant(dag), fc.constantFrom(...edges), order)
      })
    fc.assert(
      fc.property(withBackEdge, ([dag, [from, to], order]) => {
        // `to` depends on `from`; making `from` depend on a descendant of itself closes a cycle.
        const deps = dag.deps.map((d) => [...d])
        deps[from]!.push(to)
        const tasks = drafts({ size: dag.size, deps }, order)
        let error: unknown
        try {
          compileGraph({ name: 'random', version: 1, tasks, source: {} })
        } catch (e) {
          error = e
        }
        expect(error).toBeInstanceOf(CycleError)
        expect((error as CycleError).code).toBe('WEFT_CYCLE')
        const path = (error as CycleError).path
        // A closed path through distinct tasks: the cycle itself, no task before or after it.
        expect(path.length).toBeGreaterThanOrEqual(2)
        expect(path[0]).toBe(path[path.length - 1])
        expect(new Set(path.slice(0, -1)).size).toBe(path.length - 1)
        // Each consecutive pair is an edge: the later task depends on the earlier one.
        for (let i = 0; i + 1 < path.length; i++) {
          const later = Number(path[i + 1]!.slice(1))
          expect(deps[later]).toContain(Number(path[i]!.slice(1)))
        }
        expect((error as Error).message).toBe(`workflow "random" has a cycle: ${path.join(' → ')}; remove one of these dependencies`)
      }),
      { seed, numRuns: 200 },
    )
  })
})
