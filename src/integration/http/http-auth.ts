import { Redacted } from 'effect'
import { toMillis, type Duration } from '../../core/duration.js'
import { HttpDecodeError, HttpNetworkError, HttpStatusError } from '../../core/integration-errors.js'

/**
 * A secret: an Effect `Redacted` (printed as `<redacted>`) or a plain string.
 * Either way it is redacted from every error and event.
 *
 * @example
 * ```ts
 * import { Redacted } from 'effect'
 * import type { Secret } from 'weft-sdk'
 * const token: Secret = Redacted.make(process.env['PAYMENTS_TOKEN'] ?? '')
 * String(token) // '<redacted>'
 * ```
 */
export type Secret = Redacted.Redacted<string> | string

/**
 * How an {@link HttpAdapter} authenticates: a bearer token, an API key in a
 * header, HTTP basic, or OAuth2 client credentials (the token is fetched
 * once, cached, and fetched again `refreshBefore` its expiry, or after a 401).
 *
 * @example
 * ```ts
 * import { Redacted } from 'effect'
 * import { HttpAdapter, type HttpAuth } from 'weft-sdk'
 * const auth: HttpAuth = { type: 'oauth2', tokenUrl: 'http://127.0.0.1:8084/oauth/token', clientId: 'weft', clientSecret: Redacted.make('s3cret'), scope: 'orders:write' }
 * const orders = new HttpAdapter({ name: 'orders', baseUrl: 'http://127.0.0.1:8085/', auth })
 * ```
 */
export type HttpAuth =
  | {
      /** `Authorization: Bearer <token>`. */
      readonly type: 'bearer'
      /** The bearer token. */
      readonly token: Secret
    }
  | {
      /** An API key sent as the value of a header. */
      readonly type: 'api-key'
      /** The header's name, e.g. `'x-api-key'`. */
      readonly header: string
      /** The key. */
      readonly value: Secret
    }
  | {
      /** HTTP basic: `Authorization: Basic <base64(username:password)>`. */
      readonly type: 'basic'
      /** The user name (must not contain `:`). */
      readonly username: string
      /** The password. */
      readonly password: Secret
    }
  | {
      /** OAuth2 client credentials: a token fetched from `tokenUrl` and sent as a bearer token. */
      readonly type: 'oauth2'
      /** The token endpoint (client credentials grant, client authenticated with HTTP basic). */
      readonly tokenUrl: string
      /** The client's id. */
      readonly clientId: string
      /** The client's secret. */
      readonly clientSecret: Secret
      /** The scope asked for (space-separated); none sent when not given. */
      readonly scope?: string
      /** How long before its expiry a token is replaced. @defaultValue `'30 s'` */
      readonly refreshBefore?: Duration
    }

/**
 * The plain value of a secret (whether `Redacted` or a string), for the
 * moment you send it; never log what it returns.
 *
 * @example
 * ```ts
 * import { Redacted } from 'effect'
 * import { reveal } from 'weft-sdk'
 * const headers = { authorization: `Bearer ${reveal(Redacted.make('sk_test_123'))}` }
 * ```
 */
export function reveal(secret: Secret): string {
  return Redacted.isRedacted(secret) ? Redacted.value(secret) : secret
}

/** The header an auth adds to each request, and the secrets to redact. */
export interface AuthHeaders {
  /** Headers for the next request (fetching an OAuth2 token when none is cached or it is about to expire). */
  headers(signal: AbortSignal | undefined): Promise<Record<string, string>>
  /** The headers for the next request when they are at hand (no token to fetch), else `undefined` (then `headers()` fetches one); saves a call an await. */
  current(): Record<string, string> | undefined
  /** A 401 answered: forget a cached token. */
  rejected(): void
  /** Every secret value known so far (OAuth2 tokens join as they are fetched). */
  readonly secrets: () => readonly string[]
}

/**
 * Builds the header source of an auth option; `onSecret` is told each secret
 * (tokens included) so it can be redacted, `onForget` each OAuth2 token old
 * enough to stop redacting (the last {@link rememberedTokens} stay redacted).
 */
export function authHeaders(adapter: string, auth: HttpAuth | undefined, onSecret: (value: string) => void, onForget: (value: string) => void = () => undefined): AuthHeaders {
  const secrets: string[] = []
  const secret = (value: string) => (secrets.push(value), onSecret(value), value)
  const forget = (value: string) => {
    const at = secrets.indexOf(value)
    if (at >= 0) secrets.splice(at, 1)
    onForget(value)
  }
  const fixed = (headers: Record<string, string>): AuthHeaders => ({ headers: async () => headers, current: () => headers, rejected: () => undefined, secrets: () => secrets })
  switch (auth?.type) {
    case undefined:
      return fixed({})
    case 'bearer':
      return fixed({ authorization: `Bearer ${secret(reveal(auth.token))}` })
    case 'api-key':
      return fixed({ [auth.header]: secret(reveal(auth.value)) })
    case 'basic': {
      secret(reveal(auth.password))
      return fixed({ authorization: `Basic ${secret(Buffer.from(`${auth.username}:${reveal(auth.password)}`).toString('base64'))}` })
    }
    case 'oauth2':
      return new ClientCredentials(adapter, auth, secret, forget, secrets)
  }
}

