import { formatMillis, metricsToCsv, metricsToJson, MetricsUnavailableError, readHistory, recoveryRows, recoveryToCsv, toMillis, type DurationPercentiles, type RecoveryCounts, type HistoryQuery, type MetricsReport, type PercentileDefinition, type TaskMetrics, type WorkflowMetrics } from '../index.js'
import { UsageError } from './cli-errors.js'
import type { CliCommand, CliContext } from './command.js'
import { databaseOption } from './database.js'
import { configOption, securedCommand, tokenOption, withAuthorizedStore, type StoreCommand } from './cli-security.js'
import { formatDateTime } from './run-text.js'
import { jsonOption } from './run-json.js'
import { formatTable, type Column } from './text-table.js'

/** Reading the history: `read:stats`, a refusal audited as `stats.read`; the database opened to read without `--config`. */
const readStats: StoreCommand = { request: { action: 'read', resource: 'stats' }, audit: 'stats.read', access: 'read' }

const formats = ['text', 'json', 'csv'] as const
type StatsFormat = (typeof formats)[number]
/** The CSV's tables: the workflows' and tasks' metrics, or the recovery statistics (rows of other keys, so a table of their own). */
const tables = ['metrics', 'recovery'] as const
type StatsTable = (typeof tables)[number]
const definitions: readonly PercentileDefinition[] = ['nearest-rank', 'linear']
/**
 * The window without --since: the day before --until (before now without it). All time reads every step ever
 * recorded (seconds per million steps: guides/observability.md, "Historical queries on a big history"), so it is
 * asked for by name.
 */
const defaultWindow = '24 h'
/** `--since all`: every run, from the first. */
const allTime = 'all'

/** `weft stats`: historical metrics of the runs in the database, from every worker. */
export const statsCommand: CliCommand = {
  path: ['stats'],
  summary: 'metrics of the recorded runs: outcomes, rates, retries, duration and queue-wait percentiles, recovery',
  details: [
    `Per workflow and per task, over the runs created in the window (--until, default now; --since, default`,
    `${defaultWindow} before --until: all time reads every step ever recorded and takes seconds per million steps,`,
    `so ask for it with --since ${allTime}), from every worker that wrote to the database: counts by outcome,`,
    'success and failure rates (cancelled runs count in neither), retries, exact duration percentiles (nearest rank',
    'by default: always a duration that was recorded; --definition linear interpolates), queue wait (created → started),',
    'runs ended per minute of the window, tokens and cost. --format json prints the report (the',
    'engine.history() shape), --format csv one row per workflow and per task (columns: guides/observability.md),',
    'or with --table recovery one row per error class and strategy @Recover met: failed attempts,',
    'executions recovered and not, time to recover (from the recoveries recorded with the steps).',
    'On a database with security enabled, --config is required and the caller needs read:stats.',
  ],
  positionals: [],
  options: {
    workflow: { type: 'string', valueName: '<name>', description: 'only runs of this workflow' },
    since: { type: 'string', valueName: '<time>', description: `only runs created since: an ISO time (2026-12-01T00:00Z), a duration ago ('24 h', '7 d') or ${allTime} [default: ${defaultWindow} before --until]` },
    until: { type: 'string', valueName: '<time>', description: 'only runs created before: an ISO time or a duration ago [default: now]' },
    definition: { type: 'string', valueName: '<name>', description: `how percentiles are computed: ${definitions.join(', ')} [default: nearest-rank]` },
    format: { type: 'string', valueName: '<format>', description: `${formats.join(', ')} [default: text]` },
    table: { type: 'string', valueName: '<table>', description: `the CSV's table: ${tables.join(', ')} [default: metrics]` },
    json: { ...jsonOption, description: 'the same as --format json' },
    database: databaseOption,
    config: configOption,
    token: tokenOption,
  },
  examples: ['weft stats', `weft stats --since ${allTime}`, "weft stats --workflow order-fulfilment --since '7 d'", 'weft stats --since 2026-12-01T00:00Z --format csv > stats.csv', 'weft stats --format csv --table recovery', 'weft stats --format json | jq \'.tasks[] | select(.failureRate > 0.1)\''],
  async run(args, context) {
    const format = args.flag('json') ? 'json' : parseChoice('format', args.string('format') ?? 'text', formats)
    const table = parseTable(args.string('table'), format)
    const now = context.now()
    const since = args.string('since')
    const to = parseTime('until', args.string('until'), now)
    const query: HistoryQuery = {
      workflow: args.string('workflow'),
      from: since === allTime ? undefined : (parseTime('since', since, now) ?? (to ?? now) - toMillis(defaultWindow)),
      to,
      definition: parseChoice('definition', args.string('definition') ?? 'nearest-rank', definitions),
    }
    const secured = await securedCommand(args, context)
    const report = await withAuthorizedStore(args.string('database'), context, secured, readStats, async (store) => {
      if (store.history === undefined) throw new MetricsUnavailableError('no-history')
      return readHistory(store.history, query, now)
    })
    printReport(context, report, format, table, windowNote(since, args.string('until')))
    return 0
  },
}

/** `--table`, which only a CSV has (JSON carries every table; text prints them all). */
function parseTable(text: string | undefined, format: StatsFormat): StatsTable {
  if (text === undefined) return 'metrics'
  if (format !== 'csv') throw new UsageError(`--table chooses one of the CSV's tables; add --format csv (the ${format} output has them all)`)
  return parseChoice('table', text, tables)
}

