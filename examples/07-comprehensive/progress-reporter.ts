/**
 * Console output of the comprehensive example: one line per engine event as
 * it happens (task started, retrying, completed, failed, skipped), notes from
 * inside tasks, and a summary table once the run is over.
 *
 * @module
 */
import { formatMillis, type Engine, type TaskSummary, type WeftEvent } from 'weft-sdk'

const symbols = { started: '▶', retrying: '↻', completed: '✓', failed: '✗', skipped: '–', cancelled: '■', note: '·', run: '◆' } as const

/** Prints engine events and task notes as aligned, timestamped lines. */
export class ProgressReporter {
  private readonly startedAt = performance.now()
  private readonly width: number
  /** Tasks in the order their first event arrived (started, or skipped without starting). */
  private readonly seen = new Map<string, number>()

  /** `taskNames` sets the width of the task column. */
  constructor(
    private readonly log: (line: string) => void,
    taskNames: readonly string[],
  ) {
    this.width = Math.max(...taskNames.map((name) => name.length))
  }

  /** Follows every event of `engine`; returns a function that stops. */
  attach(engine: Engine): () => void {
    return engine.on((event) => {
      if ('task' in event && !this.seen.has(event.task)) this.seen.set(event.task, this.seen.size)
      const line = this.describe(event)
      if (line !== undefined) this.print(line.symbol, line.task, line.text)
    })
  }

  /** Prints a note that is not an engine event: progress inside `task`, or (with `''`) from outside the run. */
  note(task: string, text: string): void {
    this.print(symbols.note, task, text)
  }

  /** Sorts task summaries in the order the tasks were first seen running (or skipped). */
  inEventOrder(tasks: readonly TaskSummary[]): TaskSummary[] {
    const position = (task: TaskSummary) => this.seen.get(task.task) ?? Infinity
    return [...tasks].sort((a, b) => position(a) - position(b))
  }

  private describe(event: WeftEvent): { symbol: string; task: string; text: string } | undefined {
    switch (event.type) {
      case 'task.started':
        return { symbol: symbols.started, task: event.task, text: 'started' }
      case 'task.retrying':
        return { symbol: symbols.retrying, task: event.task, text: `attempt ${event.attempt} failed (${event.error.message}); retrying in ${formatDuration(event.delayMs)}` }
      case 'task.completed':
        return { symbol: symbols.completed, task: event.task, text: `completed in ${formatDuration(event.durationMs)}${attemptsNote(event.attempts)}` }
      case 'task.failed':
        return { symbol: symbols.failed, task: event.task, text: `failed${attemptsNote(event.attempts)}${event.handled ? ', handled' : ''}: ${event.error.message}` }
      case 'task.skipped':
        return { symbol: symbols.skipped, task: event.task, text: `skipped (${skipReasons[event.reason]})` }
      case 'task.cancelled':
        return { symbol: symbols.cancelled, task: event.task, text: 'cancelled' }
      case 'run.started':
      case 'run.completed':
      case 'run.failed':
        return { symbol: symbols.run, task: '', text: `run ${event.type.slice(4)}` }
      case 'run.recovered':
        return { symbol: symbols.run, task: '', text: `run taken over from an earlier worker: ${event.replayedSteps} recorded steps replayed, not run again` }
      default:
        return undefined
    }
  }

  private print(symbol: string, task: string, text: string): void {
    const elapsed = `+${Math.round(performance.now() - this.startedAt)} ms`.padStart(8)
    this.log(`${elapsed}  ${symbol} ${task.padEnd(this.width)}  ${text}`.trimEnd())
  }
}

const skipReasons = { condition: 'its condition is false', dependency: 'a dependency did not complete', 'not-failed': 'the task it handles did not fail' } as const

/** Durations are whole milliseconds of wall time: 0 means under a millisecond. */
function formatDuration(ms: number): string {
  return ms < 1 ? '<1 ms' : formatMillis(ms)
}

function attemptsNote(attempts: number): string {
  return attempts > 1 ? ` after ${attempts} attempts` : ''
}

/** Renders a run's tasks as an aligned table: task, status, attempts, duration. */
export function formatSummaryTable(tasks: readonly TaskSummary[]): string[] {
  const header = ['task', 'status', 'attempts', 'duration']
  const rows = tasks.map((t) => [t.task, t.status, String(t.attempts), t.durationMs === undefined ? '-' : formatDuration(t.durationMs)])
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
  const rightAligned = new Set([2, 3])
  const render = (cells: readonly string[]) =>
    cells.map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd()
  return [render(header), widths.map((width) => '─'.repeat(width)).join('  '), ...rows.map(render)]
}
