/**
 * Test support for the NestJS module: a Nest application compiled with
 * @nestjs/testing and listening on 127.0.0.1 (port 0), requests by fetch,
 * and a folder of SQLite files per suite.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { INestApplication, ModuleMetadata } from '@nestjs/common'
import { Test } from '@nestjs/testing'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll } from 'vitest'

/** A running application and its base URL. */
export interface RunningApp {
  readonly app: INestApplication
  readonly url: string
  /** Sends a JSON request and returns the status, the headers and the parsed body. */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }>
}

/** Compiles a module of `metadata`, creates the application (hooks `prepare` may add filters) and listens on port 0. */
export async function listen(metadata: ModuleMetadata, prepare: (app: INestApplication) => void = () => undefined): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile()
  const app = moduleRef.createNestApplication({ logger: false })
  prepare(app)
  await app.listen(0, '127.0.0.1')
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1')
  return {
    app,
    url,
    request: async (method, path, body) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await response.text()
      return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) }
    },
  }
}

/** A temporary folder for SQLite files, and its removal. */
export function sqliteFolder(): { path(name: string): string; remove(): void } {
  const folder = mkdtempSync(join(tmpdir(), 'weft-nestjs-'))
  let files = 0
  return { path: (name) => join(folder, `${name}-${files++}.sqlite`), remove: () => rmSync(folder, { recursive: true, force: true }) }
}

/**
 * A suite's SQLite folder (removed after the suite) and the applications its
 * tests start (each closed after its test).
 */
export function useNestSuite(): { path(name: string): string; listen: typeof listen } {
  const files = sqliteFolder()
  const started: RunningApp[] = []
  afterAll(() => files.remove())
  afterEach(async () => {
    for (const app of started.splice(0)) await app.app.close()
  })
  return {
    path: (name) => files.path(name),
    listen: async (metadata, prepare) => {
      const app = await listen(metadata, prepare)
      started.push(app)
      return app
    },
  }
}

/** A node:http server on 127.0.0.1 (port 0) answering every request with `{}`, started before the suite's tests and closed after them: a backend for adapters whose answers do not matter. */
export function emptyJsonServer(): { readonly url: () => string } {
  let server: Server | undefined
  beforeAll(async () => {
    server = createServer((_request, response) => response.end('{}')).listen(0, '127.0.0.1')
    await new Promise((resolve) => server!.once('listening', resolve))
  })
  afterAll(() => new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve()))))
  return { url: () => `http://127.0.0.1:${(server!.address() as AddressInfo).port}` }
}
