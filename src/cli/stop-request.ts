/** A request to stop a long-running command, and the handle that keeps the process alive until it comes. */
export interface StopRequest {
  /** Resolves with what asked to stop: the signal's name, or the abort reason. */
  readonly requested: Promise<string>
  /** Stops listening and lets the process exit. */
  dispose(): void
}

const stopSignals = ['SIGTERM', 'SIGINT'] as const

/**
 * Waits for `signal` to abort or, without one, for SIGTERM or SIGINT, and
 * keeps the process alive meanwhile (the engine's timers do not). Signal
 * listeners are removed at the first signal, so a second one ends the
 * process at once, as it would by default.
 */
export function waitForStop(signal?: AbortSignal): StopRequest {
  const keepAlive = setInterval(() => undefined, 2 ** 30)
  let unlisten = () => {}
  const requested = new Promise<string>((resolve) => {
    if (signal !== undefined) {
      const onAbort = () => resolve(typeof signal.reason === 'string' ? signal.reason : 'stop requested')
      signal.addEventListener('abort', onAbort, { once: true })
      unlisten = () => signal.removeEventListener('abort', onAbort)
      if (signal.aborted) onAbort()
      return
    }
    const onSignal = (name: NodeJS.Signals) => {
      unlisten()
      resolve(name)
    }
    for (const name of stopSignals) process.on(name, onSignal)
    unlisten = () => {
      for (const name of stopSignals) process.off(name, onSignal)
    }
  })
  return {
    requested,
    dispose: () => {
      unlisten()
      clearInterval(keepAlive)
    },
  }
}
