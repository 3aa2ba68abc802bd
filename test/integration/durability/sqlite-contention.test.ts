/**
 * SQLite under contention: two processes write to one database file at the
 * same time (8 concurrent runs each, short leases and claim sweeps adding
 * their own writes). SQLite allows one writer at a time; the store waits and
 * retries, so no SQLITE_BUSY (or any other error) reaches the user.
 *
 * With a third process holding the write lock 75% of the time, the workers
 * keep the default lease (30 s): a worker starved of the lock for longer than
 * its lease loses its runs to the other worker (fencing at work, not a
 * failure), and that would show as LeaseLostError in its handles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStore, spawnChild, stopAllChildren, useChildCleanup, useTempDir, type Child, type Marker, type TestStore } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('contention')

const RUNS = 8
const ITEMS = 200
const CHAIN = 100
/** The last task's output of run n: the fan-out sum n·(0+…+199), plus the 200 items checked, plus 1+…+100. */
const expectedLast = (n: number) => n * (ITEMS * (ITEMS - 1)) / 2 + ITEMS + (CHAIN * (CHAIN + 1)) / 2

function contention(label: string, withHog: boolean): void {
  let store: TestStore
  let children: Child[] = []
  let results: Marker[] = []
  let hog: Child | undefined

  beforeAll(async () => {
    store = await createTestStore('sqlite', tempDir(), label)
    if (withHog) {
      await (await store.store()).init() // the schema exists before the hog takes locks
      hog = spawnChild('lock-hog.mjs', 'lock-hog', { ...store.childEnv('lock-hog'), HOLD_MS: 300, GAP_MS: 100 })
      await hog.waitFor('holding')
    }
    children = ['one', 'two'].map((name) =>
      spawnChild('busy-worker.mjs', `busy-${name}`, { ...store.childEnv(`busy-${name}`), RUN_PREFIX: name, RUNS, ITEMS, CHAIN, WORK_MS: 5, ...(withHog ? {} : { LEASE_MS: 1_000, HEARTBEAT_MS: 100 }), CLAIM_MS: 50 }),
    )
    await Promise.all(children.map((child) => child.waitFor('ready')))
    for (const child of children) child.send('go')
    results = await Promise.all(children.map((child) => child.waitFor('results', { timeoutMs: 60_000 })))
    await Promise.all(children.map((child) => child.expectCleanExit()))
    if (hog !== undefined) {
      hog.send('stop')
      console.log(`contention: the third process held the write lock ${(await hog.waitFor('stopped')).held as number} times for 300 ms`)
      await hog.expectCleanExit()
    }
    for (const child of children) {
      const renewals = child.all('write', (m) => m.method === 'renewLeases')
      const slowest = Math.max(0, ...renewals.map((m) => m.at - (m.calledAt as number)))
      const lost = renewals.filter((m) => (m.lost as string[]).length > 0)
      console.log(`contention: ${child.name}: ${renewals.length} renewals, slowest ${slowest} ms${lost.length > 0 ? `, LOST: ${JSON.stringify(lost.slice(0, 3))}` : ''}`)
      if (lost.length > 0) console.log(JSON.stringify(child.all('write').map((m) => [m.method, m.calledAt, m.at - (m.calledAt as number), m.claimed ?? m.lost])))
    }
    const [go1, go2] = children.map((child) => child.all('go')[0]!.at)
    const [end1, end2] = results.map((m) => m.at)
    console.log(`contention: process one wrote ${go1} → ${end1}, process two ${go2} → ${end2} (overlap ${Math.min(end1!, end2!) - Math.max(go1!, go2!)} ms)`)
  }, 90_000)

  afterAll(async () => {
    await stopAllChildren()
    await store?.close()
  })

  it('has both processes writing at the same time (the test exercises contention)', () => {
    const [go1, go2] = children.map((child) => child.all('go')[0]!.at)
    const [end1, end2] = results.map((m) => m.at)
    expect(Math.min(end1!, end2!) - Math.max(go1!, go2!)).toBeGreaterThan(500)
  })

  it('completes all 16 runs with their outputs', async () => {
    for (const [i, name] of ['one', 'two'].entries()) {
      expect(results[i]!.results).toEqual(Array.from({ length: RUNS }, (_, n) => ({ runId: `${name}-${n}`, status: 'completed', last: expectedLast(n) })))
    }
    const rows = await store.query<{ status: string; n: number }>('select status, count(*) as n from weft_runs group by status')
    expect(rows).toEqual([{ status: 'completed', n: 2 * RUNS }])
    // Each run stayed with the process that started it: contention delayed writes, it never cost a lease.
    expect(await store.query('select distinct epoch from weft_runs')).toEqual([{ epoch: 1 }])
    const [steps] = await store.query<{ n: number }>('select count(*) as n from weft_steps')
    expect(steps!.n).toBe(2 * RUNS * (1 + ITEMS + 1 + CHAIN))
  })

  it('lets no SQLITE_BUSY or other error reach the user: no failed run, no background error, nothing on stderr', () => {
    for (const child of children) {
      expect(child.all('background-error')).toEqual([])
      expect(child.all('uncaught')).toEqual([])
      expect(child.stderr).not.toMatch(/SQLITE_BUSY|database is locked/)
      expect(child.stderr.trim()).toBe('')
    }
  })
}

describe('SQLite under contention: two processes, 8 concurrent runs each, on one file', () => {
  contention('contention', false)
})

describe('SQLite under contention: the same, while a third process holds the write lock 300 ms at a time (past the busy timeout)', () => {
  contention('contention-hog', true)
})

describe('SQLite: several processes opening a new database file at the same moment', () => {
  it('has each of 6 processes migrate it or wait for the one that does: none fails (no "database is locked", no "table already exists")', async () => {
    const folder = tempDir()
    const outcomes = []
    for (let round = 0; round < 3; round++) {
      const path = `${folder}/fresh-${round}.sqlite`
      const children = Array.from({ length: 6 }, (_, i) => spawnChild('open-store.mjs', `open-${round}-${i}`, { WEFT_STORE: 'sqlite', WEFT_STORE_LOCATION: path }))
      // Every process has loaded Weft; then they open the file together.
      await Promise.all(children.map((child) => child.waitFor('loaded')))
      for (const child of children) child.send('go')
      await Promise.all(children.map((child) => child.expectCleanExit()))
      outcomes.push(...children.map((child) => child.markers.find((m) => m.marker === 'opened' || m.marker === 'failed')))
    }
    expect(outcomes.filter((m) => m?.marker !== 'opened')).toEqual([])
  }, 30_000)
})
