import type { ServiceKey } from '../authoring/service-token.js'
import type { WorkflowClass } from '../authoring/workflow-ref.js'
import { InvalidWorkflowError } from '../core/errors.js'
import type { ParameterRequest, WorkflowResolver } from './workflow-resolver.js'

/** Types TypeScript emits for parameters whose type no container can construct. */
const unresolvableTypes = new Map<unknown, string>([
  [Object, 'an interface or a type alias (emitted as Object)'],
  [String, 'a string'],
  [Number, 'a number'],
  [Boolean, 'a boolean'],
  [Array, 'an array'],
  [Function, 'a function type'],
  [Promise, 'a promise'],
])

/**
 * Checks, when a workflow class is registered, that the resolver can supply
 * every parameter of its constructor, so a missing registration is reported
 * then, naming the workflow, the parameter and the fix — not as the
 * container's own error ("TypeInfo not known for Object") at the first run.
 * Looks into classes the container would construct itself.
 *
 * @throws `InvalidWorkflowError` naming the first parameter it cannot supply.
 */
export function assertDependenciesResolvable(workflow: string, constructor: WorkflowClass, resolver: WorkflowResolver): void {
  const problem = new DependencyCheck(resolver).constructorProblem(constructor)
  if (problem !== undefined) throw new InvalidWorkflowError(`workflow "${workflow}": ${problem}`)
}

/**
 * Checks, when a `defineWorkflow` definition is registered, that the resolver
 * can supply each of its declared services.
 *
 * @throws `InvalidWorkflowError` naming the workflow, the service and its token.
 */
export function assertServicesResolvable(workflow: string, services: Readonly<Record<string, ServiceKey>>, resolver: WorkflowResolver): void {
  const check = new DependencyCheck(resolver)
  for (const [name, token] of Object.entries(services)) {
    const problem = typeof token === 'function' ? check.classProblem(token as WorkflowClass) : check.tokenProblem(token, `asks for ${String(token)}`)
    if (problem !== undefined) throw new InvalidWorkflowError(`workflow "${workflow}": service "${name}" ${problem}`)
  }
}

/** One check's walk over constructors: each class is looked into once. */
class DependencyCheck {
  private readonly seen = new Set<unknown>()

  constructor(private readonly resolver: WorkflowResolver) {}

  constructorProblem(constructor: WorkflowClass): string | undefined {
    if (this.seen.has(constructor)) return undefined
    this.seen.add(constructor)
    const parameters = this.resolver.parametersOf(constructor)
    if (parameters === undefined) return `parameter 1 of ${constructor.name}'s constructor ${this.invisible()}`
    for (const [i, parameter] of parameters.entries()) {
      const problem = this.parameterProblem(parameter)
      if (problem !== undefined) return `parameter ${i + 1} of ${constructor.name}'s constructor ${problem}`
    }
    return undefined
  }

  /** A class the container is asked for: registered, or one it constructs itself from parameters it can supply. */
  classProblem(type: WorkflowClass): string | undefined {
    if (this.resolver.isRegistered(type) || type.length === 0) return undefined
    const { fixes } = this.resolver
    if (this.resolver.parametersOf(type) === undefined) {
      return `is of class ${type.name}, which nothing registered and the container cannot construct (its constructor takes parameters): register one (${fixes.register(type.name)}) or ${fixes.injectable(type.name)}`
    }
    const inner = this.constructorProblem(type)
    return inner === undefined ? undefined : `is of class ${type.name}, whose ${inner}`
  }

  tokenProblem(token: unknown, what: string): string | undefined {
    if (this.resolver.isRegistered(token)) return undefined
    const code = typeof token === 'string' ? JSON.stringify(token) : String(token)
    const { fixes } = this.resolver
    const elsewhere = fixes.registerElsewhere === undefined ? '' : `, or ${fixes.registerElsewhere}`
    return `${what}, which nothing registered: register it first (${fixes.register(code)}${elsewhere})`
  }

  private parameterProblem(parameter: ParameterRequest): string | undefined {
    switch (parameter.kind) {
      case 'unknown':
        return this.invisible()
      case 'token':
        return typeof parameter.token === 'function' ? this.classProblem(parameter.token as WorkflowClass) : this.tokenProblem(parameter.token, `asks for ${String(parameter.token)} (@inject)`)
      case 'type': {
        const kind = unresolvableTypes.get(parameter.type)
        if (parameter.type === undefined || kind !== undefined) {
          const { fixes } = this.resolver
          return `is ${kind ?? 'of a type TypeScript could not emit'}, which the container cannot construct: register a value under a token (${fixes.register("'Payments'")}) and mark the parameter ${fixes.inject("'Payments'")}`
        }
        return this.classProblem(parameter.type as WorkflowClass)
      }
    }
  }

  private invisible(): string {
    return `has no type the container can see: enable "emitDecoratorMetadata" in tsconfig.json (and import 'reflect-metadata' first), or mark the parameter ${this.resolver.fixes.inject('token')}`
  }
}
