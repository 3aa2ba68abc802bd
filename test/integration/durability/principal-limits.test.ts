/**
 * Per-principal limits shared by two worker processes (the security
 * battery's "rate limits across two processes"): both take `start` for the
 * same principal as fast as they can for a few windows, through a real
 * PostgreSQL and through one SQLite file.
 *
 * What "never more than the limit per window" means for a token bucket (the
 * algorithm of `PrincipalLimits`): the bucket holds LIMIT permits and earns
 * one every WINDOW / LIMIT, so counted from the principal's first take the
 * first k windows grant at most (k + 1) · LIMIT: LIMIT at the start, LIMIT
 * per window after. The check is the same bound at every moment t, which
 * implies it at the windows' ends:
 *
 *   granted(first ≤ take ≤ t) ≤ LIMIT + floor((t − first) / (WINDOW / LIMIT))
 *
 * with `first` read by each process before its first take (so no later than
 * the bucket's creation) and each take counted at the time it returned (no
 * earlier than the store's decision, to 1 ms: the clocks read are whole
 * milliseconds). The two processes must also have kept the bucket in use
 * (together they get close to the bound), and a second principal taking
 * during the storm gets its own full bucket, then is refused within its own
 * bound. The control, state in memory,
 * breaks the bound: each process counts for itself.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../../support/postgres.js'
import { needServer } from '../../support/server-suites.js'
import { spawnChild, useChildCleanup, useTempDir } from './harness.js'

const LIMIT = 5
const WINDOW_MS = 500
const WINDOWS = 4
const REFILL_MS = WINDOW_MS / LIMIT

/** What one worker reports. */
interface WorkerReport {
  readonly firstAt: number
  readonly granted: readonly (readonly [began: number, ended: number])[]
  readonly refused: number
  readonly failures: readonly unknown[]
  readonly otherTakes?: readonly { readonly began: number; readonly ended: number; readonly granted: boolean }[]
}

/** Runs two workers taking for `alice` on `state` (the first also bursts for `bob` half-way), started together. */
async function twoWorkers(state: { STATE: string; STATE_URL?: string; STATE_SPACE?: string }): Promise<WorkerReport[]> {
  const env = { ...state, LIMIT, WINDOW_MS, DURATION_MS: WINDOWS * WINDOW_MS, SUBJECT: 'alice' }
  const workers = [spawnChild('principal-taker.mjs', 'worker-a', { ...env, OTHER_SUBJECT: 'bob' }), spawnChild('principal-taker.mjs', 'worker-b', env)]
  await Promise.all(workers.map((worker) => worker.waitFor('ready')))
  for (const worker of workers) worker.process.stdin?.write('go\n')
  const done = await Promise.all(workers.map((worker) => worker.waitFor('done', { timeoutMs: 30_000 })))
  return done as unknown as WorkerReport[]
}

/** The most any moment exceeded the bound by (0 or less: never), and the granted takes by window, for the failure message. */
function overTheBound(reports: readonly WorkerReport[]) {
  const first = Math.min(...reports.map((report) => report.firstAt))
  const ends = reports.flatMap((report) => report.granted.map(([, ended]) => ended)).sort((a, b) => a - b)
  let worst = Number.NEGATIVE_INFINITY
  ends.forEach((t, i) => {
    const bound = LIMIT + Math.floor((t + 1 - first) / REFILL_MS)
    worst = Math.max(worst, i + 1 - bound)
  })
  const byWindow = Array.from({ length: WINDOWS + 1 }, (_, k) => ends.filter((t) => t >= first + k * WINDOW_MS && t < first + (k + 1) * WINDOW_MS).length)
  return { worst, byWindow, total: ends.length, first, last: ends.at(-1) ?? first }
}

function expectWithinTheLimit(reports: readonly WorkerReport[]): void {
  for (const report of reports) expect(report.failures).toEqual([])
  const { worst, byWindow, total, first, last } = overTheBound(reports)
  expect(worst, `granted by window: ${byWindow.join(', ')}`).toBeLessThanOrEqual(0)
  // Both processes kept the bucket busy: together they got all but a few of the permits the bound allows.
  expect(total).toBeGreaterThanOrEqual(LIMIT + Math.floor((last - first) / REFILL_MS) - 3)
  expect(reports.every((report) => report.granted.length > 0)).toBe(true)
  // Another principal is not touched by the storm: a full bucket, then refused within its own bound.
  const other = reports[0]!.otherTakes ?? []
  expect(other.slice(0, LIMIT).map((take) => take.granted)).toEqual(Array<boolean>(LIMIT).fill(true))
  expect(other.at(-1)?.granted).toBe(false)
  const otherGranted = other.filter((take) => take.granted).length
  expect(otherGranted).toBeLessThanOrEqual(LIMIT + Math.floor((other.at(-1)!.ended + 1 - other[0]!.began) / REFILL_MS))
}

describe('a per-principal limit shared by two worker processes', () => {
  useChildCleanup()
  const folder = useTempDir('principal-limits')
  let db: TestDatabase | undefined
  beforeAll(async () => {
    if (postgresSkipReason() === null) db = await createTestDatabase()
  })
  afterAll(() => db?.drop())

  it('in memory (the control): each process counts for itself, and together they exceed the bound', async () => {
    const reports = await twoWorkers({ STATE: 'memory' })
    expect(overTheBound(reports).worst).toBeGreaterThan(0)
  })

  it('through PostgreSQL: at no moment more than LIMIT + one per refill since the first take, and another principal unaffected', async (context) => {
    needServer(context, db === undefined ? (postgresSkipReason() ?? 'no PostgreSQL') : null)
    expectWithinTheLimit(await twoWorkers({ STATE: 'postgres', STATE_URL: db!.url, STATE_SPACE: 'principal_limits' }))
  })

  it('through one SQLite file: at no moment more than LIMIT + one per refill since the first take, and another principal unaffected', async () => {
    expectWithinTheLimit(await twoWorkers({ STATE: 'sqlite', STATE_URL: join(folder(), 'limits.db'), STATE_SPACE: 'principal_limits' }))
  })
})
