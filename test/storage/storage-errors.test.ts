/**
 * One model of store failures: each database's classifier turns its driver's
 * errors into a reason, and the reason says whether waiting can help.
 */
import { describe, expect, it } from 'vitest'
import { StorageError, LeaseLostError, SerializationError } from 'weft-sdk'
import { classifyPgError } from '../../src/storage/postgres/pg-errors.js'
import { classifySqliteError } from '../../src/storage/sqlite/sqlite-errors.js'
import { isPersistentStoreFailure, storeFailureError, toStorageError, writeFailure } from '../../src/storage/storage-failure.js'

function driverError(code: string, message = 'driver says no'): Error {
  return Object.assign(new Error(message), { code })
}

describe('the SQLite classifier', () => {
  it.each([
    ['SQLITE_BUSY', 'busy'],
    ['SQLITE_BUSY_SNAPSHOT', 'busy'],
    ['SQLITE_LOCKED', 'busy'],
    ['SQLITE_FULL', 'disk-full'],
    ['SQLITE_IOERR_WRITE', 'io'],
    ['SQLITE_IOERR_FSYNC', 'io'],
    ['SQLITE_CORRUPT', 'corrupt'],
    ['SQLITE_NOTADB', 'corrupt'],
    ['SQLITE_READONLY', 'read-only'],
    ['SQLITE_READONLY_DIRECTORY', 'read-only'],
    ['SQLITE_CONSTRAINT_PRIMARYKEY', 'constraint'],
    ['SQLITE_CANTOPEN', 'io'],
    ['SQLITE_MISUSE', 'unknown'],
  ])('reads %s as %s', (code, reason) => {
    expect(classifySqliteError(driverError(code)).reason).toBe(reason)
  })

  it('explains why a read-only reader of a WAL database needs to write beside it', () => {
    expect(classifySqliteError(driverError('SQLITE_READONLY_DIRECTORY')).explanation).toContain('shared-memory file beside it (<file>-shm), which it cannot create because the folder is not writable')
  })

  it('reads a closed connection as closed', () => {
    expect(classifySqliteError(new TypeError('The database connection is not open')).reason).toBe('closed')
  })
})

describe('the PostgreSQL classifier', () => {
  it.each([
    ['40P01', 'deadlock'],
    ['40001', 'serialization-conflict'],
    ['55P03', 'busy'],
    ['53100', 'disk-full'],
    ['58030', 'io'],
    ['25006', 'read-only'],
    ['57P01', 'connection-lost'],
    ['08006', 'connection-lost'],
    ['ECONNREFUSED', 'connection-lost'],
    ['ECONNRESET', 'connection-lost'],
    ['23505', 'constraint'],
    ['42P01', 'unknown'],
  ])('reads %s as %s', (code, reason) => {
    expect(classifyPgError(driverError(code)).reason).toBe(reason)
  })

  it.each([
    ['Connection terminated unexpectedly', 'connection-lost'],
    ['Cannot use a pool after calling end on the pool', 'closed'],
  ])('reads "%s" as %s', (message, reason) => {
    expect(classifyPgError(new Error(message)).reason).toBe(reason)
  })
})

describe('StorageError', () => {
  it.each([
    ['busy', true],
    ['deadlock', true],
    ['serialization-conflict', true],
    ['connection-lost', true],
    ['disk-full', false],
    ['io', false],
    ['file-replaced', false],
    ['closed', false],
    ['corrupt', false],
    ['read-only', false],
    ['constraint', false],
    ['unknown', false],
  ] as const)('says a %s failure is retryable: %s', (reason, retryable) => {
    const error = new StorageError(reason, 'x')
    expect(error).toMatchObject({ code: 'WEFT_STORAGE', _tag: 'StorageError', reason, isRetryable: retryable })
    expect(isPersistentStoreFailure(error)).toBe(!retryable)
  })

  it('wraps a driver error with the operation and the explanation, keeping it as the cause', () => {
    const cause = driverError('SQLITE_FULL', 'database or disk is full')
    const error = toStorageError(cause, classifySqliteError, 'a write') as StorageError
    expect(error).toBeInstanceOf(StorageError)
    expect(error.message).toBe('a write failed (disk-full): SQLITE_FULL: the disk (or the database size limit, max_page_count) is full; free space, then the run resumes')
    expect(error.cause).toBe(cause)
  })

  it("passes Weft's own errors through: they are not the store's failures", () => {
    const lost = new LeaseLostError('r1', 2)
    expect(toStorageError(lost, classifySqliteError, 'a write')).toBe(lost)
  })
})

describe('whose failure a store error is', () => {
  it.each([
    ['a value that cannot be stored', new SerializationError('output', 'a function'), 'value'],
    ['a lost lease', new LeaseLostError('r1', 1), 'lease'],
    ['a storage failure', new StorageError('busy', 'x'), 'store'],
    ['an error a store did not classify', new Error('connection reset'), 'store'],
  ])('%s is the %s\'s', (_what, error, whose) => {
    expect(writeFailure(error)).toBe(whose)
  })

  it('does not call an unclassified error persistent: handles keep following the run', () => {
    expect(isPersistentStoreFailure(new Error('connection reset'))).toBe(false)
  })
})

describe('storeFailureError', () => {
  it('keeps an Error as it is', () => {
    const error = new StorageError('busy', 'locked')
    expect(storeFailureError(error)).toBe(error)
  })

  it('wraps anything else thrown by a store in an unknown StorageError that carries it', () => {
    const wrapped = storeFailureError('disk says no')
    expect(wrapped).toBeInstanceOf(StorageError)
    expect(wrapped).toMatchObject({ reason: 'unknown', message: 'the store failed: disk says no', cause: 'disk says no' })
  })
})
