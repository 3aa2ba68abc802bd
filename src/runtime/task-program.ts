import { Cause, Effect, Exit } from 'effect'
import { describeCause, UninspectableThrowError } from '../core/errors.js'
import { formatStepSegment } from '../core/step-key.js'
import type { LoopResult, TaskFailure } from '../graph/task-context.js'
import type { TaskNode } from '../graph/workflow-graph.js'
import { TaskPolicyRunner, type PolicyHooks, type PolicyServices } from '../resilience/task-policies.js'
import { TaskContextImpl } from './task-context-impl.js'
import type { TaskHost } from './task-host.js'

/** A task's condition was false: the task is skipped, not failed. */
export class ConditionFalse {
  readonly _tag = 'ConditionFalse'
}

/** What a task program needs from its run besides the {@link TaskHost}. */
export interface TaskRunner extends TaskHost {
  readonly instance: object
  readonly policies: TaskPolicyRunner
  /** Called once, just before the task's body is first invoked. */
  taskStarted(task: TaskNode): void
  /** Whether the run stopped (cancelled, failed, given up) so that `task` must not start its body. */
  stopped(task: TaskNode): boolean
  /** What the policies report about a task's attempts and retries. */
  policyHooks(task: TaskNode): PolicyHooks
}

type TaskFunction = (this: object, ...args: unknown[]) => unknown

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

function callTask(fn: TaskFunction, instance: object, args: readonly unknown[], ctx: TaskContextImpl): unknown {
  switch (args.length) {
    case 0:
      return fn.call(instance, ctx)
    case 1:
      return fn.call(instance, args[0], ctx)
    case 2:
      return fn.call(instance, args[0], args[1], ctx)
    default:
      return fn.apply(instance, [...args, ctx])
  }
}

/**
 * Calls a task body (the workflow method) with its arguments and context and
 * reports its value or error: at once for a synchronous body (a throw is its
 * error), when its promise settles otherwise. Returns whether it is still
 * pending (a promise).
 */
function callBody(
  run: TaskRunner,
  task: TaskNode,
  args: readonly unknown[],
  ctx: TaskContextImpl,
  onValue: (value: unknown) => void,
  onError: (error: unknown) => void,
): boolean {
  // The attempt is over once its body settles: its context refuses further writes.
  const succeed = (value: unknown) => {
    ctx.close()
    onValue(value)
  }
  const fail = (error: unknown) => {
    ctx.close()
    onError(inspectable(task, error))
  }
  let result: unknown
  try {
    const fn = (run.instance as Record<string, unknown>)[task.method]
    if (typeof fn !== 'function') throw new TypeError(`task "${task.name}": the workflow instance has no method "${task.method}"`)
    result = callTask(fn as TaskFunction, run.instance, args, ctx)
    // A thenable's own \`then\` may throw: that is the task's error too.
    if (isThenable(result)) {
      result.then(succeed, fail)
      return true
    }
  } catch (error) {
    fail(error)
    return false
  }
  succeed(result)
  return false
}

/**
 * What a task threw, as the runtime can handle it: the value itself, unless
 * even looking at it throws (a revoked Proxy, or one whose traps throw), then
 * an {@link UninspectableThrowError} holding it. Retry predicates, breakers
 * and the scheduler inspect errors (`instanceof`, properties); none of that
 * may throw.
 */
function inspectable(task: TaskNode, error: unknown): unknown {
  if ((typeof error !== 'object' && typeof error !== 'function') || error === null) return error
  try {
    void (error instanceof Error)
    void Object.getPrototypeOf(error)
    return error
  } catch {
    return new UninspectableThrowError(task.name, error)
  }
}

/**
 * One attempt of a task body: calls the method with its arguments and a fresh
 * context. Synchronous bodies complete without suspending; a promise is
 * awaited, and interruption (cancel, timeout, a sibling's failure) fires the
 * context's signal and drops the late result.
 */
export function invokeTask(run: TaskRunner, task: TaskNode, args: readonly unknown[], attempt: number, iteration: number): Effect.Effect<unknown, unknown> {
  return Effect.callback<unknown, unknown>((resume) => {
    const ctx = new TaskContextImpl(run, task.name, task.stepKey, attempt, iteration)
    const pending = callBody(
      run,
      task,
      args,
      ctx,
      (value) => resume(Effect.succeed(value)),
      (error) => resume(Effect.fail(error)),
    )
    if (pending) return Effect.sync(() => ctx.abort())
  })
}

function withPolicies(run: TaskRunner, task: TaskNode, args: readonly unknown[], iteration: number): Effect.Effect<unknown, unknown, PolicyServices> {
  const hooks = run.policyHooks(task)
  if (!TaskPolicyRunner.hasPolicies(task)) {
    hooks.onAttempt(1)
    return invokeTask(run, task, args, 1, iteration)
  }
  return run.policies.run(task, args, (n) => invokeTask(run, task, args, n, iteration), hooks)
}

