// Bodies going in (a source that may be read once or many times, hashed on
// the way) and coming out (a stream verified against the recorded SHA-256,
// with readers for the whole body).
import { createHash } from 'node:crypto'
import { ObjectChecksumMismatchError, ObjectDecodeError } from '../../core/object-storage-errors.js'
import { payloadDecoder } from '../../graph/event-payload.js'
import type { PayloadSchema } from '../../graph/task-context.js'
import type { ObjectBody, ObjectInfo, StoredObject } from './object-types.js'

/** A body to write: its bytes as chunks, and what is known of it before reading. */
export interface BodySource {
  /** Its size in bytes, when known before reading (a string, bytes, a spooled stream). */
  readonly size: number | undefined
  /** Its SHA-256 (hex), when known before reading. */
  readonly sha256: string | undefined
  /** Its bytes; a caller's stream can be opened once (a second attempt of the call fails, not retryable). */
  open(): AsyncIterable<Uint8Array>
}

/** The body given to `put`, as a source: bytes in memory are hashed now; a stream is read when opened. */
export function bodySource(body: ObjectBody): BodySource {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
    return { size: bytes.byteLength, sha256: sha256Hex(bytes), open: () => single(bytes) }
  }
  let opened = false
  return {
    size: undefined,
    sha256: undefined,
    open: () => {
      if (opened) throw new TypeError('the body stream was already read by an earlier attempt; pass bytes (or, on S3, any stream: it is spooled) to make the call retryable')
      opened = true
      return chunksOf(body)
    },
  }
}

/** The SHA-256 of bytes, hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

async function* single(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes
}

/** The chunks of a stream or async iterable as bytes (a Node stream of strings included). */
async function* chunksOf(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>): AsyncIterable<Uint8Array> {
  const iterable = body as AsyncIterable<Uint8Array | string>
  for await (const chunk of iterable) yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
}

/**
 * `source` passed through a SHA-256: it ends normally when its bytes hash to
 * `expected`, and errors with `ObjectChecksumMismatchError` instead when they
 * do not (nothing to check when `expected` is `undefined`).
 */
export function verifiedStream(adapter: string, key: string, source: ReadableStream<Uint8Array>, expected: string | undefined): ReadableStream<Uint8Array> {
  if (expected === undefined) return source
  const hash = createHash('sha256')
  const verifier = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      hash.update(chunk)
      controller.enqueue(chunk)
    },
    flush() {
      const actual = hash.digest('hex')
      if (actual !== expected) throw new ObjectChecksumMismatchError(adapter, key, expected, actual)
    },
  })
  return source.pipeThrough(verifier)
}

/** An object read by `get`: its description, its verified body, and readers of the whole body. */
export function storedObject(adapter: string, info: ObjectInfo, source: ReadableStream<Uint8Array>): StoredObject {
  const body = verifiedStream(adapter, info.key, source, info.sha256)
  const bytes = () => readAll(body)
  const text = async () => Buffer.from(await bytes()).toString('utf8')
  async function json(schema?: PayloadSchema): Promise<unknown> {
    const parsed = parseJson(adapter, info.key, await text())
    if (schema === undefined) return parsed
    const decoded = payloadDecoder(schema)(parsed)
    if (!decoded.ok) throw new ObjectDecodeError(adapter, info.key, decoded.issues)
    return decoded.value
  }
  return { ...info, body, bytes, text, json: json as StoredObject['json'] }
}

function parseJson(adapter: string, key: string, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new ObjectDecodeError(adapter, key, `the body is not JSON (it starts ${JSON.stringify(text.slice(0, 40))})`)
  }
}

/** Every chunk of a stream, concatenated. */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk)
  return Buffer.concat(chunks)
}
