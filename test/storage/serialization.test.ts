import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { PayloadTooLargeError, SerializationError } from '../../src/core/errors.js'
import { defaultSerializationLimits, deserialize, serialize } from '../../src/storage/serialization.js'
import { testSeed } from '../support/seed.js'

const seed = testSeed('test/storage/serialization.test.ts')

// ---------------------------------------------------------------------------
// A strict structural equality: Object.is on primitives, same prototype,
// Map/Set order, own-key order, array holes, Date time values, bytes.

function difference(actual: unknown, expected: unknown, path = 'value'): string | undefined {
  if (Object.is(actual, expected)) return undefined
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null) {
    return `${path}: got ${show(actual)}, expected ${show(expected)}`
  }
  if (Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected)) return `${path}: prototypes differ`
  if (actual instanceof Date) return sameAt(path, actual.getTime(), (expected as Date).getTime())
  if (actual instanceof RegExp) return sameAt(path, `${actual.source}/${actual.flags}`, `${(expected as RegExp).source}/${(expected as RegExp).flags}`)
  if (actual instanceof Uint8Array) return sameAt(path, [...actual].join(), [...(expected as Uint8Array)].join())
  if (actual instanceof Map) return differenceOfLists([...actual], [...(expected as Map<unknown, unknown>)], `${path}.entries()`)
  if (actual instanceof Set) return differenceOfLists([...actual], [...(expected as Set<unknown>)], `${path}.values()`)
  const actualKeys = Reflect.ownKeys(actual).map(String)
  const expectedKeys = Reflect.ownKeys(expected).map(String)
  if (actualKeys.join('\0') !== expectedKeys.join('\0')) return `${path}: keys ${show(actualKeys)}, expected ${show(expectedKeys)}`
  for (const key of expectedKeys) {
    if (Array.isArray(actual) && key === 'length') continue
    const found = difference((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${path}[${JSON.stringify(key)}]`)
    if (found !== undefined) return found
  }
  return undefined
}

function differenceOfLists(actual: readonly unknown[], expected: readonly unknown[], path: string): string | undefined {
  if (actual.length !== expected.length) return `${path}: ${actual.length} items, expected ${expected.length}`
  for (let i = 0; i < expected.length; i++) {
    const found = difference(actual[i], expected[i], `${path}[${i}]`)
    if (found !== undefined) return found
  }
  return undefined
}

function sameAt(path: string, actual: unknown, expected: unknown): string | undefined {
  return Object.is(actual, expected) ? undefined : `${path}: got ${show(actual)}, expected ${show(expected)}`
}

function show(value: unknown): string {
  return typeof value === 'bigint' ? `${value}n` : Object.is(value, -0) ? '-0' : (JSON.stringify(value) ?? String(value))
}

function roundTrip(value: unknown): unknown {
  return deserialize(serialize(value))
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

// ---------------------------------------------------------------------------

describe('the equality used by these tests', () => {
  it.each<[string, unknown, unknown]>([
    ['0 and -0', 0, -0],
    ['a Buffer and a Uint8Array', Buffer.from([1]), new Uint8Array([1])],
    ['Maps in another order', new Map([[1, 1], [2, 2]]), new Map([[2, 2], [1, 1]])],
    ['Sets in another order', new Set([1, 2]), new Set([2, 1])],
    ['a hole and undefined', [, 1], [undefined, 1]],
    ['a missing key and an undefined one', {}, { a: undefined }],
    ['keys in another order', { a: 1, b: 2 }, { b: 2, a: 1 }],
    ['a null-prototype object and a plain one', Object.create(null), {}],
    ['two invalid Dates and a valid one', new Date(Number.NaN), new Date(0)],
    ['regexps with other flags', /a/g, /a/i],
  ])('tells apart %s', (_, a, b) => {
    expect(difference(a, b)).toBeDefined()
  })

  it('treats NaN as equal to NaN and two invalid Dates as equal', () => {
    expect(difference([Number.NaN, new Date(Number.NaN)], [Number.NaN, new Date(Number.NaN)])).toBeUndefined()
  })
})

describe('serialize and deserialize', () => {
  const shared = { id: 1 }
  const nullPrototype = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, nested: Object.assign(Object.create(null) as object, { b: 2 }) })
  const protoKey = JSON.parse('{"__proto__":{"polluted":true},"x":1}') as unknown
  const protoKeyAmongTags = JSON.parse('{"u":null,"__proto__":{"polluted":true},"d":null}') as Record<string, unknown>
  Object.assign(protoKeyAmongTags, { u: undefined, d: new Date(0) })

  // [what, value, what comes back when it differs from the value]
  const cases: [string, unknown, unknown?][] = [
    ['null', null],
    ['true', true],
    ['false', false],
    ['an empty string', ''],
    ['a string with emoji, accents and escapes', '😀 é "q" \\ \n \u0000'],
    ['a string with a lone surrogate', 'a\uD800b\uDC00'],
    ['a string that looks like a tag', '{"$weft":"date","v":"2020-01-01T00:00:00.000Z"}'],
    ['0', 0],
    ['-0', -0],
    ['a negative fraction', -1.5],
    ['Number.MAX_VALUE', Number.MAX_VALUE],
    ['Number.MIN_VALUE', Number.MIN_VALUE],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['0n', 0n],
    ['a huge negative bigint', -123456789012345678901234567890n],
    ['undefined', undefined],
    ['the epoch', new Date(0)],
    ['a date with milliseconds', new Date('2024-05-01T12:34:56.789Z')],
    ['the latest Date', new Date(8.64e15)],
    ['the earliest Date', new Date(-8.64e15)],
    ['an invalid Date', new Date(Number.NaN)],
    ['an empty Map', new Map()],
    ['an empty Set', new Set()],
    ['a Map with keys of every kind, in insertion order', new Map<unknown, unknown>([['b', 1], [1, 'one'], [true, null], [null, 0], [undefined, 'u'], [Number.NaN, 'nan'], [2n, 'big'], [{ k: 1 }, 'object key'], [[1, 2], 'array key'], [new Date(5), 'date key']])],
    ['a Set of mixed values', new Set<unknown>([3, 'a', undefined, null, Number.NaN, 7n, { a: 1 }, [1]])],
    ['an empty array', []],
    ['an empty object', {}],
    ['bytes', new Uint8Array([0, 1, 127, 128, 255])],
    ['no bytes', new Uint8Array(0)],
    ['a view on part of a buffer', new Uint8Array(new Uint8Array([9, 8, 7, 6, 5]).buffer, 1, 3), new Uint8Array([8, 7, 6])],
    ['a Buffer, which comes back as a Uint8Array', Buffer.from('héllo'), new Uint8Array(Buffer.from('héllo'))],
    ['a regexp with flags', /a+b\/[\]x]/giu],
    ['a sticky regexp with every other flag', /^x$/dmsy],
    ['an empty regexp', new RegExp('')],
    ['an undefined property, kept as a present key', { a: undefined, b: 1 }],
    ['undefined array elements', [undefined, 1, undefined]],
    ['a sparse array, holes coming back as undefined', [1, , 3], [1, undefined, 3]],
    ['a null-prototype object, coming back as a plain object', nullPrototype, { a: 1, nested: { b: 2 } }],
    ['the same object twice, coming back as two equal copies', { first: shared, second: shared, list: [shared] }],
    ['integer-like and other keys, in their own order', { b: 1, 2: 'two', a: 2, 1: 'one', '-1': 'minus' }],
    ['an own "__proto__" key', protoKey],
    ['an own "__proto__" key among values that need tags', protoKeyAmongTags],
    ['Map of Sets of Dates', new Map([['week', new Set([new Date(1), new Date(2)])], ['never', new Set([new Date(Number.NaN)])]])],
    ['objects inside Maps', new Map<unknown, unknown>([['a', { x: 1, when: new Date(3), missing: undefined }], [{ key: true }, [{ y: 2 }]]])],
    ['bigints as Map keys', new Map([[1n, 'one'], [-(2n ** 70n), 'big']])],
    ['special numbers in arrays, Sets and Maps', [[-0, Number.NaN, Number.POSITIVE_INFINITY], new Set([-0, Number.NEGATIVE_INFINITY]), new Map([[Number.NaN, -0]])]],
    ['Maps as Map keys', new Map([[new Map([[1, 2]]), new Map([[new Set([1]), 'deep']])]])],
    ['a deeply mixed value', { run: { input: [{ at: new Date(10), tags: new Set(['a']), bytes: new Uint8Array([1]), pattern: /x/g, n: 5n, nested: [[[undefined, -0]]] }] } }],
    ['a user object with a "$weft" key', { $weft: 'date', v: '2020-01-01T00:00:00.000Z' }],
    ['a user object that looks like an escaped object', { $weft: 'object', v: { $weft: 'undefined' } }],
    ['a "$weft" key holding undefined', { $weft: undefined }],
    ['"$weft" keys at several depths', { a: { $weft: 'map', v: [] }, list: [{ $weft: 'set' }], map: new Map([[{ $weft: 'bytes' }, { $weft: 'bigint', v: 'x' }]]) }],
    ['a "$weft" key next to values that need tags', { $weft: 1, when: new Date(0), nothing: undefined }],
    ['arrays that hold tag names', ['$weft', 'date', { v: 1 }]],
    ['objects nested 1000 deep', nest(999, () => ({}))],
  ]

  it.each(cases)('round-trip %s', (_, value, expected = value) => {
    expect(difference(roundTrip(value), expected)).toBeUndefined()
  })

  it.each<[string, unknown, new (...args: never[]) => unknown]>([
    ['Map', new Map([[1, 2]]), Map],
    ['Set', new Set([1]), Set],
    ['Date', new Date(0), Date],
    ['Uint8Array', new Uint8Array([1]), Uint8Array],
    ['RegExp', /a/, RegExp],
  ])('gives back a real %s, also nested in a Map in an array', (_, value, type) => {
    expect(roundTrip(value)).toBeInstanceOf(type)
    const nested = roundTrip([new Map([['k', value]])]) as Map<string, unknown>[]
    expect(nested[0]!.get('k')).toBeInstanceOf(type)
  })

  it('gives back an undefined property as a present key', () => {
    const back = roundTrip({ a: undefined }) as object
    expect(Object.hasOwn(back, 'a')).toBe(true)
  })

  it('gives back an own "__proto__" key without touching the prototype', () => {
    const back = roundTrip(protoKey) as Record<string, unknown>
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype)
    expect(Object.hasOwn(back, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('gives back the same object twice as two distinct copies', () => {
    const back = roundTrip({ first: shared, second: shared }) as { first: object; second: object }
    expect(back.first).not.toBe(back.second)
  })

  it('writes JSON-compatible data as the same text as JSON.stringify', () => {
    fc.assert(
      // Through JSON once: fc.jsonValue() can hold -0, which JSON itself turns into 0.
      fc.property(fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown), (value) => {
        expect(serialize(value)).toBe(JSON.stringify(value))
      }),
      { seed, numRuns: 300 },
    )
  })

  it('writes the documented format, which stored data depends on', () => {
    const value = {
      plain: [1, 'a', null, true],
      u: undefined,
      n: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0],
      big: 12n,
      date: new Date(0),
      bad: new Date(Number.NaN),
      map: new Map([[1, new Set(['x'])]]),
      bytes: new Uint8Array([1, 2, 3]),
      re: /a\/b/gi,
      user: { $weft: 'mine' },
    }
    expect(serialize(value)).toBe(
      '{"plain":[1,"a",null,true],"u":{"$weft":"undefined"},' +
        '"n":[{"$weft":"number","v":"NaN"},{"$weft":"number","v":"Infinity"},{"$weft":"number","v":"-Infinity"},{"$weft":"number","v":"-0"}],' +
        '"big":{"$weft":"bigint","v":"12"},"date":{"$weft":"date","v":"1970-01-01T00:00:00.000Z"},"bad":{"$weft":"date","v":null},' +
        '"map":{"$weft":"map","v":[[1,{"$weft":"set","v":["x"]}]]},"bytes":{"$weft":"bytes","v":"AQID"},' +
        '"re":{"$weft":"regexp","v":["a\\\\/b","gi"]},"user":{"$weft":"object","v":{"$weft":"mine"}}}',
    )
  })

  it('round-trips random values of every supported kind', () => {
    fc.assert(
      fc.property(storableValue, (value) => {
        const found = difference(roundTrip(value), afterRoundTrip(value))
        expect(found).toBeUndefined()
      }),
      { seed, numRuns: 500 },
    )
  })
})

// ---------------------------------------------------------------------------
// Random values and what they come back as.

const regexpValue = fc
  .tuple(fc.constantFrom('a+', '\\d{2,}', '[/\\]]', '^$', '(?<name>x)|y'), fc.subarray(['d', 'g', 'i', 'm', 's', 'u', 'y']))
  .map(([source, flags]) => new RegExp(source, flags.join('')))

const storableValue = fc.anything({
  key: fc.oneof(fc.string(), fc.constantFrom('$weft', 'v', '__proto__', 'constructor', 'toJSON', '0', '10')),
  values: [
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.string({ unit: 'binary' }),
    fc.constantFrom(null, undefined, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    fc.bigInt(),
    fc.date(),
    fc.constant(null).map(() => new Date(Number.NaN)),
    fc.uint8Array({ maxLength: 8 }),
    regexpValue,
    fc.constantFrom('$weft', '{"$weft":"undefined"}', 'undefined', 'NaN'),
  ],
  withMap: true,
  withSet: true,
  withBigInt: true,
  withDate: true,
  withNullPrototype: true,
  withSparseArray: true,
  maxDepth: 4,
})

/** The documented changes of form: holes become undefined, null-prototype objects become plain. */
function afterRoundTrip(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [afterRoundTrip(k), afterRoundTrip(v)]))
  if (value instanceof Set) return new Set([...value].map(afterRoundTrip))
  if (Array.isArray(value)) return Array.from(value, afterRoundTrip)
  if (value instanceof Date || value instanceof RegExp || value instanceof Uint8Array) return value
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(value)) Object.defineProperty(copy, key, { value: afterRoundTrip((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true })
  return copy
}

function nest(depth: number, leaf: () => unknown): unknown {
  let value = leaf()
  for (let i = 0; i < depth; i++) value = { a: value }
  return value
}

// ---------------------------------------------------------------------------

describe('values that cannot be stored losslessly', () => {
  const fetch = 'output of task "fetch"'
  class Foo {
    constructor(readonly x = 1) {}
  }
  class Items extends Array<number> {}
  class Registry extends Map<string, number> {}
  const selfRef: Record<string, unknown> = { a: 1 }
  selfRef.self = selfRef
  const deepCycle: { items: unknown[] } = { items: [] }
  deepCycle.items.push({ owner: { back: deepCycle.items } })
  const mapCycle = new Map<string, unknown>()
  mapCycle.set('me', { map: mapCycle })
  const keyCycle = new Map<unknown, unknown>()
  keyCycle.set(keyCycle, 1)
  const setCycle = new Set<unknown>()
  setCycle.add([setCycle])
  const nonEnumerable = Object.defineProperty({ a: 1 }, 'secret', { value: 2, enumerable: false })

  // [what, value, path, reason]
  const cases: [string, unknown, string, string][] = [
    ['a named function', { items: [0, 1, { callback() {} }] }, `${fetch}.items[2].callback`, 'function callback cannot be stored; store plain data instead (for example the name of the handler to call)'],
    ['an anonymous function', [() => 1], `${fetch}[0]`, 'an anonymous function cannot be stored; store plain data instead (for example the name of the handler to call)'],
    ['a class', { type: Foo }, `${fetch}.type`, 'class Foo cannot be stored; store plain data instead (for example the name of the handler to call)'],
    ['a symbol value', { kind: Symbol('tag') }, `${fetch}.kind`, 'a symbol (Symbol(tag)) cannot be stored; store a string instead'],
    ['a symbol key', { a: 1, [Symbol('hidden')]: 2 }, `${fetch}[Symbol(hidden)]`, 'a symbol-keyed property cannot be stored; use a string key'],
    ['a symbol as a Map key', new Map([[Symbol('k'), 1]]), `${fetch}.keys()[0]`, 'a symbol (Symbol(k)) cannot be stored; store a string instead'],
    ['a class instance', { user: new Foo() }, `${fetch}.user`, 'an instance of class Foo cannot be stored losslessly; convert it to a plain object'],
    ['an anonymous class instance', [new (class {})()], `${fetch}[0]`, 'an instance of an anonymous class cannot be stored losslessly; convert it to a plain object'],
    ['an object with a custom prototype', { x: Object.create({ inherited: 1 }) }, `${fetch}.x`, 'an object with a custom prototype cannot be stored losslessly; convert it to a plain object'],
    ['an Error', { error: new TypeError('boom') }, `${fetch}.error`, 'an instance of class TypeError cannot be stored losslessly; convert it to a plain object such as { name, message }'],
    ['an Array subclass', { list: Items.from([1]) }, `${fetch}.list`, 'an instance of class Items cannot be stored losslessly; convert it to a plain object'],
    ['a Map subclass', { registry: new Registry() }, `${fetch}.registry`, 'an instance of class Registry cannot be stored losslessly; convert it to a plain object'],
    ['another typed array', { samples: new Int16Array(2) }, `${fetch}.samples`, 'an instance of class Int16Array cannot be stored losslessly; convert it to a plain object'],
    ['a boxed string', { name: new String('x') }, `${fetch}.name`, 'an instance of class String cannot be stored losslessly; convert it to a plain object'],
    ['a WeakMap', { cache: new WeakMap() }, `${fetch}.cache`, 'a WeakMap cannot be stored: its entries cannot be listed; use a Map'],
    ['a WeakSet', { seen: new WeakSet() }, `${fetch}.seen`, 'a WeakSet cannot be stored: its entries cannot be listed; use a Set'],
    ['a Promise', { pending: Promise.resolve(1) }, `${fetch}.pending`, 'a Promise cannot be stored; await it and store its result'],
    ['an object that contains itself', selfRef, `${fetch}.self`, `circular reference to ${fetch}; store an id instead of the object`],
    ['a cycle through an array', deepCycle, `${fetch}.items[0].owner.back`, `circular reference to ${fetch}.items; store an id instead of the object`],
    ['a cycle through a Map value', { m: mapCycle }, `${fetch}.m.get("me").map`, `circular reference to ${fetch}.m; store an id instead of the object`],
    ['a Map that is its own key', keyCycle, `${fetch}.keys()[0]`, `circular reference to ${fetch}; store an id instead of the object`],
    ['a cycle through a Set', setCycle, `${fetch}.values()[0][0]`, `circular reference to ${fetch}; store an id instead of the object`],
    ['a getter', { order: { get total() { return 1 } } }, `${fetch}.order.total`, 'an accessor property (getter or setter) cannot be stored losslessly; replace it with a plain data property holding its value'],
    ['a setter without a getter', Object.defineProperty({}, 'x', { set() {}, enumerable: true }), `${fetch}.x`, 'an accessor property (getter or setter) cannot be stored losslessly; replace it with a plain data property holding its value'],
    ['a non-enumerable property', { meta: nonEnumerable }, `${fetch}.meta.secret`, 'a non-enumerable property cannot be stored losslessly; make it enumerable or delete it'],
    ['a bad value under a key that is not an identifier', { 'content-type': [Symbol.iterator] }, `${fetch}["content-type"][0]`, 'a symbol (Symbol(Symbol.iterator)) cannot be stored; store a string instead'],
    ['a bad value in a Map under an object key', new Map([[{}, () => 1]]), `${fetch}.values()[0]`, 'an anonymous function cannot be stored; store plain data instead (for example the name of the handler to call)'],
    ['a bad value in a Map under a bigint key', new Map([[5n, Symbol('s')]]), `${fetch}.get(5n)`, 'a symbol (Symbol(s)) cannot be stored; store a string instead'],
    ['a bad value inside an object with a "$weft" key', { $weft: 1, f: Symbol('x') }, `${fetch}.f`, 'a symbol (Symbol(x)) cannot be stored; store a string instead'],
    ['objects nested more than 1000 deep', nest(1000, () => ({})), `${fetch}${'.a'.repeat(32)}…(936 more levels)…${'.a'.repeat(32)}`, 'it is nested more than 1000 objects deep; flatten it'],
  ]

  it.each(cases)('rejects %s, naming its path and a fix', (_, value, path, reason) => {
    const error = thrown(() => serialize(value, fetch))
    expect(error).toBeInstanceOf(SerializationError)
    expect(error).toMatchObject({ code: 'WEFT_SERIALIZATION', _tag: 'SerializationError', path, reason })
    expect((error as Error).message).toBe(`cannot store ${path}: ${reason}`)
  })

  it('starts paths from "value" when the caller does not name the value', () => {
    expect(thrown(() => serialize({ f: Symbol('x') }))).toMatchObject({ path: 'value.f' })
  })

  it('reads no getter while rejecting it', () => {
    const getter = vi.fn(() => 1)
    thrown(() => serialize(Object.defineProperty({}, 'x', { get: getter, enumerable: true })))
    expect(getter).not.toHaveBeenCalled()
  })
})

// ---------------------------------------------------------------------------

describe('size limits', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('has 256 KiB and 2 MiB as default thresholds', () => {
    expect(defaultSerializationLimits).toEqual({ warnBytes: 262_144, maxBytes: 2_097_152 })
  })

  it('accepts text of exactly maxBytes bytes', () => {
    expect(serialize('abc', 'input', { warnBytes: 100, maxBytes: 5 })).toBe('"abc"')
  })

  it('rejects text one byte over maxBytes with the size and the limit', () => {
    const error = thrown(() => serialize('abc', 'output of task "fetch"', { warnBytes: 100, maxBytes: 4 }))
    expect(error).toBeInstanceOf(PayloadTooLargeError)
    expect(error).toMatchObject({ code: 'WEFT_PAYLOAD_TOO_LARGE', what: 'output of task "fetch"', bytes: 5, limitBytes: 4 })
    expect((error as Error).message).toBe(`output of task "fetch" is 5 bytes, over the 4-byte limit; store large data elsewhere and pass a reference, or raise the store's limits.maxBytes`)
  })

  it('counts UTF-8 bytes, not characters', () => {
    // The JSON text "é😀" is 5 UTF-16 code units but 1 + 2 + 4 + 1 = 8 bytes.
    expect(serialize('é😀', 'value', { warnBytes: 100, maxBytes: 8 })).toBe('"é😀"')
    expect(thrown(() => serialize('é😀', 'value', { warnBytes: 100, maxBytes: 7 }))).toMatchObject({ bytes: 8, limitBytes: 7 })
  })

  it('measures exactly the UTF-8 size of any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat(3), (text, extra) => {
        const bytes = Buffer.byteLength(JSON.stringify(text), 'utf8')
        const limits = { warnBytes: bytes + extra, maxBytes: bytes + extra }
        expect(serialize(text, 'value', limits, () => {})).toBe(JSON.stringify(text))
        expect(thrown(() => serialize(text, 'value', { warnBytes: bytes, maxBytes: bytes - 1 }))).toMatchObject({ bytes })
      }),
      { seed, numRuns: 300 },
    )
  })

  it('warns once when the text is over warnBytes', () => {
    const onWarning = vi.fn()
    serialize(['abc', new Date(0), 'def'], 'output of task "fetch"', { warnBytes: 10, maxBytes: 1000 }, onWarning)
    expect(onWarning).toHaveBeenCalledTimes(1)
    expect(onWarning).toHaveBeenCalledWith(
      'output of task "fetch" is 61 bytes, over the 10-byte warning threshold (the limit is 1000 bytes); ' +
        'large payloads slow down every read of the run: store large data elsewhere and pass a reference',
    )
  })

  it('does not warn at exactly warnBytes', () => {
    const onWarning = vi.fn()
    serialize('abc', 'value', { warnBytes: 5, maxBytes: 1000 }, onWarning)
    expect(onWarning).not.toHaveBeenCalled()
  })

  it('throws without warning when the text is over both thresholds', () => {
    const onWarning = vi.fn()
    expect(thrown(() => serialize('abcdef', 'value', { warnBytes: 2, maxBytes: 4 }, onWarning))).toBeInstanceOf(PayloadTooLargeError)
    expect(onWarning).not.toHaveBeenCalled()
  })

  it('emits a process warning by default', () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    serialize('abcdef', 'value', { warnBytes: 2, maxBytes: 100 })
    expect(emitWarning).toHaveBeenCalledTimes(1)
    expect(emitWarning).toHaveBeenCalledWith(expect.stringMatching(/^value is 8 bytes, over the 2-byte warning threshold/), {
      type: 'WeftLargePayloadWarning',
      code: 'WEFT_LARGE_PAYLOAD',
    })
  })

  it('applies the default limits: exactly 2 MiB passes, one byte more fails', () => {
    const onWarning = vi.fn()
    const atLimit = 'x'.repeat(2 * 1024 * 1024 - 2)
    expect(serialize(atLimit, 'value', undefined, onWarning)).toHaveLength(2 * 1024 * 1024)
    expect(onWarning).toHaveBeenCalledTimes(1)
    expect(thrown(() => serialize(`${atLimit}x`, 'value', undefined, onWarning))).toMatchObject({ bytes: 2 * 1024 * 1024 + 1, limitBytes: 2 * 1024 * 1024 })
  })
})

