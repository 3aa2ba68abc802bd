import { describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, InvalidOptionsError, MemoryWorkflowStore, RunFailedError } from 'weft-sdk'
import { memoryEngine } from '../support/engines.js'

/** Each of these pairs of steps once shared one step key, so the second read the first one's value. */
describe('step identity', () => {
  it('keeps a ctx.map item apart from a ctx.step named like it', async () => {
    const workflow = defineWorkflow({ name: 'map-vs-step', version: 1 })
      .task('t', async (_input, ctx) => {
        const items = await ctx.map([10, 20], (x) => x + 1, { name: 'n' })
        const step = await ctx.step('n[0]', () => 'from the step')
        return { items, step }
      })
      .build()
    const engine = memoryEngine()
    expect((await engine.run(workflow)).output('t')).toEqual({ items: [11, 21], step: 'from the step' })
    await engine.close()
  })

  it('keeps a ctx.step named like a wait apart from the wait, which gets the event', async () => {
    const workflow = defineWorkflow({ name: 'step-vs-wait', version: 1 })
      .task('t', async (_input, ctx) => {
        const step = await ctx.step('wait:e#0', () => 'from the step')
        const event = await ctx.waitForEvent<string>('e')
        return { step, event }
      })
      .build()
    const engine = memoryEngine()
    const run = await engine.start(workflow)
    await run.signal('e', 'from the event')
    expect((await run.result()).output('t')).toEqual({ step: 'from the step', event: 'from the event' })
    await engine.close()
  })

  it('keeps a task "a/x" apart from task "a"\'s sub-step "x"', async () => {
    const workflow = defineWorkflow({ name: 'slash', version: 1 })
      .task('a', (_input, ctx) => ctx.step('x', () => 'sub-step of a'))
      .task('a/x', { dependsOn: ['a'] }, () => 'task a/x')
      .build()
    const engine = memoryEngine()
    const result = await engine.run(workflow)
    expect(result.output('a')).toBe('sub-step of a')
    expect(result.output('a/x')).toBe('task a/x')
    await engine.close()
  })

  it('keeps loop "L" iteration 0 apart from a task named "L#0"', async () => {
    const workflow = defineWorkflow({ name: 'hash', version: 1 })
      .task('L#0', () => 'task L#0')
      .loop('L', { dependsOn: ['L#0'], while: (_s: string, i: number) => i < 1, maxIterations: 1 }, () => 'iteration 0')
      .build()
    const engine = memoryEngine()
    const result = await engine.run(workflow)
    expect(result.output('L#0')).toBe('task L#0')
    expect(result.output('L').iterationResults).toEqual(['iteration 0'])
    await engine.close()
  })

  it('lets a ctx.step and a ctx.map named "[map]" coexist (they once shared a duplicate check)', async () => {
    const workflow = defineWorkflow({ name: 'map-name', version: 1 })
      .task('t', async (_input, ctx) => [await ctx.step('[map]', () => 1), ...(await ctx.map([2], (x) => x))])
      .build()
    const engine = memoryEngine()
    expect((await engine.run(workflow)).output('t')).toEqual([1, 2])
    await engine.close()
  })
})

