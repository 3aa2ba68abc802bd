import { InvalidWorkflowError } from '../core/errors.js'
import type { DependencySpec } from '../graph/workflow-draft.js'
import { WorkflowBase } from './workflow-base.js'

/**
 * What the compiler needs to know about how a method was declared. (The
 * rules live here, apart from the metadata store, so each reads as one
 * sentence; `metadata.ts` applies them when it builds a draft.)
 */
export interface DeclaredMethod {
  /** The decorators that declared the method a task: `@Task`, `@DependsOn`, `@OnFailure` or `@Loop`. */
  readonly declaredBy: readonly string[]
  /** Every decorator on the method, in the order they ran. */
  readonly decorators: readonly string[]
  readonly dependsOn: readonly DependencySpec[] | undefined
  readonly handles: string | undefined
}

/**
 * Why a method's declaration is not sound, or `undefined` when one decorator
 * declares it a task. Each declaring decorator checks the whole parameter list
 * against what the engine passes, but cannot see the others (legacy
 * decorators check each one against the method type alone), so two on one
 * method would leave a parameter unchecked.
 */
export function declarationProblem(method: DeclaredMethod): string | undefined {
  const declaredBy = [...new Set(method.declaredBy)]
  if (declaredBy.length === 0) {
    const decorators = [...new Set(method.decorators)].join(', ')
    return `has ${decorators} but is not declared a task; declare it with @Task(), @DependsOn(...), @OnFailure(...) or @Loop(...), or remove the decorators`
  }
  if (declaredBy.length === 1) return undefined
  return `has both ${declaredBy.join(' and ')}, and each decides what the method receives; ${checkedForm(method, declaredBy)}`
}

function checkedForm(method: DeclaredMethod, declaredBy: readonly string[]): string {
  const list = method.dependsOn === undefined ? '' : method.dependsOn.map(showDependency).join(', ')
  if (declaredBy.includes('@Loop')) {
    return `declare the loop with @Loop({ while, maxIterations${list === '' ? '' : `, dependsOn: [${list}]`} }) alone`
  }
  if (declaredBy.includes('@OnFailure')) {
    return `declare the handler with @OnFailure('${method.handles ?? ''}') alone: it receives the TaskFailure, then the TaskContext`
  }
  return `@Task() cannot see @DependsOn's tasks, so declare it with @DependsOn(${list}) alone, or with @Task({ dependsOn: [${list}] })`
}

function showDependency(spec: DependencySpec): string {
  if (typeof spec === 'string') return `'${spec}'`
  return spec.optional === true ? `{ task: '${spec.task}', optional: true }` : `{ task: '${spec.task}' }`
}

/**
 * Rejects a method of a workflow class (or of a class it extends, below
 * `WorkflowBase`) that no decorator declares a task. Its type makes it one
 * (`result.output('helper')` and `@DependsOn('helper')` would compile), and
 * the run time cannot tell TypeScript's `private` from public, so a helper
 * must be invisible to both: an ES `#private` method, a `static` method, or a
 * function outside the class.
 *
 * A method overriding an inherited task must declare it again: the check of
 * its parameters runs on the decorators of the method it sits on, and
 * TypeScript accepts an override with narrower parameters (method parameters
 * are bivariant), which would then receive what the base task's declaration
 * passes.
 *
 * @param tasks - every task of the class and the classes it extends.
 * @param declares - whether decorators of class `owner` declare `method` a task.
 * @throws `InvalidWorkflowError` naming the first such method and the fixes.
 */
export function assertEveryMethodIsATask(
  workflow: string,
  constructor: abstract new (...args: never[]) => unknown,
  tasks: ReadonlySet<string>,
  declares: (owner: object, method: string) => boolean,
): void {
  for (const { owner, method } of workflowMethods(constructor)) {
    if (declares(owner, method)) continue
    throw new InvalidWorkflowError(tasks.has(method) ? undeclaredOverride(workflow, method, owner) : notATask(workflow, method, constructor))
  }
}

/**
 * The methods of a workflow class and of the classes it extends, below
 * `WorkflowBase` (the constructor left out), each with the class whose
 * prototype holds it; the most derived first, an overridden method once per
 * class that defines it.
 */
export function workflowMethods(constructor: abstract new (...args: never[]) => unknown): { readonly owner: object; readonly method: string }[] {
  const methods: { owner: object; method: string }[] = []
  for (let prototype = constructor.prototype as object | null; isWorkflowPrototype(prototype); prototype = Object.getPrototypeOf(prototype)) {
    const owner = (prototype as { constructor: object }).constructor
    for (const method of Object.getOwnPropertyNames(prototype)) if (method !== 'constructor' && isMethod(prototype, method)) methods.push({ owner, method })
  }
  return methods
}

function notATask(workflow: string, method: string, constructor: { readonly name: string }): string {
  return (
    `workflow "${workflow}": method "${method}" of ${constructor.name} is not a task, but its type counts it as one (result.output('${method}') would compile); ` +
    `declare it a task, or make it an ES private method (#${method}), a static method or a function outside the class (TypeScript's private is not visible at run time)`
  )
}

function undeclaredOverride(workflow: string, method: string, owner: object): string {
  const name = (owner as { readonly name?: unknown }).name
  return (
    `workflow "${workflow}": method "${method}" of ${typeof name === 'string' ? name : 'a subclass'} overrides an inherited task without declaring it, so its parameters are not checked ` +
    `against what the task receives; repeat the task's declaring decorator on the override (@Task(), @DependsOn(...), @OnFailure(...) or @Loop(...))`
  )
}

function isWorkflowPrototype(prototype: object | null): prototype is object {
  return prototype !== null && prototype !== Object.prototype && prototype !== WorkflowBase.prototype
}

function isMethod(prototype: object, name: string): boolean {
  return typeof Object.getOwnPropertyDescriptor(prototype, name)?.value === 'function'
}
