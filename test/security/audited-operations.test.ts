/**
 * Every operation on a run commits with its audit entry where both live in
 * the same database: a pause, resume, cancel or signal (through a local
 * handle, and through the handle of a run another engine executes), an event
 * sent to a run and a broadcast, each written in one transaction with its
 * entry in the store's hash-chained log — on a real SQLite file and a real
 * PostgreSQL database.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { verifyAudit, type AuditEntry, type WorkflowStore } from 'weft-sdk/store'
import { AuditLog, Rbac, createEngine, defineWorkflow, principal, sqliteStore, type Engine } from 'weft-sdk'
import { postgresStore } from 'weft-sdk/postgres'
import { createTestDatabase, describePostgres, type TestDatabase } from '../support/postgres.js'

const rbac = new Rbac({
  roles: {
    analyst: ['start:approval', 'read:approval', 'cancel:approval', 'pause:approval', 'resume:approval', 'signal:approval'],
    admin: ['*'],
  },
})
const ada = principal({ subject: 'user:ada', roles: ['analyst'], tenant: 'acme' })
const root = principal({ subject: 'user:root', roles: ['admin'] })

const Approval = defineWorkflow<{ id: string }>({ name: 'approval', version: 1 })
  .task('wait', async (_input, ctx) => (await ctx.waitForEvent<{ by: string }>('approved')).by)
  .build()

let dir: string
const engines: Engine[] = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-audited-'))
})
afterEach(async () => {
  await closeEngines()
  rmSync(dir, { recursive: true, force: true })
})

const stores: WorkflowStore[] = []

async function closeEngines(): Promise<void> {
  for (const engine of engines.splice(0)) await engine.close({ drain: 0 })
  // A store given to an engine stays open after it: the test closes it.
  for (const store of stores.splice(0)) await store.close()
}

function open(store: WorkflowStore, claimRuns = true): Engine {
  stores.push(store)
  const engine = createEngine({ store, workflows: [Approval], claimRuns, pollInterval: '20 ms', security: { authorizer: rbac } })
  engines.push(engine)
  return engine
}

/** The store's audit entries of operations, oldest first (the engine's `policy.changed` at open left out). */
async function entries(store: WorkflowStore): Promise<AuditEntry[]> {
  return (await store.audit!.listAudit({ limit: 100 })).entries.reverse().filter((e) => e.action !== 'policy.changed')
}

function line(entry: AuditEntry): string {
  return `${entry.action} ${entry.outcome} ${entry.subject ?? '-'}`
}

/** Opens a store on the suite's database: every call another connection to the same data. */
type OpenStore = () => WorkflowStore

