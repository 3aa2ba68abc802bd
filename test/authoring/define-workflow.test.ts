import { describe, expect, it } from 'vitest'
import {
  Always,
  compileWorkflow,
  defineWorkflow,
  DependsOn,
  DuplicateTaskError,
  Loop,
  OnFailure,
  Retry,
  Task,
  Timeout,
  UnknownDependencyError,
  When,
  Workflow,
  WorkflowBase,
  type LoopContext,
  type TaskFailure,
  type WorkflowGraph,
} from 'weft-sdk'

interface Order {
  readonly id: string
  readonly total: number
}

@Workflow({ name: 'twin', version: 2, description: 'orders' })
class Decorated extends WorkflowBase<{ id: string }> {
  @Task({ description: 'load it' }) load(input: { id: string }): Order { return { id: input.id, total: 1 } }
  @DependsOn('load') @Retry({ maxAttempts: 3 }) @Timeout('2 s') charge(order: Order) { return order.total }
  @DependsOn('load', { task: 'charge', optional: true }) @When((o: Order) => o.total > 0)
  ship(order: Order, paid: number | undefined) { return `${order.id} ${paid}` }
  @Loop({ dependsOn: ['load'], while: (o: Order) => o.total < 5, maxIterations: 9, description: 'grow it' })
  grow(o: Order, ctx: LoopContext<{ id: string }>): Order { return { ...o, total: o.total + 1 } }
  @OnFailure('charge', { description: 'refund it' }) refund(f: TaskFailure) { return f.message }
  @Task() @Always() done(input: { id: string }) { return input.id }
}

const defined = defineWorkflow<{ id: string }>({ name: 'twin', version: 2, description: 'orders' })
  .task('load', { description: 'load it' }, (input): Order => ({ id: input.id, total: 1 }))
  .task('charge', { dependsOn: ['load'], retry: { maxAttempts: 3 }, timeout: '2 s' }, (order) => order.total)
  .task('ship', { dependsOn: ['load', { task: 'charge', optional: true }], when: (o) => o.total > 0 }, (order, paid) => `${order.id} ${paid}`)
  .loop('grow', { dependsOn: ['load'], while: (o) => o.total < 5, maxIterations: 9, description: 'grow it' }, (o) => ({ ...o, total: o.total + 1 }))
  .onFailure('refund', 'charge', { description: 'refund it' }, (f) => f.message)
  .always('done', (input) => input.id)
  .build()

/** The parts of a graph that do not depend on how it was written. */
function shape(graph: WorkflowGraph) {
  return {
    name: graph.name,
    version: graph.version,
    description: graph.description,
    tasks: graph.tasks.map((t) => ({
      name: t.name,
      kind: t.kind,
      description: t.description,
      dependsOn: t.dependsOn,
      dependencyIds: t.dependencyIds,
      dependentIds: t.dependentIds,
      handles: t.handles,
      hasCondition: t.when !== undefined,
      maxIterations: t.loop?.maxIterations,
      policies: { ...t.policies, retry: t.policies.retry && { ...t.policies.retry, retryIf: undefined } },
    })),
  }
}

describe('defineWorkflow', () => {
  it('builds the same graph as the decorated class', () => {
    expect(shape(compileWorkflow(defined))).toEqual(shape(compileWorkflow(Decorated)))
  })

  it('rejects an unknown dependency with a suggestion when built', () => {
    const builder = defineWorkflow({ name: 'typo', version: 1 })
      .task('fetch', () => 1)
      .task('score', { dependsOn: ['fetc' as 'fetch'] }, (n) => n)
    expect(() => builder.build()).toThrow(UnknownDependencyError)
    expect(() => builder.build()).toThrow('workflow "typo": task "score" depends on unknown task "fetc" (did you mean "fetch"?)')
  })

  it('rejects a duplicate task when built', () => {
    const builder = defineWorkflow({ name: 'dup', version: 1 })
      .task('a', () => 1)
      .task('a' as never, () => 2)
    expect(() => builder.build()).toThrow(DuplicateTaskError)
  })

  it('leaves earlier builders unchanged when extended', () => {
    const base = defineWorkflow({ name: 'branching', version: 1 }).task('a', () => 1)
    const one = base.task('b', { dependsOn: ['a'] }, (a) => a + 1).build()
    const two = base.task('c', { dependsOn: ['a'] }, (a) => a + 2).build()
    expect(one.graph.tasks.map((t) => t.name)).toEqual(['a', 'b'])
    expect(two.graph.tasks.map((t) => t.name)).toEqual(['a', 'c'])
  })
})
