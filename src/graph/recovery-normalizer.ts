import { closestName } from './did-you-mean.js'
import type { FallbackWithOption } from './fallback-options.js'
import type { OptionCheck } from './option-check.js'
import { normalizeBreaker, normalizeRetry } from './policy-normalizers.js'
import type { ErrorRule, RecoverOptions, RecoveryStrategyOptions } from './recovery-options.js'
import type { FallbackRun, RecoveryPolicy, RecoveryStrategy } from './workflow-graph.js'

/** The matchers a rule may carry: at least one must be given. */
const matchers = ['name', 'instanceOf', 'code', 'message', 'status', 'when'] as const

/** The classes the built-in rules give. */
const builtInClasses = ['connection', 'timeout', 'rate-limited', 'validation', 'authorization', 'database', 'unknown']

/** The strategies written as a bare string. */
const namedStrategies = ['fail-fast', 'compensate', 'escalate'] as const

/**
 * `@Recover`: validates the rules and the strategy of each class. A class's
 * circuit breaker is named `'<workflow>.<task>:<class>'` unless named.
 *
 * @throws `InvalidOptionsError` naming the rule or class, e.g.
 * `@Recover strategies.connection must be …`.
 */
export function normalizeRecover(check: OptionCheck, options: RecoverOptions<FallbackWithOption>, sharedName: string): RecoveryPolicy {
  if (typeof options !== 'object' || options === null) check.fail('@Recover', 'an object with strategies', options)
  const rules = options.rules ?? []
  if (!Array.isArray(rules)) check.fail('@Recover rules', 'an array of rules', rules)
  rules.forEach((rule: ErrorRule, i) => checkRule(check, `@Recover rules[${i}]`, rule))
  const authored = options.strategies
  if (typeof authored !== 'object' || authored === null) check.fail('@Recover strategies', 'an object of strategies by error class', authored)
  const strategies: Record<string, RecoveryStrategy> = Object.create(null)
  const known = new Set([...builtInClasses, ...rules.map((rule: ErrorRule) => rule.as)])
  for (const [errorClass, strategy] of Object.entries(authored)) {
    if (strategy === undefined) continue
    if (!known.has(errorClass)) refuseUnknownClass(check, errorClass, known)
    strategies[errorClass] = normalizeStrategy(check, `@Recover strategies.${errorClass}`, strategy, `${sharedName}:${errorClass}`)
  }
  return Object.freeze({ rules: Object.freeze([...rules]), strategies: Object.freeze(strategies) })
}

/** A strategy for a class no rule gives is never used: most likely a misspelt class. */
function refuseUnknownClass(check: OptionCheck, errorClass: string, known: ReadonlySet<string>): never {
  const closest = closestName(errorClass, known)
  const hint = closest === undefined ? '' : ` (did you mean "${closest}"?)`
  return check.fail(`@Recover strategies.${errorClass}`, `for a class a rule gives${hint}: a built-in class (${builtInClasses.join(', ')}) or one a rule names with \`as\``, errorClass)
}

function checkRule(check: OptionCheck, where: string, rule: ErrorRule): void {
  if (typeof rule !== 'object' || rule === null) check.fail(where, 'a rule object', rule)
  check.name(`${where} as`, rule.as)
  if (!matchers.some((key) => rule[key] !== undefined)) check.fail(where, `given at least one of ${matchers.join(', ')}`, rule)
  if (rule.instanceOf !== undefined) check.fn(`${where} instanceOf`, rule.instanceOf)
  if (rule.when !== undefined) check.fn(`${where} when`, rule.when)
  checkPattern(check, `${where} name`, rule.name)
  checkPattern(check, `${where} message`, rule.message)
  if (rule.code !== undefined && !(rule.code instanceof RegExp) && typeof rule.code !== 'string') {
    if (!Array.isArray(rule.code) || rule.code.some((c) => typeof c !== 'string')) check.fail(`${where} code`, 'a string, an array of strings or a RegExp', rule.code)
  }
  if (rule.status !== undefined) checkStatus(check, `${where} status`, rule.status)
}

function checkPattern(check: OptionCheck, where: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'string' && !(value instanceof RegExp)) check.fail(where, 'a string or a RegExp', value)
}

function checkStatus(check: OptionCheck, where: string, status: number | readonly [number, number]): void {
  if (typeof status === 'number') return void check.integer(where, status, 100)
  if (!Array.isArray(status) || status.length !== 2) check.fail(where, 'an HTTP status or a range [low, high]', status)
  const low = check.integer(`${where}[0]`, status[0], 100)
  check.integer(`${where}[1]`, status[1], low)
}

/** The strategies written as an object, by their one key. */
const objectStrategies = 'retry, fallbackValue, fallbackTo, fallbackWith, circuitBreak'

function normalizeStrategy(check: OptionCheck, where: string, strategy: RecoveryStrategyOptions<FallbackWithOption>, breakerName: string): RecoveryStrategy {
  if (typeof strategy === 'string') return Object.freeze({ kind: check.oneOf(where, strategy, namedStrategies) })
  if (typeof strategy !== 'object' || strategy === null) check.fail(where, `one of ${namedStrategies.map((s) => `'${s}'`).join(', ')} or { retry }, { fallbackValue }, { fallbackTo }, { fallbackWith }, { circuitBreak }`, strategy)
  const keys = Object.keys(strategy)
  if (keys.length !== 1) check.fail(where, `exactly one of ${objectStrategies}`, strategy)
  if ('retry' in strategy) {
    // The task's time budget is @Retry's deadline, over every class's attempts.
    if (strategy.retry?.deadline !== undefined) check.fail(`${where}.retry.deadline`, "left out (a task's deadline is @Retry's, over all its attempts)", strategy.retry.deadline)
    return Object.freeze({ kind: 'retry', retry: normalizeRetry(check, strategy.retry, `${where}.retry`) })
  }
  if ('fallbackValue' in strategy) return Object.freeze({ kind: 'fallback', value: strategy.fallbackValue, task: undefined, run: undefined })
  if ('fallbackTo' in strategy) return Object.freeze({ kind: 'fallback', value: undefined, task: check.name(`${where}.fallbackTo`, strategy.fallbackTo), run: undefined })
  if ('fallbackWith' in strategy) return Object.freeze({ kind: 'fallback', value: undefined, task: undefined, run: fallbackRun(check, `${where}.fallbackWith`, strategy.fallbackWith) })
  if ('circuitBreak' in strategy) {
    const breaker = strategy.circuitBreak
    return Object.freeze({ kind: 'circuit-break', breaker: normalizeBreaker(check, breaker, breaker?.name ?? breakerName) })
  }
  return check.fail(where, `exactly one of ${objectStrategies}`, strategy)
}

/** A `fallbackWith`: a method's name (whether the class has it is checked with the class, see `fallback-methods.ts`), or a function. */
function fallbackRun(check: OptionCheck, where: string, fallback: FallbackWithOption): FallbackRun {
  if (typeof fallback === 'function') return Object.freeze({ kind: 'function', fn: fallback as (error: unknown, ...args: unknown[]) => unknown })
  if (typeof fallback !== 'string') check.fail(where, 'the name of a method of the workflow class, or a function', fallback)
  return Object.freeze({ kind: 'method', method: check.name(where, fallback) })
}
