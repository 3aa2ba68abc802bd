import {
  DuplicateTaskError,
  EmptyWorkflowError,
  InvalidOptionsError,
  InvalidWorkflowError,
  UnknownDependencyError,
} from '../core/errors.js'
import { taskStepKey } from '../core/step-key.js'
import { assertStorableName } from '../core/storable-name.js'
import { compileEvents } from './compile-events.js'
import { compileResult } from './compile-result.js'
import { closestName } from './did-you-mean.js'
import { checkLoopOptions, normalizePolicies } from './normalize-policies.js'
import { checkRecoveryWiring, taskRecovery } from './recovery-wiring.js'
import { topologicalOrder } from './topological-order.js'
import type { DependencySpec, TaskDraft, WorkflowDraft } from './workflow-draft.js'
import type { Dependency, TaskNode, WorkflowGraph } from './workflow-graph.js'

/**
 * The time limit of an `@Always` cleanup that sets none: a cleanup must not
 * keep its run from ending (a first cancel lets it run this long, a second aborts it).
 *
 * @example
 * ```ts
 * import { defaultCleanupTimeout } from 'weft-sdk'
 * console.log(`an @Always cleanup without a timeout may take ${defaultCleanupTimeout}`) // '1 m'
 * ```
 */
export const defaultCleanupTimeout = '1 m'

/**
 * Validates a workflow draft and builds its frozen graph. Every check runs
 * before any run exists; a bad definition never reaches the interpreter.
 *
 * @throws {@link EmptyWorkflowError}, {@link DuplicateTaskError},
 * {@link UnknownDependencyError} (with a did-you-mean), {@link CycleError}
 * (with the full path), {@link InvalidOptionsError}, {@link InvalidWorkflowError} or
 * {@link ResultDeclarationError}.
 */
export function compileGraph(draft: WorkflowDraft): WorkflowGraph {
  checkIdentity(draft)
  const { name } = draft
  if (draft.tasks.length === 0) throw new EmptyWorkflowError(name)
  const index = indexTasks(name, draft.tasks)
  const dependencies = draft.tasks.map((task) => resolveDependencies(name, task, index))
  draft.tasks.forEach((task, i) => checkTaskShape(name, task, dependencies[i]!))
  const edges = draft.tasks.map((task, i) => edgesOf(task, dependencies[i]!, index))
  const order = topologicalOrder(name, draft.tasks.map((task) => task.name), edges)
  return buildGraph(draft, order, dependencies)
}

function checkIdentity(draft: WorkflowDraft): void {
  if (typeof draft.name !== 'string' || draft.name.trim() === '') {
    throw new InvalidOptionsError(`workflow name must be a non-empty string, got ${JSON.stringify(draft.name)}`)
  }
  assertStorableName('workflow name', draft.name)
  if (typeof draft.version !== 'number' || !Number.isInteger(draft.version) || draft.version < 1) {
    throw new InvalidOptionsError(`workflow "${draft.name}": version must be an integer ≥ 1, got ${String(draft.version)}`)
  }
  if (draft.trigger !== undefined && (typeof draft.trigger !== 'string' || draft.trigger === '')) {
    throw new InvalidOptionsError(`workflow "${draft.name}": trigger must be a non-empty event name, got ${String(draft.trigger)}`)
  }
  if (draft.trigger !== undefined) assertStorableName(`workflow "${draft.name}": trigger`, draft.trigger)
}

function indexTasks(workflow: string, tasks: readonly TaskDraft[]): Map<string, number> {
  const index = new Map<string, number>()
  tasks.forEach((task, i) => {
    assertStorableName(`workflow "${workflow}": task name`, task.name)
    if (index.has(task.name)) throw new DuplicateTaskError(workflow, task.name)
    index.set(task.name, i)
  })
  return index
}

function normalizeDependency(spec: DependencySpec): Dependency {
  return typeof spec === 'string' ? { task: spec, optional: false } : { task: spec.task, optional: spec.optional === true }
}

function resolveDependencies(workflow: string, task: TaskDraft, index: Map<string, number>): Dependency[] {
  const dependencies = task.dependsOn.map(normalizeDependency)
  const named = task.handles === undefined ? dependencies : [...dependencies, { task: task.handles, optional: false }]
  for (const dependency of named) {
    if (!index.has(dependency.task)) {
      const others = [...index.keys()].filter((name) => name !== task.name)
      throw new UnknownDependencyError(workflow, task.name, dependency.task, closestName(dependency.task, others))
    }
  }
  const seen = new Set<string>()
  for (const dependency of dependencies) {
    if (seen.has(dependency.task)) {
      throw new InvalidWorkflowError(`workflow "${workflow}": task "${task.name}" lists dependency "${dependency.task}" twice`)
    }
    seen.add(dependency.task)
  }
  return dependencies
}

