import 'reflect-metadata'
import { describe, expect, it } from 'vitest'
import {
  Always,
  DependsOn,
  Loop,
  OnFailure,
  RunCancelledError,
  RunFailedError,
  Task,
  When,
  Workflow,
  WorkflowBase,
  type LoopContext,
  type TaskContext,
  type TaskFailure,
} from 'weft-sdk'
import { flush } from '../support/test-clock.js'
import { memoryEngine } from '../support/engines.js'

function deferred<T = void>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)))
  return { promise, resolve, reject }
}

describe('sequential and parallel tasks', () => {
  it('runs a chain one task at a time and independent tasks at once', async () => {
    const log: string[] = []
    let running = 0
    let peak = 0
    const step = async (name: string) => {
      running++
      peak = Math.max(peak, running)
      log.push(`start ${name}`)
      await flush(1)
      log.push(`end ${name}`)
      running--
      return name
    }
    @Workflow({ name: 'fork-join', version: 1 })
    class ForkJoin extends WorkflowBase<void> {
      @Task() load(_: void) { return step('load') }
      @DependsOn('load') resize(x: string) { return step(`resize ${x}`) }
      @DependsOn('load') compress(x: string) { return step(`compress ${x}`) }
      @DependsOn('load') watermark(x: string) { return step(`watermark ${x}`) }
      @DependsOn('resize', 'compress', 'watermark')
      join(a: string, b: string, c: string) { return [a, b, c] }
    }
    const engine = memoryEngine()
    const result = await engine.run(ForkJoin)
    expect(result.output('join')).toEqual(['resize load', 'compress load', 'watermark load'])
    expect(log.slice(0, 2)).toEqual(['start load', 'end load'])
    expect(peak).toBe(3)
    await engine.close()
  })
})

describe('failure', () => {
  it('interrupts running siblings, fires their signals and fails the run with the task error', async () => {
    const siblingSignal = deferred<AbortSignal>()
    @Workflow({ name: 'failing', version: 1 })
    class Failing extends WorkflowBase<void> {
      @Task() async slow(_: void, ctx: TaskContext<void>) {
        siblingSignal.resolve(ctx.signal)
        await new Promise((resolve) => setTimeout(resolve, 10_000))
        return 'never'
      }
      @Task() async boom(_: void): Promise<string> {
        await flush(2)
        throw new TypeError('boom')
      }
      @DependsOn('boom') after(x: string) { return x }
    }
    const engine = memoryEngine()
    const run = await engine.start(Failing)
    const error = await run.result().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RunFailedError)
    expect((error as RunFailedError).task).toBe('boom')
    expect((error as RunFailedError).cause).toBeInstanceOf(TypeError)
    expect((error as RunFailedError).message).toBe(`run ${run.id} of workflow "failing" failed in task "boom": boom`)
    expect((await siblingSignal.promise).aborted).toBe(true)
    expect(run.tasks().map((t) => [t.task, t.status])).toEqual([
      ['slow', 'cancelled'],
      ['boom', 'failed'],
      ['after', 'cancelled'],
    ])
    expect(run.status()).toBe('failed')
    await engine.close()
  })

  it('passes undefined for a failed optional dependency and completes the run', async () => {
    @Workflow({ name: 'optional', version: 1 })
    class Optional extends WorkflowBase<void> {
      @Task() enrich(_: void): string { throw new Error('enrichment down') }
      @Task() base(_: void) { return 'base' }
      @DependsOn('base', { task: 'enrich', optional: true })
      combine(base: string, extra: string | undefined) { return `${base}+${extra ?? 'none'}` }
    }
    const engine = memoryEngine()
    const result = await engine.run(Optional)
    expect(result.output('combine')).toBe('base+none')
    expect(result.tasks.find((t) => t.task === 'enrich')).toMatchObject({ status: 'failed', error: { message: 'enrichment down' } })
    await engine.close()
  })
})

