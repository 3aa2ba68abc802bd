// JwtIssuer and generateJwtKeys: tokens round-trip through a JwtAuthenticator for every key family, carry the
// registered claims (iat, nbf, exp from the lifetime, a fresh jti) and the header (alg, kid, typ), and bad input is refused.
import { generateKeyPairSync } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'
import { InvalidPrincipalError, SecurityConfigError } from '../../src/core/security-errors.js'
import { JwtAuthenticator } from '../../src/security/jwt-authenticator.js'
import { generateJwtKeys, JwtIssuer } from '../../src/security/jwt-issuer.js'
import type { JwtAlgorithm } from '../../src/security/jwt-options.js'
import { manualClock, t0 } from './jwt-fixtures.js'

const iss = 'svc:issuer'
const aud = 'weft'

describe('JwtIssuer', () => {
  for (const algorithm of ['EdDSA', 'ES256', 'RS256', 'PS256'] as JwtAlgorithm[]) {
    it(`issues ${algorithm} tokens a JwtAuthenticator with the public JWK set accepts`, async () => {
      const keys = await generateJwtKeys(algorithm)
      const issuer = new JwtIssuer({ privateKey: keys.privateJwk, kid: keys.kid, algorithm, issuer: iss, audience: aud })
      const authenticator = new JwtAuthenticator({ algorithms: [algorithm], issuer: iss, audience: aud, keys: keys.publicJwks })
      const principal = await authenticator.authenticate({ token: await issuer.issue({ subject: 'svc:billing', roles: ['service'], tenant: 'acme' }) })
      expect([principal.subject, principal.roles, principal.tenant]).toEqual(['svc:billing', ['service'], 'acme'])
    })
  }

  it('writes alg, kid and typ in the header and iss, sub, aud, iat, nbf, exp, jti in the payload', async () => {
    const keys = await generateJwtKeys('EdDSA', { kid: 'k-2026' })
    const clock = manualClock()
    const issuer = new JwtIssuer({ privateKey: keys.privateKey, kid: keys.kid, algorithm: 'EdDSA', issuer: iss, audience: aud, typ: 'at+jwt', lifetime: '5 m', now: clock.now })
    const token = await issuer.issue({ subject: 'user:ada', claims: { email: 'ada@example.com' } })
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: 'k-2026', typ: 'at+jwt' })
    const payload = decodeJwt(token)
    expect(payload).toMatchObject({ iss, sub: 'user:ada', aud: [aud], iat: t0 / 1000, nbf: t0 / 1000, exp: t0 / 1000 + 300, roles: [], email: 'ada@example.com' })
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/)
    expect(decodeJwt(await issuer.issue({ subject: 'user:ada' })).jti).not.toBe(payload.jti)
  })

  it('takes a lifetime per token', async () => {
    const keys = await generateJwtKeys('EdDSA')
    const issuer = new JwtIssuer({ privateKey: keys.privateKey, kid: keys.kid, algorithm: 'EdDSA', issuer: iss, audience: aud, now: () => t0 })
    const payload = decodeJwt(await issuer.issue({ subject: 'user:ada', lifetime: '1 h' }))
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600)
  })

  it('signs with a node:crypto KeyObject', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'node-1', alg: 'EdDSA', use: 'sig' }
    const issuer = new JwtIssuer({ privateKey, kid: 'node-1', algorithm: 'EdDSA', issuer: iss, audience: aud })
    const authenticator = new JwtAuthenticator({ algorithms: ['EdDSA'], issuer: iss, audience: aud, keys: { keys: [jwk] } })
    await expect(authenticator.authenticate({ token: await issuer.issue({ subject: 'svc:node' }) })).resolves.toMatchObject({ subject: 'svc:node' })
  })

  it('names the key by its JWK thumbprint unless a kid is given, and returns only public members in the set', async () => {
    const keys = await generateJwtKeys('ES256')
    expect(keys.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(keys.publicJwks.keys[0]).toMatchObject({ kid: keys.kid, alg: 'ES256', use: 'sig', kty: 'EC' })
    expect(keys.publicJwks.keys[0]).not.toHaveProperty('d')
    expect(keys.privateJwk).toHaveProperty('d')
  })

  it('refuses registered claims in claims, malformed subjects and bad options', async () => {
    const keys = await generateJwtKeys('EdDSA')
    const options = { privateKey: keys.privateKey, kid: keys.kid, algorithm: 'EdDSA' as const, issuer: iss, audience: aud }
    const issuer = new JwtIssuer(options)
    await expect(issuer.issue({ subject: 'user:ada', claims: { exp: 1 } })).rejects.toThrow(/claims.exp is set by the issuer/)
    await expect(issuer.issue({ subject: '' })).rejects.toBeInstanceOf(InvalidPrincipalError)
    expect(() => new JwtIssuer({ ...options, algorithm: 'HS256' as never })).toThrow(SecurityConfigError)
    expect(() => new JwtIssuer({ ...options, kid: '' })).toThrow(/kid must be a non-empty string/)
    expect(() => new JwtIssuer({ ...options, lifetime: '10 ms' })).toThrow(/at least '1 s'/)
    await expect(generateJwtKeys('none' as never)).rejects.toBeInstanceOf(SecurityConfigError)
  })
})
