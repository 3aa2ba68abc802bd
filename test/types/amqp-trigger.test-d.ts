/**
 * The trigger's engine port: an `Engine` is a `RunStarter` for a class
 * workflow and a defined one without a cast; something without that `start`
 * is not.
 */
import 'reflect-metadata'
import { describe, expectTypeOf, it } from 'vitest'
import { createEngine, defineWorkflow, Task, Workflow, WorkflowBase, type Engine } from 'weft-sdk'
import { AmqpTrigger, type RunStarter } from 'weft-sdk/amqp'

@Workflow({ name: 'amqp-types-class', version: 1 })
class Ship extends WorkflowBase<{ orderId: string }> {
  @Task()
  label(input: { orderId: string }): string {
    return input.orderId
  }
}

const Defined = defineWorkflow<{ amount: number }>({ name: 'amqp-types-defined', version: 1 }).task('double', (input) => input.amount * 2).build()

describe('RunStarter', () => {
  it('is implemented by an Engine for class and defined workflows', () => {
    expectTypeOf<Engine>().toExtend<RunStarter<typeof Ship>>()
    expectTypeOf<Engine>().toExtend<RunStarter<typeof Defined>>()
  })

  it('lets a trigger take an engine and a workflow without a cast', () => {
    const engine = createEngine()
    const trigger = new AmqpTrigger({ name: 't', url: 'amqp://127.0.0.1', queue: 'q', engine, workflow: Ship, deadLetter: 'reject' })
    expectTypeOf(trigger).toEqualTypeOf<AmqpTrigger<typeof Ship>>()
  })

  it('refuses an object whose start has another shape', () => {
    // @ts-expect-error start must take (workflow, input, { runId }) and return a promise
    const wrong: RunStarter<typeof Ship> = { start: (workflow: typeof Ship) => workflow.name }
    void wrong
  })
})
