import { describe, expect, it } from 'vitest'
import { defineWorkflow, InvalidOptionsError, type RunFailedError } from 'weft-sdk'
import { flush, virtualTime } from '../support/test-clock.js'
import { memoryEngine } from '../support/engines.js'

describe('task context', () => {
  it('names the run, task and attempt and gives an idempotency key', async () => {
    const seen: string[] = []
    const workflow = defineWorkflow<{ id: string }>({ name: 'ctx', version: 1 })
      .task('a', (input, ctx) => {
        seen.push(`${ctx.workflow} ${ctx.task} ${ctx.attempt} ${ctx.idempotencyKey === `${ctx.runId}:a`} ${String(ctx.input === input)}`)
        return input.id
      })
      .build()
    const engine = memoryEngine()
    await engine.run(workflow, { id: 'x' })
    expect(seen).toEqual(['ctx a 1 true true'])
    await engine.close()
  })

  it('runs a completed step once across retries of its task', async () => {
    const calls: string[] = []
    const workflow = defineWorkflow({ name: 'agent', version: 1 })
      .task('agent', { retry: { maxAttempts: 3, backoff: { initial: 1 } } }, async (_i, ctx) => {
        const plan = await ctx.step('llm-plan', () => (calls.push('plan'), 'plan'))
        const tool = await ctx.step('tool', () => {
          calls.push(`tool ${ctx.attempt}`)
          if (ctx.attempt < 2) throw new Error('tool flaked')
          return 'tool-result'
        })
        return `${plan}/${tool}`
      })
      .build()
    const engine = memoryEngine()
    expect((await engine.run(workflow)).output('agent')).toBe('plan/tool-result')
    expect(calls).toEqual(['plan', 'tool 1', 'tool 2'])
    await engine.close()
  })

  it('rejects the same step name twice in one attempt', async () => {
    const workflow = defineWorkflow({ name: 'dup-step', version: 1 })
      .task('t', async (_i, ctx) => {
        await ctx.step('call', () => 1)
        return ctx.step('call', () => 2)
      })
      .build()
    const engine = memoryEngine()
    const cause = ((await (await engine.start(workflow)).outcome()).error as RunFailedError).cause
    expect(cause).toBeInstanceOf(InvalidOptionsError)
    expect((cause as Error).message).toBe('task "t": ctx.step("call") is called twice in one attempt; give each call its own name')
    await engine.close()
  })

  it('maps over a list with a concurrency limit, keeps item order and redoes only failed items on retry', async () => {
    let running = 0
    let peak = 0
    const calls: number[] = []
    const workflow = defineWorkflow<number[]>({ name: 'fan-out', version: 1 })
      .task('square', { retry: { maxAttempts: 2, backoff: { initial: 1 } } }, (items, ctx) =>
        ctx.map(
          items,
          async (n) => {
            calls.push(n)
            running++
            peak = Math.max(peak, running)
            await flush(1)
            running--
            if (n === 3 && ctx.attempt === 1) throw new Error('item 3 failed')
            return n * n
          },
          { concurrency: 2 },
        ),
      )
      .build()
    const engine = memoryEngine()
    const result = await engine.run(workflow, [1, 2, 3, 4, 5])
    expect(result.output('square')).toEqual([1, 4, 9, 16, 25])
    expect(peak).toBe(2)
    expect(calls.filter((n) => n === 1)).toHaveLength(1)
    expect(calls.filter((n) => n === 3)).toHaveLength(2)
    await engine.close()
  })

  it('sleeps on the engine clock', async () => {
    const time = virtualTime()
    const workflow = defineWorkflow({ name: 'sleeper', version: 1 })
      .task('nap', async (_i, ctx) => {
        await ctx.sleep('10 s')
        return 'rested'
      })
      .build()
    const engine = memoryEngine({ clock: time.clock })
    const run = await engine.start(workflow)
    await time.advance(9_999)
    expect(run.status()).toBe('running')
    await time.advance(1)
    expect((await run.result()).output('nap')).toBe('rested')
    await engine.close()
  })
})
