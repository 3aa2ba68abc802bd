/**
 * Definition-time rules that keep the compile-time checks sound where the
 * types cannot: one decorator declares a method a task (it checks every
 * parameter), and every method of a workflow class is a task.
 */
import { describe, expect, it } from 'vitest'
import {
  compileWorkflow,
  DependsOn,
  InvalidOptionsError,
  InvalidWorkflowError,
  Loop,
  OnFailure,
  Retry,
  Task,
  Workflow,
  WorkflowBase,
  type LoopContext,
  type TaskFailure,
} from 'weft-sdk'
import { thrown } from '../support/thrown.js'

interface Input {
  readonly orderId: string
}
interface Order {
  readonly id: string
  readonly total: number
}

describe('one decorator declares a method a task', () => {
  it('rejects @Task() with @DependsOn, showing the two checked forms', () => {
    // The parameter accepts the input and the output, so both checks pass in the
    // types; only the definition can tell that @Task() never saw 'load'.
    const define = () => {
      @Workflow({ name: 'both', version: 1 })
      class Both extends WorkflowBase<Input> {
        @Task() load(input: Input): Order { return { id: input.orderId, total: 1 } }
        @Task() @DependsOn('load', { task: 'other', optional: true }) ship(order: Order | Input) { return order }
        @Task() other(input: Input) { return input.orderId.length }
      }
      return Both
    }
    expect(thrown(define)).toEqual(
      new InvalidWorkflowError(
        `workflow "both": method "ship" has both @DependsOn and @Task, and each decides what the method receives; ` +
          `@Task() cannot see @DependsOn's tasks, so declare it with @DependsOn('load', { task: 'other', optional: true }) alone, ` +
          `or with @Task({ dependsOn: ['load', { task: 'other', optional: true }] })`,
      ),
    )
  })

  it('rejects @Task({ dependsOn }) with @DependsOn too', () => {
    const define = () => {
      @Workflow({ name: 'both-lists', version: 1 })
      class BothLists extends WorkflowBase<Input> {
        @Task() load(input: Input): Order { return { id: input.orderId, total: 1 } }
        @Task({ dependsOn: ['load'] }) @DependsOn('load') ship(order: Order) { return order.id }
      }
      return BothLists
    }
    expect(thrown(define)).toMatchObject({ constructor: InvalidWorkflowError, message: expect.stringContaining('has both @DependsOn and @Task') })
  })

  it('rejects @Task() with @OnFailure: the handler is declared by @OnFailure alone', () => {
    const define = () => {
      @Workflow({ name: 'handler', version: 1 })
      class Handler extends WorkflowBase<Input> {
        @Task() charge(input: Input) { return input.orderId }
        // @ts-expect-error @Task() checks the handler as a root task: a TaskFailure is not the input
        @Task() @OnFailure('charge') refund(failure: TaskFailure) { return failure.message }
      }
      return Handler
    }
    expect(thrown(define)).toEqual(
      new InvalidWorkflowError(
        `workflow "handler": method "refund" has both @OnFailure and @Task, and each decides what the method receives; ` +
          `declare the handler with @OnFailure('charge') alone: it receives the TaskFailure, then the TaskContext`,
      ),
    )
  })

  it('rejects @DependsOn with @Loop: the loop takes its dependencies in its options', () => {
    const define = () => {
      @Workflow({ name: 'loop', version: 1 })
      class Looped extends WorkflowBase<Input> {
        @Task() load(input: Input): Order { return { id: input.orderId, total: 1 } }
        // @ts-expect-error @DependsOn passes a TaskContext, and a loop body takes a LoopContext
        @DependsOn('load') @Loop({ while: (o: Order) => o.total < 3, maxIterations: 3 }) grow(o: Order, ctx: LoopContext<Input>): Order {
          return { ...o, total: o.total + ctx.iteration }
        }
      }
      return Looped
    }
    expect(thrown(define)).toEqual(
      new InvalidWorkflowError(
        `workflow "loop": method "grow" has both @Loop and @DependsOn, and each decides what the method receives; ` +
          `declare the loop with @Loop({ while, maxIterations, dependsOn: ['load'] }) alone`,
      ),
    )
  })

  it('accepts each declaring decorator alone, with policies beside it, and keeps the descriptions', () => {
    @Workflow({ name: 'alone', version: 1 })
    class Alone extends WorkflowBase<Input> {
      @Task({ description: 'root' }) load(input: Input): Order { return { id: input.orderId, total: 1 } }
      @DependsOn('load') @Retry({ maxAttempts: 2 }) charge(order: Order) { return order.total }
      @Task({ dependsOn: ['load', 'charge'], description: 'ship it' }) ship(order: Order, charged: number) { return `${order.id} ${charged}` }
      @OnFailure('charge', { description: 'refund' }) refund(failure: TaskFailure) { return failure.message }
      @Loop({ dependsOn: ['load'], while: (o: Order) => o.total < 3, maxIterations: 3, description: 'grow' })
      grow(o: Order, ctx: LoopContext<Input>): Order { return { ...o, total: o.total + 1 + ctx.iteration * 0 } }
    }
    const graph = compileWorkflow(Alone)
    const declared = Object.fromEntries(graph.tasks.map((t) => [t.name, [t.kind, t.dependsOn.map((d) => d.task), t.description]]))
    expect(declared).toEqual({
      load: ['task', [], 'root'],
      charge: ['task', ['load'], undefined],
      ship: ['task', ['load', 'charge'], 'ship it'],
      refund: ['on-failure', [], 'refund'],
      grow: ['loop', ['load'], 'grow'],
    })
    expect(graph.taskByName.get('charge')?.policies.retry?.maxAttempts).toBe(2)
  })
})

