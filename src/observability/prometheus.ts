// The Prometheus text exposition (format 0.0.4) of Weft's metrics: counters from the report's counts, duration
// histograms from the live monitor's sketches (a report alone carries percentiles: it renders them as summaries),
// and a handler for node:http. See guides/observability.md, "Prometheus".

import { InvalidOptionsError } from '../core/errors.js'
import { LiveMetrics, type DurationHistogram, type LiveHistograms } from './live-metrics.js'
import { recoveryRows } from './metrics-export.js'
import type { MetricsReport } from './metrics-report.js'
import type { DurationPercentiles } from '../storage/workflow-store.js'

/**
 * The default histogram bounds in seconds: 5 ms to 30 minutes, so long
 * agent steps land in a bucket of their own rather than only in `+Inf`.
 *
 * @example
 * ```ts
 * import { defaultPrometheusBuckets, prometheusText, LiveMetrics } from 'weft-sdk'
 * const text = prometheusText(new LiveMetrics(), { bucketsSeconds: [...defaultPrometheusBuckets, 3600] })
 * ```
 */
export const defaultPrometheusBuckets: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800])

/**
 * Options of `prometheusText` and `metricsHandler`.
 *
 * @example
 * ```ts
 * import { prometheusText, LiveMetrics, type PrometheusOptions } from 'weft-sdk'
 * const options: PrometheusOptions = { namespace: 'orders', bucketsSeconds: [0.1, 1, 10, 60, 600] }
 * const text = prometheusText(new LiveMetrics(), options)
 * ```
 */
export interface PrometheusOptions {
  /** The metric names' prefix (`<namespace>_runs_total`): letters, digits and `_`, not starting with a digit. @defaultValue 'weft' */
  readonly namespace?: string
  /** The histogram bucket bounds in seconds: positive, finite, strictly increasing (`+Inf` is added). @defaultValue defaultPrometheusBuckets */
  readonly bucketsSeconds?: readonly number[]
}

/**
 * What the exposition reads: a live monitor (durations as histograms; the
 * engine's own is `engine.liveMetrics()`) or a report (durations as
 * summaries: `engine.history()`'s, say).
 *
 * @example
 * ```ts
 * import { createEngine, type PrometheusSource } from 'weft-sdk'
 * const engine = createEngine({ metrics: true })
 * const source = (): PrometheusSource => engine.liveMetrics()
 * ```
 */
export type PrometheusSource = MetricsReport | LiveMetrics

type Labels = readonly (readonly [string, string])[]
type Sample = { readonly suffix: string; readonly labels: Labels; readonly value: number }
type Family = { readonly name: string; readonly type: 'counter' | 'histogram' | 'summary'; readonly help: string; readonly samples: readonly Sample[] }

/**
 * Renders metrics in the Prometheus text exposition format 0.0.4: runs and
 * tasks by outcome, retries, breaker trips, outbox and adapter counts, LLM
 * tokens and cost, and `@Recover`'s failures and outcomes by error class
 * and strategy as counters (its time to recover as a summary of sum and
 * count); run and task durations as histograms (from
 * a `LiveMetrics`, whose sketches give the bucket counts, see
 * `DurationHistogram` for their error) or as summaries with p50, p95 and
 * p99 (from a `MetricsReport`, which carries only percentiles). One
 * HELP/TYPE per family; label values escaped. An engine's own metrics:
 * `prometheusText(engine.liveMetrics())` (`createEngine({ metrics: true })`).
 *
 * @example
 * ```ts
 * import { createEngine, prometheusText } from 'weft-sdk'
 * const engine = createEngine({ metrics: true })
 * process.stdout.write(prometheusText(engine.liveMetrics()))
 * ```
 * @throws `InvalidOptionsError` for a namespace that is not a valid metric name prefix, or bounds that are not positive, finite and strictly increasing.
 */
