/**
 * The secure path end to end: authenticate → authorize → limit → execute →
 * audit, for every operation of the engine's API and the run handles, with
 * Weft's Rbac, on the memory store and on a real SQLite file (a run resumed
 * by another engine re-checks its tasks against the principal recorded with it).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { verifyAudit } from 'weft-sdk/store'
import {
  AuthenticationError,
  AuthorizationError,
  InvalidPermissionError,
  MemoryAuditSink,
  MemoryWorkflowStore,
  Rbac,
  RateLimitedError,
  RequiresPermission,
  SecurityConfigError,
  Task,
  Workflow,
  WorkflowBase,
  createEngine,
  defineWorkflow,
  principal,
  securityTokens,
  sqliteStore,
  type Authenticator,
  type Engine,
  type PrincipalLimiter,
  type RunId,
  type SecurityConfig,
} from 'weft-sdk'

const rbac = new Rbac({
  roles: {
    admin: ['*'],
    analyst: ['start:report', 'read:report', 'cancel:report', 'pause:report', 'resume:report', 'signal:report', 'build:reports'],
    viewer: ['read:*'],
    payer: ['start:payout', 'read:payout', 'pay:money'],
    'broke-payer': ['start:payout', 'read:payout', '!pay:money'],
    emitter: ['emit:month.closed', 'start:report', 'build:reports', 'admin:*'],
    notifier: ['emit:*'],
  },
})

const ada = principal({ subject: 'user:ada', roles: ['analyst'], tenant: 'acme' })
const bob = principal({ subject: 'user:bob', roles: ['analyst'], tenant: 'globex' })
const cy = principal({ subject: 'user:cy', roles: ['analyst'], tenant: 'acme' })
const root = principal({ subject: 'user:root', roles: ['admin'] })
const viewer = principal({ subject: 'user:vi', roles: ['viewer'], tenant: 'acme' })

const Report = defineWorkflow<{ month: string }>({ name: 'report', version: 1, trigger: 'month.closed' })
  .task('build', { requires: ['build:reports'] }, async (input, ctx) => {
    await new Promise((resolve) => setTimeout(resolve, 30))
    return ctx.signal.aborted ? 'aborted' : `report ${input.month}`
  })
  .build()

@Workflow({ name: 'payout', version: 1, requires: ['read:payout'] })
class Payout extends WorkflowBase<{ amount: number }> {
  @Task() @RequiresPermission('pay:money')
  pay(input: { amount: number }) {
    return input.amount
  }
}

let engine: Engine | undefined
afterEach(async () => {
  await engine?.close()
  engine = undefined
})

function securedEngine(security: Partial<SecurityConfig> = {}) {
  const audit = new MemoryAuditSink()
  engine = createEngine({ store: new MemoryWorkflowStore(), workflows: [Report, Payout], security: { authorizer: rbac, audit, ...security } })
  return { engine, audit }
}

/** The audit entries of operations as `action outcome subject` (the engine's `policy.changed` at open left out). */
function lines(audit: MemoryAuditSink): string[] {
  return audit.entries.filter((e) => e.action !== 'policy.changed').map((e) => `${e.action} ${e.outcome} ${e.subject ?? '-'}`)
}

describe('an engine without security', () => {
  it('behaves as before and records the principal it was given', async () => {
    engine = createEngine({ store: new MemoryWorkflowStore(), workflows: [Report] })
    const run = await engine.start(Report, { month: 'nov' }, { principal: 'user:ada' })
    expect(await run.result()).toMatchObject({ outputs: { build: 'report nov' } })
    expect((await engine.listRuns()).map((r) => r.principal)).toEqual(['user:ada'])
    expect(await (await engine.start(Report, { month: 'dec' })).result()).toMatchObject({ outputs: { build: 'report dec' } })
  })
})

