// Shared pieces of the JWT tests: a fixed clock, hand-crafted tokens (alg none, HS256 with an RSA public key, bit
// flips), a JWKS server on 127.0.0.1, and the check that a refusal has the right reason and leaks no part of the token.
import { createHmac } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { expect } from 'vitest'
import { AuthenticationError, type AuthenticationFailure } from '../../src/core/security-errors.js'

/** 2026-12-06T10:00:00Z: every test's "now" unless it moves. */
export const t0 = Date.UTC(2026, 11, 6, 10, 0, 0)

/** A clock tests move by hand. */
export function manualClock(start = t0): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let current = start
  return { now: () => current, advance: (ms) => void (current += ms), set: (ms) => void (current = ms) }
}

export const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url')
export const fromB64url = (part: string): Buffer => Buffer.from(part, 'base64url')

/** A compact JWS made by hand from a header, a payload and a signature function (none: an empty signature). */
export function craftToken(header: object, payload: object, sign?: (input: string) => Buffer): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
  return `${input}.${sign === undefined ? '' : b64url(sign(input))}`
}

/** An HMAC-SHA256 signer keyed with `secret` (the RS/HS confusion uses the RSA public key's bytes). */
export const hmacSigner = (secret: string | Buffer) => (input: string) => createHmac('sha256', secret).update(input).digest()

/** The token with one bit of one decoded part flipped: part 0 header, 1 payload, 2 signature. */
export function flipBit(token: string, part: 0 | 1 | 2, byteIndex: number, bit = 0): string {
  const parts = token.split('.')
  const bytes = fromB64url(parts[part] ?? '')
  bytes[byteIndex] = (bytes[byteIndex] ?? 0) ^ (1 << bit)
  parts[part] = b64url(bytes)
  return parts.join('.')
}

/** Where `needle` starts in the decoded part (to flip a bit inside a given value). */
export function indexInPart(token: string, part: 0 | 1, needle: string): number {
  const index = fromB64url(token.split('.')[part] ?? '').indexOf(needle)
  if (index < 0) throw new Error(`"${needle}" is not in part ${part}`)
  return index
}

/** A rejection hook that records its calls. */
export function rejectionLog(): { calls: Array<[AuthenticationFailure, string]>; hook: (reason: AuthenticationFailure, detail: string) => void } {
  const calls: Array<[AuthenticationFailure, string]> = []
  return { calls, hook: (reason, detail) => void calls.push([reason, detail]) }
}

/** The token's pieces no output may contain: every 12-character window of it (72 bits: no chance match), or the whole of a shorter one. */
function fragmentsOf(token: string): string[] {
  if (token.length <= 12) return token.length === 0 ? [] : [token]
  return Array.from({ length: token.length - 11 }, (_, i) => token.slice(i, i + 12))
}

/**
 * Awaits a refusal and checks it: an AuthenticationError with `reason`, and no part of the token in its message,
 * detail, JSON, inspect output, nor in what the onRejected hook received.
 */
export async function expectRefused(
  attempt: Promise<unknown>,
  reason: AuthenticationFailure | 'any',
  token: string,
  log?: { calls: Array<[AuthenticationFailure, string]> },
): Promise<AuthenticationError> {
  const error = await attempt.then(
    () => expect.unreachable(`expected a refusal (${reason}), the token was accepted`),
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(AuthenticationError)
  const refusal = error as AuthenticationError
  expect({ reason: refusal.reason, code: refusal.code }).toEqual({ reason: reason === 'any' ? refusal.reason : reason, code: 'WEFT_UNAUTHENTICATED' })
  const outputs = [refusal.message, refusal.detail, JSON.stringify(refusal), inspect(refusal, { depth: 10, showHidden: true }), String(refusal.stack)]
  if (log !== undefined) {
    expect(log.calls.at(-1)).toEqual([refusal.reason, refusal.detail])
    outputs.push(JSON.stringify(log.calls))
  }
  const fragments = fragmentsOf(token)
  for (const output of outputs) {
    const leaked = fragments.find((fragment) => output.includes(fragment))
    expect(leaked, 'a piece of the token appears in a refusal or in what onRejected received').toBeUndefined()
  }
  return refusal
}

/** A JWKS endpoint on 127.0.0.1 whose key set the test changes, counting its fetches; `status` makes it fail. */
export interface JwksServer {
  readonly url: string
  keys: object[]
  status: number
  hang: boolean
  readonly fetches: () => number
  close(): Promise<void>
}

export async function startJwksServer(keys: object[]): Promise<JwksServer> {
  let fetches = 0
  const state = { keys, status: 200, hang: false }
  const server: Server = createServer((request, response) => {
    fetches++
    if (state.hang) return
    const body = JSON.stringify({ keys: state.keys })
    response.writeHead(state.status, { 'content-type': 'application/jwk-set+json' })
    response.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches: () => fetches,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
}
