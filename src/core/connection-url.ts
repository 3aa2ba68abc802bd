/**
 * A connection URL as it may be printed (in messages, logs, the CLI): its
 * password masked as `***`. Text that does not parse as a URL has anything
 * between `:` and `@` masked.
 *
 * @example
 * ```ts
 * import { withoutPassword } from 'weft-sdk/store'
 * withoutPassword('postgres://weft:s3cret@db.internal/weft') // 'postgres://weft:***@db.internal/weft'
 * ```
 */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@')
  }
}
