import 'reflect-metadata'
import { Schema } from 'effect'
import { inject, injectable } from 'tsyringe'
import { describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, DependsOn, EngineClosedError, InputValidationError, InvalidWorkflowError, MemoryWorkflowStore, Task, TaskOutputMissingError, When, Workflow, WorkflowBase } from 'weft-sdk'
import type { Fence, StepRecord } from 'weft-sdk/store'
import { memoryEngine } from '../support/engines.js'

@injectable()
class PriceList {
  priceOf(sku: string): number {
    return sku.length * 10
  }
}

const TAX_RATE = Symbol('tax-rate')

@Workflow({ name: 'quote', version: 1 })
class Quote extends WorkflowBase<{ sku: string }> {
  private calls = 0
  constructor(
    private readonly prices: PriceList,
    @inject(TAX_RATE) private readonly taxRate: number,
  ) {
    super()
  }
  @Task() price(input: { sku: string }) {
    this.calls++
    return this.prices.priceOf(input.sku)
  }
  @DependsOn('price') total(price: number) {
    return { total: price * (1 + this.taxRate), callsOnThisInstance: this.calls }
  }
}

describe('dependency injection', () => {
  it('injects constructor parameters from emitted metadata and from @inject tokens', async () => {
    const engine = memoryEngine()
    engine.container.register(TAX_RATE, { useValue: 0.5 })
    const result = await engine.run(Quote, { sku: 'abc' })
    expect(result.output('total')).toEqual({ total: 45, callsOnThisInstance: 1 })
    await engine.close()
  })

  it('resolves a fresh workflow instance per run', async () => {
    const engine = memoryEngine()
    engine.container.register(TAX_RATE, { useValue: 0 })
    await engine.run(Quote, { sku: 'a' })
    const second = await engine.run(Quote, { sku: 'a' })
    expect(second.output('total').callsOnThisInstance).toBe(1)
    await engine.close()
  })

  it('keeps each engine\'s registrations apart', async () => {
    const one = memoryEngine()
    const two = memoryEngine()
    one.container.register(TAX_RATE, { useValue: 1 })
    two.container.register(TAX_RATE, { useValue: 0 })
    expect((await one.run(Quote, { sku: 'a' })).output('total').total).toBe(20)
    expect((await two.run(Quote, { sku: 'a' })).output('total').total).toBe(10)
    await Promise.all([one.close(), two.close()])
  })
})

describe('input validation', () => {
  const OrderInput = Schema.Struct({
    orderId: Schema.String,
    items: Schema.Array(Schema.Struct({ sku: Schema.String, quantity: Schema.Number.check(Schema.isGreaterThan(0)) })),
  })

  @Workflow({ name: 'validated', version: 1, input: OrderInput })
  class Validated extends WorkflowBase<typeof OrderInput.Type> {
    @Task() count(input: typeof OrderInput.Type) {
      return input.items.length
    }
  }

  it('lists every bad path and creates no run', async () => {
    const store = new MemoryWorkflowStore()
    const engine = memoryEngine({ store })
    const bad = { orderId: 7, items: [{ sku: 'a', quantity: 0 }, { quantity: 'x' }] }
    const error = await engine.start(Validated, bad as never).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InputValidationError)
    expect((error as InputValidationError).issues).toEqual([
      { path: 'orderId', message: 'Expected string' },
      { path: 'items[0].quantity', message: 'Expected a value greater than 0' },
      { path: 'items[1].sku', message: 'Missing key' },
      { path: 'items[1].quantity', message: 'Expected number' },
    ])
    expect((error as Error).message).toBe(
      [
        'invalid input for workflow "validated" (4 problems); no run was created:',
        '  - orderId: Expected string',
        '  - items[0].quantity: Expected a value greater than 0',
        '  - items[1].sku: Missing key',
        '  - items[1].quantity: Expected number',
      ].join('\n'),
    )
    expect(await store.listRuns()).toEqual([])
    expect(engine.stats().runs.running).toBe(0)
    await engine.close()
  })

  it('runs with valid input', async () => {
    const engine = memoryEngine()
    const result = await engine.run(Validated, { orderId: 'o', items: [{ sku: 'a', quantity: 1 }] })
    expect(result.output('count')).toBe(1)
    await engine.close()
  })
})

describe('definition errors at definition time', () => {
  it('throws when a decorated class has a cycle', () => {
    expect(() => {
      @Workflow({ name: 'cyclic', version: 1 })
      class Cyclic extends WorkflowBase<void> {
        @DependsOn('score') fetch(score: number) { return score }
        @DependsOn('fetch') score(fetch: number) { return fetch }
      }
      return Cyclic
    }).toThrow('workflow "cyclic" has a cycle: fetch → score → fetch; remove one of these dependencies')
  })

  it('throws when a method has decorators but none declares it a task', () => {
    expect(() => {
      @Workflow({ name: 'forgot-task', version: 1 })
      class ForgotTask extends WorkflowBase<void> {
        @Task() a(_: void) { return 1 }
        @When(() => true) b(_: void) { return 2 }
      }
      return ForgotTask
    }).toThrow(new InvalidWorkflowError('workflow "forgot-task": method "b" has @When but is not declared a task; declare it with @Task(), @DependsOn(...), @OnFailure(...) or @Loop(...), or remove the decorators'))
  })

  it('throws when a decorator is applied twice', () => {
    expect(() => {
      class Twice extends WorkflowBase<void> {
        @Task() @When(() => true) @When(() => false) a(_: void) { return 1 }
      }
      return Twice
    }).toThrow('method "a" of Twice has @When twice; merge them into one')
  })

  it('throws when a class without @Workflow is started', async () => {
    class Plain {
      a() { return 1 }
    }
    const engine = memoryEngine()
    await expect(engine.start(Plain as never)).rejects.toThrow('class Plain has no @Workflow({ name, version }) decorator')
    await engine.close()
  })

  it('throws when another definition registers the same name and version', async () => {
    const one = defineWorkflow({ name: 'same', version: 1 }).task('a', () => 1).build()
    const two = defineWorkflow({ name: 'same', version: 1 }).task('a', () => 2).build()
    const engine = memoryEngine({ workflows: [one] })
    expect(() => engine.register(two)).toThrow('workflow "same" version 1 is already registered by another definition; give it a new version')
    await engine.close()
  })

  it('recognises the same definition built twice by a factory as one workflow', async () => {
    const build = (rate: number) => defineWorkflow({ name: 'factory-built', version: 1 }).task('price', () => 10 * rate).build()
    const first = build(1)
    const again = build(1)
    const engine = memoryEngine({ workflows: [first] })
    expect(() => engine.register(again)).not.toThrow()
    expect((await engine.run(again)).output('price')).toBe(10)
    expect(engine.stats().workflows).toBe(1)
    const changed = defineWorkflow({ name: 'factory-built', version: 1 }).task('price', () => 20).build()
    expect(() => engine.register(changed)).toThrow('is already registered by another definition')
    await engine.close()
  })
})