describe('@When', () => {
  @Workflow({ name: 'quality', version: 1 })
  class Quality extends WorkflowBase<{ score: number }> {
    @Task() check(input: { score: number }) { return input.score }
    @DependsOn('check') @When((score: number) => score > 0.8) premium(score: number) { return `premium ${score}` }
    @DependsOn('check') @When(async (score: number) => score <= 0.8) standard(score: number) { return `standard ${score}` }
    @DependsOn('premium') notifyVip(p: string) { return `vip ${p}` }
    @DependsOn({ task: 'premium', optional: true }, { task: 'standard', optional: true })
    report(premium: string | undefined, standard: string | undefined) { return premium ?? standard }
  }

  it('skips a task whose condition is false, and its required dependents', async () => {
    const engine = memoryEngine()
    const result = await engine.run(Quality, { score: 0.5 })
    expect(result.outputs).toEqual({ check: 0.5, standard: 'standard 0.5', report: 'standard 0.5' })
    expect(result.tasks.map((t) => [t.task, t.status])).toEqual([
      ['check', 'completed'],
      ['premium', 'skipped'],
      ['standard', 'completed'],
      ['notifyVip', 'skipped'],
      ['report', 'completed'],
    ])
    expect((await engine.run(Quality, { score: 0.9 })).outputs.notifyVip).toBe('vip premium 0.9')
    await engine.close()
  })

  it('emits task.skipped with the reason', async () => {
    const engine = memoryEngine()
    const reasons: string[] = []
    engine.on('task.skipped', (event) => reasons.push(`${event.task}:${event.reason}`))
    await engine.run(Quality, { score: 0.1 })
    expect(reasons).toEqual(['premium:condition', 'notifyVip:dependency'])
    await engine.close()
  })
})

describe('@OnFailure', () => {
  const handled: TaskFailure[] = []
  @Workflow({ name: 'saga', version: 1 })
  class Saga extends WorkflowBase<{ fail: boolean }> {
    @Task() reserve(input: { fail: boolean }) { return input.fail }
    @DependsOn('reserve') charge(fail: boolean): string {
      if (fail) throw new Error('card declined')
      return 'charged'
    }
    @DependsOn('charge') ship(receipt: string) { return `shipped ${receipt}` }
    @OnFailure('charge') release(failure: TaskFailure) {
      handled.push(failure)
      return `released after ${failure.message}`
    }
  }

  it('runs the handler with the failure, skips the failed task\'s dependents and completes the run', async () => {
    const engine = memoryEngine()
    const result = await engine.run(Saga, { fail: true })
    expect(result.output('release')).toBe('released after card declined')
    expect(handled[0]).toMatchObject({ task: 'charge', message: 'card declined', attempts: 1 })
    expect(result.tasks.map((t) => [t.task, t.status])).toEqual([
      ['reserve', 'completed'],
      ['charge', 'failed'],
      ['ship', 'skipped'],
      ['release', 'completed'],
    ])
    await engine.close()
  })

  it('skips the handler when the task succeeds', async () => {
    const engine = memoryEngine()
    const result = await engine.run(Saga, { fail: false })
    expect(result.output('ship')).toBe('shipped charged')
    expect(result.tasks.find((t) => t.task === 'release')!.status).toBe('skipped')
    await engine.close()
  })

  it('fails the run when the handler rethrows', async () => {
    @Workflow({ name: 'compensate-then-fail', version: 1 })
    class Strict extends WorkflowBase<void> {
      @Task() charge(_: void): string { throw new Error('declined') }
      @OnFailure('charge') refund(failure: TaskFailure): string { throw failure.error }
    }
    const engine = memoryEngine()
    const error = (await (await engine.start(Strict)).outcome()).error as RunFailedError
    expect(error.task).toBe('refund')
    expect((error.cause as Error).message).toBe('declined')
    await engine.close()
  })
})

