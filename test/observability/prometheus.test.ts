/**
 * The Prometheus exposition: our own checks of what promtool does not catch (cumulative buckets, `+Inf` equal to
 * `_count`, no duplicate series, one HELP/TYPE per family, escaping) over random event streams, and
 * `promtool check metrics` over what a real engine's monitor serves through a node:http server.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, InvalidOptionsError, LiveMetrics, metricsHandler, prometheusText, type RunId, type WeftEvent } from 'weft-sdk'
import { testSeed } from '../support/seed.js'

const seed = testSeed('test/observability/prometheus.test.ts')
const runId = 'r-1' as RunId

type ParsedSample = { name: string; labels: Record<string, string>; value: number }
type Parsed = { help: Map<string, number>; type: Map<string, string>; samples: ParsedSample[] }

/** Parses the exposition strictly enough to check it: every line is a HELP, a TYPE or a sample. */
function parse(text: string): Parsed {
  const parsed: Parsed = { help: new Map(), type: new Map(), samples: [] }
  expect(text.endsWith('\n')).toBe(true)
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
    if (meta !== null) {
      if (meta[1] === 'HELP') parsed.help.set(meta[2]!, (parsed.help.get(meta[2]!) ?? 0) + 1)
      else parsed.type.set(meta[2]!, parsed.type.has(meta[2]!) ? 'duplicate' : meta[3]!)
      continue
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    expect(m, `not a sample line: ${line}`).not.toBeNull()
    const labels: Record<string, string> = {}
    const rest = (m![2] ?? '').replace(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g, (_, k: string, v: string) => {
      labels[k] = v.replace(/\\(.)/g, (__, c: string) => (c === 'n' ? '\n' : c))
      return ''
    })
    expect(rest).toBe('')
    parsed.samples.push({ name: m![1]!, labels, value: m![3] === '+Inf' ? Infinity : Number(m![3]) })
  }
  return parsed
}

const familyOf = (name: string, types: Map<string, string>) => (types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, ''))
const seriesKey = (s: ParsedSample, except?: string) => `${s.name}{${Object.keys(s.labels).filter((k) => k !== except).sort().map((k) => `${k}=${JSON.stringify(s.labels[k])}`).join(',')}}`

/** Our checks: one HELP and TYPE per family, each sample in a declared family, no duplicate series, histograms cumulative with `+Inf` = `_count`. */
function checkExposition(text: string): Parsed {
  const parsed = parse(text)
  for (const [name, type] of parsed.type) {
    expect(type, name).not.toBe('duplicate')
    expect(parsed.help.get(name), name).toBe(1)
  }
  const keys = parsed.samples.map((s) => seriesKey(s))
  expect(new Set(keys).size).toBe(keys.length)
  for (const s of parsed.samples) expect(parsed.type.has(familyOf(s.name, parsed.type)), s.name).toBe(true)
  const histograms = new Map<string, ParsedSample[]>()
  for (const s of parsed.samples.filter((s) => s.name.endsWith('_bucket'))) histograms.set(seriesKey(s, 'le'), [...(histograms.get(seriesKey(s, 'le')) ?? []), s])
  for (const [key, buckets] of histograms) {
    const bounds = buckets.map((b) => Number(b.labels.le === '+Inf' ? Infinity : b.labels.le))
    expect(bounds.at(-1), key).toBe(Infinity)
    bounds.slice(1).forEach((b, i) => expect(b).toBeGreaterThan(bounds[i]!))
    buckets.slice(1).forEach((b, i) => expect(b.value).toBeGreaterThanOrEqual(buckets[i]!.value))
    const count = parsed.samples.find((s) => seriesKey(s) === key.replace('_bucket{', '_count{'))
    expect(count?.value, key).toBe(buckets.at(-1)!.value)
  }
  return parsed
}

