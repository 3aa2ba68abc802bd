import { ContextClosedError } from '../core/errors.js'
import type { Bindable, CallContext, CallReport } from '../graph/call-context.js'
import type { NewOutboxEntry } from '../storage/outbox-store.js'
import type { TaskHost } from './task-host.js'

/** Who makes the calls: a task attempt (`ctx.use`), or the fallback that answered one (`FallbackContext.use`). */
export interface CallMaker {
  /** The task. */
  readonly task: string
  /** The attempt its calls are reported under (a fallback: the attempt it answers). */
  readonly attempt: number
  /** The step its calls' usage and outbox entries are recorded with (the task's, or its loop iteration's). */
  readonly stepKey: string
  /** The prefix of its calls' idempotency keys and outbox ids. */
  readonly idempotencyKey: string
  /** Fires when its calls must stop. */
  readonly signal: AbortSignal
  /** Whether it has ended: its calls report nothing more, and new ones are refused. */
  isClosed(): boolean
}

/**
 * The calls one task attempt, or one fallback, makes through its adapters:
 * what `use(adapter)` binds them to (its signal, idempotency keys numbered
 * per adapter from 1, progress and call reports under its task and attempt,
 * usage metered to its step, outbox entries staged with its step). Created
 * at the first `use` or outbox entry: most attempts make none.
 */
export class AttemptCalls {
  /** Calls made per adapter (and outbox entries, under a key no adapter name can take): keys are numbered in call order. */
  private readonly counts = new Map<string, number>()
  /** Entries recorded for the outbox, staged with the journal under the maker's step key. */
  private outboxEntries: NewOutboxEntry[] | undefined

  constructor(
    private readonly host: TaskHost,
    private readonly maker: CallMaker,
  ) {}

  /** The prefix of the calls' idempotency keys (`ctx.idempotencyKey`, or a fallback's). */
  get idempotencyKey(): string {
    return this.maker.idempotencyKey
  }

  /** `adapter` bound to these calls; refused once the maker has ended (`what` names the call). */
  use<C>(adapter: Bindable<C>, what: string): C {
    this.assertOpen(what)
    return adapter.bind(this.callContext())
  }

  private callContext(): CallContext {
    const { host, maker } = this
    return {
      get signal() {
        return maker.signal
      },
      nextIdempotencyKey: (adapter) => `${maker.idempotencyKey}:${adapter}:${this.next(adapter)}`,
      progress(source: string, data: unknown): void {
        if (!maker.isClosed()) host.progress(maker.task, maker.attempt, source, data)
      },
      report: (call) => this.report(call),
      traceparent: () => (maker.isClosed() ? undefined : host.traceparent(maker.task)),
      // Metered to the maker's step, even late: the tokens were spent.
      meter: (usage) => host.meter(maker.stepKey, usage),
      spent: () => host.spent(),
      outbox: (adapter, payload) => this.recordOutbox(adapter, payload),
    }
  }

  /** Reports a call (an adapter's, or an attempt's own wait, sleep or map item) unless the maker has ended. */
  report(call: CallReport): void {
    if (!this.maker.isClosed()) this.host.callReported(this.maker.task, this.maker.attempt, call)
  }

  /** The number of the next call counted under `counter`, from 1. */
  private next(counter: string): number {
    const n = (this.counts.get(counter) ?? 0) + 1
    this.counts.set(counter, n)
    return n
  }

  /** Adds an entry to the outbox (staged with the journal, written with the step); returns its id. */
  private recordOutbox(adapter: string, payload: unknown): string {
    this.assertOpen(`ctx.outbox (adapter "${adapter}")`)
    // Counted apart from the adapter's direct calls (a key no adapter name can take: names are storable names).
    const id = `${this.maker.idempotencyKey}:${adapter}:outbox:${this.next(`\u0000outbox:${adapter}`)}`
    if (this.outboxEntries === undefined) {
      this.outboxEntries = []
      this.host.stageOutbox(this.maker.stepKey, this.outboxEntries, this.outboxEntries)
    }
    this.outboxEntries.push({ id, adapter, payload })
    return id
  }

  /** The maker failed or was interrupted: what it staged for the outbox is dropped (a failed attempt records no entry). */
  discardOutbox(): void {
    if (this.outboxEntries !== undefined) this.host.stageOutbox(this.maker.stepKey, undefined, this.outboxEntries)
  }

  private assertOpen(what: string): void {
    if (this.maker.isClosed()) throw new ContextClosedError(this.host.runId, this.maker.task, what)
  }
}
