/** The rule `weft runs list` uses to show a run whose worker is gone as `orphaned`. */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { hostname } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runState } from '../../src/cli/run-text.js'

const now = 1_000_000
const alive = () => false

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
    expect(runState(run, now, alive)).toBe(state)
  })
})

describe('runState, with the lease still live', () => {
  let live: ChildProcess
  let deadPid: number
  beforeAll(async () => {
    live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    const dead = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    deadPid = dead.pid!
    await once(dead, 'exit')
  })
  afterAll(() => void live.kill('SIGKILL'))

  const running = (leaseOwner: string) => ({ status: 'running', leaseOwner, leaseExpiresAt: Date.now() + 60_000 }) as const

  it('shows a run whose worker ran on this host and whose process is gone as orphaned at once', () => {
    expect(runState(running(`${hostname()}/${deadPid}/0a1b2c3d`), Date.now())).toBe('orphaned')
  })

  it('shows a run held by a live process of this host as running', () => {
    expect(runState(running(`${hostname()}/${live.pid!}/0a1b2c3d`), Date.now())).toBe('running')
  })

  it("does not judge another host's worker: its lease must expire first", () => {
    expect(runState(running(`another-host-${hostname()}/${deadPid}/0a1b2c3d`), Date.now())).toBe('running')
  })
})
