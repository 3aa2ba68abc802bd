import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A request the scripted server received. */
export interface Received {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly body: string
}

/** What the server does with one request: answer it (status, headers, body), or something worse. */
export type Script = (request: Received, response: ServerResponse) => void

/** A real `node:http` server on 127.0.0.1, port 0, answering each request with the next script (the last one repeats). */
export class ScriptedServer {
  readonly received: Received[] = []
  private scripts: Script[] = []
  private server: Server | undefined
  url = ''

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const received = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') }
        this.received.push(received)
        const script = this.scripts.length > 1 ? this.scripts.shift()! : this.scripts[0] ?? json(200, {})
        script(received, response)
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`
    return this
  }

  /** The next answers, in order. */
  answer(...scripts: Script[]): this {
    this.scripts = scripts
    this.received.length = 0
    return this
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve())
  }
}

/** Answers with a JSON body. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Script {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers })
    response.end(JSON.stringify(body))
  }
}

/** Answers with a raw body. */
export function raw(status: number, body: string, headers: Record<string, string> = {}): Script {
  return (_request, response) => {
    response.writeHead(status, headers)
    response.end(body)
  }
}

/** Waits, then answers. */
export function after(ms: number, script: Script): Script {
  return (request, response) => void setTimeout(() => script(request, response), ms)
}

/** Resets the connection without an answer. */
export const reset: Script = (_request, response) => response.socket?.resetAndDestroy()