const names = fc.constantFrom('orders', 'say "hi"', 'back\\slash', 'line\nfeed', 'ünïcode')
const event: fc.Arbitrary<WeftEvent> = fc.oneof(
  fc.record({ workflow: names, task: names, ms: fc.double({ min: 0, max: 3_600_000, noNaN: true }) }).map(({ workflow, task, ms }) => ({ type: 'task.completed', at: 1_000, runId, workflow, task, attempts: 1, durationMs: ms, fromCheckpoint: false }) as WeftEvent),
  fc.record({ workflow: names, task: names, ms: fc.double({ min: 0, max: 3_600_000, noNaN: true }) }).map(({ workflow, task, ms }) => ({ type: 'task.failed', at: 1_000, runId, workflow, task, attempts: 2, durationMs: ms, error: { name: 'Error', message: 'boom' } }) as WeftEvent),
  fc.record({ workflow: names, task: names }).map(({ workflow, task }) => ({ type: 'task.skipped', at: 1_000, runId, workflow, task, reason: 'condition' }) as unknown as WeftEvent),
  fc.record({ workflow: names, task: names, input: fc.nat(5_000), output: fc.nat(5_000) }).map(({ workflow, task, input, output }) => ({ type: 'task.call', at: 1_000, runId, workflow, task, attempt: 1, adapter: 'llm', operation: 'chat m', durationMs: 5, attributes: { 'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': output, 'weft.llm.cost_usd': 0.001 } }) as unknown as WeftEvent),
  fc.record({ workflow: names, type: fc.constantFrom('run.completed', 'run.failed', 'run.cancelled'), ms: fc.double({ min: 0, max: 3_600_000, noNaN: true }) }).map(({ workflow, type, ms }) => ({ type, at: 1_000, runId, workflow, durationMs: ms, error: { name: 'Error', message: 'boom' } }) as unknown as WeftEvent),
  fc.record({ breaker: names }).map(({ breaker }) => ({ type: 'breaker.opened', at: 1_000, breaker, from: 'closed', adapter: 'llm' }) as unknown as WeftEvent),
  fc.boolean().map((willRetry) => ({ type: 'outbox.failed', at: 1_000, id: 'o', runId, adapter: 'amqp', attempts: 1, willRetry, retryAt: undefined, error: { name: 'Error', message: 'down' } }) as unknown as WeftEvent),
)

describe('the Prometheus exposition', () => {
  it('over any event stream, has one HELP and TYPE per family, no duplicate series, cumulative buckets ending at +Inf = _count, and escaped label values', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 300 }), (events) => {
        const monitor = new LiveMetrics()
        for (const e of events) monitor.record(e)
        const parsed = checkExposition(prometheusText(monitor))
        const workflows = new Set(parsed.samples.filter((s) => s.name === 'weft_runs_total').map((s) => s.labels.workflow))
        expect(workflows).toEqual(new Set(monitor.report().workflows.map((w) => w.workflow)))
      }),
      { seed, numRuns: 150 },
    )
  })

  it('counts each task duration in the buckets at or above it, within the sketch relative accuracy of a bound', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 3_600_000, noNaN: true }), { minLength: 1, maxLength: 500 }), (durations) => {
        const monitor = new LiveMetrics()
        for (const ms of durations) monitor.record({ type: 'task.completed', at: 1_000, runId, workflow: 'w', task: 't', attempts: 1, durationMs: ms, fromCheckpoint: false })
        const buckets = parse(prometheusText(monitor)).samples.filter((s) => s.name === 'weft_task_duration_seconds_bucket')
        for (const b of buckets) {
          const boundMs = Number(b.labels.le === '+Inf' ? Infinity : b.labels.le) * 1000
          expect(b.value).toBeGreaterThanOrEqual(durations.filter((d) => d <= boundMs * (1 - 0.02)).length)
          expect(b.value).toBeLessThanOrEqual(durations.filter((d) => d <= boundMs * (1 + 0.02)).length)
        }
      }),
      { seed, numRuns: 150 },
    )
  })

  it('renders a report (no histograms in it) with its durations as summaries of p50, p95 and p99', () => {
    const monitor = new LiveMetrics()
    for (const ms of [100, 200, 300]) monitor.record({ type: 'run.completed', at: 1_000, runId, workflow: 'w', durationMs: ms })
    const parsed = checkExposition(prometheusText(monitor.report()))
    expect(parsed.type.get('weft_run_duration_seconds')).toBe('summary')
    expect(parsed.samples.filter((s) => s.name === 'weft_run_duration_seconds').map((s) => s.labels.quantile)).toEqual(['0.5', '0.95', '0.99'])
    expect(parsed.samples.find((s) => s.name === 'weft_run_duration_seconds_sum')?.value).toBeCloseTo(0.6, 9)
  })

  it('escapes a backslash, a double quote and a line feed in label values', () => {
    const monitor = new LiveMetrics()
    monitor.record({ type: 'run.completed', at: 1_000, runId, workflow: 'a\\b"c\nd', durationMs: 1 })
    expect(prometheusText(monitor)).toContain('weft_runs_total{workflow="a\\\\b\\"c\\nd",outcome="completed"} 1\n')
  })

  it('prefixes the names with the namespace and uses the buckets given', () => {
    const monitor = new LiveMetrics()
    monitor.record({ type: 'run.completed', at: 1_000, runId, workflow: 'w', durationMs: 90_000 })
    const parsed = checkExposition(prometheusText(monitor, { namespace: 'shop', bucketsSeconds: [60, 120] }))
    expect(parsed.samples.filter((s) => s.name === 'shop_run_duration_seconds_bucket').map((s) => [s.labels.le, s.value])).toEqual([['60', 0], ['120', 1], ['+Inf', 1]])
  })

  it('refuses an invalid namespace or buckets that are not increasing, positive and finite, with InvalidOptionsError', () => {
    const monitor = new LiveMetrics()
    for (const options of [{ namespace: '1weft' }, { namespace: 'we-ft' }, { bucketsSeconds: [] }, { bucketsSeconds: [1, 1] }, { bucketsSeconds: [0, 1] }, { bucketsSeconds: [1, Infinity] }]) {
      expect(() => prometheusText(monitor, options)).toThrow(InvalidOptionsError)
      expect(() => metricsHandler(() => monitor, options)).toThrow(expect.objectContaining({ code: 'WEFT_INVALID_OPTIONS' }))
    }
  })
})