/** What the text output says of the window's start: the default, or all time. */
function windowNote(since: string | undefined, until: string | undefined): string {
  const window = until === undefined ? `the last ${defaultWindow}` : `${defaultWindow} before --until`
  if (since === undefined) return `, ${window} by default; --since ${allTime} for every run`
  return since === allTime ? ', all time' : ''
}

function parseChoice<T extends string>(option: string, text: string, choices: readonly T[]): T {
  if (choices.includes(text as T)) return text as T
  throw new UsageError(`--${option} must be one of ${choices.join(', ')}; got "${text}"`)
}

/** An ISO time, or a duration before `now` ('24 h'); `undefined` when not given. */
export function parseTime(option: string, text: string | undefined, now: number): number | undefined {
  if (text === undefined) return undefined
  if (/^\d{4}-\d\d-\d\d/.test(text)) {
    const at = Date.parse(text)
    if (Number.isNaN(at)) throw new UsageError(`--${option} must be an ISO time or a duration ('24 h'); got "${text}"`)
    return at
  }
  try {
    return now - toMillis(text as never, `--${option}`)
  } catch {
    const all = option === 'since' ? `, or ${allTime}` : ''
    throw new UsageError(`--${option} must be an ISO time (2026-12-01T00:00Z) or a duration ago ('24 h', '7 d')${all}; got "${text}"`)
  }
}

function printReport(context: CliContext, report: MetricsReport, format: StatsFormat, table: StatsTable, note: string): void {
  if (format === 'json') return context.out.line(JSON.stringify(metricsToJson(report)))
  if (format === 'csv') return (table === 'recovery' ? recoveryToCsv : metricsToCsv)(report).trimEnd().split('\n').forEach((line) => context.out.line(line))
  const window = `${formatDateTime(report.window.from)} – ${formatDateTime(report.window.to)} (utc${note})`
  if (report.workflows.length === 0) return context.out.line(`no runs created ${window}`)
  context.out.line(`runs created ${window}; percentiles: ${report.percentiles}`)
  for (const line of formatTable(context.out, workflowColumns, report.workflows)) context.out.line(line)
  context.out.line('')
  for (const line of formatTable(context.out, taskColumns, report.tasks)) context.out.line(line)
  const recovery = recoveryRows(report).map(([errorClass, strategy, counts]) => ({ errorClass, strategy, counts }))
  if (recovery.length === 0) return
  context.out.line('')
  for (const line of formatTable(context.out, recoveryColumns, recovery)) context.out.line(line)
}

const ms = (value: number | undefined) => (value === undefined ? '-' : formatMillis(Math.round(value)))
const percent = (value: number | undefined) => (value === undefined ? '-' : `${(value * 100).toFixed(1)}%`)
/** The duration columns of a table of workflows or tasks. */
function durationColumns<R extends { readonly duration: DurationPercentiles }>(): Column<R>[] {
  return [
    { header: 'p50', cell: (row) => ms(row.duration.p50) },
    { header: 'p95', cell: (row) => ms(row.duration.p95) },
    { header: 'p99', cell: (row) => ms(row.duration.p99) },
    { header: 'max', cell: (row) => ms(row.duration.max) },
  ]
}

const workflowColumns: Column<WorkflowMetrics>[] = [
  { header: 'workflow', cell: (w) => w.workflow },
  { header: 'runs', cell: (w) => String(w.runs.total) },
  { header: 'ok', cell: (w) => String(w.runs.completed) },
  { header: 'failed', cell: (w) => String(w.runs.failed + w.runs.deadLettered) },
  { header: 'cancelled', cell: (w) => String(w.runs.cancelled) },
  { header: 'success', cell: (w) => percent(w.successRate) },
  ...durationColumns<WorkflowMetrics>(),
  { header: 'wait p95', cell: (w) => ms(w.queueWait.p95) },
  { header: 'per min', cell: (w) => w.throughputPerMinute.toFixed(2) },
]

const taskColumns: Column<TaskMetrics>[] = [
  { header: 'task', cell: (t) => `${t.workflow}.${t.task}` },
  { header: 'ok', cell: (t) => String(t.tasks.completed) },
  { header: 'failed', cell: (t) => String(t.tasks.failed) },
  { header: 'skipped', cell: (t) => String(t.tasks.skipped) },
  { header: 'retries', cell: (t) => String(t.tasks.retries) },
  { header: 'success', cell: (t) => percent(t.successRate) },
  ...durationColumns<TaskMetrics>(),
  { header: 'tokens', cell: (t) => String(t.usage.tokens) },
  { header: 'cost', cell: (t) => `$${t.usage.costUsd.toFixed(4)}` },
]

const recoveryColumns: Column<{ readonly errorClass: string; readonly strategy: string; readonly counts: RecoveryCounts }>[] = [
  { header: 'error class', cell: (r) => r.errorClass },
  { header: 'strategy', cell: (r) => r.strategy },
  { header: 'failures', cell: (r) => String(r.counts.occurrences) },
  { header: 'recovered', cell: (r) => String(r.counts.recovered) },
  { header: 'not recovered', cell: (r) => String(r.counts.notRecovered) },
  { header: 'recover mean', cell: (r) => (r.counts.recovered === 0 ? '-' : ms(r.counts.timeToRecoverMs.mean)) },
  { header: 'recover max', cell: (r) => (r.counts.recovered === 0 ? '-' : ms(r.counts.timeToRecoverMs.max)) },
]
