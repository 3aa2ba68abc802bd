/** `runWorker({ metricsPort })`, behind `weft worker --metrics-port`: the worker's live metrics served at /metrics on 127.0.0.1. */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, InvalidOptionsError, MetricsUnavailableError, prometheusText, sqliteStore } from 'weft-sdk'
import { runWorker } from '../../src/cli/index.js'
import { serveWorkerMetrics } from '../../src/cli/worker-metrics.js'
import { createModuleFolder, type ModuleFolder } from '../support/weft-cli.js'

const hello = defineWorkflow<{ name: string }>({ name: 'hello', version: 1 }).task('greet', (): string => '').build()
let folder: ModuleFolder

beforeAll(() => {
  folder = createModuleFolder()
  folder.write('workflows.mjs', `import { defineWorkflow } from 'weft-sdk'\nexport const Hello = defineWorkflow({ name: 'hello', version: 1 }).task('greet', (input) => 'hello ' + input.name).build()\n`)
})

afterAll(() => folder.remove())

describe('a worker with a metrics port', () => {
  it('serves its runs as Prometheus text at /metrics on 127.0.0.1, 404 elsewhere, and stops serving when it stops', async () => {
    const lines: string[] = []
    const stop = new AbortController()
    const database = join(folder.path, 'metrics.sqlite')
    let ready!: () => void
    const isReady = new Promise<void>((resolve) => (ready = resolve))
    const log = { info: (line: string) => (lines.push(line), line.includes('ready: ') && ready()), error: (line: string) => lines.push(`error: ${line}`) }
    const worker = runWorker({ database, modules: ['workflows.mjs'], cwd: folder.path, signal: stop.signal, drain: '1 s', log, metricsPort: 0 })
    await isReady
    const url = /metrics {4}(http:\/\/127\.0\.0\.1:\d+\/metrics)$/.exec(lines.find((line) => line.includes('  metrics  ')) ?? '')?.[1]
    expect(url).toBeDefined()
    const client = createEngine({ store: sqliteStore({ path: database }), claimRuns: false, pollInterval: '20 ms' })
    await (await client.start(hello, { name: 'ada' })).result()
    await client.close()
    const response = await fetch(url!)
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const text = await response.text()
    expect(text).toContain('weft_runs_total{workflow="hello",outcome="completed"} 1\n')
    expect(text).toContain('weft_task_duration_seconds_count{workflow="hello",task="greet"} 1\n')
    expect((await fetch(url!.replace('/metrics', '/other'))).status).toBe(404)
    stop.abort('deploying')
    await worker
    await expect(fetch(url!)).rejects.toThrow()
  })

  it("serves the engine's own monitor, not a second one: runs from before the endpoint opened are counted as engine.metrics() counts them", async () => {
    const engine = createEngine({ metrics: true })
    for (const name of ['ada', 'grace']) await (await engine.start(hello, { name })).result()
    const endpoint = await serveWorkerMetrics(engine, 0)
    await (await engine.start(hello, { name: 'edsger' })).result()
    const text = await (await fetch(endpoint.url)).text()
    await endpoint.close()
    const { runs } = engine.metrics().workflows[0]!
    expect(runs.completed).toBe(3)
    expect(text).toContain(`weft_runs_total{workflow="hello",outcome="completed"} ${runs.completed}\n`)
    expect(text).toContain(`weft_runs_started_total{workflow="hello"} ${runs.total}\n`)
    expect(text).toBe(prometheusText(engine.liveMetrics()))
    await engine.close()
  })

  it('refuses to serve an engine created without metrics, with MetricsUnavailableError', async () => {
    const engine = createEngine()
    await expect(serveWorkerMetrics(engine, 0)).rejects.toThrow(MetricsUnavailableError)
    await engine.close()
  })

  it('refuses a port outside 0–65535 with InvalidOptionsError, before claiming anything', async () => {
    const database = join(folder.path, 'refused.sqlite')
    await expect(runWorker({ database, modules: ['workflows.mjs'], cwd: folder.path, drain: '1 s', log: { info: () => undefined, error: () => undefined }, metricsPort: 70_000 })).rejects.toThrow(InvalidOptionsError)
  })
})