/** promtool: WEFT_PROMTOOL, else on PATH, else .ci/tools/promtool (which `.ci/run` provides); `undefined` when none. */
function findPromtool(): string | undefined {
  if (process.env.WEFT_PROMTOOL) return process.env.WEFT_PROMTOOL
  if (spawnSync('promtool', ['--version']).error === undefined) return 'promtool'
  return existsSync('.ci/tools/promtool') ? '.ci/tools/promtool' : undefined
}

const promtool = findPromtool()
const inCi = Boolean(process.env.CI)
const promtoolMissing = 'promtool is missing (set WEFT_PROMTOOL, put it on PATH or run .ci/run, which provides .ci/tools/promtool)'

const orders = defineWorkflow<{ n: number }>({ name: 'orders', version: 1 })
  .task('charge', { retry: { maxAttempts: 2, backoff: { initial: 0, max: 0 } } }, (input: { n: number }, ctx) => {
    if (input.n % 2 === 1 && ctx.attempt === 1) throw new Error('card declined')
    return input.n
  })
  .task('ship', { dependsOn: ['charge'] }, (n: number) => {
    if (n === 3) throw new Error('no courier')
    return `shipped ${n}`
  })
  .build()

describe('a real engine scraped over node:http', () => {
  const servers: Server[] = []
  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve))
  })

  /** The engine's own monitor (`createEngine({ metrics: true })`, fed by the direct path), served as the guide shows. */
  async function scrape(): Promise<Response> {
    const engine = createEngine({ metrics: true })
    for (let n = 0; n < 5; n++) await (await engine.start(orders, { n })).result().catch(() => undefined)
    const server = createServer(metricsHandler(() => engine.liveMetrics()))
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)
  }

  it('serves format 0.0.4 with the content type Prometheus expects and passes our checks', async () => {
    const response = await scrape()
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const parsed = checkExposition(await response.text())
    expect(parsed.samples.find((s) => s.name === 'weft_tasks_total' && s.labels.task === 'ship' && s.labels.outcome === 'failed')?.value).toBe(1)
    expect(parsed.samples.find((s) => s.name === 'weft_task_retries_total' && s.labels.task === 'charge')?.value).toBe(2)
    expect(parsed.samples.find((s) => s.name === 'weft_run_duration_seconds_count')?.value).toBe(5)
  })

  it.skipIf(promtool === undefined && !inCi)(promtool === undefined ? `is accepted by promtool check metrics (skipped: ${promtoolMissing})` : 'is accepted by promtool check metrics, lint included', async () => {
    if (promtool === undefined) throw new Error(`CI is set and ${promtoolMissing}`)
    const text = await (await scrape()).text()
    const result = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(result.error).toBeUndefined()
    expect({ status: result.status, out: result.stdout + result.stderr }).toEqual({ status: 0, out: '' })
  })
})
