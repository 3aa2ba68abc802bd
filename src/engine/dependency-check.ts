import type { DependencyContainer } from 'tsyringe'
import { InvalidWorkflowError } from '../core/errors.js'

/** Where tsyringe's `@inject(token)` records a constructor's tokens (tsyringe's own key). */
const injectionTokensKey = 'injectionTokens'

type Constructor = abstract new (...args: never[]) => unknown

/** Types TypeScript emits for parameters whose type the container cannot construct. */
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
 * Checks, when a workflow class is registered, that the engine's container
 * can supply every parameter of its constructor, so a missing registration
 * is reported then, naming the workflow, the parameter and the fix — not as
 * tsyringe's "TypeInfo not known for Object" at the first run. Looks one
 * level into classes the container would construct itself.
 *
 * @throws `InvalidWorkflowError` naming the first parameter it cannot supply.
 */
export function assertDependenciesResolvable(workflow: string, constructor: Constructor, container: DependencyContainer): void {
  const problem = constructorProblem(constructor, container, new Set())
  if (problem !== undefined) throw new InvalidWorkflowError(`workflow "${workflow}": ${problem}`)
}

function constructorProblem(constructor: Constructor, container: DependencyContainer, seen: Set<unknown>): string | undefined {
  if (seen.has(constructor)) return undefined
  seen.add(constructor)
  const emitted = Reflect.getMetadata('design:paramtypes', constructor) as readonly unknown[] | undefined
  const injected = (Reflect.getOwnMetadata(injectionTokensKey, constructor) ?? {}) as Record<string, unknown>
  const count = Math.max(constructor.length, emitted?.length ?? 0)
  for (let i = 0; i < count; i++) {
    const where = `parameter ${i + 1} of ${constructor.name}'s constructor`
    const problem = i in injected ? injectedProblem(injected[i], container) : emittedProblem(emitted, i, container, seen)
    if (problem !== undefined) return `${where} ${problem}`
  }
  return undefined
}

function emittedProblem(emitted: readonly unknown[] | undefined, index: number, container: DependencyContainer, seen: Set<unknown>): string | undefined {
  if (emitted === undefined) {
    return 'has no type the container can see: enable "emitDecoratorMetadata" in tsconfig.json (and import \'reflect-metadata\' first), or mark the parameter @inject(token)'
  }
  const type = emitted[index]
  const kind = unresolvableTypes.get(type)
  if (type === undefined || kind !== undefined) {
    return `is ${kind ?? 'of a type TypeScript could not emit'}, which the container cannot construct: register a value under a token (engine.container.register('Payments', { useValue: payments })) and mark the parameter @inject('Payments')`
  }
  return classProblem(type as Constructor, container, seen)
}

function injectedProblem(descriptor: unknown, container: DependencyContainer): string | undefined {
  const token = typeof descriptor === 'object' && descriptor !== null && 'token' in descriptor ? (descriptor as { token: unknown }).token : descriptor
  if (typeof token === 'function') return undefined // a class, or delay(() => Class): the container constructs it
  if (container.isRegistered(token as never, true)) return undefined
  return `asks for ${String(token)} (@inject), which nothing registered: register it first (engine.container.register(${JSON.stringify(String(token))}, { useValue }), or in the container given to createEngine)`
}

/** A class the container is asked for: registered, or one it can construct (no parameters, or decorated so its types were emitted). */
function classProblem(type: Constructor, container: DependencyContainer, seen: Set<unknown>): string | undefined {
  if (container.isRegistered(type as never, true) || type.length === 0) return undefined
  if (Reflect.getMetadata('design:paramtypes', type) === undefined && Reflect.getOwnMetadata(injectionTokensKey, type) === undefined) {
    return `is of class ${type.name}, which nothing registered and the container cannot construct (its constructor takes parameters): register one (engine.container.register(${type.name}, { useValue })) or mark ${type.name} @injectable()`
  }
  const inner = constructorProblem(type, container, seen)
  return inner === undefined ? undefined : `is of class ${type.name}, whose ${inner}`
}
