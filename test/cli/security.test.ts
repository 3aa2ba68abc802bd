/**
 * The CLI under security, the built `weft` in its own process on a real SQLite
 * file: a database whose store records security refuses every command without
 * --config (exit 2, before reading runs); with --config and --token the run
 * commands go through the engine's secure path as the token's principal, so a
 * user cannot show, cancel, resume or signal another user's run, and a listing
 * holds only the runs the caller may read. Tokens never appear in the output.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, generateJwtKeys, JwtIssuer, principal, Rbac, sqliteStore } from 'weft-sdk'
import { readSecuritySetting, type WorkflowStore } from '../../src/store.js'
import { postgresStore } from '../../src/postgres.js'
import { createTestDatabase, describePostgres, type TestDatabase } from '../support/postgres.js'
import { createModuleFolder, runWeft, startWeft, type ModuleFolder, type WeftResult } from '../support/weft-cli.js'

const iss = 'https://auth.test'
const aud = 'weft-cli'
const roles = { admin: ['*'], analyst: ['start:report', 'read:report', 'cancel:report', 'pause:report', 'resume:report', 'signal:report'] }
const Report = defineWorkflow<{ month: string }>({ name: 'report', version: 1 }).task('build', (input) => input.month).build()

/** The config module: the same Rbac as the application, a JwtAuthenticator on the public keys, an audit sink appending JSON lines. */
function configSource(publicJwks: unknown): string {
  return `import { appendFileSync } from 'node:fs'
import { JwtAuthenticator, Rbac } from 'weft-sdk'
import { defineCliConfig } from 'weft-sdk/cli'
const audit = { record: async (entry) => appendFileSync(new URL('./audit.jsonl', import.meta.url), JSON.stringify(entry) + '\\n') }
export default defineCliConfig({
  security: {
    authorizer: new Rbac({ roles: ${JSON.stringify(roles)} }),
    authenticator: new JwtAuthenticator({ algorithms: ['EdDSA'], issuer: '${iss}', audience: '${aud}', keys: ${JSON.stringify(publicJwks)} }),
    audit,
  },
})
`
}

type User = 'alice' | 'bob' | 'root'

/** A folder with the config module and a workflow module, and a token per user. */
async function prepareFolder(): Promise<{ folder: ModuleFolder; tokens: Record<User, string> }> {
  const folder = createModuleFolder('weft-cli-security-')
  const keys = await generateJwtKeys('EdDSA')
  folder.write('weft.config.mjs', configSource(keys.publicJwks))
  folder.write('report.mjs', `import { defineWorkflow } from 'weft-sdk'\nexport const Report = defineWorkflow({ name: 'report', version: 1 }).task('build', (input) => input.month).build()\n`)
  const issuer = new JwtIssuer({ privateKey: keys.privateJwk, kid: keys.kid, algorithm: 'EdDSA', issuer: iss, audience: aud })
  return {
    folder,
    tokens: {
      alice: await issuer.issue({ subject: 'user:alice', roles: ['analyst'] }),
      bob: await issuer.issue({ subject: 'user:bob', roles: ['analyst'] }),
      root: await issuer.issue({ subject: 'ops:root', roles: ['admin'] }),
    },
  }
}

/** Starts a run of alice and one of bob through an API engine (it claims no runs: they stay pending) with the application's security, which records it in the store. */
async function startRuns(store: WorkflowStore): Promise<Record<'alice' | 'bob', string>> {
  const engine = createEngine({ store, claimRuns: false, security: { authorizer: new Rbac({ roles }) } })
  const alice = (await engine.as(principal({ subject: 'user:alice', roles: ['analyst'] })).start(Report, { month: '2026-11' })).id
  const bob = (await engine.as(principal({ subject: 'user:bob', roles: ['analyst'] })).start(Report, { month: '2026-12' })).id
  expect((await readSecuritySetting(store.settings))?.enabled).toBe(true)
  await engine.close()
  return { alice, bob }
}

/** Every 12-character window of the token: none may appear in what the CLI printed. */
function expectNoToken(result: WeftResult, token: string): void {
  const printed = result.stdout + result.stderr
  for (let i = 0; i + 12 <= token.length; i += 6) expect(printed).not.toContain(token.slice(i, i + 12))
}

