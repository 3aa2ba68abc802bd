import { describe, expect, it } from 'vitest'
import { createEngine, engineSettings, InvalidOptionsError, isWeftError, MemoryWorkflowStore, type EngineConfig } from 'weft-sdk'
import { thrown } from '../support/thrown.js'


/** A configuration engineSettings must refuse, and the exact message of its InvalidOptionsError. */
const refused: readonly [string, EngineConfig, string][] = [
  // Leases and their renewal.
  ['a heartbeat equal to the lease', { leaseDuration: 3_000, heartbeatInterval: 3_000 }, 'heartbeatInterval (3000 ms) must be shorter than leaseDuration (3000 ms), or leases expire between renewals'],
  ['a heartbeat longer than the lease', { leaseDuration: '1 s', heartbeatInterval: '2 s' }, 'heartbeatInterval (2000 ms) must be shorter than leaseDuration (1000 ms), or leases expire between renewals'],
  ['a heartbeat longer than the default lease', { heartbeatInterval: '31 s' }, 'heartbeatInterval (31000 ms) must be shorter than leaseDuration (30000 ms), or leases expire between renewals'],
  ['a 1 ms lease, whose default heartbeat cannot be shorter', { leaseDuration: 1 }, 'leaseDuration (1 ms) is too short to be renewed: heartbeats come every third of it, at least 1 ms apart; make it at least 2 ms'],
  ['a zero lease', { leaseDuration: 0 }, 'leaseDuration must be longer than 0 ms, got 0'],
  ['a zero lease written with a unit', { leaseDuration: '0 s' }, 'leaseDuration must be longer than 0 ms, got 0 s'],
  ['a negative lease', { leaseDuration: -5 }, 'leaseDuration must be a finite number of milliseconds ≥ 0, got -5'],
  ['a NaN lease', { leaseDuration: Number.NaN }, 'leaseDuration must be a finite number of milliseconds ≥ 0, got NaN'],
  ['an infinite lease', { leaseDuration: Infinity }, 'leaseDuration must be a finite number of milliseconds ≥ 0, got Infinity'],
  ['a zero heartbeat', { heartbeatInterval: 0 }, 'heartbeatInterval must be longer than 0 ms, got 0'],
  ['a negative heartbeat', { heartbeatInterval: -1 }, 'heartbeatInterval must be a finite number of milliseconds ≥ 0, got -1'],
  ['a NaN heartbeat', { heartbeatInterval: Number.NaN }, 'heartbeatInterval must be a finite number of milliseconds ≥ 0, got NaN'],
  // Intervals.
  ['a zero claim interval', { claimInterval: 0 }, 'claimInterval must be longer than 0 ms, got 0'],
  ['a negative claim interval', { claimInterval: -100 }, 'claimInterval must be a finite number of milliseconds ≥ 0, got -100'],
  ['a NaN claim interval', { claimInterval: Number.NaN }, 'claimInterval must be a finite number of milliseconds ≥ 0, got NaN'],
  ['a claim interval in an unknown unit', { claimInterval: '5 seconds' as never }, `claimInterval must be a number of milliseconds or a string like '250 ms', '5 s', '2 m', '1 h', '2 d', got "5 seconds"`],
  ['a zero poll interval', { pollInterval: '0 ms' }, 'pollInterval must be longer than 0 ms, got 0 ms'],
  ['a negative poll interval', { pollInterval: -250 }, 'pollInterval must be a finite number of milliseconds ≥ 0, got -250'],
  ['a NaN poll interval', { pollInterval: Number.NaN }, 'pollInterval must be a finite number of milliseconds ≥ 0, got NaN'],
  // Recovery counts.
  ['a negative recovery count', { maxRecoveryAttempts: -1 }, 'maxRecoveryAttempts must be an integer ≥ 0, got -1'],
  ['a fractional recovery count', { maxRecoveryAttempts: 1.5 }, 'maxRecoveryAttempts must be an integer ≥ 0, got 1.5'],
  ['a NaN recovery count', { maxRecoveryAttempts: Number.NaN }, 'maxRecoveryAttempts must be an integer ≥ 0, got NaN'],
  ['an infinite recovery count', { maxRecoveryAttempts: Infinity }, 'maxRecoveryAttempts must be an integer ≥ 0, got Infinity'],
  // Concurrency limits.
  ['a zero engine-wide concurrency limit', { maxConcurrentTasks: 0 }, 'maxConcurrentTasks must be an integer ≥ 1 or Infinity, got 0'],
  ['a negative engine-wide concurrency limit', { maxConcurrentTasks: -4 }, 'maxConcurrentTasks must be an integer ≥ 1 or Infinity, got -4'],
  ['a fractional engine-wide concurrency limit', { maxConcurrentTasks: 2.5 }, 'maxConcurrentTasks must be an integer ≥ 1 or Infinity, got 2.5'],
  ['a NaN engine-wide concurrency limit', { maxConcurrentTasks: Number.NaN }, 'maxConcurrentTasks must be an integer ≥ 1 or Infinity, got NaN'],
  ['a zero per-run concurrency limit', { maxConcurrentTasksPerRun: 0 }, 'maxConcurrentTasksPerRun must be an integer ≥ 1 or Infinity, got 0'],
  ['a fractional per-run concurrency limit', { maxConcurrentTasksPerRun: 0.5 }, 'maxConcurrentTasksPerRun must be an integer ≥ 1 or Infinity, got 0.5'],
  ['a negative infinite per-run concurrency limit', { maxConcurrentTasksPerRun: -Infinity }, 'maxConcurrentTasksPerRun must be an integer ≥ 1 or Infinity, got -Infinity'],
]

