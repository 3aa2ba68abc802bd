/**
 * `console.log(run)` and `console.log(await run.details())` show what a
 * reader wants (id, workflow, status; outputs, duration, tasks), not the
 * engine's internals, and `JSON.stringify` writes the same fields.
 */
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, MemoryWorkflowStore } from 'weft-sdk'

const Ship = defineWorkflow<{ orderId: string }>({ name: 'printing-ship', version: 1 })
  .task('ship', (input) => `label-${input.orderId}`)
  .build({ result: 'ship' })

describe('printing a run and its details', () => {
  it('RunResult shows its run id, outputs, duration and tasks, as text and as JSON', async () => {
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    const run = await engine.start(Ship, { orderId: 'o-1' })
    const details = await run.details()
    const text = inspect(details, { depth: 4, breakLength: Infinity })
    expect(text).toMatch(/^RunResult \{/)
    expect(text).toContain(`runId: '${run.id}'`)
    expect(text).toContain(`outputs: { ship: 'label-o-1' }`)
    expect(text).toContain(`task: 'ship'`)
    expect(text).not.toMatch(/outcome|Uint|Float64Array|TaskTable/)
    const json = JSON.parse(JSON.stringify(details)) as Record<string, unknown>
    expect(Object.keys(json)).toEqual(['runId', 'outputs', 'durationMs', 'tasks'])
    expect(json.outputs).toEqual({ ship: 'label-o-1' })
    await engine.close()
  })

  it('WorkflowRun shows its id, workflow, version and status', async () => {
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    const run = await engine.start(Ship, { orderId: 'o-2' })
    await run.result()
    expect(inspect(run, { breakLength: Infinity })).toBe(`WorkflowRun { id: '${run.id}', workflow: 'printing-ship', version: 1, status: 'completed' }`)
    expect(JSON.parse(JSON.stringify(run))).toEqual({ id: run.id, workflow: 'printing-ship', version: 1, status: 'completed' })
    await engine.close()
  })
})
