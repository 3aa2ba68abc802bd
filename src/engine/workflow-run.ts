import { inspect, type InspectOptions } from 'node:util'
import type { AnyWorkflow, WorkflowEvents, WorkflowOutputs, WorkflowResultDeclaration, WorkflowResultValue } from '../authoring/workflow-ref.js'
import type { NoDeclaredResult } from '../authoring/workflow-result.js'
import type { RunId } from '../core/ids.js'
import type { EventSchemas } from '../graph/task-context.js'
import type { WorkflowResultSpec } from '../graph/workflow-graph.js'
import type { RunEvent } from '../runtime/run-events.js'
import type { RunOutcome, TaskSummary } from '../runtime/run-outcome.js'
import type { AuditEntry } from '../storage/audit-store.js'
import type { RunStatus } from '../storage/workflow-store.js'
import { declaredResult } from './declared-result.js'
import { RunResult } from './run-result.js'

/**
 * What `run.result()` and `engine.run` resolve to for workflow `W`: the
 * result it declares (one task's output, or a record of them), else a
 * {@link RunResult} with every task's output. Decided by the declaration, not
 * by the value: a result task typed `any` still gives its value.
 *
 * @example
 * ```ts
 * import { defineWorkflow, type WorkflowResult } from 'weft-sdk'
 * const Label = defineWorkflow({ name: 'label', version: 1 }).task('print', () => 'L-1').build({ result: 'print' })
 * type Printed = WorkflowResult<typeof Label> // string
 * ```
 */
export type WorkflowResult<W> = [WorkflowResultDeclaration<W>] extends [NoDeclaredResult] ? RunResult<WorkflowOutputs<W>> : WorkflowResultValue<W>

/**
 * The handle on a run of workflow `W`: outputs, result and events typed by it
 * (what `engine.start(W, ...)` and `engine.getRun(W, id)` return).
 *
 * @example
 * ```ts
 * import { defineWorkflow, type WorkflowRunOf } from 'weft-sdk'
 * const Label = defineWorkflow({ name: 'label', version: 1 }).task('print', () => 'L-1').build({ result: 'print' })
 * async function printed(run: WorkflowRunOf<typeof Label>): Promise<string> {
 *   return run.result()
 * }
 * ```
 */
export type WorkflowRunOf<W extends AnyWorkflow> = WorkflowRun<WorkflowOutputs<W>, WorkflowResult<W>, WorkflowEvents<W> & {}>

/**
 * The event names `run.signal` accepts: those the workflow declares, or any when it declares none.
 *
 * @example
 * ```ts
 * import type { SignalName } from 'weft-sdk'
 * type Declared = SignalName<{ approved: unknown; rejected: unknown }> // 'approved' | 'rejected'
 * type Undeclared = SignalName<{}> // string: a workflow without declared events takes any name
 * ```
 */
export type SignalName<Ev> = [keyof Ev] extends [never] ? string : keyof Ev & string

/**
 * The payload `run.signal(name, ...)` takes, as its rest arguments: the
 * declared schema's encoded type, or anything (even nothing) when the workflow
 * declares no events.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import type { SignalPayload } from 'weft-sdk'
 * const Events = { approved: Schema.Struct({ by: Schema.NonEmptyString }) }
 * const args: SignalPayload<typeof Events, 'approved'> = [{ by: 'ada' }] // run.signal('approved', ...args)
 * ```
 */
export type SignalPayload<Ev, N> = [keyof Ev] extends [never]
  ? [payload?: unknown]
  : N extends keyof Ev
    ? Ev[N] extends {
        /** The schema's encoded type: what is sent and stored. */
        readonly Encoded: infer P
      }
      ? [payload: P]
      : never
    : never

/**
 * What a {@link WorkflowRun} handle reads and controls: a run executing here, or one in the store.
 *
 * @example
 * ```ts
 * import type { RunBackend } from 'weft-sdk'
 * declare const backend: RunBackend
 * console.log(backend.workflow, backend.version, backend.status())
 * const outcome = await backend.outcome()
 * ```
 */
