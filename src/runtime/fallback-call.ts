import { Effect } from 'effect'
import type { FallbackContext } from '../graph/fallback-options.js'
import type { FallbackRun, TaskNode } from '../graph/workflow-graph.js'
import { TaskThrew } from '../resilience/attempt-failure.js'
import type { FallbackCall } from '../resilience/recovery/with-recovery.js'
import { AttemptCalls } from './attempt-calls.js'
import { inspectable, isThenable } from './inspectable.js'
import type { AttemptHost } from './task-attempt.js'
import { attemptStepKey } from './task-context-impl.js'

type FallbackFunction = (this: object, ...args: unknown[]) => unknown

/**
 * One call of a task's `fallbackWith` fallback, as an Effect for recovery to
 * run (`withRecovery`): the method (looked up on the run's workflow
 * instance, like a task's) or the function is called with the instance as
 * `this`, the error, the task's arguments and a {@link FallbackContext}
 * (whose `use` binds adapters as a task attempt's `ctx.use` does, metered to
 * the task's step). It succeeds with what the fallback returns or resolves to, fails with
 * {@link TaskThrew} around what it throws; interrupting it fires the
 * context's signal and drops a late result. The signal also fires once the
 * fallback has ended, as a task's does.
 */
export function fallbackEffect(host: AttemptHost, task: TaskNode, call: FallbackCall, iteration: number): Effect.Effect<unknown, TaskThrew> {
  return Effect.callback<unknown, TaskThrew>((resume) => {
    const controller = new AbortController()
    let ended = false
    const stepKey = attemptStepKey(task.stepKey, iteration)
    const calls = new AttemptCalls(host, { task: task.name, attempt: call.attempts, stepKey, idempotencyKey: `${host.runId}:${stepKey}:fallback`, signal: controller.signal, isClosed: () => ended })
    const end = (exit: Effect.Effect<unknown, TaskThrew>) => {
      if (ended) return
      ended = true
      controller.abort()
      resume(exit)
    }
    const threw = (error: unknown) => {
      // A fallback that failed records no outbox entry, as a failed attempt records none.
      if (!ended) calls.discardOutbox()
      end(Effect.fail(new TaskThrew(inspectable(task, error))))
    }
    try {
      const result = fallbackFunction(host, task, call.run).call(host.instance, call.error, ...call.args, fallbackContext(host, task, call, calls, controller.signal))
      // A thenable's own `then` may throw: that is the fallback's error too.
      if (isThenable(result)) result.then((value) => end(Effect.succeed(value)), threw)
      else end(Effect.succeed(result))
    } catch (error) {
      threw(error)
    }
    return Effect.sync(() => {
      if (!ended) calls.discardOutbox()
      ended = true
      controller.abort()
    })
  })
}

function fallbackFunction(host: AttemptHost, task: TaskNode, run: FallbackRun): FallbackFunction {
  if (run.kind === 'function') return run.fn as FallbackFunction
  const fn = (host.instance as Record<string, unknown>)[run.method]
  if (typeof fn !== 'function') throw new TypeError(`task "${task.name}": the workflow instance has no method "${run.method}" to fall back to`)
  return fn as FallbackFunction
}

function fallbackContext(host: AttemptHost, task: TaskNode, call: FallbackCall, calls: AttemptCalls, signal: AbortSignal): FallbackContext & { readonly services: object } {
  return {
    runId: host.runId,
    workflow: host.workflow,
    task: task.name,
    input: host.input,
    errorClass: call.errorClass,
    attempts: call.attempts,
    idempotencyKey: calls.idempotencyKey,
    signal,
    // A definition's services (`ctx.services`), typed by `defineWorkflow`; a class's instance holds its own.
    services: host.workflowServices,
    // Bound like a task attempt's `ctx.use`: metered to the task's step, reported under the attempt it answers.
    use: (adapter) => calls.use(adapter, 'FallbackContext.use'),
  }
}