describe('the secure path: start', () => {
  it('refuses a start without a principal: nothing is created, one audit entry is written', async () => {
    const { engine, audit } = securedEngine()
    const refused = await engine.start(Report, { month: 'nov' }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AuthenticationError)
    expect((refused as AuthenticationError).reason).toBe('missing')
    expect(await engine.as(root).listRuns()).toEqual([])
    expect(lines(audit)).toEqual(['auth.failed denied -'])
  })

  it('refuses a principal without the permission (deny by default): nothing is created, one audit entry', async () => {
    const { engine, audit } = securedEngine()
    const refused = await engine.as(viewer).start(Report, { month: 'nov' }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AuthorizationError)
    expect((refused as AuthorizationError).message).toContain('"user:vi" may not start report')
    expect(await engine.as(root).listRuns()).toEqual([])
    expect(lines(audit)).toEqual(['run.start denied user:vi'])
    expect(audit.entries.find((e) => e.action === 'run.start')!.reason).toContain('start:report')
  })

  it('starts a run as an allowed principal, records who started it and audits the start with the run id', async () => {
    const { engine, audit } = securedEngine()
    const run = await engine.start(Report, { month: 'nov' }, { principal: ada })
    expect(await run.result()).toMatchObject({ outputs: { build: 'report nov' } })
    const [record] = await engine.as(root).listRuns()
    expect({ principal: record?.principal, tenant: record?.tenant, roles: record?.roles }).toEqual({ principal: 'user:ada', tenant: 'acme', roles: ['analyst'] })
    expect(lines(audit)).toEqual(['run.start succeeded user:ada'])
    expect(audit.entries.find((e) => e.action === 'run.start')!.runId).toBe(run.id)
  })

  it("checks the workflow's and its tasks' required permissions before creating the run", async () => {
    const { engine, audit } = securedEngine()
    const payer = principal({ subject: 'user:pam', roles: ['payer'] })
    expect(await (await engine.as(payer).start(Payout, { amount: 5 })).result()).toMatchObject({ outputs: { pay: 5 } })
    const broke = principal({ subject: 'user:bo', roles: ['broke-payer'] })
    const refused = await engine.as(broke).start(Payout, { amount: 5 }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AuthorizationError)
    expect(String((refused as Error).message)).toMatch(/deny rule "!?pay:money"/)
    expect((await engine.as(root).listRuns()).map((r) => r.principal)).toEqual(['user:pam'])
    expect(lines(audit)).toEqual(['run.start succeeded user:pam', 'run.start denied user:bo'])
  })

  it('refuses a malformed required permission when the workflow is registered', () => {
    const Bad = defineWorkflow({ name: 'bad', version: 1, requires: ['exec*:x'] }).task('a', () => 1).build()
    const { engine } = securedEngine()
    expect(() => engine.register(Bad)).toThrow(InvalidPermissionError)
    const Wild = defineWorkflow({ name: 'wild', version: 1 }).task('a', { requires: ['pay:*'] }, () => 1).build()
    expect(() => engine.register(Wild)).toThrow(/wildcards only grant/)
  })

  it('refuses a start over its per-principal limit: nothing is created, one audit entry', async () => {
    const taken: string[] = []
    const limits: PrincipalLimiter = {
      async take(who, operation) {
        taken.push(`${who.subject}:${operation}`)
        if (taken.length > 1) throw new RateLimitedError(`start of ${who.subject}`, 750)
      },
    }
    const { engine, audit } = securedEngine({ limits })
    await engine.as(ada).start(Report, { month: 'nov' })
    const refused = await engine.as(ada).start(Report, { month: 'dec' }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(RateLimitedError)
    expect((refused as RateLimitedError).retryAfterMs).toBe(750)
    expect(taken).toEqual(['user:ada:start', 'user:ada:start'])
    expect(await engine.as(root).listRuns()).toHaveLength(1)
    expect(lines(audit)).toEqual(['run.start succeeded user:ada', 'run.start denied user:ada'])
  })
})

describe('the secure path: credentials', () => {
  const keys: Authenticator = {
    async authenticate(credentials) {
      if (credentials.token === 'ada-key') return ada
      throw new AuthenticationError('invalid-credentials', 'unknown API key')
    },
  }

  it('authenticates credentials with the configured authenticator, and refuses bad ones without logging them', async () => {
    const { engine, audit } = securedEngine({ authenticator: keys })
    const run = await engine.as({ token: 'ada-key' }).start(Report, { month: 'nov' })
    expect((await engine.as(root).getRun(run.id))?.id).toBe(run.id)
    const refused = await engine.start(Report, { month: 'dec' }, { credentials: { token: 'stolen-secret-token' } }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AuthenticationError)
    expect(lines(audit)).toEqual(['auth.succeeded succeeded user:ada', 'run.start succeeded user:ada', 'auth.failed denied -'])
    expect(JSON.stringify(audit.entries)).not.toContain('stolen-secret-token')
    expect(JSON.stringify(audit.entries)).not.toContain('ada-key')
    expect(String(refused)).not.toContain('stolen-secret-token')
  })

  it("audits a token's successful authentication once per engine, not once per operation", async () => {
    const { engine, audit } = securedEngine({ authenticator: keys })
    const asAda = engine.as({ token: 'ada-key' })
    const run = await asAda.start(Report, { month: 'nov' })
    await asAda.getRun(run.id)
    await asAda.start(Report, { month: 'dec' })
    expect(lines(audit)).toEqual(['auth.succeeded succeeded user:ada', 'run.start succeeded user:ada', 'run.start succeeded user:ada'])
  })

  it("writes exactly one entry for a refused operation with a valid token: the refusal, not the token's authentication", async () => {
    const { engine, audit } = securedEngine({ authenticator: keys })
    const asAda = engine.as({ token: 'ada-key' })
    await expect(asAda.start(Payout, { amount: 1 })).rejects.toBeInstanceOf(AuthorizationError)
    expect(lines(audit)).toEqual(['run.start denied user:ada'])
    await asAda.start(Report, { month: 'nov' })
    expect(lines(audit)).toEqual(['run.start denied user:ada', 'auth.succeeded succeeded user:ada', 'run.start succeeded user:ada'])
  })

  it('refuses credentials when no authenticator is configured', async () => {
    const { engine } = securedEngine()
    await expect(engine.as({ token: 'x' }).start(Report, { month: 'nov' })).rejects.toBeInstanceOf(SecurityConfigError)
  })

  it("uses the policies registered in the engine's container (a user's own implementation replaces Weft's)", async () => {
    engine = createEngine({ store: new MemoryWorkflowStore(), workflows: [Report] })
    engine.container.register(securityTokens.authorizer, { useValue: { authorize: () => ({ allowed: false, reason: 'maintenance window' }) } })
    await expect(engine.as(root).start(Report, { month: 'nov' })).rejects.toThrow('maintenance window')
  })
})

describe('the secure path: object-level rules on runs', () => {
  it("lets a principal read, pause, resume, signal and cancel its own and its tenant's runs, never another tenant's", async () => {
    const { engine, audit } = securedEngine()
    const run = await engine.as(ada).start(Report, { month: 'nov' })
    // bob (another tenant) holds the same permissions but not this run.
    for (const attempt of [
      () => engine.as(bob).getRun(run.id),
      () => engine.as(bob).emit('approved', {}, { runId: run.id }),
    ]) {
      await expect(attempt()).rejects.toBeInstanceOf(AuthorizationError)
    }
    // A handle obtained by ada but used as bob cannot exist; a handle obtained as cy (same tenant) works.
    const asCy = await engine.as(cy).getRun(run.id)
    expect(asCy?.id).toBe(run.id)
    expect(await asCy!.pause()).toBe(true)
    expect(await asCy!.resume()).toBe(true)
    expect(await asCy!.cancel('not needed')).toBe(true)
    expect(lines(audit)).toEqual([
      'run.start succeeded user:ada',
      'run.read denied user:bob',
      'run.signal denied user:bob',
      'run.pause succeeded user:cy',
      'run.resume succeeded user:cy',
      'run.cancel succeeded user:cy',
    ])
  })

  it("refuses a handle's control operations to the caller that obtained it when it may not perform them", async () => {
    const { engine, audit } = securedEngine()
    const run = await engine.as(ada).start(Report, { month: 'nov' })
    // viewer may read every run of its tenant, not cancel one.
    const handle = await engine.as(viewer).getRun(run.id)
    await expect(handle!.cancel()).rejects.toBeInstanceOf(AuthorizationError)
    await expect(handle!.signal('approved', {})).rejects.toBeInstanceOf(AuthorizationError)
    expect(await run.result()).toMatchObject({ outputs: { build: 'report nov' } })
    expect(lines(audit).slice(1)).toEqual(['run.cancel denied user:vi', 'run.signal denied user:vi'])
  })

  it('lists only the runs a principal may read; an admin sees all', async () => {
    const { engine } = securedEngine()
    const mine = await engine.as(ada).start(Report, { month: 'nov' })
    const cys = await engine.as(cy).start(Report, { month: 'dec' })
    const bobs = await engine.as(bob).start(Report, { month: 'jan' })
    await Promise.all([mine.result(), cys.result(), bobs.result()])
    const ids = async (who: typeof ada) => (await engine.as(who).listRuns()).map((r) => r.id).sort()
    expect(await ids(ada)).toEqual([mine.id, cys.id].sort())
    expect(await ids(bob)).toEqual([bobs.id])
    expect(await ids(root)).toEqual([mine.id, cys.id, bobs.id].sort())
    await expect(engine.listRuns()).rejects.toBeInstanceOf(AuthenticationError)
  })

  it('refuses to say whether a run exists before the caller is authenticated', async () => {
    const { engine } = securedEngine()
    await expect(engine.getRun('no-such-run' as RunId)).rejects.toBeInstanceOf(AuthenticationError)
    expect(await engine.as(ada).getRun('no-such-run' as RunId)).toBeUndefined()
  })
})

describe('the secure path: emit', () => {
  it("checks the event's permission and the triggered workflows' start permissions, and records the emitter on the runs", async () => {
    const { engine } = securedEngine()
    await expect(engine.as(ada).emit('month.closed', { month: 'nov' })).rejects.toBeInstanceOf(AuthorizationError)
    expect(await engine.as(root).listRuns()).toEqual([])
    const emitter = principal({ subject: 'svc:ledger', roles: ['emitter'] })
    const result = await engine.as(emitter).emit('month.closed', { month: 'nov' })
    const [started] = result.startedOf(Report)
    expect(await started!.result()).toMatchObject({ outputs: { build: 'report nov' } })
    expect((await engine.as(root).listRuns()).map((r) => r.principal)).toEqual(['svc:ledger'])
  })
})

describe("a resumed run's tasks are re-checked against the principal recorded with it", () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it("fails a task whose requirement the starter's roles no longer grant, on the worker that executes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-secure-'))
    dirs.push(dir)
    const path = join(dir, 'weft.sqlite')
    // An API engine (executes nothing) admits the start under the old policy: payers may pay.
    const api = createEngine({ store: sqliteStore({ path }), claimRuns: false, security: { authorizer: rbac } })
    const payer = principal({ subject: 'user:pam', roles: ['payer'] })
    const run = await api.as(payer).start(Payout, { amount: 7 })
    // The worker runs under a new policy in which payers lost "pay:money".
    const stricter = new Rbac({ roles: { payer: ['start:payout', 'read:payout'] } })
    const audit = new MemoryAuditSink()
    engine = createEngine({ store: sqliteStore({ path }), workflows: [Payout], security: { authorizer: stricter, audit } })
    const outcome = await (await engine.as(payer).getRun(Payout, run.id))!.result().catch((e: unknown) => e)
    expect(String(outcome)).toContain('"user:pam" may not execute task "pay"')
    expect(lines(audit)).toEqual(['task.execute denied user:pam'])
    await api.close()
  })
})

