/**
 * `ctx.use(adapter)`: a client bound to the task attempt, without
 * AsyncLocalStorage. Each call carries the attempt's signal and a key
 * numbered per adapter within the attempt's step; a retried attempt numbers
 * from 1 again, so the remote side sees the same keys for the same calls.
 */
import 'reflect-metadata'
import { describe, expect, it } from 'vitest'
import { ContextClosedError, defineWorkflow, Retry, Task, token, Workflow, type TaskContext } from 'weft-sdk'
import { memoryEngine } from '../support/engines.js'
import { EchoAdapter, type EchoCall } from './echo-adapter.js'

const seen: { attempt: number; calls: EchoCall[]; signal: AbortSignal }[] = []

@Workflow({ name: 'ctx-use-charge', version: 1 })
class Charge {
  constructor(readonly echo: EchoAdapter) {}

  @Task()
  @Retry({ maxAttempts: 2, backoff: { initial: '1 ms', jitter: 'none' } })
  async charge(_input: unknown, ctx: TaskContext) {
    const client = ctx.use(this.echo)
    const calls = [await client.echo('order'), await client.echo('fee'), await ctx.use(this.echo).echo('again')]
    seen.push({ attempt: ctx.attempt, calls, signal: ctx.signal })
    if (ctx.attempt === 1) throw new Error('the first attempt fails after its calls')
    return calls.map((call) => call.key)
  }
}

describe('ctx.use(adapter)', () => {
  it('numbers the calls of an attempt per adapter, carries its signal, and gives a retried attempt the same keys', async () => {
    seen.length = 0
    const engine = memoryEngine({ adapters: [new EchoAdapter()] })
    const run = await engine.start(Charge, {}, { runId: 'run-1' })
    const keys = (await run.result()).output('charge')
    expect(keys).toEqual(['run-1:charge:echo:1', 'run-1:charge:echo:2', 'run-1:charge:echo:3'])
    expect(seen.map((s) => s.attempt)).toEqual([1, 2])
    expect(seen[0]!.calls.map((c) => c.key)).toEqual(keys)
    for (const { calls, signal } of seen) for (const call of calls) expect(call.signal).toBe(signal)
    await engine.close()
  })

  it('counts each adapter on its own and works in defineWorkflow tasks through services', async () => {
    // `search` is another EchoAdapter under its own token.
    const engine = memoryEngine({ adapters: [new EchoAdapter(), { token: 'Search', adapter: new EchoAdapter({ name: 'search' }) }] })
    const WithSearch = defineWorkflow({ name: 'ctx-use-defined', version: 1 })
      .services({ echo: EchoAdapter, search: token<EchoAdapter>('Search') })
      .task('both', async (_input, ctx) => {
        const echo = ctx.use(ctx.services.echo)
        const search = ctx.use(ctx.services.search)
        return [(await echo.echo('a')).key, (await search.echo('b')).key, (await echo.echo('c')).key]
      })
      .build()
    const result = await engine.run(WithSearch, undefined, { runId: 'run-2' })
    expect(result.output('both')).toEqual(['run-2:both:echo:1', 'run-2:both:search:1', 'run-2:both:echo:2'])
    await engine.close()
  })

  it('is refused once the attempt has ended', async () => {
    let late: TaskContext | undefined
    const Leaky = defineWorkflow({ name: 'ctx-use-late', version: 1 })
      .task('leak', (_input, ctx) => {
        late = ctx
        return 1
      })
      .build()
    const echo = new EchoAdapter()
    const engine = memoryEngine({ adapters: [echo] })
    await engine.run(Leaky)
    expect(() => late!.use(echo)).toThrow(ContextClosedError)
    await engine.close()
  })
})
