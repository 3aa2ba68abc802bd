import { compileWorkflow } from '../authoring/compile-workflow.js'
import { isWorkflowDefinition, type AnyWorkflow, type WorkflowClass, type WorkflowDefinition } from '../authoring/workflow-ref.js'
import { InvalidOptionsError, InvalidWorkflowError, WorkflowNotRegisteredError } from '../core/errors.js'
import { sharedPoliciesOf, type SharedPolicy } from '../graph/policy-kinds.js'
import type { WorkflowGraph } from '../graph/workflow-graph.js'
import type { WorkflowInstance } from '../runtime/task-host.js'
import type { WorkflowVersion } from '../storage/workflow-store.js'
import { assertDependenciesResolvable, assertServicesResolvable } from './dependency-check.js'
import type { WorkflowResolver } from './workflow-resolver.js'

const noServices: Readonly<Record<string, unknown>> = Object.freeze({})

/**
 * The workflows an engine knows, by name and version. Registering compiles
 * the workflow (rejecting a bad one before any run), makes a class
 * resolvable through the resolver and, in an engine that executes runs,
 * checks that the resolver can supply what the workflow needs. An engine that
 * only starts and reads runs (`claimRuns: false`, an API process) never
 * instantiates a workflow, so it needs none of its services.
 */
export class WorkflowRegistry {
  private readonly bySource = new Map<object, WorkflowGraph>()
  private readonly sharedPolicies = new SharedPolicies()
  private readonly byName = new Map<string, Map<number, WorkflowGraph>>()

  /** @param executesRuns whether the engine executes runs (`claimRuns`): only then are dependencies checked. */
  constructor(
    private readonly resolver: WorkflowResolver,
    private readonly executesRuns = true,
  ) {}

  /**
   * Registers a workflow; registering the same one twice is a no-op. A class
   * is checked against the resolver (every constructor parameter must be
   * one it can supply), a definition's services too, unless `checkDependencies` is false: then call
   * {@link checkDependencies} later (an engine given workflows in its config
   * checks them once it opens, after the caller registered their dependencies).
   */
  register(workflow: AnyWorkflow, checkDependencies = true): WorkflowGraph {
    const known = this.bySource.get(workflow)
    if (known !== undefined) return known
    const graph = compileWorkflow(workflow)
    if (typeof workflow === 'function') this.resolver.prepare(workflow)
    if (checkDependencies && this.executesRuns) this.checkOne(graph)
    const versions = this.byName.get(graph.name) ?? new Map<number, WorkflowGraph>()
    const clash = versions.get(graph.version)
    if (clash !== undefined && clash.source !== graph.source && sameDefinition(clash, graph)) {
      // The same definition built twice (by a factory called twice): one workflow; the first one registered runs.
      this.bySource.set(workflow, clash)
      return clash
    }
    if (clash !== undefined && clash.source !== graph.source) {
      throw new InvalidWorkflowError(
        `workflow "${graph.name}" version ${graph.version} is already registered by another definition; give it a new version`,
      )
    }
    this.sharedPolicies.check(graph)
    versions.set(graph.version, graph)
    this.byName.set(graph.name, versions)
    this.bySource.set(workflow, graph)
    return graph
  }

  /** Checks every registered workflow against the resolver. @throws `InvalidWorkflowError` naming the first parameter or service it cannot supply. */
  checkDependencies(): void {
    if (!this.executesRuns) return
    for (const graph of this.graphs()) this.checkOne(graph)
  }

  private checkOne(graph: WorkflowGraph): void {
    const source = graph.source
    if (typeof source === 'function') assertDependenciesResolvable(graph.name, source as WorkflowClass, this.resolver)
    else if (isWorkflowDefinition(source) && source.services !== undefined) assertServicesResolvable(graph.name, source.services, this.resolver)
  }

  /**
   * The graph of a workflow, registered or not, without registering it: a
   * handle typed by a workflow reads its runs without this engine claiming
   * them or needing the workflow's dependencies.
   */
  graphOf(workflow: AnyWorkflow): WorkflowGraph {
    return this.bySource.get(workflow) ?? compileWorkflow(workflow)
  }

  /** The graph of a registered workflow (the latest version when none is given). */
  find(name: string, version?: number): WorkflowGraph {
    const versions = this.byName.get(name)
    const graph = version === undefined ? latest(versions) : versions?.get(version)
    if (graph === undefined) throw new WorkflowNotRegisteredError(name, version)
    return graph
  }

