import type { Duration } from '../core/duration.js'
import { InvalidWorkflowError } from '../core/errors.js'
import { emptyPolicyOptions, pickPolicyOptions, type PolicyKind, type PolicyOptionSlots } from '../graph/policy-kinds.js'
import type { LoopOptions } from '../graph/policy-options.js'
import type { RecoverOptions } from '../graph/recovery-options.js'
import type { DependencySpec, TaskDraft, WorkflowDraft } from '../graph/workflow-draft.js'
import type { TaskCondition, TaskKind, WorkflowGraph } from '../graph/workflow-graph.js'
import { assertFallbackMethods, fallbackMethodUses } from './fallback-methods.js'
import { assertEveryMethodIsATask, declarationProblem } from './task-declaration.js'

/** What the decorators of one method recorded, its policies among them (one slot per kind). Mutable while the class is being decorated. */
interface MethodFacts extends PolicyOptionSlots {
  /** The decorators that declared the method a task (`@Task`, `@DependsOn`, `@OnFailure`, `@Loop`); exactly one is valid. */
  declaredBy: TaskDeclaration[]
  description: string | undefined
  dependsOn: readonly DependencySpec[] | undefined
  kinds: Set<Exclude<TaskKind, 'task'>>
  handles: string | undefined
  when: TaskCondition | undefined
  loop: LoopOptions<never> | undefined
  /** `@Always({ timeout })`: the cleanup's time limit (`@Timeout` says the same; a method may not have both). */
  cleanupTimeout: Duration | undefined
  /** `@RequiresPermission(...)`: permissions the run's principal must hold for the task to execute. */
  requires: string[]
  decorators: string[]
}

/** What `@Workflow` recorded about a class. */
export interface WorkflowFacts {
  readonly name: string
  readonly version: number
  readonly description?: string | undefined
  readonly input?: unknown
  readonly trigger?: string | undefined
  /** The class's `static result`, unvalidated. */
  readonly result?: unknown
  /** The events it inherits from `WorkflowBase.withEvents`, unvalidated. */
  readonly events?: unknown
  /** `@Workflow({ requires })`: permissions a principal must hold to start a run, unvalidated. */
  readonly requires?: readonly string[] | undefined
  /** `@Workflow({ recover })`: recovery for every ordinary and loop task, unvalidated. */
  readonly recover?: RecoverOptions | undefined
}

interface ClassFacts {
  workflow: WorkflowFacts | undefined
  methods: Map<string, MethodFacts>
  graph: WorkflowGraph | undefined
}

// The one place decorator facts live. Decorators write here; compileWorkflow reads
// here; nothing else (and never the interpreter) looks at classes' metadata.
const facts = new WeakMap<object, ClassFacts>()

function classFacts(constructor: object): ClassFacts {
  let entry = facts.get(constructor)
  if (entry === undefined) {
    entry = { workflow: undefined, methods: new Map(), graph: undefined }
    facts.set(constructor, entry)
  }
  return entry
}

/** A method policy or fact a decorator may set once. */
export type MethodFactKey = PolicyKind | 'cleanupTimeout' | 'when' | 'loop'

/**
 * Records what a method decorator says about a method. Called by decorators
 * with the class prototype they decorate.
 */
export function methodFacts(prototype: object, method: string, decorator: string): MethodFacts {
  const { methods } = classFacts(prototype.constructor)
  let entry = methods.get(method)
  if (entry === undefined) {
    entry = {
      declaredBy: [],
      description: undefined,
      dependsOn: undefined,
      kinds: new Set(),
      handles: undefined,
      when: undefined,
      loop: undefined,
      ...emptyPolicyOptions(),
      cleanupTimeout: undefined,
      requires: [],
      decorators: [],
    }
    methods.set(method, entry)
  }
  entry.decorators.push(decorator)
  return entry
}

/** Sets one fact, rejecting a second decorator of the same kind on the method. */
export function setOnce<K extends MethodFactKey>(prototype: object, method: string, decorator: string, key: K, value: MethodFacts[K]): void {
  const entry = methodFacts(prototype, method, decorator)
  if (entry[key] !== undefined) {
    throw new InvalidWorkflowError(`method "${method}" of ${prototype.constructor.name} has ${decorator} twice; merge them into one`)
  }
  entry[key] = value
}

/** A decorator that declares a method a task, deciding what the method receives. */
export type TaskDeclaration = '@Task' | '@DependsOn' | '@OnFailure' | '@Loop'