describe("the store's audit log as the default audit sink", () => {
  it('writes each start with its audit entry, in one chain per engine that verifies', async () => {
    const store = new MemoryWorkflowStore()
    engine = createEngine({ store, workflows: [Report], security: { authorizer: rbac } })
    const run = await engine.as(ada).start(Report, { month: 'nov' })
    await engine.as(viewer).start(Report, { month: 'dec' }).catch(() => undefined)
    await run.result()
    const page = await store.audit.listAudit({})
    expect(page.entries.map((e) => `${e.action} ${e.outcome} ${e.subject ?? '-'} ${e.runId ?? '-'}`).reverse()).toEqual([
      'policy.changed succeeded - -',
      `run.start succeeded user:ada ${run.id}`,
      'run.start denied user:vi -',
    ])
    expect(new Set(page.entries.map((e) => e.chain))).toEqual(new Set([engine.workerId]))
    const report = await verifyAudit({ store: store.audit })
    expect(report.ok).toBe(true)
  })

  it('writes nothing when the run cannot be written: the audit entry of a start commits with the run', async () => {
    const store = new MemoryWorkflowStore()
    engine = createEngine({ store, workflows: [Report], security: { authorizer: rbac } })
    // An input the store cannot serialize fails inside createRun: the sealed entry is not stored with it.
    const cyclic: { month: string; self?: unknown } = { month: 'nov' }
    cyclic.self = cyclic
    await expect(engine.as(ada).start(Report, cyclic as { month: string })).rejects.toThrow()
    const actions = (await store.audit.listAudit({})).entries.map((e) => `${e.action} ${e.outcome}`)
    expect(actions).toEqual(['run.start failed', 'policy.changed succeeded'])
  })
})

