import { AdapterBase, type CallContext, type OutboxEntry, type OutboxTarget } from 'weft-sdk'

/**
 * An in-process outbox target for the outbox's engine tests: `send` records
 * a durable message through `ctx.use(recorder)`; `deliver` keeps what it was
 * given, or throws the errors queued in `failures` first.
 */
export class OutboxRecorder extends AdapterBase<{ send(body: unknown): string }> implements OutboxTarget {
  readonly kind = 'recorder'
  readonly delivered: OutboxEntry[] = []
  /** Thrown by the next deliveries, one each, in order. */
  readonly failures: unknown[] = []

  constructor(name = 'recorder') {
    super({ name })
  }

  bind(call: CallContext) {
    return { send: (body: unknown) => call.outbox(this.name, { body }) }
  }

  async deliver(entry: OutboxEntry): Promise<void> {
    const failure = this.failures.shift()
    if (failure !== undefined) throw failure
    this.delivered.push(entry)
  }

  protected async ping(): Promise<void> {}
}
