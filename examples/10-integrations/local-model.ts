/**
 * A local stand-in for an LLM: a `node:http` server on 127.0.0.1, port 0,
 * that speaks the OpenAI chat-completions wire format (`POST
 * chat/completions`, `GET models`) so that the example runs without a key
 * and without internet. It is NOT a language model: a few fixed rules
 * decide each product's action, deterministically. It answers only the
 * example's restock question, with structured output that follows the
 * `response_format.json_schema` of the request (the actions it may choose
 * are read from the schema's enum), and reports token usage estimated as
 * one token per four characters. Set `OPENAI_BASE_URL` (and
 * `OPENAI_API_KEY`, `OPENAI_MODEL`) to ask a real model instead.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** The model name the stand-in answers as. */
export const localModelName = 'weft-local-rules'

/** A running stand-in. */
export interface LocalModel {
  /** Its base URL, under which `chat/completions` and `models` are. */
  readonly baseUrl: string
  /** Completions it answered. */
  readonly completions: number
  close(): Promise<void>
}

/** What the rules read from each item of the prompt. */
interface PromptItem {
  readonly sku: string
  readonly stock: number
  readonly reorderLevel: number
  readonly weeklySales: number
}

/** A refusal, answered as the API's `{ error: { message } }` with status 400. */
class BadRequest extends Error {}

/** Starts the stand-in on a free port of 127.0.0.1. */
export async function startLocalModel(): Promise<LocalModel> {
  let completions = 0
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://model')
    if (request.method === 'GET' && url.pathname === '/v1/models') {
      return send(response, 200, { object: 'list', data: [{ id: localModelName, object: 'model', owned_by: 'weft-example' }] })
    }
    if (request.method !== 'POST' || url.pathname !== '/v1/chat/completions') return send(response, 404, { error: { message: `no route ${url.pathname}` } })
    readJson(request)
      .then((body) => {
        const answer = complete(body)
        completions += 1
        send(response, 200, answer)
      })
      .catch((error: unknown) => send(response, 400, { error: { message: error instanceof BadRequest ? error.message : 'the body is not JSON' } }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/v1/`,
    get completions() {
      return completions
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

/** One chat completion: the rules' answer as the JSON the request's schema asks for, and its usage. */
function complete(body: Record<string, unknown>): Record<string, unknown> {
  if (body['stream'] === true) throw new BadRequest('the local stand-in does not stream; call chat(), not stream()')
  const messages = Array.isArray(body['messages']) ? (body['messages'] as { role?: unknown; content?: unknown }[]) : []
  const prompt = messages.map((message) => (typeof message.content === 'string' ? message.content : '')).join('\n')
  const actions = allowedActions(body['response_format'])
  const content = JSON.stringify(decide(itemsOf(messages), actions))
  const promptTokens = Math.ceil(prompt.length / 4)
  const completionTokens = Math.ceil(content.length / 4)
  return {
    id: `chatcmpl-local-${Date.now()}`,
    object: 'chat.completion',
    model: localModelName,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  }
}

/** The actions the request's JSON schema allows (`decisions[].action`'s enum); refuses a request for anything else. */
function allowedActions(format: unknown): readonly string[] {
  const schema = (format as { json_schema?: { schema?: JsonObject } } | undefined)?.json_schema?.schema
  const decision = (schema?.['properties'] as JsonObject | undefined)?.['decisions'] as JsonObject | undefined
  const action = ((decision?.['items'] as JsonObject | undefined)?.['properties'] as JsonObject | undefined)?.['action'] as JsonObject | undefined
  const actions = action?.['enum']
  const known = (schema?.['required'] as unknown[] | undefined)?.includes('headline') === true
  if (!Array.isArray(actions) || !known) {
    throw new BadRequest('the local stand-in only answers the restock question with a { decisions: [{ sku, action, reason }], headline } output schema')
  }
  return actions.filter((value): value is string => typeof value === 'string')
}

type JsonObject = Record<string, unknown>

/** The items of the last user message: its JSON array (the prompt ends with them). */
function itemsOf(messages: readonly { role?: unknown; content?: unknown }[]): PromptItem[] {
  const user = messages.filter((message) => message.role === 'user').at(-1)
  const text = typeof user?.content === 'string' ? user.content : ''
  const start = text.indexOf('[')
  try {
    return JSON.parse(text.slice(start)) as PromptItem[]
  } catch {
    throw new BadRequest('the local stand-in expects the products as a JSON array at the end of the user message')
  }
}

/** The rules: under the reorder level → restock; more than 20 weeks of stock → discount; else keep. */
function decide(items: readonly PromptItem[], actions: readonly string[]): { decisions: { sku: string; action: string; reason: string }[]; headline: string } {
  const pick = (wanted: string) => (actions.includes(wanted) ? wanted : (actions[0] ?? wanted))
  const decisions = items.map((item) => {
    const weeks = item.weeklySales === 0 ? Infinity : item.stock / item.weeklySales
    if (item.stock < item.reorderLevel) return { sku: item.sku, action: pick('restock'), reason: `${item.stock} in stock, below the reorder level of ${item.reorderLevel}` }
    if (weeks > 20) return { sku: item.sku, action: pick('discount'), reason: `${Math.round(weeks)} weeks of stock at ${item.weeklySales} sold a week` }
    return { sku: item.sku, action: pick('keep'), reason: `${Math.round(weeks)} weeks of stock` }
  })
  const count = (action: string) => decisions.filter((decision) => decision.action === action).length
  return { decisions, headline: `${count('restock')} to restock, ${count('discount')} to discount, ${count('keep')} to keep` }
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  if (typeof value !== 'object' || value === null) throw new BadRequest('the body is not a JSON object')
  return value as Record<string, unknown>
}

function send(response: ServerResponse<IncomingMessage>, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  response.end(text)
}