/** What a declaring decorator says about the task besides declaring it. */
export interface TaskDeclarationFacts {
  readonly description?: string | undefined
  readonly dependsOn?: readonly DependencySpec[] | undefined
}

/**
 * Records that `decorator` declares the method a task. A second declaration
 * by the same decorator is rejected at once; two different ones are rejected
 * by the compiler (see `declarationProblem`).
 */
export function declareTask(prototype: object, method: string, decorator: TaskDeclaration, declared: TaskDeclarationFacts): MethodFacts {
  const entry = methodFacts(prototype, method, decorator)
  if (entry.declaredBy.includes(decorator)) {
    throw new InvalidWorkflowError(`method "${method}" of ${prototype.constructor.name} has ${decorator} twice; keep one`)
  }
  entry.declaredBy.push(decorator)
  if (declared.description !== undefined) entry.description = declared.description
  entry.dependsOn ??= declared.dependsOn
  return entry
}

/** Records the `@Workflow` options of a class. */
export function recordWorkflow(constructor: object, options: WorkflowFacts): void {
  classFacts(constructor).workflow = options
}

/** The compiled graph cached for a class, if any. */
export function cachedGraph(constructor: object): WorkflowGraph | undefined {
  return facts.get(constructor)?.graph
}

/** Caches a class's compiled graph. */
export function cacheGraph(constructor: object, graph: WorkflowGraph): void {
  classFacts(constructor).graph = graph
}

/**
 * Builds the draft of a decorated class: its own tasks and those it inherits
 * (a subclass's method overrides its parent's).
 *
 * @throws `InvalidWorkflowError` for a method declared a task twice over, a
 * decorated method no decorator declares a task, or an undecorated method
 * that no `fallbackWith` names; `InvalidOptionsError` for a `fallbackWith`
 * that names a task or no method of the class.
 */
export function draftOf(constructor: abstract new (...args: never[]) => unknown): WorkflowDraft {
  const workflow = facts.get(constructor)?.workflow
  if (workflow === undefined) {
    throw new InvalidWorkflowError(`class ${constructor.name} has no @Workflow({ name, version }) decorator`)
  }
  const methods = new Map<string, MethodFacts>()
  for (let c: object | null = constructor; c !== null && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    for (const [method, entry] of facts.get(c)?.methods ?? []) if (!methods.has(method)) methods.set(method, entry)
  }
  const taskNames = new Set(methods.keys())
  // A method a task's @Recover falls back to is not a task, and may be undecorated.
  const fallbacks = fallbackMethodUses(methods)
  assertFallbackMethods(workflow.name, constructor, taskNames, fallbacks)
  const fallbackMethods = new Set(fallbacks.map((use) => use.method))
  assertEveryMethodIsATask(workflow.name, constructor, taskNames, (owner, method) => fallbackMethods.has(method) || facts.get(owner)?.methods.has(method) === true)
  const tasks = [...methods].map(([method, entry]) => toTaskDraft(workflow.name, method, entry))
  return { ...workflow, tasks, source: constructor }
}

function toTaskDraft(workflow: string, method: string, entry: MethodFacts): TaskDraft {
  const where = `workflow "${workflow}": method "${method}"`
  const problem = declarationProblem(entry)
  if (problem !== undefined) throw new InvalidWorkflowError(`${where} ${problem}`)
  if (entry.kinds.size > 1) {
    const kinds = [...entry.kinds].map((kind) => `@${kindDecorator[kind]}`).join(' and ')
    throw new InvalidWorkflowError(`${where} cannot be both ${kinds}; split it into two tasks`)
  }
  const [kind = 'task'] = entry.kinds
  if (entry.timeout !== undefined && entry.cleanupTimeout !== undefined) {
    throw new InvalidWorkflowError(`${where} has both @Timeout and @Always({ timeout }); keep one of them`)
  }
  return {
    name: method,
    method,
    kind,
    description: entry.description,
    dependsOn: entry.dependsOn ?? [],
    handles: entry.handles,
    when: entry.when,
    loop: entry.loop,
    ...pickPolicyOptions(entry),
    timeout: entry.timeout ?? entry.cleanupTimeout,
    requires: entry.requires,
  }
}

const kindDecorator: Record<Exclude<TaskKind, 'task'>, string> = { loop: 'Loop', 'on-failure': 'OnFailure', always: 'Always' }
