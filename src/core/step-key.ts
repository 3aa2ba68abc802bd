import { WeftError } from './errors.js'

// Step identity. Every record a run writes (a task's result, a loop iteration,
// a `ctx.map` item, a `ctx.step` sub-step, a consumed event, a durable timer)
// is stored under a key built from its path, and read back by the same key
// after a restart. This module is the only place that builds and parses keys.
//
// A path is a sequence of segments; a key is the segments written one after
// the other:
//
//   task            <name>               the task itself          fetch
//   iteration       #<n>                 a loop iteration         refine#2
//   item            [<n>]  or /<map>[<n>] a ctx.map item          fetch[3], fetch/pages[3]
//   step            /<name>              a ctx.step sub-step      fetch/download
//   wait            /wait:<event>#<n>    the n-th waitForEvent    approve/wait:approved#0
//   events          /events:<event>#<n>  the n-th events stream   watch/events:tick#0
//   event           /<n>                 the n-th event of it     watch/events:tick#0/4
//   sleep           /sleep#<n>           the n-th ctx.sleep       wait/sleep#0   (timers only)
//   since/deadline  :since, :deadline    a wait's window          approve/wait:approved#0:since (timers only)
//
// The grammar: a task, then an optional iteration, then at most one of item,
// step, wait (optionally since/deadline), events (then optionally one event,
// or since/deadline) or sleep.
//
// Names are written as they are, except that the characters the grammar uses
// between names are escaped: `/` as %2F, `#` as %23, `[` as %5B, and a `%`
// that is followed by two hex digits as %25 (any other `%` stays as it is). So
// every key of a name without `/`, `#`, `[` or `%<hex><hex>` is byte for byte
// the key Weft 0.1 wrote, and keys of names with them can no longer collide
// with the keys of other steps (a task "a/x" against task "a"'s sub-step "x").

/** One segment of a step path (see {@link formatStepKey} for how each is written). */
export type StepSegment =
  | {
      /** The task (always the first segment). */
      readonly kind: 'task'
      /** The task's name. */
      readonly name: string
    }
  | {
      /** A loop iteration. */
      readonly kind: 'iteration'
      /** The iteration, from 0. */
      readonly index: number
    }
  | {
      /** A `ctx.map` item. */
      readonly kind: 'item'
      /** The item's position in the list, from 0. */
      readonly index: number
      /** The map's name, when it has one (`ctx.map(items, fn, { name })`). */
      readonly map?: string | undefined
    }
  | {
      /** A `ctx.step` sub-step. */
      readonly kind: 'step'
      /** The sub-step's name. */
      readonly name: string
    }
  | {
      /** A `ctx.waitForEvent(name)` of an attempt. */
      readonly kind: 'wait'
      /** The event's name. */
      readonly name: string
      /** Which wait for that event in the attempt, from 0. */
      readonly index: number
    }
  | {
      /** A `ctx.events(name)` stream of an attempt. */
      readonly kind: 'events'
      /** The event's name. */
      readonly name: string
      /** Which stream of that event in the attempt, from 0. */
      readonly index: number
    }
  | {
      /** An event taken by a stream. */
      readonly kind: 'event'
      /** Which event of the stream, from 0. */
      readonly index: number
    }
  | {
      /** A `ctx.sleep` of an attempt (a timer). */
      readonly kind: 'sleep'
      /** Which sleep of the attempt, from 0. */
      readonly index: number
    }
  | {
      /** When a wait or stream began (a timer). */
      readonly kind: 'since'
    }
  | {
      /** When a wait or stream gives up (a timer). */
      readonly kind: 'deadline'
    }

/** A step's path: a task segment, then what the grammar allows after it. */
export type StepPath = readonly StepSegment[]

/** What a key names, as stored in a step row's `kind` column for people reading the database. */
export type StepKeyKind = 'task' | 'iteration' | 'item' | 'sub-step' | 'event' | 'timer'

