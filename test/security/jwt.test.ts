// The JWT security battery: every way a token can be wrong is refused with its exact reason, and neither the error
// (message, JSON, inspect output) nor the onRejected hook ever holds the token or a piece of it. Then the remote
// JWKS (rotation by kid, cooldown, a server down), the verification cache, and the configuration's refusals.
import { exportSPKI, importJWK, SignJWT, type CryptoKey } from 'jose'
import { Redacted } from 'effect'
import { inspect } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { AuthenticationError, SecurityConfigError, type AuthenticationFailure } from '../../src/core/security-errors.js'
import { JwtAuthenticator } from '../../src/security/jwt-authenticator.js'
import { generateJwtKeys, JwtIssuer, type JwtKeyPair } from '../../src/security/jwt-issuer.js'
import type { JwtAuthenticatorOptions } from '../../src/security/jwt-options.js'
import { craftToken, expectRefused, flipBit, hmacSigner, indexInPart, manualClock, rejectionLog, startJwksServer, t0 } from './jwt-fixtures.js'

const iss = 'https://auth.example.com'
const aud = 'weft'
let ed: JwtKeyPair
let rsa: JwtKeyPair

beforeAll(async () => {
  ed = await generateJwtKeys('EdDSA', { kid: 'ed-1' })
  rsa = await generateJwtKeys('RS256', { kid: 'rsa-1' })
})

function setup(overrides: Partial<JwtAuthenticatorOptions> = {}) {
  const clock = manualClock()
  const log = rejectionLog()
  const authenticator = new JwtAuthenticator({ algorithms: ['EdDSA'], issuer: iss, audience: aud, keys: ed.publicJwks, now: clock.now, onRejected: log.hook, ...overrides })
  const issuer = new JwtIssuer({ privateKey: ed.privateKey, kid: ed.kid, algorithm: 'EdDSA', issuer: iss, audience: aud, lifetime: '10 m', now: clock.now })
  return { clock, log, authenticator, issuer, auth: (token: string) => authenticator.authenticate({ token }) }
}

/** A token signed with the Ed25519 key and the given header and claims (nothing added). */
function signed(header: Record<string, unknown>, claims: Record<string, unknown>, key: JwtKeyPair = ed): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey)
}

const seconds = (ms: number) => Math.floor(ms / 1000)
const validClaims = () => ({ iss, aud, sub: 'user:ada', iat: seconds(t0), nbf: seconds(t0), exp: seconds(t0) + 600 })

describe('JwtAuthenticator: a valid token', () => {
  it('turns a token into a principal with the subject, roles, tenant and claims', async () => {
    const { issuer, authenticator } = setup()
    const token = await issuer.issue({ subject: 'user:ada', roles: ['analyst', 'admin'], tenant: 'acme', claims: { email: 'ada@example.com' } })
    const ada = await authenticator.authenticate({ token: Redacted.make(token) })
    expect({ subject: ada.subject, roles: ada.roles, tenant: ada.tenant, email: ada.claims?.['email'], iss: ada.claims?.['iss'] }).toEqual({
      subject: 'user:ada',
      roles: ['analyst', 'admin'],
      tenant: 'acme',
      email: 'ada@example.com',
      iss,
    })
    expect(Object.isFrozen(ada.claims?.['roles'])).toBe(true)
  })

  it('reads roles from a space-separated string and from renamed claims', async () => {
    const { auth } = setup({ rolesClaim: 'scope', tenantClaim: 'org' })
    const principal = await auth(await signed({}, { ...validClaims(), scope: 'read write', org: 'acme' }))
    expect([principal.roles, principal.tenant]).toEqual([['read', 'write'], 'acme'])
  })

  it('accepts any of several configured issuers and audiences', async () => {
    const { auth } = setup({ issuer: ['https://old.example.com', iss], audience: ['billing', aud] })
    await expect(auth(await signed({}, { ...validClaims(), aud: ['reports', aud] }))).resolves.toMatchObject({ subject: 'user:ada' })
  })

  it('requires nbf unless requireNotBefore is false', async () => {
    const { auth, log } = setup()
    const { nbf: _nbf, ...claims } = validClaims()
    const token = await signed({}, claims)
    expect((await expectRefused(auth(token), 'claim', token, log)).detail).toContain('"nbf" is missing')
    await expect(setup({ requireNotBefore: false }).auth(token)).resolves.toMatchObject({ subject: 'user:ada' })
  })
})