export interface RunBackend {
  /** The run's id. */
  readonly runId: RunId
  /** The workflow's name. */
  readonly workflow: string
  /** The workflow version the run is pinned to. */
  readonly version: number
  /** Where the run is, as last seen. */
  status(): RunStatus
  /** Waits for the run to end; never rejects. */
  outcome(): Promise<RunOutcome>
  /** Each task's status, as far as this process knows. */
  tasks(): TaskSummary[]
  /** The run's events from its start, then live ones; none for a run executing elsewhere. */
  events(): AsyncIterable<RunEvent>
  /**
   * Pauses the run, or asks its worker to; resolves whether the request applied.
   * `audit`: entries to write in the same transaction as the request (the secure path's record of it).
   */
  pause(audit?: readonly AuditEntry[]): Promise<boolean>
  /** Resumes the run, or asks its worker to; resolves whether the request applied. `audit`: as for `pause`. */
  resume(audit?: readonly AuditEntry[]): Promise<boolean>
  /** Cancels the run, or asks its worker to; resolves whether the request applied. `audit`: as for `pause`. */
  cancel(reason?: string, audit?: readonly AuditEntry[]): Promise<boolean>
  /** Stores an event for this run; resolves once it is stored. `audit`: written with the event. */
  signal(name: string, payload: unknown, audit?: readonly AuditEntry[]): Promise<void>
}

let partsOf: (run: WorkflowRun<any, any, any>) => { readonly backend: RunBackend; readonly spec: WorkflowResultSpec | undefined }

/**
 * The same run, its `result()` reading the result `spec` declares (the engine
 * types the handle to match). A function, not a method, so that it stays out
 * of the handle's public type.
 */
export function withDeclaredResult<Run extends WorkflowRun<any, any, any>>(run: Run, spec: WorkflowResultSpec | undefined): Run {
  const parts = partsOf(run)
  return (spec === parts.spec ? run : new WorkflowRun(parts.backend, spec)) as Run
}

/**
 * A handle on a run: await its result, follow its events, pause, resume,
 * cancel, or send it an event. The run may execute in this process or in
 * another worker sharing the store; the handle works the same.
 *
 * @typeParam O - each task's output by task name.
 * @typeParam R - what {@link WorkflowRun.result} resolves to: the workflow's
 * declared result, or a `RunResult<O>` when it declares none.
 * @typeParam Ev - the events the workflow declares, which type {@link WorkflowRun.signal}.
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { createEngine, defineWorkflow } from 'weft-sdk'
 * const Approval = defineWorkflow({ name: 'approval', version: 1 })
 *   .events({ approved: Schema.Struct({ by: Schema.String }) })
 *   .task('approve', (input, ctx) => ctx.waitForEvent('approved'))
 *   .build({ result: 'approve' })
 * const engine = createEngine()
 * const run = await engine.start(Approval)
 * await run.signal('approved', { by: 'ada' }) // typed by the declared schema, checked before it is stored
 * console.log((await run.result()).by) // 'ada'
 * console.log((await run.details()).tasks.length) // 1: every task's status, attempts, timing
 * ```
 */
export class WorkflowRun<O = Record<string, unknown>, R = RunResult<O>, Ev extends EventSchemas = {}> {
  /** @internal Created by the engine; `resultSpec` only for a handle typed by its workflow. */
  constructor(
    private readonly backend: RunBackend,
    private readonly resultSpec?: WorkflowResultSpec,
  ) {}

  static {
    // Gives withDeclaredResult (a function of this module, kept out of the public declarations) the handle's parts.
    partsOf = (run) => ({ backend: run.backend, spec: run.resultSpec })
  }

  /** The run's id. */
  get id(): RunId {
    return this.backend.runId
  }

