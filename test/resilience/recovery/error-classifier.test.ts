import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  AuthorizationError,
  BulkheadRejectedError,
  builtInErrorRules,
  CircuitOpenError,
  createErrorClassifier,
  ErrorClassifier,
  HttpNetworkError,
  HttpStatusError,
  InputValidationError,
  RateLimitedError,
  SerializationError,
  StorageError,
  TaskTimeoutError,
  type BuiltInErrorClass,
} from 'weft-sdk'
import { toErrorRecord } from '../../../src/runtime/error-record.js'
import { testSeed } from '../../support/seed.js'

const seed = testSeed('test/resilience/recovery/error-classifier.test.ts')

/** An Error with a `code` (and a name), as Node, pg and better-sqlite3 throw them. */
function coded(code: string, message = `failed: ${code}`, name = 'Error'): Error {
  return Object.assign(new Error(message), { code, name })
}

const http = (status: number) => new HttpStatusError('quotes', 'GET', '/quote', status, '', undefined)

/** Every built-in class, with errors it must hold; `liveOnly` ones classify otherwise from their record (documented). */
const table: readonly { readonly label: string; readonly error: unknown; readonly expected: BuiltInErrorClass; readonly liveOnly?: boolean }[] = [
  { label: 'TaskTimeoutError', error: new TaskTimeoutError('charge', 100), expected: 'timeout' },
  { label: 'RateLimitedError', error: new RateLimitedError('quotes', 500), expected: 'rate-limited' },
  { label: 'BulkheadRejectedError', error: new BulkheadRejectedError('render', 2, 0), expected: 'rate-limited' },
  { label: 'CircuitOpenError', error: new CircuitOpenError('payments', 'open', 1000), expected: 'connection' },
  { label: 'HTTP 429', error: http(429), expected: 'rate-limited' },
  { label: 'HTTP 503', error: http(503), expected: 'connection' },
  { label: 'HTTP 500', error: http(500), expected: 'connection' },
  { label: 'HTTP 504', error: http(504), expected: 'timeout' },
  { label: 'HTTP 408', error: http(408), expected: 'timeout' },
  { label: 'HTTP 401', error: http(401), expected: 'authorization' },
  { label: 'HTTP 403', error: http(403), expected: 'authorization' },
  { label: 'HTTP 404', error: http(404), expected: 'validation' },
  { label: 'HTTP 422', error: http(422), expected: 'validation' },
  { label: 'HttpNetworkError ECONNREFUSED', error: new HttpNetworkError('quotes', 'GET', '/q', 'ECONNREFUSED'), expected: 'connection' },
  { label: 'HttpNetworkError ETIMEDOUT', error: new HttpNetworkError('quotes', 'GET', '/q', 'ETIMEDOUT'), expected: 'timeout' },
  { label: 'a client library error with status 503', error: Object.assign(new Error('Service Unavailable'), { status: 503 }), expected: 'connection' },
  ...['ECONNREFUSED', 'ECONNRESET', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'].map((code) => ({ label: code, error: coded(code), expected: 'connection' as const })),
  ...['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'].map((code) => ({ label: code, error: coded(code), expected: 'timeout' as const })),
  { label: "fetch's TypeError caused by ECONNREFUSED", error: new TypeError('fetch failed', { cause: coded('ECONNREFUSED') }), expected: 'connection' },
  { label: 'AbortSignal.timeout reason', error: new DOMException('The operation was aborted due to timeout', 'TimeoutError'), expected: 'timeout' },
  { label: 'SQLSTATE 08006', error: coded('08006', 'terminating connection', 'error'), expected: 'connection' },
  { label: 'SQLSTATE 57P01', error: coded('57P01', 'admin shutdown', 'error'), expected: 'connection' },
  { label: 'SQLSTATE 40001', error: coded('40001', 'could not serialize access', 'error'), expected: 'database' },
  { label: 'SQLSTATE 40P01', error: coded('40P01', 'deadlock detected', 'error'), expected: 'database' },
  { label: 'SQLSTATE 57014', error: coded('57014', 'canceling statement due to statement timeout', 'error'), expected: 'timeout' },
  { label: 'SQLSTATE 23505', error: coded('23505', 'duplicate key value', 'error'), expected: 'validation' },
  { label: 'SQLSTATE 28P01', error: coded('28P01', 'password authentication failed', 'error'), expected: 'authorization' },
  { label: 'SQLSTATE 42501', error: coded('42501', 'permission denied for table runs', 'error'), expected: 'authorization' },
  { label: 'SQLITE_BUSY', error: coded('SQLITE_BUSY', 'database is locked', 'SqliteError'), expected: 'database' },
  { label: 'SQLITE_LOCKED_SHAREDCACHE', error: coded('SQLITE_LOCKED_SHAREDCACHE', 'locked', 'SqliteError'), expected: 'database' },
  { label: 'SQLITE_IOERR_WRITE', error: coded('SQLITE_IOERR_WRITE', 'disk I/O error', 'SqliteError'), expected: 'database' },
  { label: 'SQLITE_CONSTRAINT_UNIQUE', error: coded('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed', 'SqliteError'), expected: 'validation' },
  { label: 'StorageError busy', error: new StorageError('busy', 'the database is busy'), expected: 'database' },
  { label: 'StorageError connection-lost', error: new StorageError('connection-lost', 'the connection was lost'), expected: 'connection', liveOnly: true },
  { label: 'StorageError constraint', error: new StorageError('constraint', 'a constraint refused the write'), expected: 'validation', liveOnly: true },
  { label: 'AuthorizationError', error: new AuthorizationError('alice', 'start', 'payments', 'no rule allows it'), expected: 'authorization' },
  { label: 'InputValidationError', error: new InputValidationError('orders', [{ path: 'id', message: 'Expected string' }]), expected: 'validation' },
  { label: 'SerializationError', error: new SerializationError('output', 'a function cannot be stored'), expected: 'validation' },
  { label: 'a plain Error', error: new Error('boom'), expected: 'unknown' },
  { label: 'a thrown string', error: 'boom', expected: 'unknown' },
  { label: 'a thrown null', error: null, expected: 'unknown' },
]

const classifier = createErrorClassifier()

describe('the built-in error rules', () => {
  it.each(table)('classify $label as $expected', ({ error, expected }) => {
    expect(classifier.classify(error).errorClass).toBe(expected)
  })

  it.each(table.filter((row) => row.liveOnly !== true))('classify the stored record of $label as the live error', ({ error, expected }) => {
    expect(classifier.classifyRecord(toErrorRecord(error, 'task'))).toMatchObject({ errorClass: expected })
  })

  it("classify a StorageError's record as database whatever its reason (the reason is only on the live error)", () => {
    expect(classifier.classifyRecord(toErrorRecord(new StorageError('connection-lost', 'lost')))).toMatchObject({ errorClass: 'database' })
  })

  it('name the rule that matched and where in the cause chain', () => {
    const classification = classifier.classify(new TypeError('fetch failed', { cause: coded('ECONNRESET') }))
    expect(classification.depth).toBe(1)
    expect(classification.rule?.description).toBe('a system error: connection refused, reset or unreachable')
  })

  it('read a status from a record: a Weft error states it in its message, another error in its props', () => {
    expect(classifier.classifyRecord({ name: 'HttpStatusError', message: 'adapter "q": GET /q answered 429 (retryable)', code: 'WEFT_HTTP_STATUS' }).errorClass).toBe('rate-limited')
    expect(classifier.classifyRecord({ name: 'Error', message: 'nope', props: '{"statusCode":403}' }).errorClass).toBe('authorization')
  })

  it('are every one described, with a class and at least one matcher', () => {
    for (const rule of builtInErrorRules) {
      expect(rule.description).toMatch(/\w/)
      expect([rule.name, rule.instanceOf, rule.code, rule.message, rule.status, rule.when].some((matcher) => matcher !== undefined)).toBe(true)
    }
  })
})

describe('user rules', () => {
  it('come before the built-in ones, so a user rule overrides a built-in one (first match wins)', () => {
    const overriding = createErrorClassifier({ rules: [{ status: 503, as: 'maintenance' }] })
    expect(overriding.classify(http(503)).errorClass).toBe('maintenance')
    expect(overriding.classify(http(502)).errorClass).toBe('connection')
  })

  it('match by class, code, message, status and predicate, every matcher given having to match', () => {
    class QuotaError extends Error {}
    const custom = new ErrorClassifier([
      { instanceOf: QuotaError, message: 'daily', as: 'quota' },
      { code: ['E_BILLING'], name: 'BillingError', as: 'billing' },
      { message: /invalid/i, as: 'validation' },
      { when: (facts) => facts.message.length > 40, as: 'verbose' },
    ])
    expect(custom.classify(new QuotaError('daily quota spent')).errorClass).toBe('quota')
    expect(custom.classify(new QuotaError('hourly quota spent')).errorClass).toBe('unknown')
    expect(custom.classify(coded('E_BILLING', 'card declined', 'BillingError')).errorClass).toBe('billing')
    expect(custom.classify(coded('E_BILLING', 'card declined', 'Error')).errorClass).toBe('unknown')
    expect(custom.classify(new Error('Invalid data format detected')).errorClass).toBe('validation')
    expect(custom.classify(new Error('x'.repeat(41))).errorClass).toBe('verbose')
  })

  it('never see a record through instanceOf', () => {
    class QuotaError extends Error {
      override name = 'QuotaError'
    }
    const custom = new ErrorClassifier([{ instanceOf: QuotaError, as: 'quota' }])
    expect(custom.classify(new QuotaError('spent')).errorClass).toBe('quota')
    expect(custom.classifyRecord(toErrorRecord(new QuotaError('spent'))).errorClass).toBe('unknown')
  })

  it('treat a predicate that throws as no match', () => {
    const custom = new ErrorClassifier([{ when: () => { throw new Error('bad rule') }, as: 'never' }])
    expect(custom.classify(coded('ECONNREFUSED')).errorClass).toBe('connection')
  })

  it('stand alone with builtIns: false', () => {
    expect(createErrorClassifier({ builtIns: false }).classify(http(429)).errorClass).toBe('unknown')
  })
})

const builtInCodes = ['ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', '08006', '40001', '57014', '23505', '28P01', 'SQLITE_BUSY', 'WEFT_TASK_TIMEOUT', 'WEFT_RATE_LIMITED', 'WEFT_FORBIDDEN', 'WEFT_STORAGE', 'E_OTHER']
const arbitraryError = fc
  .record({
    name: fc.constantFrom('Error', 'TypeError', 'SqliteError', 'error', 'TimeoutError', 'CustomError'),
    message: fc.string({ maxLength: 40 }),
    code: fc.option(fc.constantFrom(...builtInCodes), { nil: undefined }),
    status: fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
    wrapped: fc.boolean(),
  })
  .map(({ name, message, code, status, wrapped }) => {
    const error = Object.assign(new Error(message), { name }, code === undefined ? {} : { code }, status === undefined ? {} : { status })
    return wrapped ? new Error('while calling the service', { cause: error }) : error
  })

describe('classification (properties)', () => {
  it('never throws and always names a class, whatever is thrown', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withNullPrototype: true }), (value) => {
        expect(typeof classifier.classify(value).errorClass).toBe('string')
      }),
      { seed, numRuns: 300 },
    )
  })

  it('gives a live error and its stored record the same class', () => {
    fc.assert(
      fc.property(arbitraryError, (error) => {
        expect(classifier.classifyRecord(toErrorRecord(error)).errorClass).toBe(classifier.classify(error).errorClass)
      }),
      { seed, numRuns: 300 },
    )
  })

  it('keeps a class when the error is wrapped as the cause of a plain Error', () => {
    fc.assert(
      fc.property(arbitraryError, (error) => {
        expect(classifier.classify(new Error('outer', { cause: error })).errorClass).toBe(classifier.classify(error).errorClass)
      }),
      { seed, numRuns: 300 },
    )
  })

  it('lets a user rule placed first take any error it matches from the built-in ones', () => {
    fc.assert(
      fc.property(arbitraryError, fc.constantFrom(...builtInCodes), (error, code) => {
        const custom = createErrorClassifier({ rules: [{ code, as: 'mine' }] })
        const leaf = (error.cause as Error | undefined) ?? error
        const expected = (leaf as { code?: string }).code === code ? 'mine' : classifier.classify(error).errorClass
        expect(custom.classify(error).errorClass).toBe(expected)
      }),
      { seed, numRuns: 300 },
    )
  })
})