function evaluateCondition(task: TaskNode, args: readonly unknown[]): Effect.Effect<boolean, unknown> {
  return Effect.callback<boolean, unknown>((resume) => {
    let result: unknown
    try {
      result = task.when!(...args)
      if (!isThenable(result)) return resume(Effect.succeed(result === true))
      result.then(
        (value) => resume(Effect.succeed(value === true)),
        (error: unknown) => resume(Effect.fail(inspectable(task, error))),
      )
    } catch (error) {
      return resume(Effect.fail(inspectable(task, error)))
    }
  })
}

function loopProgram(run: TaskRunner, task: TaskNode, args: readonly unknown[]): Effect.Effect<LoopResult<unknown>, unknown, PolicyServices> {
  const loop = task.loop!
  const rest = args.slice(1)
  return Effect.gen(function* () {
    let state = args[0]
    const iterationResults: unknown[] = []
    let iteration = 0
    for (; iteration < loop.maxIterations; iteration++) {
      const key = task.stepKey + formatStepSegment({ kind: 'iteration', index: iteration })
      const recorded = run.recorded(key)
      if (recorded === undefined) {
        const current = state
        const proceed = yield* Effect.try({ try: () => loop.while(current, iteration), catch: (error) => error })
        if (!proceed) break
        const startedAt = run.now()
        const next = yield* withPolicies(run, task, [current, ...rest], iteration)
        state = yield* Effect.promise(() => run.recordStep(key, task.name, next, startedAt))
      } else state = recorded.output
      iterationResults.push(state)
    }
    const final = state
    const capHit = iteration === loop.maxIterations && (yield* Effect.try({ try: () => loop.while(final, iteration), catch: (e) => e }))
    return { iterations: iteration, maxIterationsReached: capHit, iterationResults, finalState: final }
  })
}

/**
 * The whole program of one task: its condition (a false one fails with
 * {@link ConditionFalse}), then its body under its policies, or its loop.
 */
export function taskProgram(run: TaskRunner, task: TaskNode, args: readonly unknown[]): Effect.Effect<unknown, unknown, PolicyServices> {
  const body = Effect.suspend(() => {
    run.taskStarted(task)
    // A task.started listener may have stopped the run while this fiber was being forked, before
    // the run could interrupt it: then the body is not called.
    if (run.stopped(task)) return Effect.interrupt
    return task.kind === 'loop' ? loopProgram(run, task, args) : withPolicies(run, task, args, -1)
  })
  if (task.when === undefined) return body
  return Effect.flatMap(evaluateCondition(task, args), (proceed) => (proceed ? body : Effect.fail(new ConditionFalse())))
}

/** A task being executed, as its run sees it: something to interrupt. A fiber, or a {@link DirectAttempt}. */
export interface RunningTask {
  /** Interrupts the task: its signal fires, its late result is dropped, its exit is an interruption. */
  interruptUnsafe(): void
}

/**
 * Whether a task runs as a direct call ({@link DirectAttempt}) rather than as
 * a fiber: no condition, no loop and no policy, so one attempt of its body is
 * all its program would do. Most tasks of most graphs are like that.
 */
export function runsDirectly(task: TaskNode): boolean {
  return task.kind !== 'loop' && task.when === undefined && !TaskPolicyRunner.hasPolicies(task)
}

/**
 * One attempt of a task body called directly, for the tasks
 * {@link runsDirectly} accepts. It behaves as {@link taskProgram} does for
 * them — exits are the same `Exit` values, an interruption fires the
 * context's signal and drops the late result — without forking a fiber per
 * task, which cost more than the rest of a task's scheduling together. Where
 * policies compose (retry, timeout, breaker, ...), tasks keep running as
 * fibers. Not an Effect, on purpose: nothing here needs Effect's runtime.
 */
export class DirectAttempt implements RunningTask {
  private settled = false
  private ctx: TaskContextImpl | undefined

  constructor(private readonly onExit: (exit: Exit.Exit<unknown, unknown>) => void) {}

  /** Calls the body; a synchronous one exits before this returns. */
  start(run: TaskRunner, task: TaskNode, args: readonly unknown[]): void {
    run.taskStarted(task)
    run.policyHooks(task).onAttempt(1)
    // A listener of task.started may have cancelled the run (interrupting this): then the body is not called.
    if (this.settled) return
    this.ctx = new TaskContextImpl(run, task.name, task.stepKey, 1, -1)
    callBody(
      run,
      task,
      args,
      this.ctx,
      (value) => this.exit(Exit.succeed(value)),
      (error) => this.exit(Exit.fail(error)),
    )
  }

  interruptUnsafe(): void {
    if (this.settled) return
    this.ctx?.abort()
    this.exit(Exit.failCause(Cause.interrupt()))
  }

  private exit(exit: Exit.Exit<unknown, unknown>): void {
    if (this.settled) return
    this.settled = true
    this.onExit(exit)
  }
}

/** Builds the {@link TaskFailure} an `@OnFailure` handler receives. */
export function taskFailure(task: string, error: unknown, attempts: number): TaskFailure {
  return { task, error, message: describeCause(error), attempts }
}