describe('an idempotent start under an explicit run id', () => {
  it("returns the caller's own run again, and refuses an id that names a run of another tenant's principal", async () => {
    const { engine, audit } = securedEngine()
    const first = await engine.as(ada).start(Report, { month: 'nov' }, { runId: 'report-nov' as RunId })
    const again = await engine.as(ada).start(Report, { month: 'nov' }, { runId: 'report-nov' as RunId })
    expect(again.id).toBe(first.id)
    const stolen = await engine.as(bob).start(Report, { month: 'nov' }, { runId: 'report-nov' as RunId }).catch((e: unknown) => e)
    expect(stolen).toBeInstanceOf(AuthorizationError)
    expect(lines(audit)).toEqual(['run.start succeeded user:ada', 'run.start succeeded user:ada', 'run.start denied user:bob'])
  })

  it("spends no permit of the caller's start limit on a start refused for naming another principal's run", async () => {
    const taken: string[] = []
    const limits: PrincipalLimiter = { take: async (who, operation) => void taken.push(`${who.subject}:${operation}`) }
    const { engine } = securedEngine({ limits })
    await engine.as(ada).start(Report, { month: 'nov' }, { runId: 'report-nov' as RunId })
    await expect(engine.as(bob).start(Report, { month: 'nov' }, { runId: 'report-nov' as RunId })).rejects.toBeInstanceOf(AuthorizationError)
    expect(taken).toEqual(['user:ada:start'])
  })
})

