import { describe, expect, it } from 'vitest'
import { defineWorkflow, MemoryWorkflowStore, createEngine, WrongWorkflowError } from 'weft-sdk'

const quote = defineWorkflow({ name: 'quote', version: 1 }).task('price', () => 42).build()
const quoteV2 = defineWorkflow({ name: 'quote', version: 2 }).task('price', () => '42 EUR').build()
const other = defineWorkflow({ name: 'other', version: 1 }).task('x', () => 1).build()

describe('engine.getRun(workflow, id)', () => {
  it('returns the run, typed by its workflow, whether it executes here or is read from the store', async () => {
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store })
    const started = await engine.start(quote, undefined, { runId: 'q-1' })
    expect((await (await engine.getRun(quote, 'q-1'))!.result()).output('price')).toBe(42)
    await engine.close()
    const reader = createEngine({ store, claimRuns: false })
    const stored = await reader.getRun(quote, started.id)
    expect(stored?.status()).toBe('completed')
    expect(await reader.getRun(quote, 'no-such-run')).toBeUndefined()
    await reader.close()
  })

  it('refuses a run of another workflow or version with WrongWorkflowError naming both', async () => {
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    const run = await engine.start(quote, undefined, { runId: 'q-2' })
    await run.outcome()
    const ofOther = await engine.getRun(other, 'q-2').catch((error: unknown) => error)
    expect(ofOther).toBeInstanceOf(WrongWorkflowError)
    expect(ofOther).toMatchObject({ code: 'WEFT_WRONG_WORKFLOW', expected: 'other@1', actual: 'quote@1' })
    expect(await engine.getRun(quoteV2, 'q-2').catch((error: unknown) => error)).toMatchObject({ code: 'WEFT_WRONG_WORKFLOW', expected: 'quote@2', actual: 'quote@1' })
    await engine.close()
  })
})