function auditedOperationsSuite(openStore: OpenStore): void {
  it("writes a local run's pause, resume, signal and cancel each with its entry, applies each once, and the chain verifies", async () => {
    const store = openStore()
    const engine = open(store)
    const run = await engine.as(ada).start(Approval, { id: 'a-1' })
    expect(await run.pause()).toBe(true)
    expect(run.status()).toBe('paused')
    expect(await run.resume()).toBe(true)
    expect(run.status()).toBe('running')
    await run.signal('approved', { by: 'ada' })
    expect((await run.result()).outputs).toEqual({ wait: 'ada' })
    expect((await entries(store)).map(line)).toEqual([
      'run.start succeeded user:ada',
      'run.pause succeeded user:ada',
      'run.resume succeeded user:ada',
      'run.signal succeeded user:ada',
    ])
    // The stored requests were applied here once and cleared: nothing is left for a worker to apply again.
    expect((await store.getRun(run.id))?.requestedAction).toBeUndefined()
    expect((await verifyAudit({ store: store.audit! })).ok).toBe(true)
  })

  it('cancels a local run through the stored request (with its entry), applied here once', async () => {
    const store = openStore()
    const engine = open(store)
    const run = await engine.as(ada).start(Approval, { id: 'a-2' })
    expect(await run.cancel('not needed')).toBe(true)
    const outcome = await run.outcome()
    expect(outcome.status).toBe('cancelled')
    expect(String(outcome.error?.message)).toContain('not needed')
    expect((await entries(store)).map(line)).toEqual(['run.start succeeded user:ada', 'run.cancel succeeded user:ada'])
  })

  it("writes the requests of an API engine to a run a worker executes, each with its entry", async () => {
    const store = openStore()
    const worker = open(store)
    const api = open(openStore(), false)
    const started = await worker.as(ada).start(Approval, { id: 'a-3' })
    const run = (await api.as(ada).getRun(started.id))!
    expect(await run.pause()).toBe(true)
    await run.signal('approved', { by: 'api' })
    expect(await run.resume()).toBe(true)
    expect((await started.result()).outputs).toEqual({ wait: 'api' })
    const written = await entries(store)
    expect(written.map(line)).toEqual(['run.start succeeded user:ada', 'run.pause succeeded user:ada', 'run.signal succeeded user:ada', 'run.resume succeeded user:ada'])
    expect(new Set(written.slice(1).map((e) => e.chain))).toEqual(new Set([api.workerId]))
    expect((await verifyAudit({ store: store.audit! })).ok).toBe(true)
  })

  it('writes an event sent to a run and a broadcast each with its entry', async () => {
    const store = openStore()
    const engine = open(store)
    const run = await engine.as(ada).start(Approval, { id: 'a-4' })
    await engine.as(root).emit('audit.tick', { n: 1 })
    await engine.as(ada).emit('approved', { by: 'emit' }, { runId: run.id })
    expect((await run.result()).outputs).toEqual({ wait: 'emit' })
    expect((await entries(store)).map(line)).toEqual(['run.start succeeded user:ada', 'event.emit succeeded user:root', 'run.signal succeeded user:ada'])
  })

  it('stores no event when its entry cannot be written, and no entry when the event cannot be stored', async () => {
    const store = openStore()
    const engine = open(store)
    const run = await engine.as(ada).start(Approval, { id: 'a-5' })
    // Another writer appends to the engine's chain behind its back: the engine's next sealed entry takes an index that is
    // taken, so the write that carries it fails as a whole.
    const intruder = await AuditLog.open({ store: store.audit!, writer: engine.workerId })
    await intruder.record({ action: 'test.intrusion', outcome: 'succeeded', resource: 'test' })
    await expect(run.signal('approved', { by: 'lost' })).rejects.toThrow()
    expect(await store.pendingEvents(run.id, 'approved', 0)).toEqual([])
    // A payload the store cannot serialize: no event, and the entry says the signal failed.
    const cyclic: { by: string; self?: unknown } = { by: 'x' }
    cyclic.self = cyclic
    await expect(run.signal('approved', cyclic)).rejects.toThrow()
    expect(await store.pendingEvents(run.id, 'approved', 0)).toEqual([])
    expect((await entries(store)).map(line)).toEqual(['run.start succeeded user:ada', 'test.intrusion succeeded -', 'run.signal failed user:ada', 'run.signal failed user:ada'])
    expect((await verifyAudit({ store: store.audit! })).ok).toBe(true)
    await run.cancel()
  })

  it('applies no request whose entry cannot be written', async () => {
    const store = openStore()
    const engine = open(store)
    const run = await engine.as(ada).start(Approval, { id: 'a-6' })
    const intruder = await AuditLog.open({ store: store.audit!, writer: engine.workerId })
    await intruder.record({ action: 'test.intrusion', outcome: 'succeeded', resource: 'test' })
    await expect(run.pause()).rejects.toThrow()
    expect(run.status()).toBe('running')
    expect((await store.getRun(run.id))?.requestedAction).toBeUndefined()
    // The failure is audited (its own write, once the chain's head is read again), and the next request goes through.
    expect(await run.cancel()).toBe(true)
    expect((await entries(store)).map(line).slice(-2)).toEqual(['run.pause failed user:ada', 'run.cancel succeeded user:ada'])
  })
}

describe('control operations and events commit with their audit entries (SQLite)', () => {
  auditedOperationsSuite(() => sqliteStore({ path: join(dir, 'weft.db') }))
})

describePostgres('control operations and events commit with their audit entries (PostgreSQL)', () => {
  // A database per test: the entries a test reads are its own.
  let db: TestDatabase
  beforeEach(async () => {
    db = await createTestDatabase()
  })
  afterEach(async () => {
    await closeEngines()
    await db.drop()
  })
  auditedOperationsSuite(() => postgresStore({ connectionString: db.url }))
})
