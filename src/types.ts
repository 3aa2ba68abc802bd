/**
 * Weft's type machinery (`weft/types`): the compile-time checks the decorators
 * and `defineWorkflow` constrain a workflow with, and the helper types their
 * signatures are built from. A workflow author never names them; they are
 * here for libraries that write their own generic helpers over workflows, and
 * so that declaration files emitted from a user's code can name every type
 * they reference.
 *
 * Declaration files: TypeScript names a type in an emitted `.d.ts` through a
 * module the file already imports. An exported value whose inferred type
 * holds one of these (a decorator kept in an exported constant, say) needs
 * an `import type` from `weft/types` in its file, or a type annotation.
 *
 * The types an author does name (`TaskOutput`, `TaskOutputs`, `TaskName`,
 * `InputOf`, `WorkflowBuilder`) stay in `weft`.
 *
 * @example
 * ```ts
 * import type { DependencyValue } from 'weft-sdk/types'
 * import { Task, Workflow, WorkflowBase } from 'weft-sdk'
 *
 * @Workflow({ name: 'orders', version: 1 })
 * class Orders extends WorkflowBase<{ id: string }> {
 *   @Task() load(input: { id: string }) { return { id: input.id, total: 5 } }
 * }
 * // What a task declaring `{ task: 'load', optional: true }` receives:
 * // { id: string; total: number } | undefined
 * type MaybeOrder = DependencyValue<Orders, { task: 'load'; optional: true }>
 * ```
 *
 * @packageDocumentation
 */

// The checks the decorators carry, and what their failures read as
export type {
  WeftTypeError,
  WeftTypeMismatch,
  Verdict,
  EncodedInputOf,
  EventsOf,
  IsLoopBody,
  Normalize,
  DependencyRef,
  DependencyName,
  IsOptional,
  DependencyValue,
  DependsOnCheck,
  TaskCheck,
  ArgumentsCheck,
  FallbackMethodCheck,
  LoopCheck,
  OnFailureCheck,
  InputSlot,
  OutputSlot,
  FailureSlot,
  ContextSlot,
} from './graph/type-level.js'

// What defineWorkflow's builder computes from the tasks defined so far
export type {
  DefinedTaskArgs,
  DefinedValues,
  FreshName,
  KnownDependencies,
  LoopState,
  Rest,
  InputSchemaOf,
} from './authoring/define-workflow.js'

// What @Workflow reads from the class and checks against its input schema
export type { DeclaredInput, DeclaredEncodedInput, SchemaMatches } from './authoring/workflow-decorator.js'

// What @Workflow checks of a class's static result, and what callers' types read from it
export type { ResultCheck, ClassResult, DeclaredResultValue } from './authoring/workflow-result.js'

// How a context's declared events narrow ctx.waitForEvent
export type { DeclaredEventName, UndeclaredEventName } from './graph/task-context.js'