describe('steps Weft 0.1 recorded for tasks named with the grammar\'s characters', () => {
  it('are still read as those tasks\' results (0.1 wrote the bare name as the key)', async () => {
    const store = new MemoryWorkflowStore()
    const workflow = defineWorkflow({ name: 'legacy-keys', version: 1 })
      .task('fetch/all', () => 1)
      .build()
    const { run } = await store.createRun({ id: 'old', workflow: 'legacy-keys', version: 1, input: undefined, createdAt: 1, claimBy: { owner: 'w', leaseMs: 1_000 } })
    const fence = { runId: run.id, epoch: run.epoch }
    await store.saveStep(fence, { runId: 'old', key: 'fetch/all', task: 'fetch/all', status: 'completed', output: 41, attempts: 1, startedAt: 1, finishedAt: 2 })
    await store.updateRun(fence, { status: 'completed', finishedAt: 3 })
    const engine = createEngine({ store, workflows: [workflow], claimRuns: false })
    const outcome = await (await engine.getRun('old'))!.outcome()
    expect(outcome.outputs).toEqual({ 'fetch/all': 41 })
    expect(outcome.tasks[0]).toMatchObject({ task: 'fetch/all', status: 'completed' })
    await engine.close()
  })

  it('give way to the escaped key when a run in flight across the upgrade ran the task again', async () => {
    const store = new MemoryWorkflowStore()
    const { run } = await store.createRun({ id: 'both', workflow: 'legacy-keys', version: 1, input: undefined, createdAt: 1, claimBy: { owner: 'w', leaseMs: 1_000 } })
    const fence = { runId: run.id, epoch: run.epoch }
    const step = (key: string, output: string) => ({ runId: 'both', key, task: 'fetch/all', status: 'completed' as const, output, attempts: 1, startedAt: 1, finishedAt: 2 })
    await store.saveStep(fence, step('fetch%2Fall', 'new value'))
    await store.saveStep(fence, step('fetch/all', 'old value'))
    await store.updateRun(fence, { status: 'completed', finishedAt: 3 })
    const engine = createEngine({ store, claimRuns: false })
    expect((await (await engine.getRun('both'))!.outcome()).outputs).toEqual({ 'fetch/all': 'new value' })
    await engine.close()
  })
})

describe('names a store cannot keep', () => {
  it('refuses a task name with a lone UTF-16 surrogate when the workflow is defined', () => {
    const define = () =>
      defineWorkflow({ name: 'surrogate', version: 1 })
        .task('fetch\uD800', () => 1)
        .build()
    expect(define).toThrow(InvalidOptionsError)
    expect(define).toThrow(
      'workflow "surrogate": task name "fetch\\ud800" contains a lone UTF-16 surrogate (\\uD800 at index 5), which a database keeps as UTF-8 and would read back as another name; its steps would run again after a restart: remove or replace that character',
    )
  })

  it('refuses a workflow name with a NUL character', () => {
    const define = () => defineWorkflow({ name: 'nul\u0000', version: 1 }).task('a', () => 1).build()
    expect(define).toThrow(InvalidOptionsError)
    expect(define).toThrow('workflow name "nul\\u0000" contains a NUL character (\\u0000 at index 3), which PostgreSQL cannot store in text')
  })

  it('accepts surrogate pairs (an emoji is a name like any other)', async () => {
    const workflow = defineWorkflow({ name: 'emoji', version: 1 })
      .task('🚀', (_input, ctx) => ctx.step('📦', () => 'ok'))
      .build()
    const engine = memoryEngine()
    expect((await engine.run(workflow)).output('🚀')).toBe('ok')
    await engine.close()
  })

  it('fails the task that names a sub-step with a lone surrogate, before anything is recorded', async () => {
    const calls: string[] = []
    const workflow = defineWorkflow({ name: 'step-surrogate', version: 1 })
      .task('t', (_input, ctx) => ctx.step('x\uDC00', () => calls.push('called')))
      .build()
    const engine = memoryEngine()
    const error = await engine.run(workflow).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RunFailedError)
    const cause = (error as RunFailedError).cause
    expect(cause).toBeInstanceOf(InvalidOptionsError)
    expect((cause as InvalidOptionsError).code).toBe('WEFT_INVALID_OPTIONS')
    expect((cause as Error).message).toContain('step name "x\\udc00" contains a lone UTF-16 surrogate (\\uDC00 at index 1)')
    expect(calls).toEqual([])
    await engine.close()
  })

  it('refuses an event name with a lone surrogate when it is sent', async () => {
    const engine = memoryEngine()
    const error = await engine.emit('approved\uD83D', {}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidOptionsError)
    expect((error as Error).message).toContain('event name "approved\\ud83d" contains a lone UTF-16 surrogate')
    await engine.close()
  })

  it('refuses a run id with a lone surrogate before creating anything', async () => {
    const workflow = defineWorkflow({ name: 'ids', version: 1 }).task('a', () => 1).build()
    const engine = memoryEngine()
    const error = await engine.start(workflow, undefined, { runId: 'run\uDFFF' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidOptionsError)
    expect((error as Error).message).toContain('run id "run\\udfff" contains a lone UTF-16 surrogate')
    expect(await engine.listRuns()).toEqual([])
    await engine.close()
  })
})
