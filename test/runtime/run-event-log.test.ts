import { describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, MemoryWorkflowStore, type RunEvent, type WeftEvent } from 'weft-sdk'
import { RunEventLog } from '../../src/runtime/event-hub.js'

async function collect(log: RunEventLog): Promise<RunEvent[]> {
  const events: RunEvent[] = []
  for await (const event of log.iterate()) events.push(event)
  return events
}

describe('RunEventLog', () => {
  it('replays task events kept as numbers as the same objects, in order, with other events between them', async () => {
    const log = new RunEventLog('r1', 'orders', ['load', 'charge'])
    const started: RunEvent = { type: 'run.started', at: 1, runId: 'r1', workflow: 'orders', version: 2 }
    log.push(started)
    log.taskStarted(0, 2)
    log.taskCompleted(0, 3, 1, 1.5, false)
    log.taskCompleted(1, 4, 3, 0, true)
    log.end()
    expect(await collect(log)).toEqual([
      started,
      { type: 'task.started', at: 2, runId: 'r1', workflow: 'orders', task: 'load' },
      { type: 'task.completed', at: 3, runId: 'r1', workflow: 'orders', task: 'load', attempts: 1, durationMs: 1.5, fromCheckpoint: false },
      { type: 'task.completed', at: 4, runId: 'r1', workflow: 'orders', task: 'charge', attempts: 3, durationMs: 0, fromCheckpoint: true },
    ])
  })

  it('keeps every event as it grows, and an iterator follows live events until the end', async () => {
    const log = new RunEventLog('r1', 'wide', Array.from({ length: 100 }, (_, i) => `t${i}`))
    const live = collect(log)
    for (let i = 0; i < 100; i++) log.taskStarted(i, i)
    for (let i = 0; i < 100; i++) log.taskCompleted(i, 1_000 + i, i + 1, i / 2, i % 2 === 0)
    log.end()
    const replayed = await collect(log)
    expect(await live).toEqual(replayed)
    expect(replayed).toHaveLength(200)
    expect(replayed[150]).toEqual({ type: 'task.completed', at: 1_050, runId: 'r1', workflow: 'wide', task: 't50', attempts: 51, durationMs: 25, fromCheckpoint: true })
  })

  it('gives run.events() the same events the engine listeners got, also after the run ended', async () => {
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    const heard: WeftEvent[] = []
    engine.on((event) => heard.push(event))
    const workflow = defineWorkflow({ name: 'heard', version: 1 })
      .task('a', () => 1)
      .task('b', { dependsOn: ['a'] }, (a) => a + 1)
      .build()
    const run = await engine.start(workflow)
    await run.result()
    const replayed: RunEvent[] = []
    for await (const event of run.events()) replayed.push(event)
    expect(replayed).toEqual(heard.filter((e) => 'runId' in e && e.runId === run.id))
    expect(replayed.map((e) => e.type)).toEqual(['run.started', 'task.started', 'task.completed', 'task.started', 'task.completed', 'run.completed'])
    await engine.close()
  })
})
