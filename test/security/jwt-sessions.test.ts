/**
 * Sessions behind JWT access tokens: a `SessionManager` signing with a
 * `JwtIssuer`, a `JwtAuthenticator` that checks each token's session (even
 * when the token's verification is cached), and a secured engine refusing a
 * logged-out session's token, on a real SQLite file shared by two store instances.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redacted } from 'effect'
import { afterEach, describe, expect, it } from 'vitest'
import { AuthenticationError, JwtAuthenticator, JwtIssuer, Rbac, SessionManager, createEngine, defineWorkflow, generateJwtKeys, principal, sqliteStore } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'

const dirs: string[] = []
const stores: WorkflowStore[] = []
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function openStore(path: string): Promise<WorkflowStore> {
  const store = sqliteStore({ path })
  await store.init()
  stores.push(store)
  return store
}

describe('JWT access tokens of sessions', () => {
  it('accepts a session token until the session is logged out in another process, cached verification or not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-jwt-sessions-'))
    dirs.push(dir)
    const path = join(dir, 'weft.sqlite')
    const keys = await generateJwtKeys('EdDSA')
    const issuer = new JwtIssuer({ privateKey: keys.privateKey, kid: keys.kid, algorithm: 'EdDSA', issuer: 'https://auth.test', audience: 'weft' })
    // The login service and the API run as two processes on one database: two store instances.
    const loginSide = new SessionManager({ store: (await openStore(path)).sessions!, signer: issuer.sessionSigner() })
    const apiSessions = new SessionManager({ store: (await openStore(path)).sessions!, signer: issuer.sessionSigner(), revocationCacheTtl: 0 })
    const authenticator = new JwtAuthenticator({ algorithms: ['EdDSA'], issuer: 'https://auth.test', audience: 'weft', keys: keys.publicJwks, sessions: apiSessions })
    const ada = principal({ subject: 'user:ada', roles: ['analyst'], tenant: 'acme' })
    const tokens = await loginSide.login(ada)
    const token = Redacted.value(tokens.accessToken)
    expect(await authenticator.authenticate({ token })).toMatchObject({ subject: 'user:ada', roles: ['analyst'], tenant: 'acme' })
    expect(await authenticator.authenticate({ token })).toMatchObject({ subject: 'user:ada' })
    expect(authenticator.stats().cacheHits).toBe(1)

    await loginSide.logout({ refreshToken: tokens.refreshToken })
    const refused = await authenticator.authenticate({ token }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AuthenticationError)
    expect((refused as AuthenticationError).reason).toBe('revoked')
    expect(String(refused)).not.toContain(token.slice(-20))

    // The engine's secure path refuses the logged-out token and starts nothing.
    const Report = defineWorkflow({ name: 'report', version: 1 }).task('build', () => 'built').build()
    const engine = createEngine({ store: await openStore(path), workflows: [Report], security: { authorizer: new Rbac({ roles: { analyst: ['start:report'] } }), authenticator } })
    await expect(engine.as({ token }).start(Report)).rejects.toMatchObject({ reason: 'revoked' })
    const fresh = await loginSide.login(ada)
    const run = await engine.as({ token: fresh.accessToken }).start(Report)
    expect((await run.result()).output('build')).toBe('built')
    await engine.close()
  })
})