  /** The workflow's name. */
  get workflow(): string {
    return this.backend.workflow
  }

  /** The workflow version the run is pinned to. */
  get version(): number {
    return this.backend.version
  }

  /** Where the run is now (as last seen, for a run executing in another process). */
  status(): RunStatus {
    return this.backend.status()
  }

  /** What `JSON.stringify` writes: the run's id, workflow, version and status (as last seen). */
  toJSON(): {
    /** The run's id. */
    readonly id: RunId
    /** The workflow's name. */
    readonly workflow: string
    /** The workflow version the run is pinned to. */
    readonly version: number
    /** Its status as last seen. */
    readonly status: RunStatus
  } {
    return { id: this.id, workflow: this.workflow, version: this.version, status: this.status() }
  }

  /** What `console.log` and `util.inspect` show: the fields of {@link toJSON}, not the engine's internals. */
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: InspectOptions): string {
    return `WorkflowRun ${inspect(this.toJSON(), options)}`
  }

  /**
   * Waits for the run to end and returns its result: the result its workflow
   * declares (`static readonly result = 'ship'`, `.build({ result })`), that
   * task's output or a record of outputs, `undefined` where a task declared
   * optional has none; or, when it declares none, every task's output (the
   * same as {@link WorkflowRun.details}).
   * If this process gives the run up midway (its lease was lost, or the store
   * failed under it), the handle follows the run in the store to its end.
   * @throws `RunFailedError` (its `cause` is the task's error) or `RunCancelledError`.
   */
  async result(): Promise<R> {
    const details = await this.details()
    return (this.resultSpec === undefined ? details : declaredResult(this.resultSpec, details as RunResult<Record<string, unknown>>)) as R
  }

  /**
   * Waits for the run to end and returns every task's output, status,
   * attempts and timing, whether or not the workflow declares a result.
   * @throws `RunFailedError` (its `cause` is the task's error) or `RunCancelledError`.
   */
  async details(): Promise<RunResult<O>> {
    const outcome = await this.outcome()
    if (outcome.error !== undefined) throw outcome.error
    return new RunResult<O>(outcome)
  }

  /** Waits for the run to end; never rejects. */
  outcome(): Promise<RunOutcome> {
    return this.backend.outcome()
  }

  /** Each task's status so far (as last seen, for a run executing elsewhere). */
  tasks(): TaskSummary[] {
    return this.backend.tasks()
  }

  /**
   * Every event of the run from its start, then live ones, ending with the
   * run (runs executing here only). The run keeps at most 16
   * `task.retrying` events per task for this (`maxLoggedRetriesPerTask`);
   * listeners of `engine.on` receive every one.
   */
  events(): AsyncIterable<RunEvent> {
    return this.backend.events()
  }

  /** Stops scheduling new tasks (running ones finish). Resolves false if the run was not running. */
  pause(): Promise<boolean> {
    return this.backend.pause()
  }

  /** Schedules tasks again after `pause`. */
  resume(): Promise<boolean> {
    return this.backend.resume()
  }

  /** Cancels the run: running tasks are interrupted and their signals fire; `@Always` tasks still run. */
  cancel(reason?: string): Promise<boolean> {
    return this.backend.cancel(reason)
  }

  /**
   * Sends an event to this run only; it is kept until a task of the run waits
   * for it. When the workflow declares its events (`WorkflowBase.withEvents`,
   * `defineWorkflow({ events })`), the name must be one of them and the
   * payload its schema's encoded type; a payload the schema refuses is
   * rejected here, before anything is stored.
   * @throws `EventPayloadError` for a payload the declared schema refuses,
   * `RunNotFoundError`, `RunFinishedError`.
   */
  signal<N extends SignalName<Ev>>(name: N, ...payload: SignalPayload<Ev, N>): Promise<void> {
    return this.backend.signal(name, payload[0])
  }
}
