import type { Schema } from 'effect'
import type { EventSchemas } from '../graph/task-context.js'
import type { EncodedInputOf, EventsOf, TaskOutputs } from '../graph/type-level.js'
import type { WorkflowGraph } from '../graph/workflow-graph.js'
import type { ServiceKey } from './service-token.js'
import type { ClassResult, DeclaredResultValue, NoDeclaredResult } from './workflow-result.js'

/**
 * An Effect `Schema` that can decode a workflow input without services.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import type { InputSchema } from 'weft-sdk'
 * const schema: InputSchema = Schema.Struct({ orderId: Schema.String })
 * ```
 */
export type InputSchema = Schema.ConstraintDecoder<unknown>

/**
 * A workflow class: any constructor (its parameters are injected by the container).
 *
 * @example
 * ```ts
 * import type { WorkflowClass } from 'weft-sdk'
 * declare const workflows: WorkflowClass[]
 * console.log(workflows.map((w) => w.name))
 * ```
 */
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
 * @typeParam Ev - the events it declares, by name.
 * @typeParam D - the result it declares (`.build({ result })`), or {@link NoDeclaredResult}.
 *
 * @example
 * ```ts
 * import { defineWorkflow, type WorkflowDefinition } from 'weft-sdk'
 * const Echo: WorkflowDefinition<string, { echo: string }> = defineWorkflow<string>({ name: 'echo', version: 1 })
 *   .task('echo', (input) => input)
 *   .build()
 * console.log(Echo.graph.name)
 * ```
 */
export interface WorkflowDefinition<I, O, E = I, Ev extends EventSchemas = {}, D = NoDeclaredResult> {
  /** The compiled, frozen graph. */
  readonly graph: WorkflowGraph
  /** The task functions, by task name (the instance the interpreter calls). */
  readonly functions: Readonly<Record<string, (...args: never[]) => unknown>>
  /** The services its tasks receive as `ctx.services`, by name: the token each is resolved by, once per run. */
  readonly services?: Readonly<Record<string, ServiceKey>>
  /** @internal Phantom: never set at run time. */
  readonly [definitionTypesKey]?: {
    readonly input: I
    readonly outputs: O
    readonly encodedInput: E
    readonly events: Ev
    readonly result: D
  }
}

/**
 * Anything `engine.start` accepts: a decorated workflow class or a definition.
 *
 * @example
 * ```ts
 * import type { AnyWorkflow, Engine } from 'weft-sdk'
 * declare const engine: Engine
 * const startAll = (workflows: AnyWorkflow[]) => Promise.all(workflows.map((w) => engine.start(w, {})))
 * ```
 */
// biome-ignore lint: any is needed for variance here
export type AnyWorkflow = WorkflowClass | WorkflowDefinition<any, any, any, any, any>

/**
 * The run input `engine.start` accepts for a workflow (before its input schema decodes it).
 *
 * @example
 * ```ts
 * import { defineWorkflow, type WorkflowInput } from 'weft-sdk'
 * const Greet = defineWorkflow<{ name: string }>({ name: 'greet', version: 1 }).task('hi', (input) => input.name).build()
 * const input: WorkflowInput<typeof Greet> = { name: 'ada' }
 * ```
 */
export type WorkflowInput<W> = W extends WorkflowDefinition<any, any, infer E, any, any>
  ? E
  : W extends abstract new (...args: never) => infer T
    ? EncodedInputOf<T>
    : never

/**
 * Each task's output of a workflow, by task name.
 *
 * @example
 * ```ts
 * import { defineWorkflow, type WorkflowOutputs } from 'weft-sdk'
 * const Greet = defineWorkflow<{ name: string }>({ name: 'greet', version: 1 }).task('hi', (input) => `hi ${input.name}`).build()
 * const outputs: WorkflowOutputs<typeof Greet> = { hi: 'hi ada' }
 * ```
 */
export type WorkflowOutputs<W> = W extends WorkflowDefinition<any, infer O, any, any, any>
  ? O
  : W extends abstract new (...args: never) => infer T
    ? TaskOutputs<T>
    : never

/**
 * The events a workflow declares, by name (each an Effect `Schema`); `{}` when none.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { defineWorkflow, type WorkflowEvents } from 'weft-sdk'
 * const Approval = defineWorkflow({ name: 'approval', version: 1 })
 *   .events({ approved: Schema.Struct({ by: Schema.String }) })
 *   .task('wait', (_input, ctx) => ctx.waitForEvent('approved'))
 *   .build()
 * type Names = keyof WorkflowEvents<typeof Approval> // 'approved'
 * ```
 */
export type WorkflowEvents<W> = W extends WorkflowDefinition<any, any, any, infer Ev, any>
  ? Ev
  : W extends abstract new (...args: never) => infer T
    ? EventsOf<T>
    : {}

/**
 * What the result a workflow declares holds (see `ResultDeclaration`): one
 * task's output, or a record of them (`undefined` where a task is declared
 * optional); {@link NoDeclaredResult} when it declares none.
 *
 * @example
 * ```ts
 * import { defineWorkflow, type WorkflowResultValue } from 'weft-sdk'
 * const Label = defineWorkflow({ name: 'label', version: 1 }).task('print', () => 'L-1').build({ result: 'print' })
 * const label: WorkflowResultValue<typeof Label> = 'L-2' // string
 * ```
 */
export type WorkflowResultValue<W> = [WorkflowResultDeclaration<W>] extends [NoDeclaredResult]
  ? NoDeclaredResult
  : DeclaredResultValue<WorkflowOutputs<W>, WorkflowResultDeclaration<W>>

/**
 * The result a workflow declares, as declared (`'ship'`, a record of task
 * references), or {@link NoDeclaredResult}.
 *
 * @example
 * ```ts
 * import { defineWorkflow, type WorkflowResultDeclaration } from 'weft-sdk'
 * const Label = defineWorkflow({ name: 'label', version: 1 }).task('print', () => 'L-1').build({ result: 'print' })
 * type Declared = WorkflowResultDeclaration<typeof Label> // 'print'
 * ```
 */
export type WorkflowResultDeclaration<W> = W extends WorkflowDefinition<any, any, any, any, infer D> ? D : ClassResult<W>

/** Tells whether a value is a {@link WorkflowDefinition}. */
export function isWorkflowDefinition(value: unknown): value is WorkflowDefinition<unknown, unknown> {
  return typeof value === 'object' && value !== null && 'graph' in value && 'functions' in value
}
