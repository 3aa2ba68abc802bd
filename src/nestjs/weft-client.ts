import { Injectable } from '@nestjs/common'
import {
  Engine,
  RunNotFoundError,
  type AccessOptions,
  type AnyWorkflow,
  type RunId,
  type RunStatus,
  type StartArgs,
  type TaskStatus,
  type WorkflowInput,
  type WorkflowRun,
  type WorkflowRunOf,
} from '../index.js'

/**
 * A run as a controller returns it: plain data, ready for JSON. `outputs`
 * once it completed, `error` once it failed or was cancelled.
 *
 * @example
 * ```ts
 * import type { RunView } from 'weft-sdk/nestjs'
 * const view: RunView = { id: 'r-1', workflow: 'order', version: 1, status: 'running', tasks: [{ task: 'reserve', status: 'completed', attempts: 1 }] }
 * ```
 */
export interface RunView {
  /** The run's id. */
  readonly id: string
  /** Its workflow's name. */
  readonly workflow: string
  /** The workflow version it is pinned to. */
  readonly version: number
  /** Where it is now (as last seen, for a run executing in another process). */
  readonly status: RunStatus
  /** Each task's status and attempts so far. */
  readonly tasks: readonly {
    /** The task's name. */
    readonly task: string
    /** Its status. */
    readonly status: TaskStatus
    /** Attempts made so far. */
    readonly attempts: number
  }[]
  /** Every completed task's output, once the run completed. */
  readonly outputs?: Readonly<Record<string, unknown>>
  /** Why it failed or was cancelled. */
  readonly error?: string
}

const ended = new Set<RunStatus>(['completed', 'failed', 'cancelled'])

/**
 * What controllers and services do with runs: start, signal, cancel and read
 * them, typed by the workflow where it matters (the input of `start`). Each
 * method takes the caller's {@link AccessOptions} last (see
 * {@link WeftAccess}); a secured engine refuses an operation without one.
 *
 * @example
 * ```ts
 * import { Body, Controller, Get, Param, Post } from '@nestjs/common'
 * import { defineWorkflow } from 'weft-sdk'
 * import { WeftClient } from 'weft-sdk/nestjs'
 *
 * const Greeting = defineWorkflow<{ name: string }>({ name: 'greeting', version: 1 }).task('greet', (input) => `hello ${input.name}`).build()
 *
 * @Controller('greetings')
 * export class GreetingsController {
 *   constructor(private readonly weft: WeftClient) {}
 *
 *   @Post()
 *   async start(@Body() body: { name: string }) {
 *     const run = await this.weft.start(Greeting, { name: body.name })
 *     return { runId: run.id }
 *   }
 *
 *   @Get(':id')
 *   read(@Param('id') id: string) {
 *     return this.weft.read(id)
 *   }
 * }
 * ```
 */
@Injectable()
export class WeftClient {
  constructor(
    /** The module's engine, for what the client does not cover. */
    readonly engine: Engine,
  ) {}

  /**
   * Starts a run of `workflow` (input validated first; see `Engine.start`).
   * @throws `InputValidationError`, `RunConflictError`, `AuthorizationError`, `RateLimitedError`.
   */
  start<W extends AnyWorkflow>(workflow: W, ...args: StartArgs<WorkflowInput<W>>): Promise<WorkflowRunOf<W>> {
    return this.engine.start(workflow, ...args)
  }

  /**
   * Sends the event `name` to one run (kept in its inbox until a task waits for it).
   * @throws `RunNotFoundError`, `RunFinishedError`, `EventPayloadError`.
   */
  async signal(runId: string, name: string, payload?: unknown, access: AccessOptions = {}): Promise<void> {
    await this.engine.emit(name, payload, { ...access, runId: runId as RunId })
  }

  /**
   * Cancels a run; resolves false when it had already ended.
   * @throws `RunNotFoundError` when no run has this id.
   */
  async cancel(runId: string, reason?: string, access?: AccessOptions): Promise<boolean> {
    return (await this.found(runId, access)).cancel(reason)
  }

  /**
   * The run as plain data: status, tasks, and outputs or error once ended.
   * @throws `RunNotFoundError` when no run has this id.
   */
  async read(runId: string, access?: AccessOptions): Promise<RunView> {
    const run = await this.found(runId, access)
    const status = run.status()
    const tasks = run.tasks().map(({ task, status: taskStatus, attempts }) => ({ task, status: taskStatus, attempts }))
    const view: RunView = { id: run.id, workflow: run.workflow, version: run.version, status, tasks }
    if (!ended.has(status)) return view
    const outcome = await run.outcome()
    return outcome.error === undefined ? { ...view, outputs: outcome.outputs } : { ...view, error: outcome.error.message }
  }

  private async found(runId: string, access: AccessOptions | undefined): Promise<WorkflowRun> {
    const run = await this.engine.getRun(runId as RunId, access)
    if (run === undefined) throw new RunNotFoundError(runId)
    return run
  }
}