describe('engineSettings refuses bad engine options', () => {
  for (const [what, config, message] of refused) {
    it(`refuses ${what} with InvalidOptionsError: ${message}`, () => {
      const error = thrown(() => engineSettings(config))
      expect(error).toBeInstanceOf(InvalidOptionsError)
      expect(isWeftError(error)).toBe(true)
      expect(error).toMatchObject({ code: 'WEFT_INVALID_OPTIONS', _tag: 'InvalidOptionsError', isRetryable: false, message })
    })
  }

  it('refuses bad options in createEngine, before it opens any store', async () => {
    const store = new MemoryWorkflowStore()
    let opened = false
    const watched = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'init') opened = true
        return Reflect.get(target, property, receiver)
      },
    })
    const error = thrown(() => createEngine({ store: watched, leaseDuration: '10 s', heartbeatInterval: '10 s' }))
    expect(error).toBeInstanceOf(InvalidOptionsError)
    expect((error as InvalidOptionsError).code).toBe('WEFT_INVALID_OPTIONS')
    expect((error as Error).message).toBe('heartbeatInterval (10000 ms) must be shorter than leaseDuration (10000 ms), or leases expire between renewals')
    await new Promise((resolve) => setImmediate(resolve))
    expect(opened).toBe(false)
  })
})

describe('engineSettings accepts the boundaries', () => {
  it('fills in the defaults', () => {
    expect(engineSettings({})).toEqual({
      maxConcurrentTasks: Infinity,
      maxConcurrentTasksPerRun: Infinity,
      claimRuns: true,
      leaseMs: 30_000,
      heartbeatMs: 10_000,
      claimIntervalMs: 1_000,
      maxRecoveryAttempts: 5,
      pollMs: 250,
    })
  })

  it('accepts a heartbeat one millisecond shorter than the lease', () => {
    expect(engineSettings({ leaseDuration: 1_000, heartbeatInterval: 999 })).toMatchObject({ leaseMs: 1_000, heartbeatMs: 999 })
  })

  it('renews a third of the lease by default, rounded down, and never less than every millisecond', () => {
    expect(engineSettings({ leaseDuration: '1 m' }).heartbeatMs).toBe(20_000)
    expect(engineSettings({ leaseDuration: 1_000 }).heartbeatMs).toBe(333)
    expect(engineSettings({ leaseDuration: 2 }).heartbeatMs).toBe(1)
  })

  it('accepts zero recoveries (the first crash dead-letters the run) and limits of one or Infinity', () => {
    expect(engineSettings({ maxRecoveryAttempts: 0, maxConcurrentTasks: 1, maxConcurrentTasksPerRun: Infinity })).toMatchObject({
      maxRecoveryAttempts: 0,
      maxConcurrentTasks: 1,
      maxConcurrentTasksPerRun: Infinity,
    })
  })

  it('converts every duration to milliseconds', () => {
    expect(engineSettings({ leaseDuration: '2 m', heartbeatInterval: '5 s', claimInterval: '1.5 s', pollInterval: '100 ms' })).toMatchObject({
      leaseMs: 120_000,
      heartbeatMs: 5_000,
      claimIntervalMs: 1_500,
      pollMs: 100,
    })
  })
})
