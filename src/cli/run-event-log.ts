import { formatMillis, type Engine, type ErrorRecord, type RunEvent } from '../index.js'
import { describeError } from './run-text.js'

/**
 * Where a worker writes what it does: one line per call.
 *
 * @example
 * ```ts
 * import { runWorker, type WorkerLog } from 'weft-sdk/cli'
 * const log: WorkerLog = { info: (line) => process.stdout.write(`${line}\n`), error: (line) => process.stderr.write(`${line}\n`) }
 * await runWorker({ modules: ['dist/workflows.js'], log })
 * ```
 */
export interface WorkerLog {
  /** Progress: ready, runs started and finished, stopping. */
  info(line: string): void
  /** Trouble: background work failing (the database is down). */
  error(line: string): void
}

/** A log line stamped with its time: `2025-06-01T12:00:00.123Z  <text>`. */
export function stamped(at: number, text: string): string {
  return `${new Date(at).toISOString()}  ${text}`
}

/** Options of {@link logRunEvents}. */
export interface RunEventLogOptions {
  /**
   * Whether errors' messages are printed. A worker whose store encrypts
   * values withholds them (`false`): a message may quote what the store
   * keeps encrypted, and a log is not encrypted. Each failure then shows its
   * error's name and code, and where to read it (`weft runs show --config`).
   * @defaultValue `true`
   */
  readonly errorMessages?: boolean
}

/**
 * Logs a line per run started, recovered, paused, resumed and finished by this engine, and per
 * event payload a waiting task's schema refused (on the error log):
 * `<time>  completed  <run id>  orders@1  in 35 ms`. Returns a function that stops logging.
 */
export function logRunEvents(engine: Engine, log: WorkerLog, options: RunEventLogOptions = {}): () => void {
  const withheld = options.errorMessages === false
  const failure = (error: ErrorRecord) => (withheld ? withheldError(error) : describeError(error))
  const versions = new Map<string, number>()
  const label = (event: RunEvent) => {
    const version = versions.get(event.runId)
    return `${event.runId}  ${event.workflow}${version === undefined ? '' : `@${version}`}`
  }
  const line = (event: RunEvent, what: string, rest = '') => log.info(stamped(event.at, `${what.padEnd(9)}  ${label(event)}${rest}`))
  const stops = [
    engine.on('run.started', (event) => {
      versions.set(event.runId, event.version)
      line(event, 'started')
    }),
    engine.on('run.recovered', (event) => line(event, 'recovered', `  left unfinished by an earlier worker: continues from ${event.replayedSteps} recorded steps (claim ${event.epoch})`)),
    engine.on('run.paused', (event) => line(event, 'paused')),
    engine.on('run.resumed', (event) => line(event, 'resumed')),
    engine.on('run.completed', (event) => {
      line(event, 'completed', `  in ${formatMillis(event.durationMs)}`)
      versions.delete(event.runId)
    }),
    engine.on('run.failed', (event) => {
      line(event, 'failed', `  after ${formatMillis(event.durationMs)}: ${failure(event.error)}`)
      versions.delete(event.runId)
    }),
    engine.on('event.refused', (event) =>
      log.error(stamped(event.at, `${'refused'.padEnd(9)}  ${label(event)}  event "${event.event}" (#${event.eventId}) for task '${event.task}': its payload does not decode with the event's schema (${withheld ? 'details withheld: the store encrypts payloads' : event.message}); the task keeps waiting`))),
    engine.on('run.cancelled', (event) => {
      line(event, 'cancelled', `  after ${formatMillis(event.durationMs)}`)
      versions.delete(event.runId)
    }),
  ]
  return () => {
    for (const stop of stops) stop()
  }
}

/** An error without its message (nor its causes' or values'): its task, name and code. */
function withheldError(error: ErrorRecord): string {
  const task = error.task === undefined || error.name === 'RunFailedError' ? '' : `in task "${error.task}": `
  const code = error.code === undefined ? '' : ` [${error.code}]`
  return `${task}${error.name}${code} (message withheld: the store encrypts values; weft runs show --config reads it)`
}
