// `weft worker --metrics-port`: the worker engine's live metrics served to Prometheus at /metrics on 127.0.0.1.

import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { metricsHandler, type Engine } from '../index.js'
import { CommandFailedError } from './cli-errors.js'

/** A running metrics endpoint: its address, and how to stop it. */
export interface MetricsEndpoint {
  /** `http://127.0.0.1:<port>/metrics` (the port the system chose when 0 was asked). */
  readonly url: string
  /** Stops serving (open scrapes are ended). */
  close(): Promise<void>
}

/**
 * Serves the Prometheus exposition of `engine`'s own live metrics
 * (`engine.liveMetrics()`: the monitor behind `engine.metrics()`, no second
 * one) at `/metrics` on 127.0.0.1:`port` (404 elsewhere).
 * @throws `MetricsUnavailableError` when the engine was created without `metrics`; `CommandFailedError` when the port cannot be listened on (in use, not allowed).
 */
export async function serveWorkerMetrics(engine: Engine, port: number): Promise<MetricsEndpoint> {
  const monitor = engine.liveMetrics()
  const scrape = metricsHandler(() => monitor)
  const server = createServer((req, res) => {
    if (req.url === '/metrics' || req.url?.startsWith('/metrics?') === true) scrape(req, res)
    else res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new CommandFailedError(`cannot serve metrics on 127.0.0.1:${port}: ${error.message}`, { cause: error })))
    server.listen(port, '127.0.0.1', resolve)
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
