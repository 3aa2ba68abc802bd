/**
 * A suite that needs a server (MariaDB, Redis, RabbitMQ): on a developer's
 * machine without one it is skipped with the reason in its name; in CI
 * (`CI` set) a missing server fails the run instead, naming it, because CI
 * must skip nothing (`.ci/servers` makes sure each one answers).
 */
import { describe, it } from 'vitest'

/** Whether this run is CI's (where no test may be skipped). */
export function inCi(): boolean {
  const ci = process.env['CI']
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false'
}

/** `describe(name, fn)` when `skipReason` is `null`; else skipped with the reason in its name, or, in CI, one failing test that names it. */
export function describeWithServer(name: string, skipReason: string | null, fn: () => void): void {
  if (skipReason === null) describe(name, fn)
  else if (inCi()) describe(name, () => it(`has its server (in CI nothing may be skipped): ${skipReason}`, () => {
    throw new Error(`${name}: ${skipReason}. Run .ci/servers to start the servers the tests use.`)
  }))
  else describe.skip(`${name} [skipped: ${skipReason}]`, fn)
}

/** In a test that needs a server: skips it (with the reason) when there is none, or fails it in CI. */
export function needServer(context: { skip(note?: string): never }, skipReason: string | null): void {
  if (skipReason === null) return
  if (inCi()) throw new Error(`${skipReason}. Run .ci/servers to start the servers the tests use (in CI nothing may be skipped).`)
  context.skip(skipReason)
}
