// Where a JwtAuthenticator's keys come from: a local JWK set, or a remote JWKS fetched by jose (cached, refetched
// for an unknown kid at most once per cooldown, with a timeout). A remote set that cannot be fetched is told apart
// from a token that names no key, so the first is reported as retryable ('key-source-unavailable').
import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose'
import { toMillis } from '../core/duration.js'
import { SecurityConfigError } from '../core/security-errors.js'
import type { JwtKeySource } from './jwt-options.js'

/**
 * The remote key set could not be fetched or read (refused connection, timeout,
 * a status other than 200, not a JWK set). Internal: the authenticator turns it
 * into an `AuthenticationError('key-source-unavailable')`.
 * @internal
 */
export class KeySourceUnavailable extends Error {
  constructor(
    readonly origin: string,
    readonly problem: string,
  ) {
    super(`the key set at ${origin} cannot be fetched: ${problem}`)
    this.name = 'KeySourceUnavailable'
  }
}

/**
 * Makes jose's key resolver for a key source.
 * @throws `SecurityConfigError` for a malformed JWK set, a bad URL or bad durations.
 * @internal
 */
export function createKeyResolver(source: JwtKeySource): JWTVerifyGetKey {
  if (typeof source !== 'object' || source === null) throw new SecurityConfigError('jwt keys is missing: give a JWK set ({ keys: [...] }) or a JWKS URL ({ url })')
  if ('keys' in source) return localResolver(source.keys)
  if ('url' in source) return remoteResolver(source)
  throw new SecurityConfigError('jwt keys must be a JWK set ({ keys: [...] }) or a JWKS URL ({ url })')
}

function localResolver(keys: unknown): JWTVerifyGetKey {
  if (!Array.isArray(keys) || keys.length === 0) throw new SecurityConfigError('jwt keys.keys is empty: give at least one public JWK (see generateJwtKeys)')
  keys.forEach(assertPublicJwk)
  try {
    return createLocalJWKSet({ keys })
  } catch (error) {
    throw new SecurityConfigError(`jwt keys is not a valid JWK set (${(error as Error).message}): give { keys: [<public JWK>, ...] }`)
  }
}

function assertPublicJwk(jwk: unknown, index: number): void {
  if (typeof jwk !== 'object' || jwk === null || typeof (jwk as { kty?: unknown }).kty !== 'string') {
    throw new SecurityConfigError(`jwt keys.keys[${index}] is not a JWK (an object with "kty")`)
  }
  // A private member ("d", or "k" of a secret key) in a verification set: refuse it rather than hold a secret.
  if ('d' in jwk || 'k' in jwk) throw new SecurityConfigError(`jwt keys.keys[${index}] holds private key material: give only the public JWK (generateJwtKeys returns it as publicJwks)`)
}

type RemoteSource = Extract<JwtKeySource, { url: unknown }>

function remoteResolver(source: RemoteSource): JWTVerifyGetKey {
  const url = parseJwksUrl(source.url)
  const remote = createRemoteJWKSet(url, {
    cacheMaxAge: durationOption('keys.cacheMaxAge', source.cacheMaxAge ?? '10 m'),
    cooldownDuration: durationOption('keys.cooldown', source.cooldown ?? '30 s'),
    timeoutDuration: Math.ceil(durationOption('keys.timeout', source.timeout ?? '5 s')),
  })
  return async (header, token) => {
    try {
      return await remote(header, token)
    } catch (error) {
      throw isKeyChoiceError(error) ? error : new KeySourceUnavailable(url.origin, describeFetchFailure(error))
    }
  }
}

function parseJwksUrl(value: unknown): URL {
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw new SecurityConfigError(`jwt keys.url is not a URL: give the JWKS URL, e.g. 'https://auth.example.com/.well-known/jwks.json'`)
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new SecurityConfigError(`jwt keys.url must use https: (plain http: only on a loopback address), got ${url.protocol}//${url.host}`)
  }
  return url
}

function durationOption(option: string, value: Parameters<typeof toMillis>[0]): number {
  try {
    return toMillis(value, `jwt ${option}`)
  } catch (error) {
    throw new SecurityConfigError((error as Error).message)
  }
}

/** The token names no key (or several) of a set that was read: the token's fault, not the source's. */
function isKeyChoiceError(error: unknown): boolean {
  return error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported
}

function describeFetchFailure(error: unknown): string {
  if (error instanceof errors.JWKSTimeout) return 'the request timed out'
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause
  const code = typeof cause?.code === 'string' ? ` (${cause.code})` : ''
  return `${error instanceof Error ? error.message : 'the request failed'}${code}`
}
