/**
 * The resolver port: an engine creates workflow instances and checks their
 * dependencies through it, whatever container implements it. The container
 * here is not tsyringe: classes are resolved only when registered (as in
 * Nest), constructor parameters read from emitted metadata.
 */
import 'reflect-metadata'
import { container as rootContainer } from 'tsyringe'
import { describe, expect, it } from 'vitest'
import {
  createEngine,
  InvalidOptionsError,
  InvalidWorkflowError,
  MemoryWorkflowStore,
  Task,
  TsyringeResolver,
  Workflow,
  WorkflowBase,
  type ParameterRequest,
  type ServiceKey,
  type WorkflowClass,
  type WorkflowResolver,
} from 'weft-sdk'
import { thrown } from '../support/thrown.js'

/** A container that builds only registered classes, from their emitted parameter types. */
class RegistryResolver implements WorkflowResolver {
  readonly values = new Map<unknown, unknown>()
  readonly classes = new Set<unknown>()
  instantiated = 0
  readonly fixes = {
    register: (token: string) => `providers: [{ provide: ${token}, useValue }]`,
    inject: (token: string) => `@Inject(${token})`,
    injectable: (name: string) => `add ${name} to the module's providers`,
  }

  prepare(workflow: WorkflowClass): void {
    this.classes.add(workflow)
  }
  instantiate<T extends object>(workflow: WorkflowClass<T>): T {
    this.instantiated++
    return this.construct(workflow) as T
  }
  resolve<T>(token: ServiceKey<T>): T {
    return (this.values.has(token) ? this.values.get(token) : this.construct(token as WorkflowClass)) as T
  }
  isRegistered(token: unknown): boolean {
    return this.values.has(token)
  }
  parametersOf(type: WorkflowClass): readonly ParameterRequest[] | undefined {
    if (!this.classes.has(type)) return undefined
    const emitted = (Reflect.getMetadata('design:paramtypes', type) ?? []) as unknown[]
    return emitted.map((t) => ({ kind: 'type', type: t }))
  }
  private construct(type: WorkflowClass): unknown {
    const emitted = (Reflect.getMetadata('design:paramtypes', type) ?? []) as unknown[]
    return new (type as new (...args: unknown[]) => unknown)(...emitted.map((t) => this.resolve(t as WorkflowClass)))
  }
}

class Clock {
  constructor(readonly now: number) {}
}

@Workflow({ name: 'stamped', version: 1 })
class Stamped extends WorkflowBase {
  readonly id = Math.random()
  constructor(private readonly clock: Clock) {
    super()
  }
  @Task() stamp() {
    return { at: this.clock.now, instance: this.id }
  }
}

describe('an engine given its own resolver', () => {
  it('creates a fresh workflow instance per run through it', async () => {
    const resolver = new RegistryResolver()
    resolver.values.set(Clock, new Clock(42))
    const engine = createEngine({ store: new MemoryWorkflowStore(), resolver })
    const first = (await engine.run(Stamped)).output('stamp')
    const second = (await engine.run(Stamped)).output('stamp')
    expect(first.at).toBe(42)
    expect(second.at).toBe(42)
    expect(first.instance).not.toBe(second.instance)
    expect(resolver.instantiated).toBe(2)
    await engine.close()
  })

  it('checks the workflow through it when registered, naming the fix in its terms', async () => {
    const engine = createEngine({ store: new MemoryWorkflowStore(), resolver: new RegistryResolver() })
    const error = thrown(() => engine.register(Stamped))
    expect(error).toBeInstanceOf(InvalidWorkflowError)
    expect((error as Error).message).toBe(
      `workflow "stamped": parameter 1 of Stamped's constructor is of class Clock, which nothing registered and the container cannot construct (its constructor takes parameters): register one (providers: [{ provide: Clock, useValue }]) or add Clock to the module's providers`,
    )
    await engine.close()
  })

  it('has no tsyringe container: engine.container says where to register instead', async () => {
    const engine = createEngine({ store: new MemoryWorkflowStore(), resolver: new RegistryResolver() })
    const error = thrown(() => engine.container)
    expect(error).toBeInstanceOf(InvalidOptionsError)
    expect((error as Error).message).toContain("register services in that resolver's container")
    await engine.close()
  })

  it('is refused together with a container: one of the two says where things are resolved', () => {
    const error = thrown(() => createEngine({ store: new MemoryWorkflowStore(), container: rootContainer, resolver: new RegistryResolver() }))
    expect(error).toBeInstanceOf(InvalidOptionsError)
    expect((error as Error).message).toContain('a container or a resolver, not both')
  })
})

describe('the default tsyringe resolver', () => {
  it('gives each engine its own child container: what one registers, neither another engine nor the root container sees', async () => {
    const a = createEngine({ store: new MemoryWorkflowStore() })
    const b = createEngine({ store: new MemoryWorkflowStore() })
    a.container.register(Clock, { useValue: new Clock(1) })
    expect(a.container.isRegistered(Clock, true)).toBe(true)
    expect(b.container.isRegistered(Clock, true)).toBe(false)
    expect(rootContainer.isRegistered(Clock, true)).toBe(false)
    expect((await a.run(Stamped)).output('stamp').at).toBe(1)
    expect(() => b.register(Stamped)).toThrow(InvalidWorkflowError)
    await a.close()
    await b.close()
  })

  it('gives engine.container for a resolver of the same shape from another copy of Weft', async () => {
    const scope = rootContainer.createChildContainer()
    const copy = new TsyringeResolver(scope)
    const engine = createEngine({ store: new MemoryWorkflowStore(), resolver: { ...copy, prepare: copy.prepare.bind(copy), instantiate: copy.instantiate.bind(copy), resolve: copy.resolve.bind(copy), isRegistered: copy.isRegistered.bind(copy), parametersOf: copy.parametersOf.bind(copy) } })
    expect(engine.container).toBe(scope)
    await engine.close()
  })

  it('uses a container given through new TsyringeResolver(container) as it is', async () => {
    const scope = rootContainer.createChildContainer()
    scope.register(Clock, { useValue: new Clock(7) })
    const engine = createEngine({ store: new MemoryWorkflowStore(), resolver: new TsyringeResolver(scope) })
    expect(engine.container).toBe(scope)
    expect((await engine.run(Stamped)).output('stamp').at).toBe(7)
    await engine.close()
  })
})