function checkTaskShape(workflow: string, task: TaskDraft, dependencies: readonly Dependency[]): void {
  const where = `workflow "${workflow}": task "${task.name}"`
  if (task.kind === 'on-failure' && dependencies.length > 0) {
    throw new InvalidWorkflowError(`${where} is an @OnFailure handler and cannot also have @DependsOn; it receives the failure`)
  }
  if (task.kind === 'always') {
    const required = dependencies.find((dependency) => !dependency.optional)
    if (required !== undefined) {
      throw new InvalidWorkflowError(
        `${where} is @Always, so its dependency "${required.task}" may have failed: declare it optional ({ task: '${required.task}', optional: true })`,
      )
    }
  }
  if (task.kind === 'always' && task.when !== undefined) {
    throw new InvalidWorkflowError(`${where} is @Always and cannot have a @When condition`)
  }
  if (task.loop !== undefined) checkLoopOptions(workflow, task.name, task.loop)
}

function edgesOf(task: TaskDraft, dependencies: readonly Dependency[], index: Map<string, number>): number[] {
  const names = dependencies.map((dependency) => dependency.task)
  if (task.handles !== undefined) names.push(task.handles)
  return names.map((name) => index.get(name)!)
}

function buildGraph(draft: WorkflowDraft, order: readonly number[], dependencies: readonly Dependency[][]): WorkflowGraph {
  const idOf = new Map(order.map((draftIndex, id) => [draft.tasks[draftIndex]!.name, id]))
  const dependents: number[][] = order.map(() => [])
  const handlers: number[][] = order.map(() => [])
  order.forEach((draftIndex, id) => {
    const task = draft.tasks[draftIndex]!
    for (const dependency of dependencies[draftIndex]!) dependents[idOf.get(dependency.task)!]!.push(id)
    if (task.handles !== undefined) {
      dependents[idOf.get(task.handles)!]!.push(id)
      handlers[idOf.get(task.handles)!]!.push(id)
    }
  })
  const tasks = order.map((draftIndex, id): TaskNode => {
    const task = draft.tasks[draftIndex]!
    const dependsOn = dependencies[draftIndex]!
    return Object.freeze({
      name: task.name,
      stepKey: taskStepKey(task.name),
      id,
      kind: task.kind,
      description: task.description,
      dependsOn: Object.freeze(dependsOn.map((dependency) => Object.freeze(dependency))),
      dependencyIds: Object.freeze(dependsOn.map((dependency) => idOf.get(dependency.task)!)),
      dependentIds: Object.freeze(dependents[id]!),
      handles: task.handles,
      failureHandlerIds: Object.freeze(handlers[id]!),
      when: task.when,
      loop: task.loop as TaskNode['loop'],
      policies: normalizePolicies(draft.name, task.name, policyOptionsOf(task, draft), draft.version),
      method: task.method,
      requires: requiredPermissions(`workflow "${draft.name}": task "${task.name}"`, task.requires),
    })
  })
  checkRecoveryWiring(draft, tasks)
  return Object.freeze({
    name: draft.name,
    version: draft.version,
    description: draft.description,
    input: draft.input,
    trigger: draft.trigger,
    result: compileResult(draft.name, draft.result, tasks, draft.authoredWith),
    events: compileEvents(draft.name, draft.events),
    tasks: Object.freeze(tasks),
    taskByName: new Map(tasks.map((task) => [task.name, task])),
    requires: requiredPermissions(`workflow "${draft.name}"`, draft.requires),
    source: draft.source,
  })
}

/** A task's policy options as compiled: a cleanup's default timeout, the workflow's `@Recover` folded in. */
function policyOptionsOf(task: TaskDraft, draft: WorkflowDraft): TaskDraft {
  const timed = task.kind === 'always' ? { ...task, timeout: task.timeout ?? defaultCleanupTimeout } : task
  return draft.recover === undefined ? timed : { ...timed, recover: taskRecovery(draft.recover, task) }
}

/**
 * The permissions a workflow or task requires, as a frozen list of distinct
 * strings. Only their shape is checked here; their grammar (`action:resource`)
 * is checked by the engine when it registers the workflow (the grammar
 * belongs to the security layer).
 */
function requiredPermissions(where: string, requires: readonly string[] | undefined): readonly string[] {
  if (requires === undefined) return Object.freeze([])
  if (!Array.isArray(requires) || requires.some((permission) => typeof permission !== 'string' || permission.length === 0)) {
    throw new InvalidWorkflowError(`${where}: "requires" must be a list of permissions such as "charge:payments"`)
  }
  return Object.freeze([...new Set(requires)])
}
