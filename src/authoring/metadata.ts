import type { Duration } from '../core/duration.js'
import { InvalidWorkflowError } from '../core/errors.js'
import type {
  BulkheadOptions,
  CacheOptions,
  CircuitBreakerOptions,
  LoopOptions,
  RateLimitOptions,
  RetryOptions,
} from '../graph/policy-options.js'
import type { DependencySpec, TaskDraft, WorkflowDraft } from '../graph/workflow-draft.js'
import type { TaskCondition, TaskKind, WorkflowGraph } from '../graph/workflow-graph.js'

/** What the decorators of one method recorded. Mutable while the class is being decorated. */
interface MethodFacts {
  isTask: boolean
  description: string | undefined
  dependsOn: readonly DependencySpec[] | undefined
  kinds: Set<Exclude<TaskKind, 'task'>>
  handles: string | undefined
  when: TaskCondition | undefined
  loop: LoopOptions<never> | undefined
  retry: RetryOptions | undefined
  timeout: Duration | undefined
  /** `@Always({ timeout })`: the cleanup's time limit (`@Timeout` says the same; a method may not have both). */
  cleanupTimeout: Duration | undefined
  circuitBreaker: CircuitBreakerOptions | undefined
  rateLimit: RateLimitOptions | undefined
  cache: CacheOptions<never> | undefined
  bulkhead: BulkheadOptions | undefined
  decorators: string[]
}

/** What `@Workflow` recorded about a class. */
export interface WorkflowFacts {
  readonly name: string
  readonly version: number
  readonly description?: string | undefined
  readonly input?: unknown
  readonly trigger?: string | undefined
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
export type MethodFactKey = 'retry' | 'timeout' | 'cleanupTimeout' | 'circuitBreaker' | 'rateLimit' | 'cache' | 'bulkhead' | 'when' | 'loop' | 'dependsOn'

/**
 * Records what a method decorator says about a method. Called by decorators
 * with the class prototype they decorate.
 */
export function methodFacts(prototype: object, method: string, decorator: string): MethodFacts {
  const { methods } = classFacts(prototype.constructor)
  let entry = methods.get(method)
  if (entry === undefined) {
    entry = {
      isTask: false,
      description: undefined,
      dependsOn: undefined,
      kinds: new Set(),
      handles: undefined,
      when: undefined,
      loop: undefined,
      retry: undefined,
      timeout: undefined,
      cleanupTimeout: undefined,
      circuitBreaker: undefined,
      rateLimit: undefined,
      cache: undefined,
      bulkhead: undefined,
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

/** Marks a method as a task. */
export function markTask(prototype: object, method: string, description: string | undefined): MethodFacts {
  const entry = methodFacts(prototype, method, '@Task')
  if (entry.isTask) throw new InvalidWorkflowError(`method "${method}" of ${prototype.constructor.name} has @Task twice; keep one`)
  entry.isTask = true
  entry.description = description
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
  const tasks = [...methods].map(([method, entry]) => toTaskDraft(workflow.name, method, entry))
  return { ...workflow, tasks, source: constructor }
}

function toTaskDraft(workflow: string, method: string, entry: MethodFacts): TaskDraft {
  const where = `workflow "${workflow}": method "${method}"`
  if (!entry.isTask) {
    const decorators = [...new Set(entry.decorators)].join(', ')
    throw new InvalidWorkflowError(`${where} has ${decorators} but no @Task(); add @Task() or remove the decorators`)
  }
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
    retry: entry.retry,
    timeout: entry.timeout ?? entry.cleanupTimeout,
    circuitBreaker: entry.circuitBreaker,
    rateLimit: entry.rateLimit,
    cache: entry.cache,
    bulkhead: entry.bulkhead,
  }
}

const kindDecorator: Record<Exclude<TaskKind, 'task'>, string> = { loop: 'Loop', 'on-failure': 'OnFailure', always: 'Always' }
