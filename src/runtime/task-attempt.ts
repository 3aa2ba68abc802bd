import { Effect } from 'effect'
import type { TaskNode } from '../graph/workflow-graph.js'
import { TaskThrew } from '../resilience/attempt-failure.js'
import { inspectable, isThenable } from './inspectable.js'
import { TaskContextImpl } from './task-context-impl.js'
import type { TaskHost } from './task-host.js'

/** How one attempt of a task body ended. */
export type AttemptExit =
  | { readonly _tag: 'completed'; readonly output: unknown }
  | { readonly _tag: 'threw'; readonly error: unknown }
  | { readonly _tag: 'interrupted' }

/** What an attempt needs from its run: the host its context writes through, and the workflow instance. */
export interface AttemptHost extends TaskHost {
  readonly instance: object
}

/** Something running that its run can interrupt: an attempt, or the fiber of a task with policies. */
export interface Interruptible {
  /** Interrupts it: its signal fires, a late result is dropped, it exits as interrupted. */
  interrupt(): void
}

const interrupted: AttemptExit = { _tag: 'interrupted' }

type TaskFunction = (this: object, ...args: unknown[]) => unknown

/**
 * One attempt of a task body: the only place that calls a task's method (a
 * `@Recover` fallback method is called by `fallback-call.ts`). It calls the method with its arguments and a fresh context, and exits
 * once: at once for a synchronous body (a throw is its error), when its
 * promise settles otherwise, or when interrupted (the context's signal fires
 * and a late result is dropped). Tasks without policies run it directly (no
 * fiber: a fiber per task was measured as the largest cost per task); tasks
 * with policies run it through {@link attemptEffect}, so the policies wrap
 * this same attempt.
 */
export class TaskAttempt implements Interruptible {
  private exited = false
  private ctx: TaskContextImpl | undefined

  constructor(
    private readonly host: AttemptHost,
    private readonly task: TaskNode,
    private readonly onExit: (exit: AttemptExit) => void,
  ) {}

  /** Calls the body (attempt `n`; `iteration` of a loop, or -1); a synchronous one exits before this returns. */
  start(args: readonly unknown[], n: number, iteration: number): void {
    if (this.exited) return
    const ctx = new TaskContextImpl(this.host, this.task.name, this.task.stepKey, n, iteration)
    this.ctx = ctx
    let result: unknown
    try {
      result = callTask(this.method(), this.host.instance, args, ctx)
      // A thenable's own `then` may throw: that is the task's error too.
      if (isThenable(result)) return void result.then((value) => this.completed(value), (error: unknown) => this.threw(error))
    } catch (error) {
      return this.threw(error)
    }
    this.completed(result)
  }

  interrupt(): void {
    if (this.exited) return
    this.ctx?.abort()
    this.ctx?.discardOutbox()
    this.exit(interrupted)
  }

  private method(): TaskFunction {
    const fn = (this.host.instance as Record<string, unknown>)[this.task.method]
    if (typeof fn !== 'function') throw new TypeError(`task "${this.task.name}": the workflow instance has no method "${this.task.method}"`)
    return fn as TaskFunction
  }

  // The attempt is over once its body settles: its context refuses further writes.
  private completed(output: unknown): void {
    this.ctx?.close()
    this.exit({ _tag: 'completed', output })
  }

  private threw(error: unknown): void {
    this.ctx?.close()
    this.ctx?.discardOutbox()
    this.exit({ _tag: 'threw', error: inspectable(this.task, error) })
  }

  private exit(exit: AttemptExit): void {
    if (this.exited) return
    this.exited = true
    this.onExit(exit)
  }
}

/**
 * A {@link TaskAttempt} as an Effect, for the policies to wrap: it succeeds
 * with the body's value, fails with {@link TaskThrew} around what the body
 * threw, and interrupting the fiber interrupts the attempt.
 */
export function attemptEffect(host: AttemptHost, task: TaskNode, args: readonly unknown[], n: number, iteration: number): Effect.Effect<unknown, TaskThrew> {
  return Effect.callback<unknown, TaskThrew>((resume) => {
    const attempt = new TaskAttempt(host, task, (exit) => {
      if (exit._tag === 'completed') resume(Effect.succeed(exit.output))
      else if (exit._tag === 'threw') resume(Effect.fail(new TaskThrew(exit.error)))
    })
    attempt.start(args, n, iteration)
    return Effect.sync(() => attempt.interrupt())
  })
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
