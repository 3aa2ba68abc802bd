import type { AdapterRegistration, Engine, EngineConfig } from '../index.js'
import { CommandFailedError } from './cli-errors.js'
import type { WorkerContainer, WorkerEngineOptions } from './worker-config.js'
import type { WorkerConfigExport } from './workflow-module.js'

/** What the worker modules' configurations ask of the worker's engine, merged. */
export interface WorkerSetup {
  /** Engine settings and the container or resolver, for `createEngine`. */
  readonly engine: Pick<EngineConfig, 'container' | 'resolver' | 'adapters'> & WorkerEngineOptions
  /** The `register` hooks, in module order, run on the engine's container before its workflows are registered. */
  readonly hooks: readonly ((container: WorkerContainer) => void | Promise<void>)[]
  /** Whether a module gave a worker configuration (then refusals point to its `register(container)`). */
  readonly configured?: boolean
}

const engineOptionNames = [
  'maxConcurrentTasks',
  'maxConcurrentTasksPerRun',
  'leaseDuration',
  'heartbeatInterval',
  'claimInterval',
  'maxRecoveryAttempts',
  'pollInterval',
  'policyState',
] as const satisfies readonly (keyof WorkerEngineOptions)[]

/**
 * Merges the configurations of several modules: `register` hooks and adapters add up;
 * one module at most sets the container or resolver; an engine setting two
 * modules give differently is refused.
 * @throws {@link CommandFailedError} naming the modules that disagree.
 */
export function mergeWorkerConfigs(configs: readonly WorkerConfigExport[]): WorkerSetup {
  const engine: Record<string, unknown> = {}
  const setBy = new Map<string, string>()
  const hooks: WorkerSetup['hooks'][number][] = []
  const adapters: AdapterRegistration[] = []
  for (const { path, exportName, config } of configs) {
    const where = `the ${exportName} export of ${path}`
    for (const name of [...engineOptionNames, 'container', 'resolver'] as const) {
      const value = config[name]
      if (value === undefined) continue
      const first = setBy.get(name === 'resolver' ? 'container' : name)
      if (first !== undefined && (name === 'container' || name === 'resolver' || engine[name] !== value)) {
        throw new CommandFailedError(`${where} sets ${name}, which ${first} sets too${name === 'container' || name === 'resolver' ? ' (one module at most chooses the container)' : ' to another value'}: keep it in one module`)
      }
      engine[name] = value
      setBy.set(name === 'resolver' ? 'container' : name, where)
    }
    if (config.register !== undefined) hooks.push(config.register.bind(config))
    if (config.adapters !== undefined) adapters.push(...config.adapters)
  }
  if (adapters.length > 0) engine['adapters'] = adapters
  return { engine: engine as WorkerSetup['engine'], hooks, configured: configs.length > 0 }
}

/**
 * Runs the modules' `register` hooks on the engine's container, then
 * registers the workflows (checking their dependencies against what was registered).
 * @throws {@link CommandFailedError} when a hook throws or a workflow's dependencies cannot be supplied.
 */
export async function registerWorkerWorkflows(engine: Engine, setup: WorkerSetup, workflows: Parameters<Engine['register']>): Promise<void> {
  for (const hook of setup.hooks) {
    try {
      await hook(engine.container)
    } catch (error) {
      throw new CommandFailedError(`a worker module's register(container) failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    }
  }
  try {
    engine.register(...workflows)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new CommandFailedError(setup.configured === true ? inWorkerConfigTerms(message) : message, { cause: error })
  }
}

/**
 * A dependency refusal's fix in the terms of a worker module: services go in
 * the configuration's `register(container)` (the worker's code has no
 * `engine` to call `engine.container.register` on).
 */
export function inWorkerConfigTerms(message: string): string {
  if (!message.includes('engine.container.register(')) return message
  return message
    .replaceAll(', or in the container given to createEngine', '')
    .replaceAll('engine.container.register(', "container.register(")
    .concat(" (in the worker configuration's register(container) hook: defineWorkerConfig({ workflows, register(container) { container.register(...) } }))")
}
