import { AdapterBase, type AdapterBaseOptions, type CallContext, type CallOptions } from 'weft-sdk'

/** What a bound echo client sees of each call. */
export interface EchoCall {
  readonly text: string
  readonly key: string | undefined
  readonly signal: AbortSignal | undefined
}

/**
 * An in-process adapter for the port's tests: `echo` returns what it was
 * given with the key and signal it carried; `fail` throws what it is told
 * to; `down` makes `health()` fail.
 */
export class EchoAdapter extends AdapterBase<{ echo(text: string): Promise<EchoCall>; fail(error: unknown): Promise<never> }> {
  readonly kind = 'echo'
  down = false
  closedConnections = 0

  constructor(options: Partial<AdapterBaseOptions> = {}) {
    super({ name: 'echo', ...options })
  }

  echo(text: string, options: CallOptions = {}): Promise<EchoCall> {
    return this.call('echo', options, async (signal) => ({ text, key: options.idempotencyKey, signal }))
  }

  fail(error: unknown, options: CallOptions = {}): Promise<never> {
    return this.call('fail', options, async () => {
      throw error
    })
  }

  bind(call: CallContext) {
    const options = () => ({ signal: call.signal, idempotencyKey: call.nextIdempotencyKey(this.name) })
    return { echo: (text: string) => this.echo(text, options()), fail: (error: unknown) => this.fail(error, options()) }
  }

  protected async ping(): Promise<void> {
    if (this.down) throw new Error('echo is down (password hunter2)')
  }

  protected override async closeConnections(): Promise<void> {
    this.closedConnections++
  }

  /** Makes `hunter2` a secret. */
  withSecret(): this {
    this.addSecret('hunter2')
    return this
  }
}
