import { Effect, Scope } from 'effect'
import { TestClock } from 'effect/testing'
import { memoryEngine } from './engines.js'

/** A virtual clock for an engine (`memoryEngine({ clock })`) and a way to move it. */
export interface VirtualTime {
  readonly clock: TestClock.TestClock
  /** Moves time forward, running every sleep and timeout that falls due. */
  advance(ms: number): Promise<void>
  now(): number
}

export function virtualTime(): VirtualTime {
  const scope = Effect.runSync(Scope.make())
  const clock = Effect.runSync(Scope.provide(TestClock.make({ warningDelay: '1 hour' }), scope)) as unknown as TestClock.TestClock
  return {
    clock,
    advance: async (ms) => {
      await Effect.runPromise(clock.adjust(`${ms} millis`))
      // Let promise-based task bodies woken by the clock run.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
    },
    now: () => clock.currentTimeMillisUnsafe(),
  }
}

/** Lets pending promise callbacks and Effect fibers run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve))
}
