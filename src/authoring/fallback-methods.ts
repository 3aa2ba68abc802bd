import { InvalidOptionsError } from '../core/errors.js'
import { closestName } from '../graph/did-you-mean.js'
import type { FallbackWithOption } from '../graph/fallback-options.js'
import type { RecoverOptions } from '../graph/recovery-options.js'
import { workflowMethods } from './task-declaration.js'

/** A method a task's `@Recover` names as its `fallbackWith`, and where it is named. */
export interface FallbackMethodUse {
  /** The task whose `@Recover` names it. */
  readonly task: string
  /** The error class whose strategy it is. */
  readonly errorClass: string
  /** The method's name. */
  readonly method: string
}

/**
 * The methods the tasks' own `@Recover` options name as `fallbackWith`, read
 * from the options as recorded (unvalidated: anything else is the
 * normalizer's to refuse).
 */
export function fallbackMethodUses(tasks: ReadonlyMap<string, { readonly recover: RecoverOptions<FallbackWithOption> | undefined }>): FallbackMethodUse[] {
  const uses: FallbackMethodUse[] = []
  for (const [task, { recover }] of tasks) {
    const strategies: unknown = recover?.strategies
    if (typeof strategies !== 'object' || strategies === null) continue
    for (const [errorClass, strategy] of Object.entries(strategies)) {
      const method: unknown = typeof strategy === 'object' && strategy !== null ? (strategy as { fallbackWith?: unknown }).fallbackWith : undefined
      if (typeof method === 'string') uses.push({ task, errorClass, method })
    }
  }
  return uses
}

/**
 * Checks that each method a `fallbackWith` names is a method of the class (or
 * of a class it extends) and not a task. A fallback is called on the run's
 * workflow instance and is not a step of its own; a task runs once in the
 * graph under its own name, so it cannot be one. The fallback should be
 * TypeScript-`private` or `protected`, so that the class's type does not
 * count it as a task (`@Recover` refuses a public one when it compiles; the
 * run time cannot tell them apart).
 *
 * @throws {@link InvalidOptionsError} naming the workflow, the task, the
 * class and the method, with the closest method's name when it looks like a
 * typo.
 */
export function assertFallbackMethods(
  workflow: string,
  constructor: abstract new (...args: never[]) => unknown,
  tasks: ReadonlySet<string>,
  uses: readonly FallbackMethodUse[],
): void {
  if (uses.length === 0) return
  const helpers = new Set(workflowMethods(constructor).map(({ method }) => method).filter((method) => !tasks.has(method)))
  for (const { task, errorClass, method } of uses) {
    const where = `workflow "${workflow}" task "${task}": @Recover strategies.${errorClass}.fallbackWith names "${method}"`
    if (tasks.has(method)) {
      throw new InvalidOptionsError(
        `${where}, which is a task: a fallback runs inside the task that fails and is not a step of its own; give a private method that no decorator declares a task, ` +
          `or, to complete with that task's output, depend on it and use fallbackTo`,
      )
    }
    if (!helpers.has(method)) {
      const closest = closestName(method, helpers)
      const hint = closest === undefined ? '' : ` (did you mean "${closest}"?)`
      throw new InvalidOptionsError(`${where}, which is not a method of ${constructor.name}${hint}: give the name of a private or protected method of the workflow class`)
    }
  }
}
