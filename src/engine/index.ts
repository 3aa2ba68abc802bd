export { Engine, createEngine, type StartOptions, type StartArgs, type EmitResult } from './engine.js'
export type { EngineConfig } from './engine-config.js'
export { WorkflowRun } from './workflow-run.js'
export { RunResult } from './run-result.js'