describe('weft on a SQLite database with security enabled', () => {
  let folder: ModuleFolder
  let tokens: Record<User, string>
  let runs: Record<'alice' | 'bob', string>
  const weft = async (args: readonly string[], who?: keyof typeof tokens): Promise<WeftResult> => {
    const result = await runWeft([...args, '--database', 'weft.sqlite', ...(who === undefined ? [] : ['--config', 'weft.config.mjs', '--token', tokens[who]])], folder.path)
    for (const token of Object.values(tokens)) expectNoToken(result, token)
    return result
  }
  const statusOf = async (runId: string): Promise<string> => {
    const shown = await weft(['runs', 'show', runId, '--json'], 'root')
    expect(shown.code, shown.stderr).toBe(0)
    return (JSON.parse(shown.stdout) as { run: { status: string } }).run.status
  }
  const auditLines = (): { action: string; outcome: string; subject?: string; runId?: string }[] => {
    const file = join(folder.path, 'audit.jsonl')
    // Each CLI process audits the token it was given once (auth.succeeded): the operations' entries are what these tests read.
    const entries = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { action: string }) : []
    return entries.filter((entry) => entry.action !== 'auth.succeeded') as never[]
  }

  beforeAll(async () => {
    ;({ folder, tokens } = await prepareFolder())
    const store = sqliteStore({ path: join(folder.path, 'weft.sqlite') })
    runs = await startRuns(store)
    await store.close()
  })
  afterAll(() => folder.remove())

  it('refuses every command without --config with exit code 2, naming the fix', async () => {
    for (const args of [['runs', 'list'], ['runs', 'show', runs.alice], ['runs', 'cancel', runs.alice], ['runs', 'resume', runs.alice], ['runs', 'signal', runs.alice, 'go', '1'], ['status'], ['analyze', 'report.mjs', 'Report']]) {
      const result = await weft(args)
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2)
      expect(result.stderr).toContain('has security enabled')
      expect(result.stderr).toContain('pass --config <file> (and --token <jwt>)')
      expect(result.stdout).toBe('')
    }
    expect(await statusOf(runs.alice)).toBe('pending')
  })

  it('lists only the caller\'s runs for a user, and every run for an admin', async () => {
    const list = async (who: keyof typeof tokens) => {
      const result = await weft(['runs', 'list', '--json'], who)
      expect(result.code, result.stderr).toBe(0)
      return (JSON.parse(result.stdout) as { runs: { id: string }[] }).runs.map((run) => run.id).sort()
    }
    expect(await list('alice')).toEqual([runs.alice])
    expect(await list('bob')).toEqual([runs.bob])
    expect(await list('root')).toEqual([runs.alice, runs.bob].sort())
  })

  it('lets a user show their own run but not another user\'s', async () => {
    const own = await weft(['runs', 'show', runs.bob], 'bob')
    expect(own.code, own.stderr).toBe(0)
    expect(own.stdout).toContain('user:bob')
    const other = await weft(['runs', 'show', runs.bob], 'alice')
    expect(other.code).toBe(1)
    expect(other.stderr).toContain(`"user:alice" may not read run ${runs.bob} of report`)
    expect(other.stdout).toBe('')
  })

  it("analyzes as the caller: traces a user's own run, refuses another user's", async () => {
    const own = await weft(['analyze', 'report.mjs', 'Report', '--format', 'json', '--trace', runs.alice, '--out', 'alice.trace.json'], 'alice')
    expect(own.code, own.stderr).toBe(0)
    expect(JSON.parse(own.stdout)).toMatchObject({ workflow: 'report', version: 1 })
    expect(JSON.parse(readFileSync(join(folder.path, 'alice.trace.json'), 'utf8'))).toHaveProperty('traceEvents')
    const other = await weft(['analyze', 'report.mjs', 'Report', '--trace', runs.bob, '--out', 'bob.trace.json'], 'alice')
    expect(other.code).toBe(1)
    expect(other.stderr).toContain(`"user:alice" may not read run ${runs.bob} of report`)
    expect(other.stdout).toBe('')
    expect(existsSync(join(folder.path, 'bob.trace.json'))).toBe(false)
  })

  it('refuses to cancel, resume or signal another user\'s run, audits each refusal, and changes nothing', async () => {
    const before = auditLines().length
    for (const args of [['runs', 'cancel', runs.bob], ['runs', 'resume', runs.bob], ['runs', 'signal', runs.bob, 'approved', '{"by":"alice"}']]) {
      const result = await weft(args, 'alice')
      expect(result.code, args.join(' ')).toBe(1)
      expect(result.stderr).toMatch(/"user:alice" may not \w+ run .+ of report/)
    }
    const denied = auditLines().slice(before)
    expect(denied.map((entry) => [entry.outcome, entry.subject, entry.runId])).toEqual(Array(3).fill(['denied', 'user:alice', runs.bob]))
    expect(await statusOf(runs.bob)).toBe('pending')
  })

  it('lets a user signal, resume and cancel their own run', async () => {
    const signal = await weft(['runs', 'signal', runs.bob, 'approved', '{"by":"bob"}'], 'bob')
    expect(signal.code, signal.stderr).toBe(0)
    expect(signal.stdout).toMatch(new RegExp(`^sent event "approved" \\(id \\d+\\) to run ${runs.bob}`))
    const resume = await weft(['runs', 'resume', runs.bob], 'bob')
    expect(resume.code, resume.stderr).toBe(0)
    expect(resume.stdout).toContain('is pending, not paused; nothing to resume')
    const cancel = await weft(['runs', 'cancel', runs.bob], 'bob')
    expect(cancel.code, cancel.stderr).toBe(0)
    expect(cancel.stdout).toContain(`cancelled run ${runs.bob}`)
    expect(await statusOf(runs.bob)).toBe('cancelled')
    expect(auditLines().filter((entry) => entry.subject === 'user:bob').map((entry) => `${entry.action} ${entry.outcome}`)).toEqual([
      // A pending run has nothing to resume: the command asks nothing of the engine, so there is nothing to audit.
      'run.signal succeeded',
      'run.cancel succeeded',
    ])
  })

  it('refuses a worker without --config (exit 2); with it, the worker claims and completes a user\'s run', async () => {
    const refused = await weft(['worker', '--module', 'report.mjs'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('pass --config <file> (and --token <jwt>)')
    const worker = startWeft(['worker', '--module', 'report.mjs', '--database', 'weft.sqlite', '--config', 'weft.config.mjs'], folder.path)
    await worker.waitForLine(new RegExp(`completed\\b.*${runs.alice}|${runs.alice}.*completed`), 30_000)
    worker.child.kill('SIGTERM')
    expect((await worker.exited).code).toBe(0)
    expect(await statusOf(runs.alice)).toBe('completed')
  })

  it('reads the audit log only with --config and read:audit: refused without it (exit 2), denied to a user, allowed to an admin', async () => {
    expect((await weft(['audit', 'list'])).code).toBe(2)
    const denied = await weft(['audit', 'list'], 'alice')
    expect(denied.code).toBe(1)
    expect(denied.stderr).toContain('"user:alice" may not read audit')
    expect(auditLines().at(-1)).toMatchObject({ action: 'audit.read', outcome: 'denied', subject: 'user:alice' })
    const allowed = await weft(['audit', 'list', '--json'], 'root')
    expect(allowed.code, allowed.stderr).toBe(0)
    expect(JSON.parse(allowed.stdout)).toMatchObject({ entries: expect.any(Array) })
  })

  it('shows key usage only to read:keys and rotates keys only for admin:keys, auditing the rotation in the store', async () => {
    expect((await weft(['keys', 'status'])).code).toBe(2)
    const denied = await weft(['keys', 'status', '--json'], 'alice')
    expect(denied.code).toBe(1)
    expect(denied.stderr).toContain('may not read keys')
    expect(auditLines().at(-1)).toMatchObject({ action: 'keys.status', outcome: 'denied', subject: 'user:alice' })
    const rotateDenied = await weft(['keys', 'rotate'], 'alice')
    expect(rotateDenied.code).toBe(1)
    expect(rotateDenied.stderr).toContain('may not admin keys')
    const status = await weft(['keys', 'status', '--json'], 'root')
    expect(status.code, status.stderr).toBe(0)
    // The config gives no codec: the admin passes authorization, then the command says what it lacks.
    const rotate = await weft(['keys', 'rotate'], 'root')
    expect(rotate.code).toBe(2)
    expect(rotate.stderr).toContain('gives no codec')
  })

  it('refuses a config without an authorizer (exit 1) and --token with a config that has no authenticator (exit 2)', async () => {
    folder.write('open.config.mjs', `export default { security: {} }\n`)
    const open = await runWeft(['runs', 'list', '--database', 'weft.sqlite', '--config', 'open.config.mjs'], folder.path)
    expect(open.code).toBe(1)
    expect(open.stderr).toContain('security.authorizer is required')
    folder.write('principal.config.mjs', `import { principal, Rbac } from 'weft-sdk'\nexport const weft = { security: { authorizer: new Rbac({ roles: ${JSON.stringify(roles)} }) }, principal: principal({ subject: 'user:alice', roles: ['analyst'] }) }\n`)
    const token = await runWeft(['runs', 'list', '--database', 'weft.sqlite', '--config', 'principal.config.mjs', '--token', tokens.bob], folder.path)
    expect(token.code).toBe(2)
    expect(token.stderr).toContain('has no authenticator')
    expectNoToken(token, tokens.bob)
    // The config's own principal, without --token: alice sees her run only.
    const asPrincipal = await runWeft(['runs', 'list', '--database', 'weft.sqlite', '--config', 'principal.config.mjs', '--json'], folder.path)
    expect(asPrincipal.code, asPrincipal.stderr).toBe(0)
    expect((JSON.parse(asPrincipal.stdout) as { runs: { id: string }[] }).runs.map((run) => run.id)).toEqual([runs.alice])
  })

  it('refuses a bad token (exit 1) without printing it, and --token without --config (exit 2)', async () => {
    const forged = `${tokens.alice.slice(0, -4)}AAAA`
    const bad = await runWeft(['runs', 'list', '--database', 'weft.sqlite', '--config', 'weft.config.mjs', '--token', forged], folder.path)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/authentication failed \(signature\)/)
    expectNoToken(bad, forged)
    expect(bad.stdout).toBe('')
    const noConfig = await runWeft(['runs', 'list', '--database', 'weft.sqlite', '--token', tokens.alice], folder.path)
    expect(noConfig.code).toBe(2)
    expect(noConfig.stderr).toContain('--token needs --config <file>')
    expectNoToken(noConfig, tokens.alice)
  })

  it('turns security off only for an admin (audited), after which commands run without --config', async () => {
    const denied = await weft(['security', 'disable'], 'alice')
    expect(denied.code).toBe(1)
    expect(denied.stderr).toContain('"user:alice" may not admin security')
    expect((await weft(['runs', 'list'])).code).toBe(2)
    const done = await weft(['security', 'disable'], 'root')
    expect(done.code, done.stderr).toBe(0)
    expect(done.stdout).toContain('security disabled in weft.sqlite by ops:root')
    expect(auditLines().slice(-2).map((entry) => `${entry.action} ${entry.outcome} ${entry.subject}`)).toEqual(['security.disable denied user:alice', 'security.disable succeeded ops:root'])
    const open = await weft(['runs', 'list', '--json'])
    expect(open.code, open.stderr).toBe(0)
    expect((JSON.parse(open.stdout) as { runs: unknown[] }).runs).toHaveLength(2)
  })
})