describe('dependency lists', () => {
  it('rejects an empty @DependsOn() and an entry that names no task, when the decorator is called', () => {
    // @ts-expect-error @DependsOn needs at least one task name
    expect(thrown(() => DependsOn())).toEqual(new InvalidOptionsError('@DependsOn takes at least one task name; a task without dependencies is declared with @Task()'))
    // @ts-expect-error an entry is a name or { task, optional }
    expect(thrown(() => Task({ dependsOn: [{ name: 'load' }] }))).toMatchObject({ constructor: InvalidOptionsError, message: '@Task({ dependsOn }) takes task names or { task: \'name\', optional: true }, got {"name":"load"}' })
    // @ts-expect-error dependsOn is an array
    expect(thrown(() => Loop({ dependsOn: 'load', while: () => false, maxIterations: 1 }))).toMatchObject({ constructor: InvalidOptionsError, message: '@Loop({ dependsOn }) takes an array of task names, got "load"' })
  })

  it('reads @Task({ dependsOn: [] }) as a root task, as its types do', () => {
    @Workflow({ name: 'empty-list', version: 1 })
    class EmptyList extends WorkflowBase<Input> {
      @Task({ dependsOn: [] }) load(input: Input) { return input.orderId }
    }
    expect(compileWorkflow(EmptyList).tasks[0]?.dependsOn).toEqual([])
  })
})

describe('every method of a workflow class is a task', () => {
  it('rejects an undecorated public method, naming it and the fixes', () => {
    const define = () => {
      @Workflow({ name: 'helper', version: 1 })
      class WithHelper extends WorkflowBase<Input> {
        @Task() load(input: Input) { return this.helper() + input.orderId.length }
        helper() { return 1 }
      }
      return WithHelper
    }
    expect(thrown(define)).toEqual(
      new InvalidWorkflowError(
        `workflow "helper": method "helper" of WithHelper is not a task, but its type counts it as one (result.output('helper') would compile); ` +
          `declare it a task, or make it an ES private method (#helper), a static method or a function outside the class (TypeScript's private is not visible at run time)`,
      ),
    )
  })

  it('rejects a TypeScript-private method too, and an undecorated method inherited from a base class', () => {
    const privateHelper = () => {
      @Workflow({ name: 'ts-private', version: 1 })
      class TsPrivate extends WorkflowBase<Input> {
        @Task() load(input: Input) { return this.helper(input) }
        private helper(input: Input) { return input.orderId }
      }
      return TsPrivate
    }
    class Base extends WorkflowBase<Input> {
      shared() { return 1 }
    }
    const inherited = () => {
      @Workflow({ name: 'inherited', version: 1 })
      class Child extends Base {
        @Task() load(input: Input) { return input.orderId }
      }
      return Child
    }
    expect(thrown(privateHelper)).toMatchObject({ constructor: InvalidWorkflowError, message: expect.stringContaining('method "helper" of TsPrivate is not a task') })
    expect(thrown(inherited)).toMatchObject({ constructor: InvalidWorkflowError, message: expect.stringContaining('method "shared" of Child is not a task') })
  })

  it('accepts ES private and static helpers, accessors, and an override of an inherited task that declares it again', () => {
    class Base extends WorkflowBase<Input> {
      @Task() load(input: Input) { return input.orderId }
    }
    @Workflow({ name: 'helpers-ok', version: 1 })
    class Helpers extends Base {
      static format(id: string) { return `#${id}` }
      get label() { return 'helpers' }
      @Task() override load(input: Input) { return Helpers.format(this.#trim(input.orderId)) }
      #trim(id: string) { return id.trim() }
    }
    expect(compileWorkflow(Helpers).tasks.map((t) => t.name)).toEqual(['load'])
  })

  it('rejects an override of an inherited task that does not declare it again: its narrower parameter would go unchecked', () => {
    interface Order { readonly id: string }
    interface Special extends Order { readonly level: number }
    class Base extends WorkflowBase<Input> {
      @Task() load(input: Input): Order { return { id: input.orderId } }
      @DependsOn('load') charge(order: Order) { return order.id }
    }
    expect(() => {
      @Workflow({ name: 'narrow-override', version: 1 })
      class Narrow extends Base {
        // TypeScript accepts this override (method parameters are bivariant); the engine would pass it an Order.
        override charge(order: Special) { return `${order.id}:${order.level.toFixed(0)}` }
      }
      return Narrow
    }).toThrow(/method "charge" of Narrow overrides an inherited task without declaring it, so its parameters are not checked/)
  })
})
