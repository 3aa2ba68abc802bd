/**
 * A task attempt's own calls (map items, waits, sleeps) as `task.call`
 * reports: built only while someone hears `task.call`, and heard by a plain
 * listener as by a tracing, from the moment it subscribes.
 */
import { describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, EventTimeoutError, type TaskCallReported } from 'weft-sdk'
import { flush, virtualTime } from '../support/test-clock.js'

describe("a task's own calls reported as task.call", () => {
  it('reach a listener of task.call alone: each map item, a timed-out wait and a sleep, with their operations', async () => {
    const workflow = defineWorkflow<string[]>({ name: 'own-calls', version: 1 })
      .task('work', async (items, ctx) => {
        await ctx.map(items, (item) => item.toUpperCase())
        await ctx.waitForEvent('approval', { timeout: '1 s' }).catch((error: unknown) => {
          if (!(error instanceof EventTimeoutError)) throw error
        })
        await ctx.sleep('1 m')
        return 'done'
      })
      .build()
    const time = virtualTime()
    const engine = createEngine({ clock: time.clock })
    const heard: TaskCallReported[] = []
    engine.on('task.call', (event) => heard.push(event))
    const run = await engine.start(workflow, ['a', 'b'])
    await flush()
    await time.advance(1_000)
    await time.advance(60_000)
    expect((await run.result()).output('work')).toBe('done')
    expect(heard.map((e) => e.operation)).toEqual(['weft.map.item work', 'weft.map.item work', 'weft.wait approval', 'weft.sleep'])
    expect(heard[2]!.attributes['weft.wait.outcome']).toBe('timed-out')
    await engine.close()
  })

  it('start with the first item that ends after a listener subscribes, in the middle of a map', async () => {
    const engine = createEngine()
    const heard: number[] = []
    const workflow = defineWorkflow<string[]>({ name: 'late-listener', version: 1 })
      .task('work', (items, ctx) =>
        ctx.map(
          items,
          (item, index) => {
            if (index === 1) engine.on('task.call', (event) => heard.push(event.attributes['weft.map.index'] as number))
            return item
          },
          { concurrency: 1 },
        ),
      )
      .build()
    await engine.run(workflow, ['a', 'b', 'c'])
    expect(heard).toEqual([1, 2])
    await engine.close()
  })
})
