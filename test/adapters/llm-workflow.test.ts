/**
 * The LLM adapter inside workflows (`ctx.use(llm)`): a stream's deltas as
 * `task.progress` events, the task's signal reaching the socket when the run
 * is cancelled mid-stream, usage stored with the step, and the per-run
 * budget, including after the run is resumed by another engine on the same
 * SQLite file.
 */
import 'reflect-metadata'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, MemoryWorkflowStore, sqliteStore, type TaskProgress } from 'weft-sdk'
import { LlmAdapter, type LlmAdapterOptions, type LlmProgress } from 'weft-sdk/llm'
import { completion, ScriptedServer, sse, sseThenHang, usage } from './llm-server.js'

const server = new ScriptedServer()
const folder = mkdtempSync(join(tmpdir(), 'weft-llm-'))
beforeAll(() => server.start())
afterAll(async () => {
  await server.stop()
  rmSync(folder, { recursive: true, force: true })
})

function llm(options: Partial<LlmAdapterOptions> = {}): LlmAdapter {
  return new LlmAdapter({ name: 'writer', baseUrl: `${server.url}v1/`, model: 'test-model', ...options })
}

const ask = { messages: [{ role: 'user' as const, content: 'Tell me' }] }

/** Waits until `condition` holds, checking every 5 ms (at most ~10 s). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2_000 && !(await condition()); i++) await new Promise((resolve) => setTimeout(resolve, 5))
}

describe('ctx.use(llm)', () => {
  it('publishes each delta of a stream as task.progress (engine.on and run.events()) and stores the usage with the step', async () => {
    server.answer(sse(['Rivers', ' run'], usage(20, 2)))
    const Story = defineWorkflow({ name: 'llm-story', version: 1 })
      .services({ llm: LlmAdapter })
      .task('write', async (_input, ctx) => (await ctx.use(ctx.services.llm).stream(ask).result()).text)
      .build()
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store, adapters: [llm({ pricing: { 'test-model': { inputPerMillion: 100, outputPerMillion: 1_000 } } })] })
    const heard: TaskProgress[] = []
    engine.on('task.progress', (event) => heard.push(event))
    const run = await engine.start(Story, undefined, { runId: 'story-1' })
    expect((await run.result()).output('write')).toBe('Rivers run')
    const texts = heard.map((event) => (event.data as LlmProgress).text).filter((text) => text !== '')
    expect(texts).toEqual(['Rivers', ' run'])
    expect(heard.every((event) => event.task === 'write' && event.source === 'writer' && event.attempt === 1)).toBe(true)
    const replayed: TaskProgress[] = []
    for await (const event of run.events()) if (event.type === 'task.progress') replayed.push(event)
    expect(replayed).toEqual(heard)
    const [step] = await store.loadSteps('story-1')
    expect(step!.usage).toEqual({ tokens: 22, costUsd: (20 * 100 + 2 * 1_000) / 1e6 })
    await engine.close()
  })

  it('a run cancelled mid-stream fires the task signal, which closes the connection', async () => {
    let closed!: () => void
    const serverSawClose = new Promise<void>((resolve) => (closed = resolve))
    server.answer(sseThenHang(['Once', ' upon'], () => closed()))
    const Story = defineWorkflow({ name: 'llm-cancelled', version: 1 })
      .services({ llm: LlmAdapter })
      .task('write', async (_input, ctx) => (await ctx.use(ctx.services.llm).stream(ask).result()).text)
      .build()
    const engine = createEngine({ store: new MemoryWorkflowStore(), adapters: [llm()] })
    let deltas = 0
    engine.on('task.progress', () => void deltas++)
    const run = await engine.start(Story)
    await until(() => deltas >= 2)
    expect(deltas).toBe(2)
    await run.cancel()
    await serverSawClose
    await expect(run.result()).rejects.toMatchObject({ code: 'WEFT_RUN_CANCELLED' })
    await engine.close()
  })

  it('refuses the call that would start past the run budget with BudgetExceededError, counting every call of the run', async () => {
    server.answer(completion('a', { usage: usage(10, 5) }))
    const Chatty = defineWorkflow({ name: 'llm-chatty', version: 1 })
      .services({ llm: LlmAdapter })
      .task('first', async (_input, ctx) => (await ctx.use(ctx.services.llm).chat(ask)).usage.totalTokens)
      .task('loop', { dependsOn: ['first'] }, async (_first, ctx) => {
        const client = ctx.use(ctx.services.llm)
        for (;;) await client.chat(ask)
      })
      .build()
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store, adapters: [llm({ budget: { tokens: 40 } })] })
    const run = await engine.start(Chatty, undefined, { runId: 'chatty-1' })
    const error = await run.result().catch((e: unknown) => e)
    // 0, 15 and 30 tokens spent when the first three calls start; at 45 the fourth is refused.
    expect(server.received).toHaveLength(3)
    expect(error).toMatchObject({ code: 'WEFT_RUN_FAILED' })
    const steps = await store.loadSteps('chatty-1')
    const loop = steps.find((s) => s.key === 'loop')!
    expect(loop.error).toMatchObject({ code: 'WEFT_BUDGET_EXCEEDED', name: 'BudgetExceededError' })
    expect(loop.error!.message).toContain('has spent 45 tokens of its budget of 40 tokens')
    // The failed step keeps what its calls spent.
    expect(loop.usage).toEqual({ tokens: 30, costUsd: 0 })
    expect(steps.find((s) => s.key === 'first')!.usage).toEqual({ tokens: 15, costUsd: 0 })
    await engine.close()
  })

  it('a run resumed by another engine on the same SQLite file knows what it spent before: the next call is refused', async () => {
    server.answer(completion('a', { usage: usage(10, 5) }))
    const path = join(folder, 'budget-resume.sqlite')
    let phase: 'crash' | 'resume' = 'crash'
    const build = () =>
      defineWorkflow({ name: 'llm-budget-resume', version: 1 })
        .services({ llm: LlmAdapter })
        .task('first', async (_input, ctx) => (await ctx.use(ctx.services.llm).chat(ask)).text)
        .task('second', { dependsOn: ['first'] }, async (_first, ctx) => {
          // The first engine stops while this task runs; the second one makes its call.
          if (phase === 'crash') await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
          return (await ctx.use(ctx.services.llm).chat(ask)).text
        })
        .build()
    const firstStore = sqliteStore({ path })
    const first = createEngine({ store: firstStore, workflows: [build()], adapters: [llm({ budget: { tokens: 15 } })] })
    const run = await first.start(build(), undefined, { runId: 'resume-1' })
    await until(async () => (await firstStore.loadSteps(run.id)).length === 1)
    expect((await firstStore.loadSteps(run.id))[0]).toMatchObject({ key: 'first', usage: { tokens: 15, costUsd: 0 } })
    await first.close({ drain: 0 })
    expect(server.received).toHaveLength(1)

    phase = 'resume'
    const second = createEngine({ store: sqliteStore({ path }), workflows: [build()], adapters: [llm({ budget: { tokens: 15 } })] })
    const resumed = await second.getRun(run.id)
    const error = await resumed!.result().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'WEFT_RUN_FAILED' })
    expect(server.received).toHaveLength(1)
    const failed = (await second.listRuns({ workflow: 'llm-budget-resume' }))[0]!
    expect(failed.error).toMatchObject({ code: 'WEFT_BUDGET_EXCEEDED', task: 'second' })
    await second.close()
  })
})
