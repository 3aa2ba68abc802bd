/**
 * One retry model for the stores: a policy value (which reasons, how long,
 * which waits) run by withStoreRetry, its blocking twin, or a scheduler that
 * asks retryDelay.
 */
import { describe, expect, it } from 'vitest'
import { StorageError } from 'weft-sdk'
import { pgConflictRetry } from '../../src/storage/postgres/pg-errors.js'
import { sqliteBusyRetry } from '../../src/storage/sqlite/sqlite-errors.js'
import { retryDelay, withStoreRetry, withStoreRetrySync, type StoreRetryPolicy } from '../../src/storage/store-retry.js'
import { thrown } from '../support/thrown.js'

function driverError(code: string): Error {
  return Object.assign(new Error(`driver says ${code}`), { code })
}

/** Fails with each of `errors` in turn, then returns 'done'. */
function failingWith(...errors: unknown[]): { readonly calls: () => number; run(): string } {
  let calls = 0
  return {
    calls: () => calls,
    run() {
      const error = errors[calls++]
      if (error !== undefined) throw error
      return 'done'
    },
  }
}

const noWait = sqliteBusyRetry(1_000, () => 0)

describe('retryDelay', () => {
  it('retries only the reasons of the policy', () => {
    expect(retryDelay(noWait, driverError('SQLITE_BUSY'), 1, 0, 0)).toBe(0)
    expect(retryDelay(noWait, driverError('SQLITE_FULL'), 1, 0, 0)).toBeUndefined()
  })

  it('reads the reason of an error already classified', () => {
    expect(retryDelay(noWait, new StorageError('busy', 'locked'), 1, 0, 0)).toBe(0)
    expect(retryDelay(noWait, new StorageError('io', 'broken'), 1, 0, 0)).toBeUndefined()
  })

  it('stops once the next wait would end past maxWaitMs', () => {
    const policy = sqliteBusyRetry(100, () => 30)
    expect(retryDelay(policy, driverError('SQLITE_BUSY'), 3, 0, 70)).toBe(30)
    expect(retryDelay(policy, driverError('SQLITE_BUSY'), 3, 0, 71)).toBeUndefined()
  })

  it('stops after maxAttempts', () => {
    const deadlock = driverError('40P01')
    expect(retryDelay(pgConflictRetry, deadlock, 4, 0, 0)).toBeTypeOf('number')
    expect(retryDelay(pgConflictRetry, deadlock, 5, 0, 0)).toBeUndefined()
  })
})

describe('withStoreRetry', () => {
  it('runs the operation again until it succeeds', async () => {
    const op = failingWith(driverError('SQLITE_BUSY'), driverError('SQLITE_BUSY'))
    await expect(withStoreRetry(async () => op.run(), noWait)).resolves.toBe('done')
    expect(op.calls()).toBe(3)
  })

  it('throws a failure the policy does not retry at once', async () => {
    const full = driverError('SQLITE_FULL')
    const op = failingWith(full)
    await expect(withStoreRetry(async () => op.run(), noWait)).rejects.toBe(full)
    expect(op.calls()).toBe(1)
  })

  it('throws the last failure once out of attempts', async () => {
    const policy: StoreRetryPolicy = { ...pgConflictRetry, delayMs: () => 0 }
    const deadlocks = Array.from({ length: 6 }, () => driverError('40P01'))
    const op = failingWith(...deadlocks)
    await expect(withStoreRetry(async () => op.run(), policy)).rejects.toBe(deadlocks[4])
    expect(op.calls()).toBe(5)
  })
})

describe('withStoreRetrySync', () => {
  it('runs a blocking operation again until it succeeds', () => {
    const op = failingWith(driverError('SQLITE_BUSY'))
    expect(withStoreRetrySync(() => op.run(), noWait)).toBe('done')
    expect(op.calls()).toBe(2)
  })

  it('throws a failure the policy does not retry', () => {
    const corrupt = driverError('SQLITE_CORRUPT')
    expect(thrown(() => withStoreRetrySync(failingWith(corrupt).run, noWait))).toBe(corrupt)
  })
})
