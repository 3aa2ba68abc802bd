import type { ErrorClassName, ErrorFacts, ErrorRule } from '../../graph/recovery-options.js'
import { builtInErrorRules } from './built-in-rules.js'
import { factsOfError, factsOfRecord, type ErrorRecordLike } from './error-facts.js'

/**
 * Which class an error is in, and why.
 *
 * @example
 * ```ts
 * import { createErrorClassifier, type ErrorClassification } from 'weft-sdk'
 * const { errorClass, rule }: ErrorClassification = createErrorClassifier().classify(new Error('boom'))
 * console.log(errorClass, rule?.description ?? 'no rule matched') // unknown no rule matched
 * ```
 */
export interface ErrorClassification {
  /** The class: the matching rule's `as`, or `'unknown'`. */
  readonly errorClass: ErrorClassName
  /** The rule that matched, if one did. */
  readonly rule: ErrorRule | undefined
  /** Where in the cause chain it matched: 0 for the error itself, 1 for its `cause`, … (0 when nothing matched). */
  readonly depth: number
}

/**
 * Options of {@link createErrorClassifier}.
 *
 * @example
 * ```ts
 * import type { ErrorClassifierOptions } from 'weft-sdk'
 * const options: ErrorClassifierOptions = { rules: [{ message: 'quota', as: 'rate-limited' }] }
 * ```
 */
export interface ErrorClassifierOptions {
  /** Rules tried before the built-in ones, in order. @defaultValue `[]` */
  readonly rules?: readonly ErrorRule[]
  /** Whether the built-in rules ({@link builtInErrorRules}) follow the user's. @defaultValue `true` */
  readonly builtIns?: boolean
}

/**
 * Sorts errors into classes by rules. Rules are tried in order, the user's
 * first, then the built-in ones; the first rule that matches the error or
 * one of its causes wins (so a user's rule overrides a built-in one by
 * coming first); no match is `'unknown'`. A live error and its stored
 * `ErrorRecord` classify alike, except that `instanceOf` rules (and `when`
 * predicates reading `facts.error`) only see live errors.
 *
 * @example
 * ```ts
 * import { ErrorClassifier } from 'weft-sdk'
 * const classifier = new ErrorClassifier([{ message: /invalid/i, as: 'validation' }])
 * classifier.classify(new Error('Invalid data format')).errorClass // 'validation'
 * classifier.classify(Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' })).errorClass // 'connection'
 * ```
 */
export class ErrorClassifier {
  /** The rules in the order they are tried. */
  readonly rules: readonly ErrorRule[]

  constructor(rules: readonly ErrorRule[] = [], builtIns: readonly ErrorRule[] = builtInErrorRules) {
    this.rules = Object.freeze([...rules, ...builtIns])
  }

  /** The class of a live error (anything thrown). Never throws: a rule's `when` that throws does not match. */
  classify(error: unknown): ErrorClassification {
    return this.classifyFacts(factsOfError(error))
  }

  /** The class of a stored error record (`ErrorRecord`: what a run's failed step, a `task.failed` event or an `@OnFailure` record carries). */
  classifyRecord(record: ErrorRecordLike): ErrorClassification {
    return this.classifyFacts(factsOfRecord(record))
  }

  private classifyFacts(chain: readonly ErrorFacts[]): ErrorClassification {
    for (const rule of this.rules) {
      for (const facts of chain) if (ruleMatches(rule, facts)) return { errorClass: rule.as, rule, depth: facts.depth }
    }
    return unknown
  }
}

const unknown: ErrorClassification = Object.freeze({ errorClass: 'unknown', rule: undefined, depth: 0 })

/**
 * A classifier with the user's `rules` before the built-in ones (or alone,
 * with `builtIns: false`).
 *
 * @example
 * ```ts
 * import { createErrorClassifier } from 'weft-sdk'
 * const classifier = createErrorClassifier({ rules: [{ code: 'QUOTA', as: 'rate-limited' }] })
 * classifier.classify(Object.assign(new Error('quota spent'), { code: 'QUOTA' })).errorClass // 'rate-limited'
 * ```
 */
export function createErrorClassifier(options: ErrorClassifierOptions = {}): ErrorClassifier {
  return new ErrorClassifier(options.rules ?? [], options.builtIns === false ? [] : builtInErrorRules)
}

/** Whether every matcher of `rule` matches `facts`. */
export function ruleMatches(rule: ErrorRule, facts: ErrorFacts): boolean {
  if (rule.instanceOf !== undefined && !(facts.error instanceof rule.instanceOf)) return false
  if (rule.name !== undefined && !textMatches(rule.name, facts.name, false)) return false
  if (rule.code !== undefined && !codeMatches(rule.code, facts.code)) return false
  if (rule.message !== undefined && !textMatches(rule.message, facts.message, true)) return false
  if (rule.status !== undefined && !statusMatches(rule.status, facts.status)) return false
  return rule.when === undefined || predicateHolds(rule.when, facts)
}

function textMatches(pattern: string | RegExp, text: string, substring: boolean): boolean {
  if (typeof pattern !== 'string') return text.search(pattern) >= 0
  return substring ? text.toLowerCase().includes(pattern.toLowerCase()) : text === pattern
}

function codeMatches(pattern: string | readonly string[] | RegExp, code: string | undefined): boolean {
  if (code === undefined) return false
  if (typeof pattern === 'string') return code === pattern
  return pattern instanceof RegExp ? code.search(pattern) >= 0 : (pattern as readonly string[]).includes(code)
}

function statusMatches(status: number | readonly [number, number], actual: number | undefined): boolean {
  if (actual === undefined) return false
  return typeof status === 'number' ? actual === status : actual >= status[0] && actual <= status[1]
}

function predicateHolds(when: (facts: ErrorFacts) => boolean, facts: ErrorFacts): boolean {
  try {
    return when(facts) === true
  } catch {
    return false
  }
}
