/**
 * Store rules across a fleet: three engines on one database (a real SQLite
 * file, a real PostgreSQL database), each with its own store connection, the
 * same rules and a recording sink. Each transition of a store rule's alert is
 * claimed in the store's settings, so the sinks get one `alert.fired` and one
 * `alert.resolved` per episode between them, however the engines' evaluations
 * interleave; every engine shows the alert in `engine.alerts()`; live rules
 * still alert on each engine. The engines share a virtual clock and the tests
 * evaluate by hand (the interval is an hour), and wait for the claims'
 * deliveries to settle rather than for time, so machine speed changes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createEngine, sqliteStore, type AlertEvent, type Duration, type AlertNotification, type AlertRule, type Engine, type RunId } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'
import { postgresStore } from 'weft-sdk/postgres'
import { alertClaimName, type AlertClaim } from '../../src/observability/alerts/alert-claim.js'
import { createTestDatabase, describePostgres } from '../support/postgres.js'
import { seededRandom, testSeed } from '../support/seed.js'
import { flush, virtualTime, type VirtualTime } from '../support/test-clock.js'

const dir = mkdtempSync(join(tmpdir(), 'weft-alerts-fleet-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Stores on one database, one per engine (as separate processes would have), and how to drop the database. */
interface Database {
  open(): Promise<WorkflowStore>
  drop(): Promise<void>
}

let files = 0
function sqliteDatabase(): Database {
  const path = join(dir, `fleet-${++files}.sqlite`)
  return {
    open: async () => {
      const store = sqliteStore({ path })
      await store.init()
      return store
    },
    drop: async () => undefined,
  }
}

async function postgresDatabase(): Promise<Database> {
  const database = await createTestDatabase()
  return {
    open: async () => {
      const store = postgresStore({ connectionString: database.url, maxConnections: 3 })
      await store.init()
      return store
    },
    drop: () => database.drop(),
  }
}

/** What every engine's sink and events saw, in the order they saw it. */
interface Delivered {
  readonly worker: string
  readonly notification: AlertNotification
}

const storeRule: AlertRule = { kind: 'run-waiting', name: 'no-worker', longerThan: '1 m', hold: '30 s' }
const liveRule: AlertRule = { kind: 'predicate', name: 'always', when: () => true }

/** Three engines on `database`, on one virtual clock, with the same rules and a recording sink each. */
async function fleet(database: Database, time: VirtualTime, deliveryLease: Duration = '1 h', count = 3) {
  const sunk: Delivered[] = []
  const emitted: Delivered[] = []
  const engines: Engine[] = []
  const stores: WorkflowStore[] = []
  for (let i = 1; i <= count; i++) {
    const worker = `worker-${i}`
    const store = await database.open()
    const sink = { name: 'pager', deliver: async (notification: AlertNotification) => void sunk.push({ worker, notification }) }
    const engine = createEngine({ store, clock: time.clock, workerId: worker, alerts: { rules: [storeRule, liveRule], sinks: [sink], interval: '1 h', deliveryLease } })
    engine.on((event) => {
      if (event.type === 'alert.fired' || event.type === 'alert.resolved') emitted.push({ worker, notification: event as AlertEvent as AlertNotification })
    })
    stores.push(store)
    engines.push(engine)
  }
  const close = async () => {
    for (const engine of engines) await engine.close()
    for (const store of stores) await store.close()
    await database.drop()
  }
  return { engines, stores, sunk, emitted, close }
}

type Monitor = { evaluate(): Promise<void>; claims: { idle(): Promise<void> } | undefined }
const monitorOf = (engine: Engine) => (engine as unknown as { alertMonitor: Monitor }).alertMonitor

/** Evaluates the engines' rules at once, concurrently, as their ticks would. */
const evaluate = (engines: readonly Engine[]) => Promise.all(engines.map((e) => monitorOf(e).evaluate()))

/** Waits until the deliveries the engines claimed reached their sinks and were marked delivered. */
async function settled(engines: readonly Engine[]): Promise<void> {
  await flush()
  await Promise.all(engines.map((e) => monitorOf(e).claims?.idle()))
}

const ofRule = (rule: string, delivered: readonly Delivered[]) => delivered.filter((d) => d.notification.rule === rule)
const kinds = (delivered: readonly Delivered[]) => delivered.map((d) => d.notification.type)

/** A run of an unregistered workflow: it waits, and the `no-worker` rule fires once it waited a minute. */
async function waitingRun(store: WorkflowStore, time: VirtualTime, id: string): Promise<void> {
  await store.createRun({ id: id as RunId, workflow: 'report', version: 1, input: undefined, createdAt: time.now() })
}

/** One episode of the store rule, every engine evaluating at each step: fires, then resolves once the run is cancelled. */
async function episode(f: Awaited<ReturnType<typeof fleet>>, time: VirtualTime, id: string): Promise<void> {
  await waitingRun(f.stores[0]!, time, id)
  await time.advance(61_000)
  await evaluate(f.engines)
  await settled(f.engines)
  await f.stores[1]!.requestAction(id as RunId, 'cancel', time.now())
  await time.advance(1_000)
  await evaluate(f.engines)
  await time.advance(30_000)
  await evaluate(f.engines)
  await settled(f.engines)
}

