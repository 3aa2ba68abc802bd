/**
 * StoreHealth: claims are held while the store takes no writes, and the
 * store is probed at growing intervals until a write succeeds.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MemoryWorkflowStore, StorageError } from 'weft-sdk'
import { StoreHealth } from '../../src/engine/store-health.js'

class Gate {
  readonly calls: string[] = []
  holdClaims(): void {
    this.calls.push('hold')
  }
  resumeClaims(): void {
    this.calls.push('resume')
  }
}

/** A store whose probe fails with the queued errors, then succeeds; it records when it was probed. */
class ProbedStore extends MemoryWorkflowStore {
  readonly probedAt: number[] = []
  constructor(private readonly failures: unknown[]) {
    super()
  }
  async probe(): Promise<void> {
    this.probedAt.push(Date.now())
    const failure = this.failures.shift()
    if (failure !== undefined) throw failure
  }
}

const diskFull = () => new StorageError('disk-full', 'a write failed (disk-full): SQLITE_FULL')

describe('StoreHealth', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('ignores failures that pass by themselves or belong to one run', () => {
    const gate = new Gate()
    const health = new StoreHealth(new ProbedStore([]), gate, 100, () => undefined)
    for (const error of [new StorageError('busy', 'x'), new StorageError('corrupt', 'x'), new StorageError('constraint', 'x'), new Error('x')]) health.failed(error)
    expect(gate.calls).toEqual([])
    expect(health.isFailing).toBe(false)
  })

  it('holds claims and probes at doubling intervals until a probe succeeds, then resumes them', async () => {
    const gate = new Gate()
    const store = new ProbedStore([diskFull(), diskFull(), diskFull()])
    const reported: unknown[] = []
    const health = new StoreHealth(store, gate, 100, (error) => reported.push(error))
    health.failed(diskFull())
    health.failed(diskFull())
    expect(gate.calls).toEqual(['hold'])
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 800)
    expect(store.probedAt).toEqual([100, 300, 700, 1_500])
    expect(reported).toHaveLength(3)
    expect(gate.calls).toEqual(['hold', 'resume'])
    expect(health.isFailing).toBe(false)
  })

  it('keeps the interval growing across episodes until a run records its end', async () => {
    const gate = new Gate()
    const store = new ProbedStore([])
    const health = new StoreHealth(store, gate, 100, () => undefined)
    health.failed(diskFull())
    await vi.advanceTimersByTimeAsync(100)
    health.failed(diskFull())
    await vi.advanceTimersByTimeAsync(200)
    expect(store.probedAt).toEqual([100, 300])
    health.healthy()
    health.failed(diskFull())
    await vi.advanceTimersByTimeAsync(100)
    expect(store.probedAt).toEqual([100, 300, 400])
  })

  it('resumes claims when the probe fails for a reason that says nothing of the disk, and reports it', async () => {
    const gate = new Gate()
    const noTable = new StorageError('unknown', 'no such table: weft_probe')
    const reported: unknown[] = []
    const health = new StoreHealth(new ProbedStore([noTable]), gate, 100, (error) => reported.push(error))
    health.failed(diskFull())
    await vi.advanceTimersByTimeAsync(100)
    expect(gate.calls).toEqual(['hold', 'resume'])
    expect(reported).toEqual([noTable])
  })

  it('keeps probing when the error reporter throws', async () => {
    const gate = new Gate()
    const store = new ProbedStore([diskFull()])
    const health = new StoreHealth(store, gate, 100, () => {
      throw new Error('reporter broke')
    })
    health.failed(diskFull())
    await vi.advanceTimersByTimeAsync(300)
    expect(gate.calls).toEqual(['hold', 'resume'])
  })

  it('trusts a store without a probe again after one interval', async () => {
    const gate = new Gate()
    const health = new StoreHealth(new MemoryWorkflowStore(), gate, 100, () => undefined)
    health.failed(diskFull())
    await vi.advanceTimersByTimeAsync(100)
    expect(gate.calls).toEqual(['hold', 'resume'])
  })

  it('stops probing when stopped', async () => {
    const gate = new Gate()
    const store = new ProbedStore([diskFull()])
    const health = new StoreHealth(store, gate, 100, () => undefined)
    health.failed(diskFull())
    health.stop()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(store.probedAt).toEqual([])
    expect(gate.calls).toEqual(['hold'])
  })
})