describe('JwtAuthenticator: the security battery', () => {
  it('refuses alg "none" (hand-crafted, empty signature) as an algorithm', async () => {
    const { auth, log } = setup()
    const token = craftToken({ alg: 'none', typ: 'JWT' }, validClaims())
    await expectRefused(auth(token), 'algorithm', token, log)
  })

  it('refuses an algorithm the configuration does not pin, even with a valid signature', async () => {
    const { auth, log } = setup()
    const token = await signed({}, validClaims(), rsa)
    await expectRefused(auth(token), 'algorithm', token, log)
  })

  it('refuses RS/HS key confusion: HS256 signed with the RSA public key as the secret', async () => {
    const { log, authenticator } = setup({ algorithms: ['RS256'], keys: rsa.publicJwks })
    const pem = await exportSPKI((await importJWK(rsa.publicJwk, 'RS256')) as CryptoKey)
    for (const secret of [pem, Buffer.from(JSON.stringify(rsa.publicJwk))]) {
      const token = craftToken({ alg: 'HS256', typ: 'JWT', kid: rsa.kid }, validClaims(), hmacSigner(secret))
      await expectRefused(authenticator.authenticate({ token }), 'algorithm', token, log)
    }
  })

  it('refuses an expired token', async () => {
    const { auth, log, clock, issuer } = setup()
    const token = await issuer.issue({ subject: 'user:ada' })
    clock.advance(11 * 60_000)
    await expectRefused(auth(token), 'expired', token, log)
  })

  it('refuses a token whose nbf is in the future', async () => {
    const { auth, log } = setup()
    const token = await signed({}, { ...validClaims(), nbf: seconds(t0) + 120 })
    await expectRefused(auth(token), 'not-yet-valid', token, log)
  })

  it('refuses a token issued in the future beyond the skew, and an iat that is not a number', async () => {
    const { auth, log } = setup()
    await expect(auth(await signed({}, { ...validClaims(), iat: seconds(t0) + 25 }))).resolves.toMatchObject({ subject: 'user:ada' })
    const ahead = await signed({}, { ...validClaims(), iat: seconds(t0) + 120 })
    await expectRefused(auth(ahead), 'not-yet-valid', ahead, log)
    const text = await signed({}, { ...validClaims(), iat: 'yesterday' })
    await expectRefused(auth(text), 'claim', text, log)
  })

  it('tolerates exp and nbf within the clock skew', async () => {
    const { auth } = setup({ clockSkew: '30 s' })
    await expect(auth(await signed({}, { ...validClaims(), exp: seconds(t0) - 20 }))).resolves.toMatchObject({ subject: 'user:ada' })
    await expect(auth(await signed({}, { ...validClaims(), nbf: seconds(t0) + 20 }))).resolves.toMatchObject({ subject: 'user:ada' })
  })

  it('refuses exp and nbf just outside the clock skew', async () => {
    const { auth, log } = setup({ clockSkew: '30 s' })
    const late = await signed({}, { ...validClaims(), exp: seconds(t0) - 31 })
    await expectRefused(auth(late), 'expired', late, log)
    const early = await signed({}, { ...validClaims(), nbf: seconds(t0) + 31 })
    await expectRefused(auth(early), 'not-yet-valid', early, log)
  })

  it('refuses a token without exp', async () => {
    const { auth, log } = setup()
    const { exp: _exp, ...claims } = validClaims()
    const token = await signed({}, claims)
    const error = await expectRefused(auth(token), 'claim', token, log)
    expect(error.detail).toContain('"exp" is missing')
  })

  it('refuses exp and nbf that are not numbers', async () => {
    const { auth, log } = setup()
    for (const claims of [{ exp: String(seconds(t0) + 600) }, { nbf: 'now' }]) {
      const token = await signed({}, { ...validClaims(), ...claims })
      await expectRefused(auth(token), 'claim', token, log)
    }
  })

  it('refuses a token without sub', async () => {
    const { auth, log } = setup()
    const { sub: _sub, ...claims } = validClaims()
    const token = await signed({}, claims)
    const error = await expectRefused(auth(token), 'claim', token, log)
    expect(error.detail).toContain('"sub" is missing')
  })

  it('refuses a token whose sub is not a usable subject', async () => {
    const { auth, log } = setup()
    for (const sub of [42, '', 'x'.repeat(300), 'user:\u0000ada']) {
      const token = await signed({}, { ...validClaims(), sub })
      await expectRefused(auth(token), 'claim', token, log)
    }
  })

  it('refuses a token for another audience', async () => {
    const { auth, log } = setup()
    const token = await signed({}, { ...validClaims(), aud: 'billing' })
    const error = await expectRefused(auth(token), 'claim', token, log)
    expect(error.detail).toContain('"aud"')
  })

  it('refuses a token from another issuer', async () => {
    const { auth, log } = setup()
    const token = await signed({}, { ...validClaims(), iss: 'https://evil.example.com' })
    const error = await expectRefused(auth(token), 'claim', token, log)
    expect(error.detail).toContain('"iss"')
  })

  it('refuses a token of another typ, or without one', async () => {
    const { auth, log } = setup()
    const other = await signed({ typ: 'dpop+jwt' }, validClaims())
    expect((await expectRefused(auth(other), 'claim', other, log)).detail).toContain('"typ"')
    const none = await signed({ typ: undefined }, validClaims())
    await expectRefused(auth(none), 'claim', none, log)
  })

  it('accepts at+jwt access tokens when typ is configured so', async () => {
    const { auth } = setup({ typ: 'at+jwt' })
    await expect(auth(await signed({ typ: 'at+JWT' }, validClaims()))).resolves.toMatchObject({ subject: 'user:ada' })
  })

  it('refuses a token whose kid is not in the local key set', async () => {
    const { auth, log } = setup()
    const token = await signed({ kid: 'ed-unknown' }, validClaims())
    await expectRefused(auth(token), 'unknown-key', token, log)
  })

  it('refuses a token signed by another key under the same kid', async () => {
    const { auth, log } = setup()
    const impostor = await generateJwtKeys('EdDSA', { kid: 'ed-1' })
    const token = await signed({}, validClaims(), impostor)
    await expectRefused(auth(token), 'signature', token, log)
  })

  it('refuses a flipped bit in the header, the payload and the signature', async () => {
    const { auth, log, issuer } = setup()
    const token = await issuer.issue({ subject: 'user:ada', roles: ['viewer'] })
    const header = flipBit(token, 0, indexInPart(token, 0, '"JWT"') + 2)
    const payload = flipBit(token, 1, indexInPart(token, 1, 'viewer'))
    const signature = flipBit(token, 2, 10, 3)
    for (const changed of [header, payload, signature]) await expectRefused(auth(changed), 'signature', changed, log)
  })

  it('refuses every single-bit change of every byte of the token', async () => {
    const { authenticator, issuer } = setup({ onRejected: undefined })
    const token = await issuer.issue({ subject: 'user:ada', roles: ['viewer'] })
    const lengths = token.split('.').map((part) => Buffer.from(part, 'base64url').length)
    let refused = 0
    for (const part of [0, 1, 2] as const) {
      for (let i = 0; i < (lengths[part] ?? 0); i++) {
        const changed = flipBit(token, part, i, i % 8)
        // The reason depends on what the flip broke (the JSON, the kid, the signature): any refusal, never the token.
        await expectRefused(authenticator.authenticate({ token: changed }), 'any', changed)
        refused++
      }
    }
    expect(authenticator.stats()).toMatchObject({ verifications: 0, rejections: refused })
  })

  it('refuses an oversized token before parsing it', async () => {
    const { auth, log } = setup({ maxTokenBytes: 1024 })
    const big = await signed({}, { ...validClaims(), padding: 'p'.repeat(2000) })
    await expectRefused(auth(big), 'too-large', big, log)
    const garbage = '!'.repeat(1025)
    await expectRefused(auth(garbage), 'too-large', garbage, log)
  })

  it('refuses tokens that are not a compact JWS', async () => {
    const { auth, log } = setup()
    const payload = Buffer.from(JSON.stringify(validClaims())).toString('base64url')
    const cases = ['garbage-that-is-not-a-token', 'a.b', 'a.b.c.d', `${Buffer.from('not json').toString('base64url')}.${payload}.c2lnbmF0dXJl`, 'ey.ey.ey!']
    for (const token of cases) await expectRefused(auth(token), 'malformed', token, log)
  })

  it('refuses a missing or non-string token', async () => {
    const { authenticator, log } = setup()
    await expectRefused(authenticator.authenticate({ token: '' }), 'missing', '', log)
    await expectRefused(authenticator.authenticate({ token: Redacted.make('') }), 'missing', '', log)
    await expectRefused(authenticator.authenticate({ token: 42 as never }), 'malformed', '', log)
  })

  it('refuses roles and tenant claims of the wrong type', async () => {
    const { auth, log } = setup()
    for (const claims of [{ roles: [1, 2] }, { roles: { admin: true } }, { tenant: ['acme'] }]) {
      const token = await signed({}, { ...validClaims(), ...claims })
      await expectRefused(auth(token), 'claim', token, log)
    }
  })

  it('has a leak check that catches a refusal quoting part of the token (the check itself can fail)', async () => {
    const token = await signed({}, validClaims())
    const leaky = Promise.reject(new AuthenticationError('signature', `bad signature ${token.split('.')[2]?.slice(5, 25)}`))
    await expect(expectRefused(leaky, 'signature', token)).rejects.toThrow(/a piece of the token appears/)
    const leakyHook = { calls: [] as Array<[AuthenticationFailure, string]> }
    const quiet = new AuthenticationError('signature', 'the signature does not verify')
    leakyHook.calls.push(['signature', quiet.detail], ['expired', `token ${token.slice(40, 60)}`], ['signature', quiet.detail])
    await expect(expectRefused(Promise.reject(quiet), 'signature', token, leakyHook)).rejects.toThrow(/a piece of the token appears/)
  })

  it('keeps refusing when the onRejected hook throws', async () => {
    const { auth } = setup({
      onRejected: () => {
        throw new Error('log sink down')
      },
    })
    const token = await signed({}, { ...validClaims(), aud: 'billing' })
    await expectRefused(auth(token), 'claim', token)
  })
})

