import type { Schema } from 'effect'
import type { EncodedInputOf, TaskOutputs } from '../graph/type-level.js'
import type { WorkflowGraph } from '../graph/workflow-graph.js'
import type { ServiceKey } from './service-token.js'

/** An Effect `Schema` that can decode a workflow input without services. */
export type InputSchema = Schema.ConstraintDecoder<unknown>

/** A workflow class: any constructor (its parameters are injected by the container). */
export type WorkflowClass<T extends object = object> = abstract new (...args: never[]) => T

/** @internal Key of the phantom property carrying a definition's input and output types. */
export const definitionTypesKey: unique symbol = Symbol('weft/definition-types')

/**
 * A workflow built without decorators by {@link defineWorkflow}. Pass it to
 * `engine.start` exactly like a decorated class.
 *
 * @typeParam I - the run input, as tasks see it.
 * @typeParam O - each task's output, by task name.
 * @typeParam E - what `engine.start` accepts (the input schema's encoded type).
 */
export interface WorkflowDefinition<I, O, E = I> {
  /** The compiled, frozen graph. */
  readonly graph: WorkflowGraph
  /** The task functions, by task name (the instance the interpreter calls). */
  readonly functions: Readonly<Record<string, (...args: never[]) => unknown>>
  /** The services its tasks receive as `ctx.services`, by name: the token each is resolved by, once per run. */
  readonly services?: Readonly<Record<string, ServiceKey>>
  /** @internal Phantom: never set at run time. */
  readonly [definitionTypesKey]?: { readonly input: I; readonly outputs: O; readonly encodedInput: E }
}

/** Anything `engine.start` accepts: a decorated workflow class or a definition. */
// biome-ignore lint: any is needed for variance here
export type AnyWorkflow = WorkflowClass | WorkflowDefinition<any, any, any>

/** The run input `engine.start` accepts for a workflow (before its input schema decodes it). */
export type WorkflowInput<W> = W extends WorkflowDefinition<unknown, unknown, infer E>
  ? E
  : W extends abstract new (...args: never) => infer T
    ? EncodedInputOf<T>
    : never

/** Each task's output of a workflow, by task name. */
export type WorkflowOutputs<W> = W extends WorkflowDefinition<unknown, infer O, unknown>
  ? O
  : W extends abstract new (...args: never) => infer T
    ? TaskOutputs<T>
    : never

/** Tells whether a value is a {@link WorkflowDefinition}. */
export function isWorkflowDefinition(value: unknown): value is WorkflowDefinition<unknown, unknown> {
  return typeof value === 'object' && value !== null && 'graph' in value && 'functions' in value
}
