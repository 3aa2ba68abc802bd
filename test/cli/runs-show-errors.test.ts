/**
 * `weft runs show` prints what a failure's record keeps: the causes on the
 * error's line, a thrown value that is not an Error as such, and the stack of
 * the error that ended the run below the run's fields.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, sqliteStore } from 'weft-sdk'
import { runCli } from '../../src/cli/index.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-cli-errors-'))
const database = join(folder, 'runs.sqlite')
const ids: Record<'chained' | 'thrownValue' | 'aggregate', string> = { chained: '', thrownValue: '', aggregate: '' }

const charging = defineWorkflow({ name: 'charging', version: 1 })
  .task('charge', (): number => {
    throw new Error('charge failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) })
  })
  .build()

const polling = defineWorkflow({ name: 'polling', version: 1 })
  .task('poll', (): number => {
    throw { status: 503 }
  })
  .build()

const racing = defineWorkflow({ name: 'racing', version: 1 })
  .task('race', (): Promise<number> =>
    Promise.any([Promise.reject(Object.assign(new Error('Too Many Requests'), { status: 429 })), Promise.reject(new TypeError('fetch failed'))]),
  )
  .build()

async function show(id: string): Promise<string[]> {
  const lines: string[] = []
  const terminal = (into: string[]) => ({ line: (text = '') => void into.push(text), color: false, columns: undefined })
  const code = await runCli(['runs', 'show', id, '--database', database], { out: terminal(lines), err: terminal([]), cwd: folder, now: Date.now })
  expect(code).toBe(0)
  return lines
}

function field(lines: readonly string[], label: string): string | undefined {
  return lines.find((l) => l.startsWith(`${label} `))?.slice(label.length).trim()
}

beforeAll(async () => {
  const engine = createEngine({ store: sqliteStore({ path: database }), workflows: [charging, polling, racing] })
  for (const [key, workflow] of [['chained', charging], ['thrownValue', polling], ['aggregate', racing]] as const) {
    const run = await engine.start(workflow)
    ids[key] = run.id
    await run.result().catch(() => undefined)
  }
  await engine.close()
})

afterAll(() => rmSync(folder, { recursive: true, force: true }))

describe('weft runs show, a failed run', () => {
  it("prints the error's causes on its line, and in the step's error cell", async () => {
    const lines = await show(ids.chained)
    const line = 'in task "charge": Error: charge failed; caused by Error [ECONNRESET]: socket hang up'
    expect(field(lines, 'error')).toBe(line)
    expect(lines.some((l) => l.startsWith('charge ') && l.endsWith('Error: charge failed; caused by Error [ECONNRESET]: socket hang up'))).toBe(true)
  })

  it('prints the stack of the error that ended the run, its frames indented, after the fields', async () => {
    const lines = await show(ids.chained)
    const at = lines.indexOf('stack of the error')
    expect(at).toBeGreaterThan(lines.findIndex((l) => l.startsWith('requested ')))
    expect(lines[at + 1]).toMatch(/^ {2}at .*runs-show-errors\.test\.ts/)
  })

  it('prints a thrown value that is not an Error as a thrown value, and no stack', async () => {
    const lines = await show(ids.thrownValue)
    expect(field(lines, 'error')).toBe('in task "poll": thrown object: {"status":503}')
    expect(lines).not.toContain('stack of the error')
  })

  it("prints an AggregateError's errors, numbered, with an Error's extra properties", async () => {
    const lines = await show(ids.aggregate)
    expect(field(lines, 'error')).toBe(
      'in task "race": AggregateError: All promises were rejected; 1 of 2: Error: Too Many Requests {"status":429}; 2 of 2: TypeError: fetch failed',
    )
  })
})