export function prometheusText(source: PrometheusSource, options: PrometheusOptions = {}): string {
  const { namespace, boundsSeconds } = validated(options)
  const report = source instanceof LiveMetrics ? source.report() : source
  const live = source instanceof LiveMetrics ? source.histograms(boundsSeconds.map((s) => s * 1000)) : undefined
  const families = [...counterFamilies(report, live), ...durationFamilies(report, live, boundsSeconds), ...recoveryFamilies(report)]
  return families.filter((f) => f.samples.length > 0).map((f) => renderFamily(namespace, f)).join('')
}

/**
 * Checks `PrometheusOptions` and returns them with their defaults, so a
 * handler refuses bad options when it is made, not at the first scrape.
 */
function validated(options: PrometheusOptions): { namespace: string; boundsSeconds: readonly number[] } {
  const namespace = options.namespace ?? 'weft'
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(namespace)) throw new InvalidOptionsError(`prometheus namespace must be letters, digits and "_", not starting with a digit, got ${JSON.stringify(namespace)}`)
  const boundsSeconds = options.bucketsSeconds ?? defaultPrometheusBuckets
  const increasing = boundsSeconds.every((b, i) => Number.isFinite(b) && b > 0 && (i === 0 || b > boundsSeconds[i - 1]!))
  if (boundsSeconds.length === 0 || !increasing) throw new InvalidOptionsError(`prometheus bucketsSeconds must be positive finite numbers in strictly increasing order, got [${boundsSeconds.join(', ')}]`)
  return { namespace, boundsSeconds }
}

function counterFamilies(report: MetricsReport, live: LiveHistograms | undefined): Family[] {
  const w = (workflow: string): Labels => [['workflow', workflow]]
  const t = (workflow: string, task: string): Labels => [['workflow', workflow], ['task', task]]
  const runOutcomes = [['completed', 'completed'], ['failed', 'failed'], ['cancelled', 'cancelled'], ['dead_lettered', 'deadLettered']] as const
  const taskOutcomes = ['completed', 'failed', 'skipped'] as const
  return [
    counter('runs_total', 'Runs that ended, by workflow and outcome.', report.workflows.flatMap((m) => runOutcomes.map(([outcome, key]) => sample([...w(m.workflow), ['outcome', outcome]], m.runs[key])))),
    counter('runs_started_total', 'Runs started (live: in this process, a takeover included; history: created).', report.workflows.map((m) => sample(w(m.workflow), m.runs.total))),
    counter('runs_recovered_total', 'Runs taken over from a stopped worker.', report.workflows.map((m) => sample(w(m.workflow), m.runs.recovered))),
    counter('tasks_total', "Tasks' steps that ended, by workflow, task and outcome.", report.tasks.flatMap((m) => taskOutcomes.map((outcome) => sample([...t(m.workflow, m.task), ['outcome', outcome]], m.tasks[outcome])))),
    counter('task_retries_total', 'Attempts beyond the first.', report.tasks.map((m) => sample(t(m.workflow, m.task), m.tasks.retries))),
    counter('llm_tokens_total', 'LLM tokens by direction (input, output; total when the source does not split them).', tokenSamples(report, live)),
    counter('llm_cost_usd_total', 'LLM cost in US dollars.', report.tasks.map((m) => sample(t(m.workflow, m.task), m.usage.costUsd))),
    counter('breaker_trips_total', 'Times a circuit breaker opened.', report.breakers.map((b) => sample([['breaker', b.breaker], ['adapter', b.adapter ?? '']], b.opened))),
    counter('outbox_delivered_total', 'Outbox entries delivered.', [sample([], report.outbox.delivered)]),
    counter('outbox_delivery_failures_total', 'Failed outbox delivery attempts.', [sample([], report.outbox.failed)]),
    counter('outbox_dead_letters_total', 'Outbox entries given up (dead letters).', [sample([], report.outbox.dead)]),
    counter('adapter_failures_total', 'Adapter calls that failed for good.', [sample([], report.adapterFailures)]),
  ]
}

