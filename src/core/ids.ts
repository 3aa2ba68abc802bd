import { randomBytes } from 'node:crypto'

/**
 * Identifies one run of a workflow. Runs created later sort after earlier
 * ones.
 *
 * @example
 * ```ts
 * import { createEngine, type RunId } from 'weft-sdk'
 * const id: RunId = process.argv[2] ?? 'order-7'
 * const run = await createEngine().getRun(id)
 * ```
 */
export type RunId = string

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz'

/**
 * Creates a new run id: 10 characters of creation time (milliseconds, base 32)
 * then 14 random ones (70 bits), so ids sort by creation time and do not
 * collide in practice.
 *
 * @example
 * ```ts
 * import { newRunId } from 'weft-sdk'
 * const id = newRunId() // for example '01jhkm5100k3m9xq4v0c8n2r'
 * ```
 */
export function newRunId(now: number = Date.now()): RunId {
  let time = ''
  let rest = Math.floor(now)
  for (let i = 0; i < 10; i++) {
    time = alphabet[rest % 32]! + time
    rest = Math.floor(rest / 32)
  }
  let random = ''
  for (const byte of randomBytes(14)) random += alphabet[byte & 31]!
  return time + random
}
