/** The rule `weft runs list` uses to show a run whose worker is gone as `orphaned`. */
import { describe, expect, it } from 'vitest'
import { runState } from '../../src/cli/run-text.js'

const now = 1_000_000

describe('runState', () => {
  it.each([
    ['running, its lease expired', { status: 'running', leaseOwner: 'w1', leaseExpiresAt: now - 1 }, 'orphaned'],
    ['running, its lease ending now', { status: 'running', leaseOwner: 'w1', leaseExpiresAt: now }, 'orphaned'],
    ['paused, its lease expired', { status: 'paused', leaseOwner: 'w1', leaseExpiresAt: now - 1 }, 'orphaned'],
    ['pending, keeping the owner of a failed start (lease ended)', { status: 'pending', leaseOwner: 'w1', leaseExpiresAt: 0 }, 'orphaned'],
    ['running, its lease live', { status: 'running', leaseOwner: 'w1', leaseExpiresAt: now + 1 }, 'running'],
    ['pending, never claimed or released cleanly', { status: 'pending' }, 'pending'],
    ['completed', { status: 'completed' }, 'completed'],
    ['dead-lettered, naming its last owner', { status: 'dead-lettered', leaseOwner: 'w1', leaseExpiresAt: 0 }, 'dead-lettered'],
  ] as const)('%s: %s', (_what, run, state) => {
    expect(runState(run, now)).toBe(state)
  })
})
