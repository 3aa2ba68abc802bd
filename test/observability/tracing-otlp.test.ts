/**
 * Weft's spans as a collector receives them: the SDK's OTLP/HTTP exporter
 * (JSON) posting to a receiver on node:http, 127.0.0.1, a free port.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, MemoryWorkflowStore } from 'weft-sdk'
import { weftTracing, WeftSpanAttributes as A } from 'weft-sdk/otel'

/** A span as OTLP/JSON carries it (the fields the test reads). */
interface OtlpSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly attributes: ReadonlyArray<{ readonly key: string; readonly value: { readonly stringValue?: string; readonly intValue?: string | number } }>
  readonly status?: { readonly code?: number }
}

interface OtlpRequest {
  readonly resourceSpans: ReadonlyArray<{ readonly scopeSpans: ReadonlyArray<{ readonly scope: { readonly name: string }; readonly spans: readonly OtlpSpan[] }> }>
}

/** An OTLP/HTTP receiver: collects the spans of every POST to /v1/traces. */
async function startReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[]; contentTypes: string[] }> {
  const spans: OtlpSpan[] = []
  const contentTypes: string[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') return void response.writeHead(404).end()
      contentTypes.push(request.headers['content-type'] ?? '')
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest
      for (const resource of body.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans)
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { server, url: `http://127.0.0.1:${port}/v1/traces`, spans, contentTypes }
}

function attribute(span: OtlpSpan, key: string): string | number | undefined {
  const value = span.attributes.find((a) => a.key === key)?.value
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue))
}

describe('spans exported over OTLP/HTTP', () => {
  let server: Server | undefined
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve))
  })

  it('reach a collector with their hierarchy, ids and Weft attributes', async () => {
    const receiver = await startReceiver()
    server = receiver.server
    const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: receiver.url }))] })
    const engine = createEngine({ store: new MemoryWorkflowStore(), tracing: weftTracing({ tracer: provider.getTracer('orders'), useActiveContext: false }) })
    let calls = 0
    const orders = defineWorkflow({ name: 'orders', version: 2 })
      .task('load', () => 40)
      .task('charge', { dependsOn: ['load'], retry: { maxAttempts: 2, backoff: { initial: 1, max: 1 } } }, (total) => {
        if (++calls === 1) throw new Error('gateway timeout')
        return total + 2
      })
      .build()
    const run = await engine.start(orders)
    await run.result()
    await engine.close()
    await provider.forceFlush()
    await provider.shutdown()

    const byName = (name: string) => receiver.spans.filter((span) => span.name === name)
    const [start] = byName('weft.start orders')
    const [runSpan] = byName('weft.run orders')
    const charges = byName('weft.task charge').sort((a, b) => Number(attribute(a, A.attempt)) - Number(attribute(b, A.attempt)))
    expect(receiver.contentTypes.every((type) => type.startsWith('application/json'))).toBe(true)
    expect(receiver.spans.map((span) => span.traceId).every((id) => id === start!.traceId)).toBe(true)
    expect(runSpan!.parentSpanId).toBe(start!.spanId)
    expect(charges.map((span) => [span.parentSpanId, attribute(span, A.attempt), attribute(span, A.taskOutcome), span.status?.code ?? 0])).toEqual([
      [runSpan!.spanId, 1, 'retried', 2],
      [runSpan!.spanId, 2, 'completed', 0],
    ])
    expect([attribute(runSpan!, A.workflow), attribute(runSpan!, A.version), attribute(runSpan!, A.runId), attribute(runSpan!, A.runOutcome)]).toEqual(['orders', 2, run.id, 'completed'])
  })
})
