/**
 * `weft runs show --attempts` lists each step's attempts: number, start,
 * duration, outcome and error line, in text and in JSON (`history` of each
 * StepJson), with the count of attempts a step's record did not keep.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, sqliteStore } from 'weft-sdk'
import type { RunJson, StepJson } from '../../src/cli/index.js'
import { runCliCaptured } from '../support/cli-in-process.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-cli-attempts-'))
const database = join(folder, 'runs.sqlite')
let runId = ''

class RateLimited extends Error {
  override name = 'RateLimited'
  readonly code = 'HTTP_429'
}

const calls = { fetch: 0, flood: 0 }
const research = defineWorkflow({ name: 'research', version: 1 })
  .task('fetch', { retry: { maxAttempts: 3, backoff: { initial: 0, max: 0 } } }, () => {
    calls.fetch++
    if (calls.fetch === 1) throw new RateLimited('429 Too Many Requests')
    if (calls.fetch === 2) throw { status: 504 }
    return 'page'
  })
  .task('flood', { dependsOn: ['fetch'], retry: { maxAttempts: 10, backoff: { initial: 0, max: 0 } } }, (page) => {
    if (++calls.flood <= 8) throw new Error(`busy ${calls.flood}`)
    return page.length
  })
  .build()

async function show(...options: string[]): Promise<string[]> {
  const { code, out } = await runCliCaptured(['runs', 'show', runId, '--database', database, ...options], folder)
  expect(code).toBe(0)
  return out
}

beforeAll(async () => {
  const engine = createEngine({ store: sqliteStore({ path: database }), workflows: [research] })
  const run = await engine.start(research)
  runId = run.id
  await run.result()
  await engine.close()
})

afterAll(() => rmSync(folder, { recursive: true, force: true }))

describe('weft runs show --attempts', () => {
  it('lists each attempt of a step with its outcome and error line, after the steps', async () => {
    const lines = await show('--attempts')
    const start = lines.indexOf('ATTEMPTS')
    expect(start).toBeGreaterThan(0)
    const table = lines.slice(start + 1)
    expect(table[0]).toMatch(/^STEP\s+ATTEMPT\s+STARTED \(UTC\)\s+DURATION\s+OUTCOME\s+ERROR$/)
    expect(table[1]).toMatch(/^fetch\s+#1\s+\d{4}-\d\d-\d\dT[\d:.]+Z\s+[\d.]+ m?s\s+failed\s+RateLimited \[HTTP_429\]: 429 Too Many Requests$/)
    expect(table[2]).toMatch(/^\s+#2\s+\S+\s+[\d.]+ m?s\s+failed\s+thrown object: \{"status":504\}$/)
    expect(table[3]).toMatch(/^\s+#3\s+\S+\s+[\d.]+ m?s\s+completed\s*$/)
  })

  it('says how many earlier attempts a step did not keep, then lists the last five failures and the last attempt', async () => {
    const lines = await show('--attempts')
    const table = lines.slice(lines.indexOf('ATTEMPTS') + 1)
    const flood = table.findIndex((line) => line.startsWith('flood '))
    expect(table[flood]).toMatch(/^flood\s+-\s+-\s+-\s+3 earlier not kept\s*$/)
    expect(table.slice(flood + 1, flood + 7).map((line) => line.trim().split(/\s+/)[0])).toEqual(['#4', '#5', '#6', '#7', '#8', '#9'])
    expect(table[flood + 1]).toMatch(/failed\s+Error: busy 4$/)
    expect(table[flood + 6]).toMatch(/completed\s*$/)
  })

  it('prints no attempts table without --attempts', async () => {
    expect(await show()).not.toContain('ATTEMPTS')
  })

  it("prints each step's attempts as `history` with --json, and no history without --attempts", async () => {
    const [line] = await show('--attempts', '--json')
    const parsed = JSON.parse(line!) as { run: RunJson; steps: StepJson[] }
    const fetch = parsed.steps.find((s) => s.key === 'fetch')!
    expect(fetch.attempts).toBe(3)
    expect(fetch.history).toEqual({
      omitted: 0,
      attempts: [
        { attempt: 1, outcome: 'failed', startedAt: expect.any(Number), finishedAt: expect.any(Number), durationMs: expect.any(Number), error: expect.objectContaining({ name: 'RateLimited', code: 'HTTP_429' }) },
        { attempt: 2, outcome: 'failed', startedAt: expect.any(Number), finishedAt: expect.any(Number), durationMs: expect.any(Number), error: expect.objectContaining({ value: '{"status":504}' }) },
        { attempt: 3, outcome: 'completed', startedAt: expect.any(Number), finishedAt: expect.any(Number), durationMs: expect.any(Number), error: null },
      ],
    })
    const flood = parsed.steps.find((s) => s.key === 'flood')!
    expect(flood.history?.omitted).toBe(3)
    expect(flood.history?.attempts.map((a) => a.attempt)).toEqual([4, 5, 6, 7, 8, 9])
    const [plain] = await show('--json')
    expect((JSON.parse(plain!) as { steps: StepJson[] }).steps.every((s) => s.history === undefined)).toBe(true)
  })
})

describe('weft runs show --attempts, a task re-run after its process stopped', () => {
  it('lists the interrupted attempt without times, and the attempt that completed', async () => {
    const store = sqliteStore({ path: database })
    await store.init()
    const { run } = await store.createRun({ id: 'r-interrupted', workflow: 'research', version: 1, input: null, createdAt: 1_000, claimBy: { owner: 'w', leaseMs: 60_000 } })
    const history = { earlier: [{ attempt: 1, outcome: 'interrupted' as const }], omitted: 0, lastStartedAt: 5_000 }
    await store.saveStep({ runId: run.id, epoch: run.epoch }, { runId: run.id, key: 'fetch', task: 'fetch', status: 'completed', output: 'page', attempts: 2, startedAt: 5_000, finishedAt: 5_250, history })
    await store.close()
    runId = run.id
    const lines = await show('--attempts')
    const table = lines.slice(lines.indexOf('ATTEMPTS') + 1)
    expect(table[1]).toMatch(/^fetch\s+#1\s+-\s+-\s+interrupted\s+its process stopped before it ended$/)
    expect(table[2]).toMatch(/^\s+#2\s+1970-01-01T00:00:05\.000Z\s+250 ms\s+completed\s*$/)
  })
})

describe('weft runs show --attempts, a ctx.map item that failed', () => {
  it("lists each attempt of the failed item of a task that failed for good, not only the map's error", async () => {
    let calls = 0
    const asking = defineWorkflow({ name: 'asking', version: 1 })
      .task('ask', (_input, ctx) =>
        ctx.map([0, 1, 2], (n) => {
          if (n === 2) throw new Error(`item 2 timed out (${++calls})`)
          return n
        }, { retry: { maxAttempts: 3, backoff: { initial: 0, max: 0 } } }),
      )
      .build()
    const engine = createEngine({ store: sqliteStore({ path: database }), workflows: [asking] })
    const run = await engine.start(asking)
    expect((await run.outcome()).status).toBe('failed')
    await engine.close()
    runId = run.id
    const table = (lines: string[]) => lines.slice(lines.indexOf('ATTEMPTS') + 1)
    const rows = table(await show('--attempts'))
    const item = rows.findIndex((line) => /^\s*\[2\]\s/.test(line))
    expect(item).toBeGreaterThan(0)
    expect(rows.slice(item, item + 3).map((line) => line.replace(/^\s*\[2\]/, '').trim().split(/\s+/)[0])).toEqual(['#1', '#2', '#3'])
    expect(rows.slice(item, item + 3).map((line) => / failed\s+Error: item 2 timed out \((\d)\)$/.exec(line)?.[1])).toEqual(['1', '2', '3'])
    const [json] = await show('--attempts', '--json')
    const step = (JSON.parse(json!) as { steps: StepJson[] }).steps.find((s) => s.key === 'ask[2]')!
    expect(step).toMatchObject({ status: 'failed', attempts: 3 })
  })
})
