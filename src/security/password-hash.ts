// Password hashes with node:crypto's scrypt, in a self-describing string that carries its parameters and salt
// (`$scrypt$ln=15,r=8,p=3$<salt>$<hash>`), compared in constant time.
import { scrypt, randomBytes, timingSafeEqual } from 'node:crypto'
import { SecurityConfigError } from '../core/security-errors.js'

/**
 * scrypt's cost parameters: `N = 2^logN` (CPU and memory), block size `r`,
 * parallelism `p`; the memory a hash takes is `128 · N · r` bytes.
 *
 * @example
 * ```ts
 * import type { ScryptParameters } from 'weft-sdk'
 * // OWASP's first choice: 128 MiB a hash.
 * const heavy: ScryptParameters = { logN: 17, r: 8, p: 1 }
 * ```
 */
export interface ScryptParameters {
  /** log2 of N, from 10 to 22. */
  readonly logN: number
  /** Block size, from 1 to 32. */
  readonly r: number
  /** Parallelism, from 1 to 16 (Node computes the lanes one after another: time grows with it, memory does not). */
  readonly p: number
}

/**
 * Weft's default scrypt parameters: N = 2^15, r = 8, p = 3, one of OWASP's
 * equivalent recommendations (same work as N = 2^17, p = 1, with 32 MiB
 * instead of 128 MiB a hash, so a flood of logins exhausts memory later).
 * A 256-bit hash, a 128-bit random salt per password.
 *
 * @example
 * ```ts
 * import { defaultScryptParameters } from 'weft-sdk'
 * defaultScryptParameters.logN // 15
 * ```
 */
export const defaultScryptParameters: ScryptParameters = Object.freeze({ logN: 15, r: 8, p: 3 })

const hashBytes = 32
const saltBytes = 16
const bounds = { logN: [10, 22], r: [1, 32], p: [1, 16] } as const

/**
 * Hashes a password with scrypt and a fresh random salt, in the form the
 * store keeps: `$scrypt$ln=15,r=8,p=3$<salt>$<hash>` (base64 without padding).
 *
 * @example
 * ```ts
 * import { hashPassword } from 'weft-sdk'
 * const stored = await hashPassword('correct horse battery staple')
 * stored.startsWith('$scrypt$ln=15,r=8,p=3$') // true
 * ```
 * @throws `SecurityConfigError` for parameters out of bounds.
 */
export async function hashPassword(password: string, parameters: ScryptParameters = defaultScryptParameters): Promise<string> {
  checkScryptParameters(parameters)
  const salt = randomBytes(saltBytes)
  const hash = await derive(password, salt, parameters)
  return `$scrypt$${parametersText(parameters)}$${salt.toString('base64').replace(/=+$/, '')}$${hash.toString('base64').replace(/=+$/, '')}`
}

/**
 * Whether `password` matches a stored hash: scrypt with the hash's own
 * parameters and salt, then `timingSafeEqual`. A malformed stored hash matches nothing.
 *
 * @example
 * ```ts
 * import { hashPassword, verifyPasswordHash } from 'weft-sdk'
 * const stored = await hashPassword('correct horse battery staple')
 * await verifyPasswordHash(stored, 'Tr0ub4dor&3') // false
 * ```
 */
export async function verifyPasswordHash(stored: string, password: string): Promise<boolean> {
  const parsed = parseHash(stored)
  if (parsed === undefined) return false
  const hash = await derive(password, parsed.salt, parsed.parameters)
  return hash.length === parsed.hash.length && timingSafeEqual(hash, parsed.hash)
}

/**
 * Whether a stored hash was made with other parameters than `parameters` (then
 * a successful login re-hashes the password with them).
 *
 * @example
 * ```ts
 * import { defaultScryptParameters, needsRehash } from 'weft-sdk'
 * needsRehash('$scrypt$ln=14,r=8,p=1$c2FsdA$aGFzaA', defaultScryptParameters) // true
 * ```
 */
export function needsRehash(stored: string, parameters: ScryptParameters): boolean {
  const parsed = parseHash(stored)
  return parsed === undefined || parametersText(parsed.parameters) !== parametersText(parameters)
}

function derive(password: string, salt: Buffer, { logN, r, p }: ScryptParameters): Promise<Buffer> {
  const N = 2 ** logN
  const maxmem = 256 * N * r + 1024 * 1024
  return new Promise((resolve, reject) => scrypt(password.normalize('NFKC'), salt, hashBytes, { N, r, p, maxmem }, (error, key) => (error === null ? resolve(key) : reject(error))))
}

function parametersText({ logN, r, p }: ScryptParameters): string {
  return `ln=${logN},r=${r},p=${p}`
}

function parseHash(stored: string): { parameters: ScryptParameters; salt: Buffer; hash: Buffer } | undefined {
  const match = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored)
  if (match === null) return undefined
  const parameters = { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) }
  if (!withinBounds(parameters)) return undefined
  return { parameters, salt: Buffer.from(match[4]!, 'base64'), hash: Buffer.from(match[5]!, 'base64') }
}

function withinBounds(parameters: ScryptParameters): boolean {
  return (Object.keys(bounds) as (keyof typeof bounds)[]).every((key) => Number.isInteger(parameters[key]) && parameters[key] >= bounds[key][0] && parameters[key] <= bounds[key][1])
}

/**
 * Checks scrypt parameters against Weft's bounds (at configuration, before any password is hashed).
 *
 * @example
 * ```ts
 * import { checkScryptParameters } from 'weft-sdk'
 * checkScryptParameters({ logN: 16, r: 8, p: 1 }) // fine
 * ```
 * @throws `SecurityConfigError` naming the bounds.
 */
export function checkScryptParameters(parameters: ScryptParameters): void {
  if (withinBounds(parameters)) return
  const text = (Object.keys(bounds) as (keyof typeof bounds)[]).map((key) => `${key} ${bounds[key][0]}..${bounds[key][1]}`).join(', ')
  throw new SecurityConfigError(`scrypt parameters ${JSON.stringify(parameters)} are out of bounds (${text})`)
}
