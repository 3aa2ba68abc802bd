import { Schema } from 'effect'
import { describe, expect, it } from 'vitest'
import { InputValidationError, InvalidWorkflowError, MemoryWorkflowStore, Task, Workflow, WorkflowBase, createEngine } from 'weft-sdk'
import { thrown } from '../support/thrown.js'

const Order = Schema.Struct({ orderId: Schema.NonEmptyString, placedAt: Schema.Date })

@Workflow({ name: 'input-by-schema', version: 1 })
class ByBase extends WorkflowBase.withInput(Order) {
  @Task() describe(input: typeof Order.Type) {
    return `${input.orderId} placed in ${input.placedAt.getUTCFullYear()}`
  }
}

describe('WorkflowBase.withInput(schema)', () => {
  it('declares the input once: the schema validates it before a run is created and tasks receive what it decodes', async () => {
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store })
    expect((await engine.run(ByBase, { orderId: 'o-1', placedAt: new Date(Date.UTC(2026, 0, 2)) })).output('describe')).toBe('o-1 placed in 2026')
    const bad = await engine.start(ByBase, { orderId: '', placedAt: new Date(0) }).catch((error: unknown) => error)
    expect(bad).toBeInstanceOf(InputValidationError)
    expect((await store.listRuns()).length).toBe(1)
    await engine.close()
  })

  it('refuses a class that also names another schema in @Workflow({ input })', () => {
    const Other = Schema.Struct({ orderId: Schema.NonEmptyString, placedAt: Schema.Date })
    const error = thrown(() => {
      // The types match (same shape), so only the definition check can tell the two schemas apart.
      @Workflow({ name: 'two-schemas', version: 1, input: Other })
      class TwoSchemas extends WorkflowBase.withInput(Order) {
        @Task() id(input: typeof Order.Type) {
          return input.orderId
        }
      }
      return TwoSchemas
    })
    expect(error).toBeInstanceOf(InvalidWorkflowError)
    expect((error as Error).message).toContain('extends WorkflowBase.withInput(schema) and @Workflow({ input }) names another schema')
  })
})
