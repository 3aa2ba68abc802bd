/**
 * Weft's command line, as an API: the worker `weft worker` runs, and the
 * command line runner itself.
 *
 * @packageDocumentation
 */
export { runWorker, type WorkerOptions, type WorkerSummary } from './worker.js'
export {
  defineWorkerConfig,
  type WorkerConfig,
  type WorkerConfigBase,
  type TsyringeWorkerConfig,
  type ResolverWorkerConfig,
  type WorkerContainer,
  type WorkerEngineOptions,
} from './worker-config.js'
export { defineCliConfig, type CliConfig } from './cli-config.js'
export type { WorkerLog } from './run-event-log.js'
export { runCli, commands } from './cli.js'
export type { CliCommand, CliContext, CommandArgs, OptionSpec, PositionalSpec } from './command.js'
export { streamTerminal, type Terminal } from './terminal.js'
export { UsageError, CommandFailedError } from './cli-errors.js'
export type { RunJson, StepJson, ActionJson } from './run-json.js'
export type { StatusJson, StoreStatusJson, AdapterStatusJson } from './status.js'
export type { AttemptJson, AttemptsJson } from './step-attempts.js'
export type { RunState } from './run-text.js'
