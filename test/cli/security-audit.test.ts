/**
 * The CLI's own security decisions in the store's audit log: with a --config
 * that names no audit sink, a refused caller of `weft audit`, a token that
 * does not verify and `weft security disable` each leave their entry in the
 * store's hash-chained log (a chain of the CLI process, signed at its close
 * with the config's checkpoint signer), which `weft audit verify` checks.
 * The built `weft` in its own process on a real SQLite file.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuditSigner, FileCheckpointSink, createEngine, generateAuditKeys, generateJwtKeys, JwtIssuer, Rbac, sqliteStore } from 'weft-sdk'
import { readSecuritySetting, type AuditEntry } from '../../src/store.js'
import { createModuleFolder, runWeft, type ModuleFolder, type WeftResult } from '../support/weft-cli.js'

const iss = 'https://auth.test'
const aud = 'weft-cli'
const roles = { admin: ['*'], analyst: ['read:report', 'start:report'] }

/** The config module: Rbac and a JwtAuthenticator, no audit sink, and signed checkpoints of the store's audit log. */
function configSource(publicJwks: unknown, auditPrivateKey: string): string {
  return `import { fileURLToPath } from 'node:url'
import { AuditSigner, FileCheckpointSink, JwtAuthenticator, Rbac } from 'weft-sdk'
import { defineCliConfig } from 'weft-sdk/cli'
export default defineCliConfig({
  security: {
    authorizer: new Rbac({ roles: ${JSON.stringify(roles)} }),
    authenticator: new JwtAuthenticator({ algorithms: ['EdDSA'], issuer: '${iss}', audience: '${aud}', keys: ${JSON.stringify(publicJwks)} }),
    auditLog: { signer: new AuditSigner(${JSON.stringify(auditPrivateKey)}), checkpoints: new FileCheckpointSink(fileURLToPath(new URL('./checkpoints.jsonl', import.meta.url))) },
  },
})
`
}

/** Every 12-character window of the token: none may appear in `text`. */
function expectNoToken(text: string, token: string): void {
  for (let i = 0; i + 12 <= token.length; i += 6) expect(text).not.toContain(token.slice(i, i + 12))
}

