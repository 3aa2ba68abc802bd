// How a thrown value that is not an Error is shown in messages and error
// records: JSON, bounded in size and depth, and never throwing, whatever the
// value (cycles, BigInt, throwing getters and toJSON, revoked Proxies).

/** The most characters {@link renderValue} returns, the truncation mark included. */
export const maxRenderedChars = 4096

/** How deep {@link renderValue} descends into objects and arrays; deeper ones print as `"[Object]"` / `"[Array]"`. */
const maxDepth = 6

/** The most entries of one object or array {@link renderValue} prints; a last entry says how many more there were. */
const maxEntries = 50

/** Thrown when the output is full: unwinds the walk at once, whatever the size of the rest. */
class Full {}

/** The rendering so far, refusing more than its budget of characters. */
class Output {
  text = ''
  constructor(private readonly limit: number) {}

  write(part: string): void {
    if (this.text.length + part.length > this.limit) {
      this.text += part.slice(0, Math.max(0, this.limit - this.text.length))
      throw new Full()
    }
    this.text += part
  }
}

/**
 * Renders a value as JSON for a person reading an error: cut after
 * `maxChars` characters (ending in `…` then, so no longer valid JSON), objects
 * nested over 6 deep as `"[Object]"`, at most 50 entries per object or
 * array, a cycle as `"[Circular]"`, a bigint as `"123n"`, a property whose
 * getter throws as `"[unreadable]"`. A value JSON has no text for
 * (`undefined`, a function, a symbol) at the top prints as JavaScript prints
 * it. Never throws.
 */
export function renderValue(value: unknown, maxChars: number = maxRenderedChars): string {
  const out = new Output(Math.max(1, maxChars - 1))
  try {
    if (!writeValue(out, value, 0, new Set())) out.write(topLevelText(value))
    return out.text
  } catch (error) {
    if (error instanceof Full) return `${out.text}…`
    // Not reached: every read of the value is guarded. Kept so the promise holds.
    return `[a ${typeof value} that cannot be rendered]`
  }
}

function topLevelText(value: unknown): string {
  try {
    return typeof value === 'function' ? `[function ${value.name || 'anonymous'}]` : String(value)
  } catch {
    return `[a ${typeof value}]`
  }
}

/** Writes the JSON of a value; false (and writes nothing) when JSON has none (undefined, a function, a symbol). */
function writeValue(out: Output, value: unknown, depth: number, path: Set<object>): boolean {
  switch (typeof value) {
    case 'string':
      out.write(JSON.stringify(value.length > maxRenderedChars ? value.slice(0, maxRenderedChars) : value))
      return true
    case 'number':
      out.write(Number.isFinite(value) ? String(value) : 'null')
      return true
    case 'boolean':
      out.write(String(value))
      return true
    case 'bigint':
      out.write(`"${value}n"`)
      return true
    case 'object':
      if (value === null) out.write('null')
      else writeObject(out, value, depth, path)
      return true
    default:
      return false
  }
}

function writeObject(out: Output, value: object, depth: number, path: Set<object>): void {
  if (path.has(value)) return out.write('"[Circular]"')
  const json = readToJson(value)
  if (json !== value) {
    if (!writeValue(out, json, depth, path)) out.write('null')
    return
  }
  const array = isArray(value)
  if (depth >= maxDepth) return out.write(array ? '"[Array]"' : '"[Object]"')
  path.add(value)
  if (array) writeEntries(out, '[', ']', arrayEntries(value), depth, path)
  else writeEntries(out, '{', '}', objectEntries(value), depth, path)
  path.delete(value)
}

function writeEntries(out: Output, open: string, close: string, entries: Entries, depth: number, path: Set<object>): void {
  out.write(open)
  let first = true
  for (const [key, item] of entries.items) {
    const start = out.text.length
    out.write(`${first ? '' : ','}${key === undefined ? '' : `${JSON.stringify(key)}:`}`)
    if (writeValue(out, item, depth + 1, path)) first = false
    else if (key === undefined) out.write('null')
    else out.text = out.text.slice(0, start)
    if (key === undefined) first = false
  }
  if (entries.more > 0) out.write(`${first ? '' : ','}${open === '[' ? '' : '"…":'}"${entries.more} more"`)
  out.write(close)
}

interface Entries {
  readonly items: [key: string | undefined, value: unknown][]
  readonly more: number
}

function arrayEntries(value: unknown[]): Entries {
  const length = guarded(() => value.length, 0)
  const items: [undefined, unknown][] = []
  for (let i = 0; i < Math.min(length, maxEntries); i++) items.push([undefined, guarded(() => value[i], '[unreadable]')])
  return { items, more: Math.max(0, length - maxEntries) }
}

function objectEntries(value: object): Entries {
  const keys = guarded(() => Object.keys(value), [] as string[])
  const items: [string, unknown][] = keys.slice(0, maxEntries).map((key) => [key, guarded(() => (value as Record<string, unknown>)[key], '[unreadable]')])
  return { items, more: Math.max(0, keys.length - maxEntries) }
}

function isArray(value: object): value is unknown[] {
  return guarded(() => Array.isArray(value), false)
}

/** What `toJSON` gives (a Date's string, say), or the value itself when it has none or it throws. */
function readToJson(value: object): unknown {
  return guarded(() => {
    const toJSON = (value as { toJSON?: unknown }).toJSON
    return typeof toJSON === 'function' ? (toJSON as () => unknown).call(value) : value
  }, value)
}

/** What `read` returns, or `fallback` when it throws (a getter, a revoked Proxy's trap). */
function guarded<T>(read: () => T, fallback: T): T {
  try {
    return read()
  } catch {
    return fallback
  }
}
