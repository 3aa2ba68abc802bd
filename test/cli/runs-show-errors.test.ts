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
import { runCliCaptured } from '../support/cli-in-process.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-cli-errors-'))
const database = join(folder, 'runs.sqlite')
type Case = 'chained' | 'thrownValue' | 'aggregate' | 'manyMembers' | 'mapItems' | 'bigProps'
const ids: Record<Case, string> = { chained: '', thrownValue: '', aggregate: '', manyMembers: '', mapItems: '', bigProps: '' }

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

const batching = defineWorkflow({ name: 'batching', version: 1 })
  .task('batch', (): number => {
    throw new AggregateError([1, 2, 3, 4, 5, 6, 7].map((n) => new Error(`row ${n} refused`)), 'batch refused')
  })
  .build()

const fanning = defineWorkflow({ name: 'fanning', version: 1 })
  .task('fan', (_input, ctx) =>
    ctx.map([0, 1, 2], (n) => {
      if (n > 0) throw new Error(`item ${n} broke`)
      return n
    }),
  )
  .build()

const bigResponse = { status: 500, body: 'x'.repeat(600) }
const calling = defineWorkflow({ name: 'calling', version: 1 })
  .task('call', (): number => {
    throw Object.assign(new Error('upstream failed'), bigResponse)
  })
  .build()

async function show(id: string, ...flags: string[]): Promise<string[]> {
  const { code, out } = await runCliCaptured(['runs', 'show', id, '--database', database, ...flags], folder)
  expect(code).toBe(0)
  return out
}

function field(lines: readonly string[], label: string): string | undefined {
  return lines.find((l) => l.startsWith(`${label} `))?.slice(label.length).trim()
}

beforeAll(async () => {
  const workflows = { chained: charging, thrownValue: polling, aggregate: racing, manyMembers: batching, mapItems: fanning, bigProps: calling }
  const engine = createEngine({ store: sqliteStore({ path: database }), workflows: Object.values(workflows) })
  for (const [key, workflow] of Object.entries(workflows) as [Case, (typeof workflows)[Case]][]) {
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

  it("says how many of an AggregateError's errors the record left out", async () => {
    const lines = await show(ids.manyMembers)
    const members = [1, 2, 3, 4, 5].map((n) => `; ${n} of 7: Error: row ${n} refused`).join('')
    expect(field(lines, 'error')).toBe(`in task "batch": AggregateError: batch refused${members}; and 2 more`)
  })

  it("labels a failed ctx.map's errors with their items, and does not repeat the first one as its cause", async () => {
    const lines = await show(ids.mapItems)
    expect(field(lines, 'error')).toBe(
      'in task "fan": MapItemsFailedError [WEFT_MAP_ITEMS_FAILED]: task "fan": 2 of 3 ctx.map items failed (items 1, 2); item 1 after 1 attempt: item 1 broke; ' +
        "give the map a retry policy, or pass mode: 'settled' to get each item's failure as a value; item 1: Error: item 1 broke; item 2: Error: item 2 broke",
    )
  })

  it("cuts an error's extra properties in the step's table cell, and keeps them whole on the run's error line and in --json", async () => {
    const whole = JSON.stringify(bigResponse)
    const lines = await show(ids.bigProps)
    expect(field(lines, 'error')).toBe(`in task "call": Error: upstream failed ${whole}`)
    const cell = lines.find((l) => l.startsWith('call '))!
    expect(cell).toContain(`Error: upstream failed ${whole.slice(0, 119)}…`)
    expect(cell).not.toContain(whole)
    const json = JSON.parse((await show(ids.bigProps, '--json')).join('\n')) as { steps: { error: { props: string } }[] }
    expect(json.steps[0]!.error.props).toBe(whole)
  })
})
