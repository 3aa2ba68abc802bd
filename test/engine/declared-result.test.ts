import 'reflect-metadata'
import { describe, expect, it } from 'vitest'
import { DependsOn, OnFailure, ResultDeclarationError, Task, When, Workflow, WorkflowBase, type TaskFailure } from 'weft-sdk'
import { memoryEngine } from '../support/engines.js'

interface Receipt {
  readonly amount: number
}

@Workflow({ name: 'result-one', version: 1 })
class ShipOrder extends WorkflowBase<{ orderId: string }> {
  static readonly result = 'ship'
  @Task() charge(input: { orderId: string }): Receipt {
    return { amount: input.orderId.length }
  }
  @DependsOn('charge') ship(receipt: Receipt): string {
    return `shipped ${receipt.amount}`
  }
}

@Workflow({ name: 'result-record', version: 1 })
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

describe('a declared result', () => {
  it('is what run.result() and engine.run resolve to; run.details() keeps every task', async () => {
    const engine = memoryEngine()
    expect(await engine.run(ShipOrder, { orderId: 'o-1' })).toBe('shipped 3')
    const run = await engine.start(ShipOrder, { orderId: 'o-22' })
    expect(await run.result()).toBe('shipped 4')
    const details = await run.details()
    expect(details.outputs).toEqual({ charge: { amount: 4 }, ship: 'shipped 4' })
    expect(details.tasks.map((task) => task.status)).toEqual(['completed', 'completed'])
    await engine.close()
  })

  it('reads a record of tasks, an optional task that was skipped as undefined (not TaskOutputMissingError)', async () => {
    const engine = memoryEngine()
    expect(await engine.run(ShipWithNote, { orderId: 'o-1' })).toEqual({ receipt: { amount: 3 }, note: undefined })
    expect(await engine.run(ShipWithNote, { orderId: 'o-1234' })).toEqual({ receipt: { amount: 6 }, note: 'big: 6' })
    await engine.close()
  })

  it('types and reads the declared result on a run found again with engine.getRun(Workflow, id)', async () => {
    const engine = memoryEngine()
    const run = await engine.start(ShipOrder, { orderId: 'o-1' }, { runId: 'declared-1' })
    await run.outcome()
    expect(await (await engine.getRun(ShipOrder, 'declared-1'))!.result()).toBe('shipped 3')
    // A handle not typed by its workflow keeps every task's output.
    expect((await (await engine.getRun('declared-1'))!.result()).outputs).toEqual({ charge: { amount: 3 }, ship: 'shipped 3' })
    await engine.close()
  })

  it('throws the run failure from result(), as without a declared result', async () => {
    @Workflow({ name: 'result-failing', version: 1 })
    class Failing extends WorkflowBase {
      static readonly result = 'boom'
      @Task() boom(): number {
        throw new Error('no stock')
      }
    }
    const engine = memoryEngine()
    await expect(engine.run(Failing)).rejects.toMatchObject({ code: 'WEFT_RUN_FAILED' })
    await engine.close()
  })
})

describe('runs started by engine.emit', () => {
  it('startedOf(Workflow) gives the runs of that workflow, typed, with its declared result', async () => {
    @Workflow({ name: 'result-triggered', version: 1, trigger: 'order.placed' })
    class Triggered extends WorkflowBase<{ orderId: string }> {
      static readonly result = 'label'
      @Task() label(input: { orderId: string }): string {
        return `label for ${input.orderId}`
      }
    }
    const engine = memoryEngine({ workflows: [Triggered] })
    const sent = await engine.emit('order.placed', { orderId: 'o-9' })
    const [run, ...others] = sent.startedOf(Triggered)
    expect(others).toEqual([])
    expect(await run!.result()).toBe('label for o-9')
    expect(sent.startedOf(ShipOrder)).toEqual([])
    expect(sent.started.map((started) => started.id)).toEqual([run!.id])
    await engine.close()
  })
})