describe('@Always', () => {
  const cleaned: string[] = []
  @Workflow({ name: 'cleanup', version: 1 })
  class Cleanup extends WorkflowBase<{ fail: boolean }> {
    @Task() lock(input: { fail: boolean }) { return `lock-${String(input.fail)}` }
    @DependsOn('lock') async work(lock: string, ctx: TaskContext<{ fail: boolean }>) {
      if (ctx.input.fail) throw new Error('work failed')
      await flush(1)
      return `${lock} worked`
    }
    @Always() @DependsOn({ task: 'lock', optional: true }) unlock(lock: string | undefined) {
      cleaned.push(`unlock ${lock}`)
      return 'unlocked'
    }
    @Task() @Always() cleanUp(input: { fail: boolean }) {
      cleaned.push(`cleanUp ${String(input.fail)}`)
      return 'cleaned'
    }
  }

  it('runs after success, the dependency-less one last', async () => {
    cleaned.length = 0
    const engine = memoryEngine()
    const result = await engine.run(Cleanup, { fail: false })
    expect(result.outputs).toMatchObject({ unlock: 'unlocked', cleanUp: 'cleaned' })
    expect(cleaned).toEqual(['unlock lock-false', 'cleanUp false'])
    await engine.close()
  })

  it('runs after a failure and the run still fails', async () => {
    cleaned.length = 0
    const engine = memoryEngine()
    const outcome = await (await engine.start(Cleanup, { fail: true })).outcome()
    expect(outcome.status).toBe('failed')
    expect((outcome.error as RunFailedError).task).toBe('work')
    expect(cleaned).toEqual(['unlock lock-true', 'cleanUp true'])
    await engine.close()
  })

  it('runs after cancellation', async () => {
    const ran: string[] = []
    const started = deferred()
    @Workflow({ name: 'cancel-cleanup', version: 1 })
    class CancelCleanup extends WorkflowBase<void> {
      @Task() async wait(_: void, ctx: TaskContext<void>) {
        started.resolve()
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))
      }
      @Task() @Always() cleanUp(_: void) {
        ran.push('cleanUp')
      }
    }
    const engine = memoryEngine()
    const run = await engine.start(CancelCleanup)
    await started.promise
    expect(await run.cancel('user asked')).toBe(true)
    const error = await run.result().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RunCancelledError)
    expect((error as Error).message).toBe(`run ${run.id} was cancelled: user asked`)
    expect(ran).toEqual(['cleanUp'])
    expect(run.status()).toBe('cancelled')
    await engine.close()
  })

  it('fails the run when the cleanup fails', async () => {
    @Workflow({ name: 'bad-cleanup', version: 1 })
    class BadCleanup extends WorkflowBase<void> {
      @Task() work(_: void) { return 1 }
      @Task() @Always() cleanUp(_: void): void { throw new Error('disk full') }
    }
    const engine = memoryEngine()
    const error = (await (await engine.start(BadCleanup)).outcome()).error as RunFailedError
    expect(error.task).toBe('cleanUp')
    await engine.close()
  })
})

describe('@Loop', () => {
  interface Batch {
    readonly total: number
    readonly batchSize: number
    readonly processed: number
  }
  @Workflow({ name: 'batches', version: 1 })
  class Batches extends WorkflowBase<Batch> {
    @Loop({ while: (s: Batch) => s.processed < s.total, maxIterations: 5 })
    process(state: Batch, ctx: LoopContext<Batch>): Batch {
      return { ...state, processed: state.processed + state.batchSize + ctx.iteration * 0 }
    }
    @DependsOn('process') report(result: { iterations: number; finalState: Batch }) {
      return `${result.iterations} batches, ${result.finalState.processed} items`
    }
  }

  it('iterates until the condition fails and reports iteration results and final state', async () => {
    const engine = memoryEngine()
    const result = await engine.run(Batches, { total: 250, batchSize: 100, processed: 0 })
    const loop = result.output('process')
    expect(loop.iterations).toBe(3)
    expect(loop.maxIterationsReached).toBe(false)
    expect(loop.iterationResults.map((s) => s.processed)).toEqual([100, 200, 300])
    expect(loop.finalState.processed).toBe(300)
    expect(result.output('report')).toBe('3 batches, 300 items')
    await engine.close()
  })

  it('says when the cap was hit', async () => {
    const engine = memoryEngine()
    const loop = (await engine.run(Batches, { total: 10_000, batchSize: 100, processed: 0 })).output('process')
    expect(loop.iterations).toBe(5)
    expect(loop.maxIterationsReached).toBe(true)
    await engine.close()
  })

  it('runs no iteration when the condition is false at once', async () => {
    const engine = memoryEngine()
    const loop = (await engine.run(Batches, { total: 0, batchSize: 100, processed: 0 })).output('process')
    expect(loop).toEqual({ iterations: 0, maxIterationsReached: false, iterationResults: [], finalState: { total: 0, batchSize: 100, processed: 0 } })
    await engine.close()
  })
})