describe('JwtAuthenticator: a remote JWKS on 127.0.0.1', () => {
  it('verifies a token with a new kid once the server has rotated its set (an unknown kid refetches)', async () => {
    const next = await generateJwtKeys('EdDSA', { kid: 'ed-2' })
    const server = await startJwksServer([ed.publicJwk])
    try {
      const { authenticator } = setup({ keys: { url: server.url, cooldown: 0 } })
      await expect(authenticator.authenticate({ token: await signed({}, validClaims()) })).resolves.toMatchObject({ subject: 'user:ada' })
      expect(server.fetches()).toBe(1)
      server.keys = [ed.publicJwk, next.publicJwk]
      await expect(authenticator.authenticate({ token: await signed({}, validClaims(), next) })).resolves.toMatchObject({ subject: 'user:ada' })
      expect(server.fetches()).toBe(2)
    } finally {
      await server.close()
    }
  })

  it('does not refetch for an unknown kid within the cooldown', async () => {
    const next = await generateJwtKeys('EdDSA', { kid: 'ed-2' })
    const server = await startJwksServer([ed.publicJwk])
    try {
      const { authenticator, log } = setup({ keys: { url: server.url, cooldown: '1 h' } })
      await authenticator.authenticate({ token: await signed({}, validClaims()) })
      server.keys = [next.publicJwk]
      for (let i = 0; i < 3; i++) {
        const token = await signed({}, validClaims(), next)
        await expectRefused(authenticator.authenticate({ token }), 'unknown-key', token, log)
      }
      expect(server.fetches()).toBe(1)
    } finally {
      await server.close()
    }
  })

  it('reports a server that is down as key-source-unavailable, retryable', async () => {
    const server = await startJwksServer([ed.publicJwk])
    await server.close()
    const { authenticator, log } = setup({ keys: { url: server.url } })
    const token = await signed({}, validClaims())
    const error = await expectRefused(authenticator.authenticate({ token }), 'key-source-unavailable', token, log)
    expect(error.isRetryable).toBe(true)
    expect(error.detail).toContain('127.0.0.1')
  })

  it('reports a failing status and a timeout as key-source-unavailable', async () => {
    const server = await startJwksServer([ed.publicJwk])
    try {
      server.status = 503
      const failing = setup({ keys: { url: server.url } })
      const token = await signed({}, validClaims())
      await expectRefused(failing.authenticator.authenticate({ token }), 'key-source-unavailable', token, failing.log)
      server.status = 200
      server.hang = true
      const slow = setup({ keys: { url: server.url, timeout: '150 ms' } })
      const error = await expectRefused(slow.authenticator.authenticate({ token }), 'key-source-unavailable', token, slow.log)
      expect(error.detail).toContain('timed out')
    } finally {
      await server.close()
    }
  })
})

