/**
 * An adapter's cache: reads answered from it for its TTL (by operation,
 * method and URL for HTTP), concurrent reads sharing one request, writes and
 * failures never cached, and each operation's cache its own. Against a real
 * node:http server counting the requests that reach it.
 */
import { Schema } from 'effect'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpAdapter, HttpStatusError } from 'weft-sdk'
import { after, json, ScriptedServer } from './http-server.js'

const server = new ScriptedServer()
beforeAll(() => server.start())
afterAll(() => server.stop())

const Rate = Schema.Struct({ rate: Schema.Number })
const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error)

describe("an adapter's cache", () => {
  it('answers a repeated GET from the cache for its TTL, by URL (another query is another entry)', async () => {
    server.answer(json(200, { rate: 1.1 }))
    const fx = new HttpAdapter({ name: 'fx', baseUrl: server.url, cache: { ttl: '1 h' } })
    try {
      expect(await fx.get('rates', { query: { pair: 'EURUSD' }, schema: Rate })).toEqual({ rate: 1.1 })
      expect(await fx.get('rates', { query: { pair: 'EURUSD' }, schema: Rate })).toEqual({ rate: 1.1 })
      expect(server.received).toHaveLength(1)
      await fx.get('rates', { query: { pair: 'GBPUSD' }, schema: Rate })
      expect(server.received).toHaveLength(2)
      expect(fx.stats().operations.find((op) => op.operation === 'GET')?.calls).toBe(3) // a cached answer is still a call
    } finally {
      await fx.close()
    }
  })

  it('asks again once the TTL has passed', async () => {
    server.answer(json(200, { rate: 1.2 }))
    const fx = new HttpAdapter({ name: 'fx', baseUrl: server.url, cache: { ttl: '30 ms' } })
    try {
      await fx.get('rates')
      await new Promise((resolve) => setTimeout(resolve, 200))
      await fx.get('rates')
      expect(server.received).toHaveLength(2)
    } finally {
      await fx.close()
    }
  })

  it('shares one request among concurrent GETs of one URL', async () => {
    server.answer(after(100, json(200, { rate: 1.3 })))
    const fx = new HttpAdapter({ name: 'fx', baseUrl: server.url, cache: { ttl: '1 h' } })
    try {
      const answers = await Promise.all([fx.get('rates'), fx.get('rates'), fx.get('rates')])
      expect(answers).toEqual([{ rate: 1.3 }, { rate: 1.3 }, { rate: 1.3 }])
      expect(server.received).toHaveLength(1)
    } finally {
      await fx.close()
    }
  })

  it('never caches a write, nor a failure', async () => {
    const fx = new HttpAdapter({ name: 'fx', baseUrl: server.url, cache: { ttl: '1 h' } })
    try {
      server.answer(json(200, { ok: true }))
      await fx.post('orders', { id: 1 })
      await fx.post('orders', { id: 1 })
      expect(server.received).toHaveLength(2)
      server.answer(json(404, { missing: true }), json(200, { rate: 1.4 }))
      expect(await rejection(fx.get('rates'))).toBeInstanceOf(HttpStatusError)
      expect(await fx.get('rates')).toEqual({ rate: 1.4 })
      expect(server.received).toHaveLength(2)
    } finally {
      await fx.close()
    }
  })

  it('set on one operation, caches that operation only', async () => {
    server.answer(json(200, { rate: 1.5 }))
    const fx = new HttpAdapter({ name: 'fx', baseUrl: server.url, operations: { rates: { cache: { ttl: '1 h' } } } })
    try {
      await fx.get('rates', { operation: 'rates' })
      await fx.get('rates', { operation: 'rates' })
      await fx.get('rates')
      await fx.get('rates')
      expect(server.received).toHaveLength(3)
    } finally {
      await fx.close()
    }
  })

  it('refuses a cache without a TTL when the adapter is built, naming the option', () => {
    expect(() => new HttpAdapter({ name: 'fx', baseUrl: server.url, cache: { ttl: 'soon' as never } })).toThrow(/adapter "fx".*ttl/)
  })
})