describe('a declared result refused at definition time', () => {
  function refusal(define: () => unknown): unknown {
    try {
      define()
    } catch (error) {
      return error
    }
    return undefined
  }

  it('refuses result or events given to @Workflow (the type check refuses them; JavaScript callers get the fix at definition)', () => {
    const error = refusal(() => {
      @Workflow({ name: 'result-misplaced', version: 1, result: 'ship' } as never)
      class Misplaced extends WorkflowBase {
        @Task() ship(): number {
          return 1
        }
      }
      return Misplaced
    })
    expect(error).toMatchObject({ code: 'WEFT_INVALID_WORKFLOW' })
    expect((error as Error).message).toBe(`workflow "result-misplaced": @Workflow takes no result; declare it on the class, where callers' types see it: static readonly result = 'ship'`)
  })

  it('names an unknown task with a did-you-mean', () => {
    const error = refusal(() => {
      // @ts-expect-error the type check refuses it too
      @Workflow({ name: 'result-typo', version: 1 })
      class Typo extends WorkflowBase {
        static readonly result = 'shp'
        @Task() ship(): number {
          return 1
        }
      }
      return Typo
    })
    expect(error).toBeInstanceOf(ResultDeclarationError)
    expect(error).toMatchObject({ code: 'WEFT_INVALID_RESULT', workflow: 'result-typo', task: 'shp', reason: 'unknown-task' })
    expect((error as Error).message).toBe('workflow "result-typo": its result names unknown task "shp" (did you mean "ship"?); name one of its tasks')
  })

  it('refuses a task with @When unless it is declared optional, naming the fix', () => {
    const error = refusal(() => {
      @Workflow({ name: 'result-conditional', version: 1 })
      class Conditional extends WorkflowBase<number> {
        static readonly result = { big: 'big' } as const
        @Task()
        @When((n: number) => n > 10)
        big(n: number): number {
          return n
        }
      }
      return Conditional
    })
    expect(error).toMatchObject({ code: 'WEFT_INVALID_RESULT', task: 'big', reason: 'may-be-skipped' })
    expect((error as Error).message).toBe(
      `workflow "result-conditional": result.big names task "big", which may end without output (it has a @When condition): declare it { task: 'big', optional: true } so callers receive undefined when it has none`,
    )
  })

  it('refuses a task after one whose failure a handler may take, and a failure handler itself', () => {
    const afterHandled = refusal(() => {
      @Workflow({ name: 'result-after-handled', version: 1 })
      class AfterHandled extends WorkflowBase {
        static readonly result = 'ship'
        @Task() charge(): number {
          return 1
        }
        @OnFailure('charge') refund(failure: TaskFailure): string {
          return failure.message
        }
        @DependsOn('charge') ship(amount: number): number {
          return amount
        }
      }
      return AfterHandled
    })
    expect((afterHandled as Error).message).toContain(`names task "ship", which may end without output (it is skipped when "charge" has no output)`)
    const handler = refusal(() => {
      @Workflow({ name: 'result-handler', version: 1 })
      class Handler extends WorkflowBase {
        static readonly result = 'refund'
        @Task() charge(): number {
          return 1
        }
        @OnFailure('charge') refund(failure: TaskFailure): string {
          return failure.message
        }
      }
      return Handler
    })
    expect((handler as Error).message).toContain(`(it runs only when "charge" fails)`)
  })

  it('refuses a task whose failure does not fail the run, since every task using it takes it as optional', () => {
    const error = refusal(() => {
      @Workflow({ name: 'result-tolerated', version: 1 })
      class Tolerated extends WorkflowBase {
        static readonly result = { quote: 'quote', total: 'total' } as const
        @Task() quote(): number {
          return 1
        }
        @Task({ dependsOn: [{ task: 'quote', optional: true }] }) total(quote: number | undefined): number {
          return quote ?? 0
        }
      }
      return Tolerated
    })
    expect((error as Error).message).toContain(`result.quote names task "quote", which may end without output (its failure does not fail the run: every task that uses it takes it as optional)`)
  })
})
