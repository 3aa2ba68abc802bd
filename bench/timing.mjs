// Timing helpers: warm-up, repetitions, medians. Figures only, never pass/fail.

import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { selfCpuMs } from './procstat.mjs'

/** A no-op async task that counts its calls, so every contender can be checked to run each task once. */
export function countingWork() {
  const work = async () => {
    work.calls++
  }
  work.calls = 0
  return work
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function collectGarbage() {
  if (typeof globalThis.gc === 'function') globalThis.gc()
}

/**
 * Measures µs per task of one contender on one shape.
 *
 * `prepare()` returns a runner `{ run, close }` (setup is not timed; every
 * repetition gets a fresh runner). After `warmup` untimed runs, each
 * repetition collects garbage, runs at least `rewarm` untimed runs again (and
 * `rewarmTasks` tasks when `rewarm` > 0), then times enough
 * back-to-back runs to last about `minMs`; the figure is the median of the
 * repetitions. Checks that every task ran exactly once per run.
 */
export async function measure({ prepare, work, tasks, warmup = 3, rewarm = warmup, rewarmTasks = 20_000, reps = 7, minMs = 60, maxRunsPerRep = 200 }) {
  let runner = warmup > 0 ? await prepare() : { run: async () => {}, close: async () => {} }
  const calls0 = work.calls
  let runs = 0
  let lastMs = Infinity
  for (let i = 0; i < warmup; i++, runs++) {
    const t = performance.now()
    await runner.run()
    lastMs = performance.now() - t
  }
  await runner.close()

  // Without a warm-up (graphs too slow to run twice) each repetition is one run.
  const perRep = Math.max(1, Math.min(maxRunsPerRep, Math.ceil(minMs / Math.max(lastMs, 0.01))))
  const samples = []
  for (let r = 0; r < reps; r++) {
    runner = await prepare()
    collectGarbage()
    // Warm up again after gc: a full GC while no run is alive deoptimizes Weft's
    // and Effect's hot code (V8: "weak objects", objects the optimized code
    // embedded were collected), and the next ~10,000 tasks run several times slower.
    for (let i = 0; i < rewarm || (rewarm > 0 && i * tasks < rewarmTasks); i++, runs++) await runner.run()
    const t = performance.now()
    for (let i = 0; i < perRep; i++) await runner.run()
    const ms = performance.now() - t
    runs += perRep
    await runner.close()
    samples.push((ms * 1000) / perRep / tasks)
  }
  const expected = runs * tasks
  if (work.calls - calls0 !== expected) throw new Error(`expected ${expected} task calls, counted ${work.calls - calls0}`)
  return { us: median(samples), min: Math.min(...samples), max: Math.max(...samples), reps, runsPerRep: perRep }
}

/** µs per `await` of an async no-op function: the process-wide cost the AsyncLocalStorage trap inflates. */
export async function awaitCost(n = 1_000_000) {
  const noop = async () => {}
  const samples = []
  for (let r = 0; r < 5; r++) {
    const t = performance.now()
    for (let i = 0; i < n / 5; i++) await noop()
    samples.push(((performance.now() - t) * 1000) / (n / 5))
  }
  return median(samples.slice(1))
}

/** Cumulative CPU ms of processes the bench runs besides itself (a PostgreSQL server): not "others". */
const relatedCpu = new Set()

/**
 * Counts a process the bench started but did not fork (the PostgreSQL server)
 * as the bench's own in {@link othersLoad}. `cpuMs()` must be monotonic (keep
 * returning the last figure once the process is gone). Returns an unregister function.
 */
export function registerRelatedCpu(cpuMs) {
  relatedCpu.add(cpuMs)
  return () => relatedCpu.delete(cpuMs)
}

/** CPU ms of this process, the children it has reaped (workers, the DBOS process) and related processes. */
function benchCpuMs() {
  let ms = selfCpuMs()
  for (const cpuMs of relatedCpu) ms += cpuMs() ?? 0
  return ms
}

/**
 * Watches how busy the machine is apart from this bench (Linux /proc/stat):
 * returns a function giving the average number of cores other processes used
 * since the watch began, or undefined where /proc/stat is missing. The bench's
 * own CPU includes its finished child processes and a PostgreSQL server it
 * started (see {@link registerRelatedCpu}).
 */
export function othersLoad() {
  const read = () => {
    try {
      const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number)
      return { idle: fields[3] + (fields[4] ?? 0), total: fields.reduce((a, b) => a + b, 0) }
    } catch {
      return undefined
    }
  }
  const start = read()
  const own = benchCpuMs()
  const t = performance.now()
  return () => {
    const end = read()
    if (start === undefined || end === undefined || end.total === start.total) return undefined
    const busyCores = (1 - (end.idle - start.idle) / (end.total - start.total)) * cpus().length
    const ownCores = (benchCpuMs() - own) / (performance.now() - t)
    return Math.max(0, busyCores - ownCores)
  }
}