describe("the CLI's security decisions in the store's audit log (a --config without an audit sink)", () => {
  let folder: ModuleFolder
  let tokens: Record<'alice' | 'root', string>
  const database = () => join(folder.path, 'weft.sqlite')
  const weft = (args: readonly string[], token: string): Promise<WeftResult> =>
    runWeft([...args, '--database', 'weft.sqlite', '--config', 'weft.config.mjs', '--token', token], folder.path)
  const storeEntries = async (): Promise<AuditEntry[]> => {
    const store = sqliteStore({ path: database(), readOnly: true })
    await store.init()
    try {
      return [...(await store.audit.listAudit({ limit: 1000 })).entries].reverse()
    } finally {
      await store.close()
    }
  }
  /** The entries `command` adds to the store's log. */
  const entriesAddedBy = async (command: () => Promise<WeftResult>): Promise<{ result: WeftResult; added: AuditEntry[] }> => {
    const before = new Set((await storeEntries()).map((entry) => entry.hash))
    const result = await command()
    return { result, added: (await storeEntries()).filter((entry) => !before.has(entry.hash)) }
  }

  beforeAll(async () => {
    folder = createModuleFolder('weft-cli-security-audit-')
    const jwtKeys = await generateJwtKeys('EdDSA')
    const auditKeys = generateAuditKeys()
    folder.write('weft.config.mjs', configSource(jwtKeys.publicJwks, auditKeys.privateKey))
    folder.write('audit.pub.pem', auditKeys.publicKey)
    const issuer = new JwtIssuer({ privateKey: jwtKeys.privateJwk, kid: jwtKeys.kid, algorithm: 'EdDSA', issuer: iss, audience: aud })
    tokens = { alice: await issuer.issue({ subject: 'user:alice', roles: ['analyst'] }), root: await issuer.issue({ subject: 'ops:root', roles: ['admin'] }) }
    const store = sqliteStore({ path: database() })
    // The engine that enables security audits it (policy.changed) in a chain of its own, checkpointed like the CLI's.
    const auditLog = { signer: new AuditSigner(auditKeys.privateKey), checkpoints: new FileCheckpointSink(join(folder.path, 'checkpoints.jsonl')) }
    const engine = createEngine({ store, claimRuns: false, security: { authorizer: new Rbac({ roles }), auditLog } })
    await engine.ready
    await engine.close()
    const reader = sqliteStore({ path: database(), readOnly: true })
    await reader.init()
    expect((await readSecuritySetting(reader.settings))?.enabled).toBe(true)
    await reader.close()
  })
  afterAll(() => folder.remove())

  it("records a refused read of the audit log as one audit.read entry denied to the caller, in a chain of the CLI's", async () => {
    const { result, added } = await entriesAddedBy(() => weft(['audit', 'list'], tokens.alice))
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('"user:alice" may not read audit')
    expect(result.stdout).toBe('')
    expect(added).toEqual([expect.objectContaining({ action: 'audit.read', outcome: 'denied', subject: 'user:alice', resource: 'audit', chain: expect.stringMatching(/^weft-cli:\d+:/) })])
    expectNoToken(JSON.stringify(added) + result.stderr, tokens.alice)
  })

  it('records a token that does not verify as one auth.failed entry with the failure, never the token', async () => {
    const forged = `${tokens.root.slice(0, -4)}AAAA`
    const { result, added } = await entriesAddedBy(() => weft(['audit', 'list', '--json'], forged))
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/authentication failed \(signature\)/)
    expect(result.stdout).toBe('')
    // No subject: none could be established.
    expect(added).toEqual([expect.objectContaining({ action: 'auth.failed', outcome: 'denied', subject: null, resource: 'audit', reason: expect.stringMatching(/^signature: /) })])
    expectNoToken(JSON.stringify(added) + result.stderr, forged)
  })

  it('records a token that does not verify on a run command once too (the engine\'s secure path)', async () => {
    const forged = `${tokens.alice.slice(0, -4)}AAAA`
    const { result, added } = await entriesAddedBy(() => weft(['runs', 'list'], forged))
    expect(result.code).toBe(1)
    expect(added.map((entry) => `${entry.action} ${entry.outcome} ${entry.subject}`)).toEqual(['auth.failed denied null'])
    expectNoToken(JSON.stringify(added) + result.stderr, forged)
  })

  it('lets an admin read the entries back with weft audit list --json', async () => {
    const listed = await weft(['audit', 'list', '--json', '--outcome', 'denied'], tokens.root)
    expect(listed.code, listed.stderr).toBe(0)
    const { entries } = JSON.parse(listed.stdout) as { entries: AuditEntry[] }
    expect(entries.map((entry) => `${entry.action} ${entry.subject ?? '-'}`)).toEqual(['auth.failed -', 'auth.failed -', 'audit.read user:alice'])
    for (const token of Object.values(tokens)) expectNoToken(listed.stdout, token)
  })

  it('records a refused and a done weft security disable in the store, though the config has no audit sink', async () => {
    const denied = await entriesAddedBy(() => weft(['security', 'disable'], tokens.alice))
    expect(denied.result.code).toBe(1)
    expect(denied.added.map((entry) => `${entry.action} ${entry.outcome} ${entry.subject}`)).toEqual(['security.disable denied user:alice'])
    const done = await entriesAddedBy(() => weft(['security', 'disable'], tokens.root))
    expect(done.result.code, done.result.stderr).toBe(0)
    expect(done.result.stdout).toContain('security disabled in weft.sqlite by ops:root')
    expect(done.added).toEqual([expect.objectContaining({ action: 'security.disable', outcome: 'succeeded', subject: 'ops:root', resource: 'security' })])
  })

  it("verifies every chain the CLI's processes wrote against the checkpoints each signed at its close", async () => {
    const chains = new Set((await storeEntries()).map((entry) => entry.chain))
    // Four chains of the CLI (audit list twice, security disable twice), one of the engine of runs list, one of the
    // engine that enabled security.
    expect([...chains].filter((chain) => chain.startsWith('weft-cli:'))).toHaveLength(4)
    expect(chains.size).toBe(6)
    const result = await weft(['audit', 'verify', '--checkpoints', 'checkpoints.jsonl', '--public-key', 'audit.pub.pem', '--json'], tokens.root)
    expect(result.code, result.stdout + result.stderr).toBe(0)
    const report = JSON.parse(result.stdout) as { ok: boolean; chains: { chain: string; entries: number; checkpointed?: number }[]; checkpoints: { given: number; valid: number } }
    expect(report.ok).toBe(true)
    expect(report.chains.map((chain) => chain.chain).sort()).toEqual([...chains].sort())
    expect(report.chains.every((chain) => chain.checkpointed === chain.entries - 1)).toBe(true)
    expect(report.checkpoints).toMatchObject({ given: 6, valid: 6 })
  })
})