const ESCAPED = /[/#[]|%(?=[0-9A-Fa-f]{2})/
const ESCAPED_ALL = /[/#[]|%(?=[0-9A-Fa-f]{2})/g
const ESCAPES: Readonly<Record<string, string>> = { '/': '%2F', '#': '%23', '[': '%5B', '%': '%25' }
const UNESCAPES: Readonly<Record<string, string>> = { '%2F': '/', '%23': '#', '%5B': '[', '%25': '%' }

/** Writes a name as it appears in keys (unchanged unless it holds `/`, `#`, `[` or `%<hex><hex>`). */
export function encodeStepName(name: string): string {
  return ESCAPED.test(name) ? name.replace(ESCAPED_ALL, (c) => ESCAPES[c]!) : name
}

/** Reads a name written by {@link encodeStepName}; `undefined` when it holds text no name encodes to. */
function decodeStepName(text: string): string | undefined {
  if (!text.includes('%')) return text
  let malformed = false
  const name = text.replace(/%[0-9A-Fa-f]{2}/g, (escape) => {
    const char = UNESCAPES[escape]
    if (char === undefined) malformed = true
    return char ?? escape
  })
  return malformed ? undefined : name
}

/**
 * Writes one segment; appending it to the key of its parent path gives the
 * key of the longer path (keys are built by concatenation).
 *
 * @example
 * ```ts
 * import { formatStepSegment, formatStepKey } from 'weft-sdk/store'
 * const loop = formatStepKey([{ kind: 'task', name: 'refine' }, { kind: 'iteration', index: 2 }]) // 'refine#2'
 * loop + formatStepSegment({ kind: 'step', name: 'draft' }) // 'refine#2/draft'
 * ```
 */
export function formatStepSegment(segment: StepSegment): string {
  switch (segment.kind) {
    case 'task':
      return encodeStepName(segment.name)
    case 'iteration':
      return `#${segment.index}`
    case 'item':
      return segment.map === undefined ? `[${segment.index}]` : `/${encodeStepName(segment.map)}[${segment.index}]`
    case 'step':
      return `/${encodeStepName(segment.name)}`
    case 'wait':
      return `/wait:${encodeStepName(segment.name)}#${segment.index}`
    case 'events':
      return `/events:${encodeStepName(segment.name)}#${segment.index}`
    case 'event':
      return `/${segment.index}`
    case 'sleep':
      return `/sleep#${segment.index}`
    case 'since':
      return ':since'
    case 'deadline':
      return ':deadline'
  }
}

/**
 * Writes a step path as its key. Distinct paths always give distinct keys,
 * and {@link parseStepKey} reads every key back to its path.
 *
 * @example
 * ```ts
 * import { formatStepKey } from 'weft-sdk/store'
 * formatStepKey([{ kind: 'task', name: 'fetch' }, { kind: 'item', index: 3, map: 'pages' }]) // 'fetch/pages[3]'
 * formatStepKey([{ kind: 'task', name: 'a/x' }]) // 'a%2Fx': not task "a"'s sub-step "x" ('a/x')
 * ```
 * @throws {@link InvalidStepPathError} when the segments do not follow the grammar.
 */
export function formatStepKey(path: StepPath): string {
  const problem = grammarProblem(path)
  if (problem !== undefined) throw new InvalidStepPathError(problem)
  let key = ''
  for (const segment of path) key += formatStepSegment(segment)
  return key
}

/** The key of a task's own step (its result), or of one loop iteration when `iteration` is given. */
export function taskStepKey(task: string, iteration?: number): string {
  const key = encodeStepName(task)
  return iteration === undefined || iteration < 0 ? key : `${key}#${iteration}`
}

const INDEX = '(0|[1-9][0-9]*)'
const TASK_SEGMENT = new RegExp(`^([^#[]*)(?:#${INDEX})?(?:\\[${INDEX}\\])?$`)
const WAIT_SEGMENT = new RegExp(`^(wait|events):([^#]*)#${INDEX}(?::(since|deadline))?$`)
const SLEEP_SEGMENT = new RegExp(`^sleep#${INDEX}$`)
const ITEM_SEGMENT = new RegExp(`^([^#[]*)\\[${INDEX}\\]$`)
const EVENT_SEGMENT = new RegExp(`^${INDEX}$`)

/**
 * Reads a key back into its path; `undefined` when the text is not a key
 * Weft writes (written by a newer version, or edited by hand).
 *
 * @example
 * ```ts
 * import { parseStepKey } from 'weft-sdk/store'
 * parseStepKey('refine#2/draft')
 * // [{ kind: 'task', name: 'refine' }, { kind: 'iteration', index: 2 }, { kind: 'step', name: 'draft' }]
 * ```
 */
export function parseStepKey(key: string): StepSegment[] | undefined {
  const parts = key.split('/')
  const head = parseTaskPart(parts[0]!)
  if (head === undefined) return undefined
  if (parts.length === 1) return head
  if (head.at(-1)!.kind === 'item') return undefined
  const rest = parseChildParts(parts.slice(1))
  return rest === undefined ? undefined : [...head, ...rest]
}

function parseTaskPart(part: string): StepSegment[] | undefined {
  const match = TASK_SEGMENT.exec(part)
  const name = match === null ? undefined : decodeStepName(match[1]!)
  if (match === null || name === undefined) return undefined
  const path: StepSegment[] = [{ kind: 'task', name }]
  if (match[2] !== undefined) path.push({ kind: 'iteration', index: Number(match[2]) })
  if (match[3] !== undefined) path.push({ kind: 'item', index: Number(match[3]) })
  return path
}

function parseChildParts(parts: readonly string[]): StepSegment[] | undefined {
  const [part, event, ...extra] = parts as [string, string | undefined, ...string[]]
  if (extra.length > 0) return undefined
  const wait = WAIT_SEGMENT.exec(part)
  if (wait !== null) return parseWaitPart(wait, event)
  if (event !== undefined) return undefined
  const sleep = SLEEP_SEGMENT.exec(part)
  if (sleep !== null) return [{ kind: 'sleep', index: Number(sleep[1]) }]
  if (part.includes('#')) return undefined
  const item = ITEM_SEGMENT.exec(part)
  if (item !== null) {
    const map = decodeStepName(item[1]!)
    return map === undefined ? undefined : [{ kind: 'item', index: Number(item[2]), map }]
  }
  if (part.includes('[')) return undefined
  const name = decodeStepName(part)
  return name === undefined ? undefined : [{ kind: 'step', name }]
}

function parseWaitPart(match: RegExpExecArray, event: string | undefined): StepSegment[] | undefined {
  const [, kind, encoded, index, timer] = match
  const name = decodeStepName(encoded!)
  if (name === undefined) return undefined
  const path: StepSegment[] = [{ kind: kind as 'wait' | 'events', name, index: Number(index) }]
  if (timer !== undefined) path.push({ kind: timer as 'since' | 'deadline' })
  if (event === undefined) return path
  const taken = EVENT_SEGMENT.exec(event)
  if (kind !== 'events' || timer !== undefined || taken === null) return undefined
  path.push({ kind: 'event', index: Number(taken[1]) })
  return path
}

/**
 * What a key names: the task's own result, a loop iteration, a map item, a
 * sub-step, a consumed event, or a timer; `undefined` for text that is not a key.
 *
 * @example
 * ```ts
 * import { stepKeyKind } from 'weft-sdk/store'
 * stepKeyKind('fetch/pages[3]') // 'item'
 * ```
 */
export function stepKeyKind(key: string): StepKeyKind | undefined {
  const path = parseStepKey(key)
  return path === undefined ? undefined : kindOfPath(path)
}

function kindOfPath(path: StepPath): StepKeyKind {
  const last = path.at(-1)!
  switch (last.kind) {
    case 'task':
      return 'task'
    case 'iteration':
      return 'iteration'
    case 'item':
      return 'item'
    case 'step':
      return 'sub-step'
    case 'wait':
    case 'events':
    case 'event':
      return 'event'
    case 'sleep':
    case 'since':
    case 'deadline':
      return 'timer'
  }
}

/**
 * Whether `key` is the key of a task's own step (its result), not a sub-step
 * of it. Weft 0.1 wrote a task's own key as its bare name even when the name
 * held `/`, `#` or `[`; such a key (equal to the task's name, in a row of
 * that task) is read as the task's own step too.
 */
export function isTaskStepKey(key: string, task: string): boolean {
  return key === encodeStepName(task) || key === task
}

/** Why a path breaks the grammar, or `undefined`. */
function grammarProblem(path: StepPath): string | undefined {
  const [first, ...rest] = path
  if (first?.kind !== 'task') return 'a step path starts with its task'
  const badIndex = path.find((s) => 'index' in s && !(Number.isSafeInteger(s.index) && s.index >= 0))
  if (badIndex !== undefined) return `a ${badIndex.kind} index must be an integer ≥ 0, got ${String((badIndex as { index: number }).index)}`
  if (rest.some((s) => s.kind === 'task')) return 'a step path has one task segment, the first'
  const afterIteration = rest[0]?.kind === 'iteration' ? rest.slice(1) : rest
  if (afterIteration.length === 0) return undefined
  const [child, ...tail] = afterIteration
  const tailKinds = tail.map((s) => s.kind).join(',')
  switch (child!.kind) {
    case 'item':
    case 'step':
    case 'sleep':
      return tail.length === 0 ? undefined : `nothing follows a ${child!.kind} segment, got ${tailKinds}`
    case 'wait':
      return tail.length === 0 || (tail.length === 1 && isWindow(tail[0]!)) ? undefined : `only :since or :deadline follows a wait, got ${tailKinds}`
    case 'events':
      return tail.length === 0 || (tail.length === 1 && (isWindow(tail[0]!) || tail[0]!.kind === 'event'))
        ? undefined
        : `one event, :since or :deadline follows an events stream, got ${tailKinds}`
    default:
      return `a ${child!.kind} segment cannot follow a task or iteration`
  }
}

function isWindow(segment: StepSegment): boolean {
  return segment.kind === 'since' || segment.kind === 'deadline'
}

/**
 * A step path that breaks the grammar of {@link formatStepKey}: a bug in the
 * code that built it, never a user's input.
 *
 * @example
 * ```ts
 * import { formatStepKey, InvalidStepPathError } from 'weft-sdk/store'
 * try {
 *   formatStepKey([{ kind: 'step', name: 'orphan' }])
 * } catch (error) {
 *   if (error instanceof InvalidStepPathError) console.error(error.message) // invalid step path: a step path starts with its task
 * }
 * ```
 */
export class InvalidStepPathError extends WeftError {
  readonly code = 'WEFT_INVALID_STEP_PATH'
  readonly _tag = 'InvalidStepPathError'
  constructor(problem: string) {
    super(`invalid step path: ${problem}`)
  }
}
