/**
 * `weft runs show` shows what a run's LLM calls spent: a usage column per
 * step and the run's total, in text and in JSON, read from a real SQLite
 * file written by a workflow that called a scripted OpenAI-compatible server;
 * a run without metered calls shows neither.
 */
import 'reflect-metadata'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, sqliteStore } from 'weft-sdk'
import { LlmAdapter } from 'weft-sdk/llm'
import type { StepJson } from '../../src/cli/index.js'
import { runCliCaptured } from '../support/cli-in-process.js'
import { completion, ScriptedServer, usage } from '../adapters/llm-server.js'

const server = new ScriptedServer()
const folder = mkdtempSync(join(tmpdir(), 'weft-cli-usage-'))
const database = join(folder, 'runs.sqlite')
const ask = { messages: [{ role: 'user' as const, content: 'Summarize' }] }

const Brief = defineWorkflow({ name: 'brief', version: 1 })
  .services({ llm: LlmAdapter })
  .task('outline', async (_input, ctx) => (await ctx.use(ctx.services.llm).chat(ask)).text)
  .task('draft', { dependsOn: ['outline'] }, async (outline, ctx) => `${outline}: ${(await ctx.use(ctx.services.llm).chat(ask)).text}`)
  .task('publish', { dependsOn: ['draft'] }, (draft) => draft.length)
  .build()
const Plain = defineWorkflow({ name: 'plain', version: 1 })
  .task('only', () => 1)
  .build()

async function show(runId: string, ...options: string[]): Promise<string[]> {
  const { code, out } = await runCliCaptured(['runs', 'show', runId, '--database', database, ...options], folder)
  expect(code).toBe(0)
  return out
}

beforeAll(async () => {
  await server.start()
  server.answer(completion('Rivers', { usage: usage(1_000, 200) }), completion('run to the sea', { usage: usage(40, 10) }))
  const llm = new LlmAdapter({ name: 'writer', baseUrl: `${server.url}v1/`, model: 'test-model', pricing: { 'test-model': { inputPerMillion: 2, outputPerMillion: 8 } } })
  const engine = createEngine({ store: sqliteStore({ path: database }), adapters: [llm], workflows: [Brief, Plain] })
  await (await engine.start(Brief, undefined, { runId: 'brief-1' })).result()
  await (await engine.start(Plain, undefined, { runId: 'plain-1' })).result()
  await engine.close()
})

afterAll(async () => {
  await server.stop()
  rmSync(folder, { recursive: true, force: true })
})

describe('weft runs show: usage of metered calls', () => {
  it('shows each step’s tokens and cost, and the run’s total', async () => {
    const lines = await show('brief-1')
    // 1,000 + 200 tokens at $2 / $8 per million: $0.0036; 40 + 10: $0.00016.
    expect(lines.filter((line) => /^usage\s/.test(line))).toEqual([expect.stringMatching(/^usage\s+1,250 tokens, \$0\.0038$/)])
    const header = lines.find((line) => line.startsWith('TASK'))!
    expect(header).toMatch(/\bUSAGE\b/)
    expect(lines.find((line) => line.startsWith('outline'))).toContain('1,200 tokens, $0.0036')
    expect(lines.find((line) => line.startsWith('draft'))).toContain('50 tokens, $0.0002')
    expect(lines.find((line) => line.startsWith('publish'))).not.toMatch(/tokens/)
  })

  it('puts the usage in --json: per step (null when none) and summed', async () => {
    const [line] = await show('brief-1', '--json')
    const shown = JSON.parse(line!) as { steps: StepJson[]; usage: { tokens: number; costUsd: number } | null }
    expect(shown.steps.map((step) => [step.key, step.usage?.tokens ?? null])).toEqual([
      ['outline', 1_200],
      ['draft', 50],
      ['publish', null],
    ])
    expect(shown.usage!.tokens).toBe(1_250)
    expect(shown.usage!.costUsd).toBeCloseTo((1_040 * 2 + 210 * 8) / 1e6, 10)
  })

  it('shows no usage for a run without metered calls', async () => {
    const lines = await show('plain-1')
    expect(lines.some((line) => line.startsWith('usage'))).toBe(false)
    expect(lines.find((line) => line.startsWith('TASK'))).not.toMatch(/USAGE/)
    const [json] = await show('plain-1', '--json')
    expect(JSON.parse(json!).usage).toBeNull()
  })
})
