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

/**
 * The password of a connection URL in every form a message may quote it:
 * as written (percent-encoded, `p%40ss`) and decoded (`p@ss`), once each;
 * none when the URL has no password or does not parse. An adapter redacts
 * all of them from its errors and events.
 */
export function passwordsOf(url: string): string[] {
  let written: string
  try {
    written = new URL(url).password
  } catch {
    return []
  }
  if (written === '') return []
  try {
    return [...new Set([written, decodeURIComponent(written)])]
  } catch {
    return [written] // a stray '%' that decodes to nothing: only the written form can be quoted
  }
}