/**
 * OAuth2 tokens kept redacted after they were replaced: a late error of a call
 * made with one still hides it, and a long-lived adapter does not keep every
 * token it ever had.
 */
const rememberedTokens = 4

/** OAuth2 client credentials: one token at a time, fetched by one request however many calls wait for it. */
class ClientCredentials implements AuthHeaders {
  private token: { readonly value: string; readonly renewAt: number } | undefined
  /** The tokens fetched, newest last, at most {@link rememberedTokens}. */
  private readonly tokens: string[] = []
  private pending: Promise<string> | undefined
  private readonly refreshMs: number
  private readonly basic: string

  constructor(
    private readonly adapter: string,
    private readonly auth: Extract<HttpAuth, { type: 'oauth2' }>,
    private readonly secret: (value: string) => string,
    private readonly forget: (value: string) => void,
    private readonly known: string[],
  ) {
    this.refreshMs = toMillis(auth.refreshBefore ?? '30 s', 'refreshBefore')
    secret(reveal(auth.clientSecret))
    this.basic = secret(Buffer.from(`${encodeURIComponent(auth.clientId)}:${encodeURIComponent(reveal(auth.clientSecret))}`).toString('base64'))
  }

  readonly secrets = () => this.known

  async headers(signal: AbortSignal | undefined): Promise<Record<string, string>> {
    return this.current() ?? { authorization: `Bearer ${await this.fetchOnce(signal)}` }
  }

  current(): Record<string, string> | undefined {
    return this.token !== undefined && Date.now() < this.token.renewAt ? { authorization: `Bearer ${this.token.value}` } : undefined
  }

  rejected(): void {
    this.token = undefined
  }

  private fetchOnce(signal: AbortSignal | undefined): Promise<string> {
    this.pending ??= this.fetchToken(signal).finally(() => (this.pending = undefined))
    return this.pending
  }

  private async fetchToken(signal: AbortSignal | undefined): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', ...(this.auth.scope === undefined ? {} : { scope: this.auth.scope }) })
    const path = `${new URL(this.auth.tokenUrl).pathname} (OAuth2 token)`
    let text: string
    let response: Response
    try {
      response = await fetch(this.auth.tokenUrl, { method: 'POST', body, signal, headers: { authorization: `Basic ${this.basic}`, accept: 'application/json' } })
      text = await response.text()
    } catch (error) {
      if (signal?.aborted) throw signal.reason
      throw new HttpNetworkError(this.adapter, 'POST', path, networkReason(error))
    }
    if (!response.ok) throw new HttpStatusError(this.adapter, 'POST', path, response.status, '', retryAfterOf(response))
    let parsed: { access_token?: unknown; expires_in?: unknown }
    try {
      parsed = JSON.parse(text) as typeof parsed
    } catch {
      throw new HttpDecodeError(this.adapter, 'POST', path, 'the token endpoint did not answer JSON; check tokenUrl')
    }
    if (typeof parsed.access_token !== 'string') throw new HttpDecodeError(this.adapter, 'POST', path, 'the answer has no access_token; check tokenUrl and the grant')
    const expiresInMs = typeof parsed.expires_in === 'number' ? parsed.expires_in * 1000 : 3_600_000
    // Renew `refreshBefore` ahead of expiry, but never sooner than halfway through a short-lived token's life (else every call would fetch one).
    const margin = Math.min(this.refreshMs, expiresInMs / 2)
    this.token = { value: this.secret(parsed.access_token), renewAt: Date.now() + Math.max(0, expiresInMs - margin) }
    this.tokens.push(parsed.access_token)
    if (this.tokens.length > rememberedTokens) this.forget(this.tokens.shift()!)
    return parsed.access_token
  }
}

/** Why a request got no response: the system error's code (`ECONNREFUSED`), else its message. */
export function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause
  if (typeof cause?.code === 'string') return cause.code
  if (typeof cause?.message === 'string') return cause.message
  return error instanceof Error ? error.message : String(error)
}

/** A response's `Retry-After` in milliseconds (delay-seconds only; an HTTP date is left to the adapter's own parser). */
function retryAfterOf(response: Response): number | undefined {
  const seconds = Number(response.headers.get('retry-after') ?? NaN)
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined
}