function fleetCases(open: () => Database | Promise<Database>): void {
  it('delivers one firing and one resolution per episode across three engines, and every engine shows the alert', async () => {
    const time = virtualTime()
    const f = await fleet(await open(), time)
    try {
      await waitingRun(f.stores[0]!, time, 'first')
      await time.advance(61_000)
      await evaluate(f.engines)
      await settled(f.engines)
      expect(kinds(ofRule('no-worker', f.sunk))).toEqual(['alert.fired'])
      expect(kinds(ofRule('no-worker', f.emitted))).toEqual(['alert.fired'])
      expect(ofRule('no-worker', f.sunk)[0]).toEqual(ofRule('no-worker', f.emitted)[0])
      for (const engine of f.engines) expect(engine.alerts().filter((a) => a.rule === 'no-worker')).toEqual([expect.objectContaining({ state: 'firing', labels: { workflow: 'report' } })])

      await f.stores[2]!.requestAction('first' as RunId, 'cancel', time.now())
      await time.advance(1_000)
      await evaluate(f.engines)
      await time.advance(30_000)
      await evaluate(f.engines)
      await settled(f.engines)
      expect(kinds(ofRule('no-worker', f.sunk))).toEqual(['alert.fired', 'alert.resolved'])
      for (const engine of f.engines) expect(engine.alerts().filter((a) => a.rule === 'no-worker')).toEqual([])
    } finally {
      await f.close()
    }
  })

  it('delivers a second episode of the same alert again, once', async () => {
    const time = virtualTime()
    const f = await fleet(await open(), time)
    try {
      await episode(f, time, 'first')
      await time.advance(5_000)
      await episode(f, time, 'second')
      expect(kinds(ofRule('no-worker', f.sunk))).toEqual(['alert.fired', 'alert.resolved', 'alert.fired', 'alert.resolved'])
      expect(kinds(ofRule('no-worker', f.emitted))).toEqual(['alert.fired', 'alert.resolved', 'alert.fired', 'alert.resolved'])
    } finally {
      await f.close()
    }
  })

  it('alerts live rules on every engine, as without claims', async () => {
    const time = virtualTime()
    const f = await fleet(await open(), time)
    try {
      await evaluate(f.engines)
      await settled(f.engines)
      expect(ofRule('always', f.sunk).map((d) => d.worker).sort()).toEqual(['worker-1', 'worker-2', 'worker-3'])
      expect(ofRule('always', f.emitted)).toHaveLength(3)
    } finally {
      await f.close()
    }
  })

  it('never delivers twice when the engines evaluate at once, many times, in random subsets, over many episodes', async () => {
    const random = seededRandom(testSeed('test/observability/alerts-fleet.test.ts'))
    const time = virtualTime()
    const f = await fleet(await open(), time)
    const some = () => {
      const chosen = f.engines.filter(() => random() < 0.5)
      return chosen.length > 0 ? chosen : [f.engines[Math.floor(random() * f.engines.length)]!]
    }
    /** Random evaluations, each a random subset of the engines at once, `advanceMs` apart, settled or not in between. */
    const rounds = async (count: number, advanceMs: number) => {
      for (let r = 0; r < count; r++) {
        await evaluate(some())
        if (random() < 0.5) await settled(f.engines)
        await time.advance(advanceMs)
      }
    }
    const episodes = 8
    try {
      for (let e = 0; e < episodes; e++) {
        await waitingRun(f.stores[e % 3]!, time, `run-${e}`)
        await time.advance(60_000)
        await rounds(3 + Math.floor(random() * 4), 1 + Math.floor(random() * 2_000))
        // The alert is firing here: every engine sees it at least once, its claims settle.
        await evaluate(f.engines)
        await settled(f.engines)
        await evaluate(f.engines)
        await f.stores[(e + 1) % 3]!.requestAction(`run-${e}` as RunId, 'cancel', time.now())
        await rounds(3 + Math.floor(random() * 4), 1 + Math.floor(random() * 15_000))
        // Clear for longer than the hold on every engine: resolved everywhere.
        await evaluate(f.engines)
        await time.advance(31_000)
        await evaluate(f.engines)
        await settled(f.engines)
        await evaluate(f.engines)
        await settled(f.engines)
      }
      const expected = Array.from({ length: episodes }, () => ['alert.fired', 'alert.resolved']).flat()
      expect(kinds(ofRule('no-worker', f.sunk))).toEqual(expected)
      expect(kinds(ofRule('no-worker', f.emitted))).toEqual(expected)
    } finally {
      await f.close()
    }
  })

  it('does not deliver a firing an engine claims only after another engine resolved that episode', async () => {
    const time = virtualTime()
    const f = await fleet(await open(), time, '1 h', 2)
    const [first, late] = f.engines as [Engine, Engine]
    try {
      // The late engine reads the backlog (the run waits), then stalls before its claim.
      let release!: () => void
      const stalled = new Promise<void>((resolve) => (release = resolve))
      const settings = f.stores[1]!.settings!
      const update = settings.update.bind(settings)
      settings.update = async (...args) => (await stalled, update(...args))
      await waitingRun(f.stores[0]!, time, 'raced')
      await time.advance(61_000)
      const lateEvaluation = monitorOf(late).evaluate()
      await evaluate([first])
      await settled([first])
      await f.stores[0]!.requestAction('raced' as RunId, 'cancel', time.now())
      await time.advance(1_000)
      await evaluate([first])
      await time.advance(30_000)
      await evaluate([first])
      await settled([first])
      release()
      await lateEvaluation
      await time.advance(1_000)
      await evaluate(f.engines)
      await time.advance(30_000)
      await evaluate(f.engines)
      await settled(f.engines)
      expect(ofRule('no-worker', f.sunk).map((d) => [d.notification.type, d.worker])).toEqual([
        ['alert.fired', 'worker-1'],
        ['alert.resolved', 'worker-1'],
      ])
      expect(late.alerts()).not.toContainEqual(expect.objectContaining({ rule: 'no-worker' }))
    } finally {
      await f.close()
    }
  })

  it('delivers a firing whose claimer stopped before delivering it, once its lease passed (at least once)', async () => {
    const time = virtualTime()
    const f = await fleet(await open(), time, '2 m', 2)
    try {
      await waitingRun(f.stores[0]!, time, 'orphaned')
      await time.advance(61_000)
      // What a worker killed between its claim and its delivery leaves behind.
      const name = alertClaimName('no-worker', { workflow: 'report' })
      const now = time.now()
      const claim: AlertClaim = { state: 'firing', since: now, at: now, owner: 'killed-worker', deliverBy: now + 120_000, delivered: false, seenAt: now }
      await f.stores[0]!.settings!.set(name, claim, now)
      await evaluate(f.engines)
      await settled(f.engines)
      expect(ofRule('no-worker', f.sunk)).toEqual([])
      for (const engine of f.engines) expect(engine.alerts().filter((a) => a.state === 'firing' && a.rule === 'no-worker')).toHaveLength(1)
      await time.advance(119_000)
      await evaluate(f.engines)
      await settled(f.engines)
      expect(ofRule('no-worker', f.sunk)).toEqual([])
      await time.advance(1_000)
      await evaluate(f.engines)
      await settled(f.engines)
      await evaluate(f.engines)
      await settled(f.engines)
      expect(kinds(ofRule('no-worker', f.sunk))).toEqual(['alert.fired'])
      expect(await f.stores[1]!.settings!.get(name)).toMatchObject({ state: 'firing', delivered: true, owner: ofRule('no-worker', f.sunk)[0]!.worker })
    } finally {
      await f.close()
    }
  })

  it('treats a firing nobody has seen for long as over: the next episode is delivered', async () => {
    const time = virtualTime()
    const f = await fleet(await open(), time, '1 m', 2)
    try {
      // Left by a fleet that stopped while the alert fired, and found long after.
      const name = alertClaimName('no-worker', { workflow: 'report' })
      const then = time.now()
      await f.stores[0]!.settings!.set(name, { state: 'firing', since: then, at: then, owner: 'old-worker', deliverBy: then, delivered: true, seenAt: then } satisfies AlertClaim, then)
      await time.advance(24 * 3_600_000)
      await waitingRun(f.stores[0]!, time, 'later')
      await time.advance(61_000)
      await evaluate(f.engines)
      await settled(f.engines)
      expect(kinds(ofRule('no-worker', f.sunk))).toEqual(['alert.fired'])
    } finally {
      await f.close()
    }
  })
}

describe('store rules on several engines sharing a SQLite file', () => {
  fleetCases(sqliteDatabase)

  it('without settings in the store, every engine delivers its own, as before claims', async () => {
    const time = virtualTime()
    const database = sqliteDatabase()
    const open = database.open
    database.open = async () => withoutSettings(await open())
    const f = await fleet(database, time)
    try {
      await waitingRun(f.stores[0]!, time, 'seen-by-all')
      await time.advance(61_000)
      await evaluate(f.engines)
      await settled(f.engines)
      expect(ofRule('no-worker', f.sunk).map((d) => d.worker).sort()).toEqual(['worker-1', 'worker-2', 'worker-3'])
    } finally {
      await f.close()
    }
  })
})

describePostgres('store rules on several engines sharing a PostgreSQL database', () => {
  fleetCases(postgresDatabase)
})

/** The store without its settings role (a store of your own that has none). */
function withoutSettings(store: WorkflowStore): WorkflowStore {
  return new Proxy(store, {
    get: (target, property) => {
      if (property === 'settings') return undefined
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}