describePostgres('weft on a PostgreSQL database with security enabled', () => {
  let folder: ModuleFolder
  let tokens: Record<User, string>
  let runs: Record<'alice' | 'bob', string>
  let database: TestDatabase
  const weft = (args: readonly string[], who?: User): Promise<WeftResult> =>
    runWeft([...args, '--database', database.url, ...(who === undefined ? [] : ['--config', 'weft.config.mjs', '--token', tokens[who]])], folder.path)

  beforeAll(async () => {
    ;({ folder, tokens } = await prepareFolder())
    database = await createTestDatabase()
    const store = postgresStore({ connectionString: database.url, maxConnections: 2 })
    runs = await startRuns(store)
    await store.close()
  })
  afterAll(async () => {
    await database.drop()
    folder.remove()
  })

  it('refuses a command without --config (exit 2), lists only the caller\'s runs and refuses another user\'s run', async () => {
    const refused = await weft(['runs', 'list'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('pass --config <file> (and --token <jwt>)')
    const listed = await weft(['runs', 'list', '--json'], 'alice')
    expect(listed.code, listed.stderr).toBe(0)
    expect((JSON.parse(listed.stdout) as { runs: { id: string }[] }).runs.map((run) => run.id)).toEqual([runs.alice])
    const cancel = await weft(['runs', 'cancel', runs.bob], 'alice')
    expect(cancel.code).toBe(1)
    expect(cancel.stderr).toContain('"user:alice" may not')
    const own = await weft(['runs', 'cancel', runs.bob], 'bob')
    expect(own.code, own.stderr).toBe(0)
    for (const result of [refused, listed, cancel, own]) for (const token of Object.values(tokens)) expectNoToken(result, token)
  })
})