describe('JwtAuthenticator: the verification cache', () => {
  it('accepts the same token again from the cache, without verifying it twice', async () => {
    const { authenticator, issuer } = setup()
    const token = await issuer.issue({ subject: 'user:ada', roles: ['analyst'] })
    const first = await authenticator.authenticate({ token })
    const second = await authenticator.authenticate({ token: Redacted.make(token) })
    expect(second).toBe(first)
    expect(authenticator.stats()).toEqual({ verifications: 1, cacheHits: 1, rejections: 0, cached: 1 })
    expect(inspect(authenticator, { depth: 10, showHidden: true })).not.toContain(token.split('.')[2])
  })

  it('verifies a burst of concurrent calls with the same token once', async () => {
    const { authenticator, issuer } = setup()
    const token = await issuer.issue({ subject: 'user:ada' })
    const principals = await Promise.all(Array.from({ length: 10 }, () => authenticator.authenticate({ token })))
    expect(new Set(principals).size).toBe(1)
    expect(authenticator.stats()).toMatchObject({ verifications: 1, cacheHits: 9 })
  })

  it('refuses every call of a concurrent burst with a bad token, each with its own hook call', async () => {
    const { authenticator, log } = setup()
    const token = await signed({}, { ...validClaims(), aud: 'billing' })
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => authenticator.authenticate({ token })))
    expect(results.map((result) => result.status === 'rejected' && (result.reason as AuthenticationError).reason)).toEqual(Array(5).fill('claim'))
    expect(log.calls).toHaveLength(5)
    expect(authenticator.stats()).toMatchObject({ rejections: 5, cached: 0 })
  })

  it('refuses a cached token once its exp has passed', async () => {
    const { authenticator, issuer, clock, log } = setup({ cacheTtl: '1 h' })
    const token = await issuer.issue({ subject: 'user:ada', lifetime: '1 m' })
    await authenticator.authenticate({ token })
    clock.advance(59_000)
    await authenticator.authenticate({ token })
    expect(authenticator.stats().cacheHits).toBe(1)
    clock.advance(32_000)
    await expectRefused(authenticator.authenticate({ token }), 'expired', token, log)
  })

  it('verifies a token again once cacheTtl has passed: the bound on how late a revocation is seen', async () => {
    const { authenticator, issuer, clock } = setup({ cacheTtl: '30 s' })
    const token = await issuer.issue({ subject: 'user:ada' })
    await authenticator.authenticate({ token })
    clock.advance(29_999)
    await authenticator.authenticate({ token })
    clock.advance(1)
    await authenticator.authenticate({ token })
    expect(authenticator.stats()).toMatchObject({ verifications: 2, cacheHits: 1 })
  })

  it('holds at most cacheSize tokens, dropping the least recently used', async () => {
    const { authenticator, issuer } = setup({ cacheSize: 2 })
    const [a, b, c] = await Promise.all(['user:a', 'user:b', 'user:c'].map((subject) => issuer.issue({ subject })))
    for (const token of [a, b, a, c, a, b] as string[]) await authenticator.authenticate({ token })
    // a, b miss; a hits; c misses and evicts b; a hits; b misses again.
    expect(authenticator.stats()).toEqual({ verifications: 4, cacheHits: 2, rejections: 0, cached: 2 })
  })

  it('verifies every time with cacheTtl 0, and after clearCache', async () => {
    const { authenticator, issuer } = setup({ cacheTtl: 0 })
    const token = await issuer.issue({ subject: 'user:ada' })
    await authenticator.authenticate({ token })
    await authenticator.authenticate({ token })
    expect(authenticator.stats()).toMatchObject({ verifications: 2, cacheHits: 0, cached: 0 })
    const cached = setup()
    const other = await cached.issuer.issue({ subject: 'user:ada' })
    await cached.authenticator.authenticate({ token: other })
    cached.authenticator.clearCache()
    await cached.authenticator.authenticate({ token: other })
    expect(cached.authenticator.stats()).toMatchObject({ verifications: 2, cacheHits: 0 })
  })

  it('never caches a refusal', async () => {
    const { authenticator, log } = setup()
    const token = await signed({}, { ...validClaims(), aud: 'billing' })
    await expectRefused(authenticator.authenticate({ token }), 'claim', token, log)
    await expectRefused(authenticator.authenticate({ token }), 'claim', token, log)
    expect(authenticator.stats()).toMatchObject({ rejections: 2, cached: 0 })
  })
})

