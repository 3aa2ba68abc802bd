/**
 * `weft outbox list` and `weft outbox retry` on a real SQLite file: entries
 * that went dead while their target failed are listed with their last error,
 * requeued by id or with --all, and delivered by the next engine that polls,
 * under the same ids; bad command lines are usage errors (exit 2).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, sqliteStore } from 'weft-sdk'
import { runCliCaptured, type CapturedCli } from '../support/cli-in-process.js'
import { OutboxRecorder } from '../adapters/outbox-recorder.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-cli-outbox-'))
const database = join(folder, 'runs.sqlite')
let ids: string[] = []

const Notify = defineWorkflow<{ orderId: string }>({ name: 'cli-outbox-notify', version: 1 })
  .services({ recorder: OutboxRecorder })
  .task('notify', (input, ctx) => {
    const sent = ctx.use(ctx.services.recorder)
    return [sent.send({ orderId: input.orderId, n: 1 }), sent.send({ orderId: input.orderId, n: 2 })]
  })
  .build()

function engineWith(recorder: OutboxRecorder) {
  return createEngine({ store: sqliteStore({ path: database }), adapters: [{ token: OutboxRecorder, adapter: recorder }], outbox: { retry: { maxAttempts: 2, backoff: { initial: 1, max: 1 } }, pollInterval: '20 ms' } })
}

function cli(...argv: string[]): Promise<CapturedCli> {
  return runCliCaptured([...argv, '--database', database], folder)
}

beforeAll(async () => {
  const recorder = new OutboxRecorder()
  recorder.failures.push(...Array.from({ length: 4 }, () => new Error('connection refused by the broker')))
  const engine = engineWith(recorder)
  const run = await engine.start(Notify, { orderId: 'o-1' }, { runId: 'order-1' })
  ids = (await run.result()).output('notify')
  for (let i = 0; i < 500 && (await engine.outbox.counts()).dead < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  expect(await engine.outbox.counts()).toEqual({ pending: 0, delivered: 0, dead: 2 })
  await engine.close()
})

afterAll(() => rmSync(folder, { recursive: true, force: true }))

describe('weft outbox', () => {
  it('lists the dead entries with their attempts and last error, and the counts', async () => {
    const { code, out } = await cli('outbox', 'list', '--status', 'dead')
    expect(code).toBe(0)
    expect(out[0]).toBe('pending 0, delivered 0, dead 2')
    expect(out[2]).toMatch(/^ID\s+STATUS\s+ATTEMPTS\s+ADAPTER\s+CREATED \(UTC\)\s+LAST ERROR$/)
    expect(out.slice(3).map((line) => line.split(/\s{2,}/))).toEqual(ids.map((id) => [id, 'dead', '2', 'recorder', expect.stringMatching(/^\d{4}-/), 'connection refused by the broker']))
    const json = JSON.parse((await cli('outbox', 'list', '--json')).out[0]!)
    expect(json.counts).toEqual({ pending: 0, delivered: 0, dead: 2 })
    expect(json.entries.map((e: { id: string; runId: string; payload?: unknown }) => [e.id, e.runId, 'payload' in e])).toEqual(ids.map((id) => [id, 'order-1', false]))
  })

  it('refuses command lines that say neither or both of ids and --all, and unknown statuses', async () => {
    expect((await cli('outbox', 'retry')).code).toBe(2)
    expect((await cli('outbox', 'retry', ids[0]!, '--all')).code).toBe(2)
    const bad = await cli('outbox', 'list', '--status', 'lost')
    expect(bad.code).toBe(2)
    expect(bad.err.join('\n')).toContain('--status must be one of pending, delivered, dead')
  })

  it('requeues by id (exit 1 when none was dead), then every dead one, and a worker delivers them under the same ids', async () => {
    const first = await cli('outbox', 'retry', ids[0]!, 'no-such-entry')
    expect(first.code).toBe(0)
    expect(first.out).toEqual(['requeued 1 dead entry: a worker delivers it at its next poll', 'not dead (left as it is): no-such-entry'])
    expect((await cli('outbox', 'retry', ids[0]!)).code).toBe(1)
    const rest = JSON.parse((await cli('outbox', 'retry', '--all', '--json')).out[0]!)
    expect(rest).toEqual({ requeued: [ids[1]], notDead: [] })
    const recorder = new OutboxRecorder()
    const engine = engineWith(recorder)
    await engine.ready
    await engine.outbox.deliver()
    expect(recorder.delivered.map((entry) => entry.id).sort()).toEqual([...ids].sort())
    await engine.close()
    expect((await cli('outbox', 'list')).out[0]).toBe('pending 0, delivered 2, dead 0')
  })
})