describe('results and lifecycle', () => {
  it('throws TaskOutputMissingError for a task that did not complete', async () => {
    const workflow = defineWorkflow({ name: 'skippy', version: 1 })
      .task('a', () => 1)
      .task('b', { dependsOn: ['a'], when: (a) => a > 5 }, (a) => a)
      .build()
    const engine = memoryEngine()
    const result = await engine.run(workflow)
    expect(result.outputs.b).toBeUndefined()
    expect(() => result.output('b')).toThrow(new TaskOutputMissingError('b', 'skipped'))
    await engine.close()
  })

  it('refuses new runs after close and cancels live ones', async () => {
    const workflow = defineWorkflow({ name: 'forever', version: 1 })
      .task('wait', (_i, ctx) => ctx.waitForEvent('never'))
      .build()
    const engine = memoryEngine()
    const run = await engine.start(workflow)
    await engine.close()
    expect(run.status()).toBe('cancelled')
    await expect(engine.start(workflow)).rejects.toBeInstanceOf(EngineClosedError)
  })

  it('returns the live run when started again with its id', async () => {
    const workflow = defineWorkflow({ name: 'idem', version: 1 })
      .task('wait', (_i, ctx) => ctx.waitForEvent<number>('n'))
      .build()
    const engine = memoryEngine()
    const first = await engine.start(workflow, undefined, { runId: 'order-1' })
    const again = await engine.start(workflow, undefined, { runId: 'order-1' })
    expect(again.id).toBe(first.id)
    await first.signal('n', 5)
    expect((await first.result()).output('wait')).toBe(5)
    await engine.close()
  })
})

describe('transforming input schemas', () => {
  const Quantity = Schema.Struct({ quantity: Schema.NumberFromString })

  @Workflow({ name: 'quantities', version: 1, input: Quantity })
  class Quantities extends WorkflowBase<typeof Quantity.Type, typeof Quantity.Encoded> {
    @Task() double(input: typeof Quantity.Type) {
      return input.quantity * 2
    }
  }

  it('decodes the input before tasks see it', async () => {
    const engine = memoryEngine()
    const run = await engine.start(Quantities, { quantity: '21' })
    expect((await run.result()).output('double')).toBe(42)
    await engine.close()
  })
})

describe('a store failing under a run', () => {
  it('gives the run up instead of failing it, recovers it after its lease, and the handle follows it to its end', async () => {
    class FlakyStore extends MemoryWorkflowStore {
      failures = 1
      override async saveStep(fence: Fence, step: StepRecord): Promise<StepRecord> {
        if (step.key === 'b' && this.failures-- > 0) throw new Error('connection reset')
        return super.saveStep(fence, step)
      }
    }
    const store = new FlakyStore()
    const calls: string[] = []
    const workflow = defineWorkflow({ name: 'flaky-store', version: 1 })
      .task('a', () => (calls.push('a'), 1))
      .task('b', { dependsOn: ['a'] }, (a) => (calls.push('b'), a + 1))
      .build()
    const engine = createEngine({ store, workflows: [workflow], leaseDuration: '200 ms', heartbeatInterval: '50 ms', claimInterval: '50 ms' })
    const run = await engine.start(workflow)
    expect((await run.result()).output('b')).toBe(2)
    expect(calls).toEqual(['a', 'b', 'b'])
    expect((await store.getRun(run.id))!).toMatchObject({ status: 'completed', recoveries: 1 })
    await engine.close()
  })
})

describe('a handle on a run another engine executes', () => {
  it('reports every task pending while it runs elsewhere, and the stored tasks once its end was read', async () => {
    const store = new MemoryWorkflowStore()
    const workflow = defineWorkflow<number>({ name: 'elsewhere', version: 1 })
      .task('load', (n) => n + 1)
      .task('double', { dependsOn: ['load'] }, (n) => n * 2)
      .build()
    const client = createEngine({ store, workflows: [workflow], claimRuns: false, pollInterval: '5 ms' })
    const run = await client.start(workflow, 1)
    expect(run.tasks().map((t) => [t.task, t.status])).toEqual([
      ['load', 'pending'],
      ['double', 'pending'],
    ])
    const worker = createEngine({ store, workflows: [workflow], claimInterval: '5 ms' })
    expect((await run.result()).output('double')).toBe(4)
    expect(run.tasks().map((t) => [t.task, t.status, t.attempts])).toEqual([
      ['load', 'completed', 1],
      ['double', 'completed', 1],
    ])
    await Promise.all([client.close(), worker.close()])
  })
})
