import { Effect } from 'effect'
import { describeCause } from '../core/errors.js'
import { formatStepSegment } from '../core/step-key.js'
import type { LoopResult, TaskFailure } from '../graph/task-context.js'
import type { TaskNode } from '../graph/workflow-graph.js'
import { TaskThrew, type AttemptFailure } from '../resilience/attempt-failure.js'
import { TaskPolicyRunner, type PolicyHooks, type PolicyServices } from '../resilience/task-policies.js'
import { inspectable, isThenable } from './inspectable.js'
import { attemptEffect, type AttemptHost } from './task-attempt.js'

/** What a task program needs from its run. */
export interface TaskRunner extends AttemptHost {
  readonly policies: TaskPolicyRunner
  /** Called once, just before the task's body is first invoked. */
  taskStarted(task: TaskNode): void
  /** Whether the run stopped (cancelled, failed, given up) so that `task` must not start its body. */
  stopped(task: TaskNode): boolean
  /** What the policies report about a task's attempts and retries (of loop iteration `iteration`, or -1), and how they run its `fallbackWith` fallback. */
  policyHooks(task: TaskNode, iteration: number): PolicyHooks
  /**
   * A loop's iteration is about to make its first attempt: from the second
   * one this program runs, the task's attempts are counted and logged afresh
   * (the first keeps an attempt inferred lost at a takeover).
   */
  iterationBegins(task: TaskNode, firstHere: boolean): void
  /** Records a loop iteration's output with its attempts; resolves to the output that is stored. */
  recordIteration(task: TaskNode, key: string, output: unknown, startedAt: number): Promise<unknown>
}

/** How a task program ended when it did not fail: it ran (with its output), or its condition skipped it. */
export type ProgramResult = { readonly _tag: 'ran'; readonly output: unknown } | { readonly _tag: 'skipped' }

const skipped: ProgramResult = { _tag: 'skipped' }

function ran(output: unknown): ProgramResult {
  return { _tag: 'ran', output }
}

/**
 * Whether a task runs as a bare {@link TaskAttempt} (no fiber): no condition,
 * no loop and no policy, so one attempt of its body is all its program would
 * do. Most tasks of most graphs are like that.
 */
export function runsDirectly(task: TaskNode): boolean {
  return task.kind !== 'loop' && task.when === undefined && !TaskPolicyRunner.hasPolicies(task)
}

/**
 * The whole program of a task that does not run directly: its condition (a
 * false one ends it as skipped), then its body under its policies, or its
 * loop. Fails only with an {@link AttemptFailure}.
 */
export function taskProgram(run: TaskRunner, task: TaskNode, args: readonly unknown[]): Effect.Effect<ProgramResult, AttemptFailure, PolicyServices> {
  const body = Effect.suspend((): Effect.Effect<ProgramResult, AttemptFailure, PolicyServices> => {
    run.taskStarted(task)
    // A task.started listener may have stopped the run while this fiber was being forked, before
    // the run could interrupt it: then the body is not called.
    if (run.stopped(task)) return Effect.interrupt
    const program = task.kind === 'loop' ? loopProgram(run, task, args) : withPolicies(run, task, args, -1)
    return Effect.map(program, ran)
  })
  if (task.when === undefined) return body
  return Effect.flatMap(evaluateCondition(task, args), (proceed) => (proceed ? body : Effect.succeed(skipped)))
}

function withPolicies(run: TaskRunner, task: TaskNode, args: readonly unknown[], iteration: number): Effect.Effect<unknown, AttemptFailure, PolicyServices> {
  const hooks = run.policyHooks(task, iteration)
  if (!TaskPolicyRunner.hasPolicies(task)) {
    hooks.onAttempt(1)
    return attemptEffect(run, task, args, 1, iteration)
  }
  return run.policies.run(task, args, (n) => attemptEffect(run, task, args, n, iteration), hooks)
}

function evaluateCondition(task: TaskNode, args: readonly unknown[]): Effect.Effect<boolean, TaskThrew> {
  return Effect.callback<boolean, TaskThrew>((resume) => {
    const threw = (error: unknown) => resume(Effect.fail(new TaskThrew(inspectable(task, error))))
    try {
      const result = task.when!(...args)
      if (!isThenable(result)) return resume(Effect.succeed(result === true))
      result.then((value) => resume(Effect.succeed(value === true)), threw)
    } catch (error) {
      threw(error)
    }
  })
}

/** Calls user code of `task` that may throw (a loop's `while`), failing with {@link TaskThrew}. */
function userCall<A>(task: TaskNode, call: () => A): Effect.Effect<A, TaskThrew> {
  return Effect.try({ try: call, catch: (error) => new TaskThrew(inspectable(task, error)) })
}

function loopProgram(run: TaskRunner, task: TaskNode, args: readonly unknown[]): Effect.Effect<LoopResult<unknown>, AttemptFailure, PolicyServices> {
  const loop = task.loop!
  const rest = args.slice(1)
  return Effect.gen(function* () {
    let state = args[0]
    const iterationResults: unknown[] = []
    let iteration = 0
    let ranHere = 0
    for (; iteration < loop.maxIterations; iteration++) {
      const key = task.stepKey + formatStepSegment({ kind: 'iteration', index: iteration })
      const recorded = run.recorded(key)
      if (recorded === undefined) {
        const current = state
        const proceed = yield* userCall(task, () => loop.while(current, iteration))
        if (!proceed) break
        const startedAt = run.now()
        run.iterationBegins(task, ranHere++ === 0)
        const next = yield* withPolicies(run, task, [current, ...rest], iteration)
        state = yield* Effect.tryPromise({ try: () => run.recordIteration(task, key, next, startedAt), catch: (error) => new TaskThrew(error) })
      } else state = recorded.output
      iterationResults.push(state)
    }
    const final = state
    const capHit = iteration === loop.maxIterations && (yield* userCall(task, () => loop.while(final, iteration)))
    return { iterations: iteration, maxIterationsReached: capHit, iterationResults, finalState: final }
  })
}

/** Builds the {@link TaskFailure} an `@OnFailure` handler receives. */
export function taskFailure(task: string, error: unknown, attempts: number): TaskFailure {
  return { task, error, message: describeCause(error), attempts }
}