describe('JwtAuthenticator: configuration', () => {
  const base = (): JwtAuthenticatorOptions => ({ algorithms: ['EdDSA'], issuer: iss, audience: aud, keys: ed.publicJwks })
  const refusals: Array<[string, (o: JwtAuthenticatorOptions) => unknown, RegExp]> = [
    ['no algorithm', (o) => ({ ...o, algorithms: [] }), /pin at least one algorithm/],
    ['alg none', (o) => ({ ...o, algorithms: ['EdDSA', 'none'] }), /"none": unsigned tokens are never accepted/],
    ['a shared-secret algorithm', (o) => ({ ...o, algorithms: ['RS256', 'HS256'] }), /shared-secret algorithm "HS256"/],
    ['an unknown algorithm', (o) => ({ ...o, algorithms: ['XS1'] }), /unknown algorithm "XS1"/],
    ['no issuer', (o) => ({ ...o, issuer: '' }), /issuer is missing/],
    ['no audience', (o) => ({ ...o, audience: [] }), /audience is missing/],
    ['a bad clock skew', (o) => ({ ...o, clockSkew: 'soon' }), /clockSkew/],
    ['a clock skew over 5 minutes', (o) => ({ ...o, clockSkew: '10 m' }), /clockSkew is 600000 ms, more than/],
    ['a tiny maxTokenBytes', (o) => ({ ...o, maxTokenBytes: 10 }), /maxTokenBytes must be a whole number ≥ 256/],
    ['an empty typ', (o) => ({ ...o, typ: ' ' }), /typ must be a non-empty string/],
    ['no keys', (o) => ({ ...o, keys: undefined }), /keys is missing/],
    ['an empty key set', (o) => ({ ...o, keys: { keys: [] } }), /keys.keys is empty/],
    ['a private key in the set', (o) => ({ ...o, keys: { keys: [ed.privateJwk] } }), /holds private key material/],
    ['a plain http JWKS URL off loopback', (o) => ({ ...o, keys: { url: 'http://auth.example.com/jwks' } }), /must use https:/],
    ['a negative cooldown', (o) => ({ ...o, keys: { url: 'https://auth.example.com/jwks', cooldown: -1 } }), /cooldown/],
  ]
  for (const [what, change, message] of refusals) {
    it(`refuses ${what}, saying how to fix it`, () => {
      const attempt = () => new JwtAuthenticator(change(base()) as JwtAuthenticatorOptions)
      expect(attempt).toThrow(SecurityConfigError)
      expect(attempt).toThrow(message)
    })
  }
})
