// What a task attempt reports about its own waits, sleeps and map items, as `task.call` reports (CallReport): a
// tracing makes each an internal span under the attempt's span (`weft.operation` tells them from adapters' calls,
// see WeftSpanAttributes). Reported only as they end, from times the attempt already has: nothing is built while
// they run, and none is built when nobody hears `task.call` (TaskHost.reportsCalls).

import type { CallReport } from '../graph/call-context.js'
import { toEventErrorRecord } from './error-record.js'

/** The adapter name Weft's own reports carry. */
const weft = 'weft'

/** A report's error, from what was thrown. */
function callError(error: unknown): CallReport['error'] {
  const { name, message, code } = toEventErrorRecord(error)
  return code === undefined ? { name, message } : { name, message, code }
}

/** `ctx.waitForEvent(name)` waited from `startedAt` to `endedAt` (in this process) and took an event, or timed out with `error`. */
export function waitReport(name: string, key: string, startedAt: number, endedAt: number, error?: unknown): CallReport {
  const outcome = error === undefined ? 'received' : 'timed-out'
  const attributes = { 'weft.operation': 'wait', 'weft.event.name': name, 'weft.step.key': key, 'weft.wait.outcome': outcome }
  return { adapter: weft, operation: `weft.wait ${name}`, durationMs: endedAt - startedAt, attributes, error: error === undefined ? undefined : callError(error) }
}

/** `ctx.sleep(ms)` slept from `startedAt` to `endedAt` (in this process; a resumed sleep only what was left). */
export function sleepReport(key: string, sleepMs: number, startedAt: number, endedAt: number): CallReport {
  return { adapter: weft, operation: 'weft.sleep', durationMs: endedAt - startedAt, attributes: { 'weft.operation': 'sleep', 'weft.step.key': key, 'weft.sleep.ms': sleepMs }, error: undefined }
}

/** Item `index` of a `ctx.map` (step `key`) ended after `attempts` attempts, from its first attempt here at `startedAt`; `error` when it failed. */
export function mapItemReport(task: string, key: string, index: number, attempts: number, startedAt: number, endedAt: number, error?: unknown): CallReport {
  const attributes = { 'weft.operation': 'map.item', 'weft.step.key': key, 'weft.map.index': index, 'weft.map.attempts': attempts }
  return { adapter: weft, operation: `weft.map.item ${task}`, durationMs: endedAt - startedAt, attributes, error: error === undefined ? undefined : callError(error) }
}
