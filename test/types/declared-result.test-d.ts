/**
 * Compile-time checks of a workflow's declared result: `static readonly result`
 * names tasks of the class (a typo fails tsc), and `run.result()` /
 * `engine.run` give the declared value; a task declared optional may be absent.
 */
import { describe, expectTypeOf, test } from 'vitest'
import { DependsOn, Task, When, Workflow, WorkflowBase, type Engine, type RunResult, type WorkflowResult, type WorkflowRun } from 'weft-sdk'

declare const engine: Engine

interface Receipt {
  readonly amount: number
}

@Workflow({ name: 'declared-one', version: 1 })
class ShipOrder extends WorkflowBase<{ orderId: string }> {
  static readonly result = 'ship'
  @Task() charge(input: { orderId: string }): Receipt {
    return { amount: input.orderId.length }
  }
  @DependsOn('charge') ship(receipt: Receipt): Promise<string> {
    return Promise.resolve(`shipped ${receipt.amount}`)
  }
}

@Workflow({ name: 'declared-record', version: 1 })
class ShipWithNote extends WorkflowBase<{ orderId: string }> {
  static readonly result = { receipt: 'charge', note: { task: 'note', optional: true } } as const
  @Task() charge(input: { orderId: string }): Receipt {
    return { amount: input.orderId.length }
  }
  @DependsOn('charge')
  @When((receipt: Receipt) => receipt.amount > 3)
  note(receipt: Receipt): string {
    return `big: ${receipt.amount}`
  }
}

@Workflow({ name: 'undeclared', version: 1 })
class Undeclared extends WorkflowBase {
  @Task() one(): number {
    return 1
  }
}

describe('a declared result', () => {
  test('run.result() resolves to the declared task output; run.details() keeps every task', async () => {
    const run = await engine.start(ShipOrder, { orderId: 'o-1' })
    expectTypeOf(await run.result()).toEqualTypeOf<string>()
    expectTypeOf(await run.details()).toEqualTypeOf<RunResult<{ readonly charge: Receipt; readonly ship: string }>>()
    expectTypeOf(await engine.run(ShipOrder, { orderId: 'o-1' })).toEqualTypeOf<string>()
  })

  test('a record reads each task, undefined where the task is declared optional', async () => {
    expectTypeOf<WorkflowResult<typeof ShipWithNote>>().toEqualTypeOf<{ receipt: Receipt; note: string | undefined }>()
    const typed = await engine.getRun(ShipWithNote, 'r-1')
    expectTypeOf(await typed!.result()).toEqualTypeOf<{ receipt: Receipt; note: string | undefined }>()
  })

  test('a workflow without a declared result keeps the RunResult', async () => {
    expectTypeOf(await engine.run(Undeclared)).toEqualTypeOf<RunResult<{ readonly one: number }>>()
  })

  test('engine.emit(...).startedOf(Workflow) types the started runs by that workflow', async () => {
    const [run] = (await engine.emit('order.placed', { orderId: 'o-1' })).startedOf(ShipOrder)
    expectTypeOf(await run!.result()).toEqualTypeOf<string>()
    expectTypeOf((await engine.emit('order.placed')).started[0]!).toEqualTypeOf<WorkflowRun>()
  })

  test('a result naming no task of the class fails tsc', () => {
    // @ts-expect-error static result names unknown task 'shp'
    @Workflow({ name: 'typo', version: 1 })
    class Typo extends WorkflowBase {
      static readonly result = 'shp'
      @Task() ship(): number {
        return 1
      }
    }
    void Typo
  })

  test('a record naming an unknown task fails tsc', () => {
    // @ts-expect-error static result names unknown task 'charg'
    @Workflow({ name: 'typo-record', version: 1 })
    class TypoRecord extends WorkflowBase {
      static readonly result = { receipt: 'charg' } as const
      @Task() charge(): number {
        return 1
      }
    }
    void TypoRecord
  })

  test('a record without as const (names widened to string) fails tsc', () => {
    // @ts-expect-error static result must name its tasks as literals
    @Workflow({ name: 'widened', version: 1 })
    class Widened extends WorkflowBase {
      static readonly result = { receipt: 'charge' }
      @Task() charge(): number {
        return 1
      }
    }
    void Widened
  })
})