describe('the secure path closes the gaps a review found', () => {
  it('lets only a principal who may steer every run broadcast an event (a broadcast reaches every tenant)', async () => {
    const { engine, audit } = securedEngine()
    const notifier = principal({ subject: 'svc:ledger', roles: ['notifier'] })
    await expect(engine.as(notifier).emit('approved', { by: 'eve' })).rejects.toThrow('may not admin *')
    expect(lines(audit)).toEqual(['event.emit denied svc:ledger'])
    const result = await engine.as(root).emit('month.closed', { month: 'dec' })
    expect(result.startedOf(Report)).toHaveLength(1)
  })

  it("audits and limits each run an event starts as the emitter's own start", async () => {
    const taken: string[] = []
    const limits: PrincipalLimiter = { take: async (who, operation) => void taken.push(`${who.subject}:${operation}`) }
    const { engine, audit } = securedEngine({ limits })
    const [run] = (await engine.as(root).emit('month.closed', { month: 'dec' })).startedOf(Report)
    await run!.result()
    expect(taken).toEqual(['user:root:emit', 'user:root:start'])
    expect(lines(audit)).toEqual(['run.start succeeded user:root', 'event.emit succeeded user:root'])
  })

  it('sends nothing when a start the event triggers is refused (its limit): no event, no run, the refusal audited', async () => {
    const store = new MemoryWorkflowStore()
    const audit = new MemoryAuditSink()
    const limits: PrincipalLimiter = {
      take: async (_who, operation) => {
        if (operation === 'start') throw new RateLimitedError('principal-limit:start', 30_000)
      },
    }
    engine = createEngine({ store, workflows: [Report], security: { authorizer: rbac, audit, limits } })
    await expect(engine.as(root).emit('month.closed', { month: 'dec' })).rejects.toBeInstanceOf(RateLimitedError)
    expect(await store.eventsAfter(0, 10)).toEqual([])
    expect(await store.listRuns()).toEqual([])
    expect(lines(audit)).toEqual(['run.start denied user:root', 'event.emit failed user:root'])
  })

  it('never lists a run the caller may not read, whatever its admin rights on other workflows', async () => {
    const strict = new Rbac({ roles: { auditor: ['admin:*', '!read:payout'], clerk: ['start:payout', 'read:payout', 'pay:money'] } })
    const audit = new MemoryAuditSink()
    engine = createEngine({ store: new MemoryWorkflowStore(), workflows: [Payout], security: { authorizer: strict, audit } })
    await (await engine.as(principal({ subject: 'user:pam', roles: ['clerk'] })).start(Payout, { amount: 1 })).result()
    expect(await engine.as(principal({ subject: 'user:aud', roles: ['auditor'] })).listRuns()).toEqual([])
  })

  it('turns security on for an authorizer registered after the engine opened (it never fails open)', async () => {
    engine = createEngine({ store: new MemoryWorkflowStore(), workflows: [Report] })
    await engine.ready
    engine.container.register(securityTokens.authorizer, { useValue: rbac })
    await expect(engine.start(Report, { month: 'nov' })).rejects.toBeInstanceOf(AuthenticationError)
  })

  it('refuses a durable store without an audit log unless an audit sink is given (entries kept in memory would be lost)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'weft-no-audit-'))
    try {
      const withoutAudit = () => {
        const store = sqliteStore({ path: join(folder, 'weft.db') })
        return new Proxy(store, { get: (target, key) => (key === 'audit' ? undefined : Reflect.get(target, key, target)) })
      }
      engine = createEngine({ store: withoutAudit(), workflows: [Report], security: { authorizer: rbac } })
      await expect(engine.ready).rejects.toThrow('this store keeps no audit log')
      await engine.close()
      const audit = new MemoryAuditSink()
      engine = createEngine({ store: withoutAudit(), workflows: [Report], security: { authorizer: rbac, audit } })
      await engine.as(ada).start(Report, { month: 'nov' })
      expect(lines(audit)).toEqual(['run.start succeeded user:ada'])
      await engine.close()
      engine = undefined
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })

  it('refuses a malformed hand-made principal before anything is recorded', async () => {
    const { engine, audit } = securedEngine()
    const forged = { subject: 'x\nrun.start succeeded root', roles: ['analyst'] }
    await expect(engine.as(forged).start(Report, { month: 'nov' })).rejects.toThrow('control character')
    expect(lines(audit)).toEqual(['auth.failed denied -'])
  })

  it('keeps an engine without security off a database a secured engine used', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-secured-db-'))
    try {
      const path = join(dir, 'weft.sqlite')
      const secured = createEngine({ store: sqliteStore({ path }), security: { authorizer: rbac } })
      await secured.ready
      await secured.close()
      const open = createEngine({ store: sqliteStore({ path }) })
      await expect(open.ready).rejects.toBeInstanceOf(SecurityConfigError)
      await open.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('starts under an explicit run id right after createEngine on a new SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-secured-id-'))
    try {
      engine = createEngine({ store: sqliteStore({ path: join(dir, 'weft.sqlite') }), workflows: [Report], security: { authorizer: rbac } })
      const run = await engine.as(ada).start(Report, { month: 'nov' }, { runId: 'first' as RunId })
      expect(run.id).toBe('first')
      await run.result()
      await engine.close()
      engine = undefined
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