function tokenSamples(report: MetricsReport, live: LiveHistograms | undefined): Sample[] {
  if (live === undefined) return report.tasks.map((m) => sample([['workflow', m.workflow], ['task', m.task], ['direction', 'total']], m.usage.tokens))
  return live.tokens.flatMap((m) => (['input', 'output'] as const).map((direction) => sample([['workflow', m.workflow], ['task', m.task], ['direction', direction]], m[direction])))
}

function durationFamilies(report: MetricsReport, live: LiveHistograms | undefined, boundsSeconds: readonly number[]): Family[] {
  const runHelp = 'How long runs took, first start to end, in seconds.'
  const taskHelp = "How long tasks' steps took, first attempt's start to end, in seconds."
  if (live !== undefined) {
    return [
      { name: 'run_duration_seconds', type: 'histogram', help: runHelp, samples: live.runs.flatMap((h) => histogramSamples(h, boundsSeconds)) },
      { name: 'task_duration_seconds', type: 'histogram', help: taskHelp, samples: live.tasks.flatMap((h) => histogramSamples(h, boundsSeconds)) },
    ]
  }
  return [
    { name: 'run_duration_seconds', type: 'summary', help: runHelp, samples: report.workflows.flatMap((m) => summarySamples([['workflow', m.workflow]], m.duration)) },
    { name: 'task_duration_seconds', type: 'summary', help: taskHelp, samples: report.tasks.flatMap((m) => summarySamples([['workflow', m.workflow], ['task', m.task]], m.duration)) },
  ]
}

/**
 * What `@Recover` met, by error class and strategy: failed attempts and the
 * executions' outcomes as counters, the time to recover as a summary of its
 * sum and count (the counters keep no distribution to take quantiles from).
 */
function recoveryFamilies(report: MetricsReport): Family[] {
  const rows = recoveryRows(report).map(([errorClass, strategy, counts]) => ({ labels: [['error_class', errorClass], ['strategy', strategy]] as Labels, counts }))
  const outcomes = [['recovered', 'recovered'], ['not_recovered', 'notRecovered']] as const
  return [
    counter('recovery_failures_total', 'Failed task attempts @Recover classified, by error class and the strategy that met them.', rows.map((r) => sample(r.labels, r.counts.occurrences))),
    counter('recovery_outcomes_total', 'Task executions that failed under @Recover and then recovered or not, by the class and strategy of their last failure.', rows.flatMap((r) => outcomes.map(([outcome, key]) => sample([...r.labels, ['outcome', outcome]], r.counts[key])))),
    { name: 'recovery_time_seconds', type: 'summary', help: "Time from a recovered execution's first failure to its recovery, in seconds.", samples: rows.flatMap((r) => [{ suffix: '_sum', labels: r.labels, value: r.counts.timeToRecoverMs.total / 1000 }, { suffix: '_count', labels: r.labels, value: r.counts.recovered }]) },
  ]
}

function histogramSamples(h: DurationHistogram, boundsSeconds: readonly number[]): Sample[] {
  const labels: Labels = h.task === undefined ? [['workflow', h.workflow]] : [['workflow', h.workflow], ['task', h.task]]
  const buckets = boundsSeconds.map((bound, i) => ({ suffix: '_bucket', labels: [...labels, ['le', formatNumber(bound)] as const], value: h.buckets[i]! }))
  return [...buckets, { suffix: '_bucket', labels: [...labels, ['le', '+Inf']], value: h.count }, { suffix: '_sum', labels, value: h.sumMs / 1000 }, { suffix: '_count', labels, value: h.count }]
}

function summarySamples(labels: Labels, d: DurationPercentiles): Sample[] {
  const quantiles = ([['0.5', d.p50], ['0.95', d.p95], ['0.99', d.p99]] as const).filter(([, ms]) => ms !== undefined)
  const sum = d.mean === undefined ? 0 : (d.mean * d.count) / 1000
  return [...quantiles.map(([q, ms]) => ({ suffix: '', labels: [...labels, ['quantile', q] as const], value: ms! / 1000 })), { suffix: '_sum', labels, value: sum }, { suffix: '_count', labels, value: d.count }]
}