  /** The graph of a registered workflow version, or `undefined`. */
  findOptional(name: string, version: number): WorkflowGraph | undefined {
    return this.byName.get(name)?.get(version)
  }

  /** Every registered workflow version. */
  versions(): WorkflowVersion[] {
    return this.graphs().map((graph) => ({ name: graph.name, version: graph.version }))
  }

  /** Workflows started by an event. */
  triggeredBy(event: string): WorkflowGraph[] {
    return this.graphs().filter((graph) => graph.trigger === event)
  }

  /** Number of registered name-version pairs. */
  get size(): number {
    let size = 0
    for (const versions of this.byName.values()) size += versions.size
    return size
  }

  /** Every registered workflow version's graph, once each (a definition built twice maps to one). */
  private graphs(): WorkflowGraph[] {
    return [...this.byName.values()].flatMap((versions) => [...versions.values()])
  }

  /**
   * What one run calls its tasks on: a fresh class instance from the
   * resolver, or a definition's functions with its services resolved for
   * this run.
   */
  instantiate(graph: WorkflowGraph): WorkflowInstance {
    const source = graph.source
    if (!isWorkflowDefinition(source)) return { target: this.resolver.instantiate(source as WorkflowClass), services: noServices }
    if (source.services === undefined) return { target: source.functions, services: noServices }
    const services: Record<string, unknown> = {}
    for (const [name, token] of Object.entries(source.services)) services[name] = this.resolver.resolve(token)
    return { target: source.functions, services: Object.freeze(services) }
  }
}

/**
 * Whether two `defineWorkflow` definitions are the same one built twice: the
 * same tasks, wiring, options and task code (compared as source text, so
 * closures over different values still count as the same code).
 */
function sameDefinition(a: WorkflowGraph, b: WorkflowGraph): boolean {
  return isWorkflowDefinition(a.source) && isWorkflowDefinition(b.source) && fingerprint(a) === fingerprint(b)
}

function fingerprint(graph: WorkflowGraph): string {
  const functions = (graph.source as { readonly functions: Readonly<Record<string, unknown>> }).functions
  const tasks = graph.tasks.map((task) => ({ ...task, code: String(functions[task.method]) }))
  const services = (graph.source as WorkflowDefinition<unknown, unknown>).services
  const events = [...graph.events.keys()]
  return JSON.stringify({ name: graph.name, version: graph.version, input: graph.input === undefined, trigger: graph.trigger, result: graph.result, events, tasks, services }, (_key, value: unknown) =>
    typeof value === 'function' || typeof value === 'symbol' ? String(value) : typeof value === 'bigint' ? `${value}n` : value,
  )
}

function latest(versions: Map<number, WorkflowGraph> | undefined): WorkflowGraph | undefined {
  if (versions === undefined) return undefined
  return versions.get(Math.max(...versions.keys()))
}

/**
 * Circuit breakers, rate limits and bulkheads (the kinds the policy-kind
 * table marks `sharedAs`) are shared by name across the engine: tasks that
 * name the same one must configure it the same way, or one task's settings
 * would silently win. This rejects a second, different
 * configuration when the workflow is registered.
 */
class SharedPolicies {
  private readonly seen = new Map<string, { readonly settings: string; readonly where: string }>()

  /** Checks a graph's shared policies against those seen, then remembers them (nothing is kept if it throws). */
  check(graph: WorkflowGraph): void {
    const claims = new Map(this.seen)
    for (const task of graph.tasks) {
      const where = `workflow "${graph.name}" version ${graph.version} task "${task.name}"`
      for (const shared of sharedPoliciesOf(task.policies)) claim(claims, shared, where)
    }
    for (const [id, first] of claims) this.seen.set(id, first)
  }
}

function claim(claims: Map<string, { settings: string; where: string }>, { noun: kind, name, policy }: SharedPolicy, where: string): void {
  const settings = JSON.stringify(policy)
  const id = `${kind}:${name}`
  const first = claims.get(id)
  if (first === undefined) claims.set(id, { settings, where })
  else if (first.settings !== settings) {
    throw new InvalidOptionsError(
      `${where} configures ${kind} "${name}" differently from ${first.where}; use the same settings to share it, or another name`,
    )
  }
}