describe('deserialize on text it did not write', () => {
  it.each([
    ['an unknown tag', '{"$weft":"temporal","v":"x"}', 'cannot read a stored value: unknown tag {"$weft":"temporal"}; it was written by a newer version of Weft or edited by hand'],
    ['a malformed bigint', '[{"$weft":"bigint","v":"12x"}]', 'cannot read a stored value: malformed {"$weft":"bigint"} tag with payload "12x"; the stored text was edited or corrupted'],
    ['a malformed number', '{"$weft":"number","v":"7"}', 'cannot read a stored value: malformed {"$weft":"number"} tag with payload "7"; the stored text was edited or corrupted'],
    ['a malformed Map entry', '{"$weft":"map","v":[[1]]}', 'cannot read a stored value: malformed {"$weft":"map"} tag with payload [1]; the stored text was edited or corrupted'],
    ['a malformed date', '{"$weft":"date","v":"yesterday"}', 'cannot read a stored value: malformed {"$weft":"date"} tag with payload "yesterday"; the stored text was edited or corrupted'],
    ['an escaped object that is not an object', '{"$weft":"object","v":[1]}', 'cannot read a stored value: malformed {"$weft":"object"} tag with payload [1]; the stored text was edited or corrupted'],
  ])('rejects %s with a SyntaxError', (_, text, message) => {
    const error = thrown(() => deserialize(text))
    expect(error).toBeInstanceOf(SyntaxError)
    expect((error as Error).message).toBe(message)
  })

  it('rejects text that is not JSON with JSON.parse’s SyntaxError', () => {
    expect(thrown(() => deserialize('{"a":'))).toBeInstanceOf(SyntaxError)
  })
})