function counter(name: string, help: string, samples: Sample[]): Family {
  return { name, type: 'counter', help, samples }
}

function sample(labels: Labels, value: number): Sample {
  return { suffix: '', labels, value }
}

function renderFamily(namespace: string, family: Family): string {
  const name = `${namespace}_${family.name}`
  const lines = family.samples.map((s) => `${name}${s.suffix}${renderLabels(s.labels)} ${formatNumber(s.value)}\n`)
  return `# HELP ${name} ${escapeHelp(family.help)}\n# TYPE ${name} ${family.type}\n${lines.join('')}`
}

function renderLabels(labels: Labels): string {
  return labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`
}

/**
 * A label value as the text format wants it: a backslash, a double quote
 * and a line feed escaped (`\\`, `\"`, `\n`).
 *
 * @example
 * ```ts
 * import { escapeLabelValue } from 'weft-sdk'
 * const line = `my_total{name="${escapeLabelValue('say "hi"')}"} 1`
 * ```
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf'
  return String(value)
}

/**
 * The part of node:http's request a metrics handler reads (node's
 * `IncomingMessage` fits).
 *
 * @example
 * ```ts
 * import type { MetricsRequestLike } from 'weft-sdk'
 * const head: MetricsRequestLike = { method: 'HEAD' }
 * ```
 */
export interface MetricsRequestLike {
  /** The HTTP method. */
  readonly method?: string | undefined
}

/**
 * The part of node:http's response a metrics handler writes (node's
 * `ServerResponse` fits).
 *
 * @example
 * ```ts
 * import type { MetricsResponseLike } from 'weft-sdk'
 * const toConsole: MetricsResponseLike = { writeHead: (status) => console.log(status), end: (body) => console.log(body) }
 * ```
 */
export interface MetricsResponseLike {
  /** Sets the status and headers. */
  writeHead(status: number, headers: Record<string, string>): unknown
  /** Sends the body and ends the response. */
  end(body?: string): unknown
}

/**
 * The content type of the text exposition format 0.0.4, as a scrape's
 * response carries it.
 *
 * @example
 * ```ts
 * import { prometheusContentType, prometheusText, LiveMetrics } from 'weft-sdk'
 * const response = new Response(prometheusText(new LiveMetrics()), { headers: { 'content-type': prometheusContentType } })
 * ```
 */
export const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8'

/**
 * A request handler for node:http that answers a scrape with
 * `prometheusText(source(), options)`: mount it at `/metrics` on your
 * server. `source` is called at each scrape; an engine's own metrics are
 * `() => engine.liveMetrics()` (a `LiveMetrics`: histograms), a report
 * gives summaries. GET and HEAD only (405 otherwise); 500 with the error's
 * message when the source throws.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createEngine, metricsHandler } from 'weft-sdk'
 * const engine = createEngine({ metrics: true })
 * const scrape = metricsHandler(() => engine.liveMetrics())
 * createServer((req, res) => (req.url === '/metrics' ? scrape(req, res) : res.writeHead(404).end())).listen(9464, '127.0.0.1')
 * ```
 * @throws `InvalidOptionsError` at once for invalid `options` (see `prometheusText`).
 */
export function metricsHandler(source: () => PrometheusSource, options: PrometheusOptions = {}): (req: MetricsRequestLike, res: MetricsResponseLike) => void {
  validated(options)
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
      res.end('only GET and HEAD are allowed\n')
      return
    }
    let body: string
    try {
      body = prometheusText(source(), options)
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      res.end(`metrics unavailable: ${error instanceof Error ? error.message : String(error)}\n`)
      return
    }
    res.writeHead(200, { 'content-type': prometheusContentType })
    res.end(req.method === 'HEAD' ? undefined : body)
  }
}
