// Shared by the child programs of the durability battery: the store named by
// the environment, engine options, markers on stdout, side effects in a file.
import { appendFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { sqliteStore } from 'weft-sdk'

const env = process.env

/** The store the test named: WEFT_STORE=sqlite|postgres, WEFT_STORE_LOCATION=<file or URL>, MAX_BYTES=<payload limit>. */
export async function openStore() {
  const location = env.WEFT_STORE_LOCATION
  const limits = env.MAX_BYTES === undefined ? undefined : { warnBytes: Number(env.MAX_BYTES), maxBytes: Number(env.MAX_BYTES) }
  if (env.WEFT_STORE === 'sqlite') return sqliteStore({ path: location, limits })
  if (env.WEFT_STORE === 'postgres') {
    const { postgresStore } = await import('weft-sdk/postgres')
    return postgresStore({ connectionString: location, maxConnections: Number(env.PG_CONNECTIONS ?? 10), limits })
  }
  throw new Error(`WEFT_STORE must be sqlite or postgres, got ${env.WEFT_STORE}`)
}

/** Engine options from the environment (durations in milliseconds). */
export function engineOptions() {
  const options = {
    onBackgroundError: (error) => marker('background-error', { error: describe(error) }),
    onListenerError: (error) => marker('listener-error', { error: describe(error) }),
  }
  if (env.LEASE_MS) options.leaseDuration = Number(env.LEASE_MS)
  if (env.HEARTBEAT_MS) options.heartbeatInterval = Number(env.HEARTBEAT_MS)
  if (env.CLAIM_MS) options.claimInterval = Number(env.CLAIM_MS)
  if (env.POLL_MS) options.pollInterval = Number(env.POLL_MS)
  if (env.MAX_RECOVERY) options.maxRecoveryAttempts = Number(env.MAX_RECOVERY)
  if (env.WORKER_ID) options.workerId = env.WORKER_ID
  if (env.CLAIM_RUNS === '0') options.claimRuns = false
  return options
}

/** Prints a marker line for the test. */
export function marker(name, fields = {}) {
  process.stdout.write(`${JSON.stringify({ marker: name, pid: process.pid, at: Date.now(), ...fields })}\n`)
}

/** The outputs of run `runId` once it completes here (a worker resuming a run another one started). */
export async function resumedOutputs(engine, runId) {
  const run = await engine.getRun(runId)
  if (run === undefined) throw new Error(`no run ${runId}`)
  return (await run.result()).outputs
}

/** Appends a side effect to EFFECTS_FILE (synchronously: it is on disk before the next statement). */
export function effect(fields) {
  appendFileSync(env.EFFECTS_FILE, `${JSON.stringify({ pid: process.pid, at: Date.now(), ...fields })}\n`)
}

/** Dies at once, as a crash would. */
export function die() {
  process.kill(process.pid, 'SIGKILL')
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Keeps the process alive until it is killed. */
export function stayAlive() {
  setInterval(() => undefined, 60_000)
}

/** The next line the test writes to stdin (stdin is then released, so it keeps nothing alive). */
export function nextLine() {
  const lines = createInterface({ input: process.stdin })
  return new Promise((resolve) => {
    lines.once('line', (line) => {
      lines.close()
      process.stdin.destroy()
      resolve(line)
    })
  })
}

export function describe(error) {
  if (error instanceof Error) return { name: error.name, message: error.message, code: error.code }
  return { name: 'unknown', message: String(error) }
}

/** Reports an uncaught problem and exits non-zero, so the test sees it. */
export function failOnUncaught() {
  process.on('uncaughtException', (error) => {
    marker('uncaught', { error: describe(error) })
    console.error(error)
    process.exit(70)
  })
  process.on('unhandledRejection', (error) => {
    marker('uncaught', { error: describe(error) })
    console.error(error)
    process.exit(70)
  })
}

const writeMethods = new Set(['createRun', 'claimRuns', 'noteUnclaimable', 'renewLeases', 'releaseRuns', 'updateRun', 'requestAction', 'clearAction', 'saveStep', 'saveFinalStep', 'timer', 'sendEvent', 'takeEvent'])
let writesInFlight = 0

/** Writes that have been called and not settled yet (see `recordWrites`). */
export function pendingWrites() {
  return writesInFlight
}

/**
 * The same store, reporting every write the engine attempts as a `write`
 * marker: the method, the run and epoch it was fenced with, when it was
 * called, and whether the store accepted or rejected it.
 */
export function recordWrites(store, methods = writeMethods) {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      if (!methods.has(property)) return value.bind(target)
      return (...args) => {
        const calledAt = Date.now()
        const fence = args[0] !== null && typeof args[0] === 'object' && 'epoch' in args[0] ? args[0] : undefined
        const fields = { method: property, calledAt, runId: fence?.runId, epoch: fence?.epoch }
        if (property === 'renewLeases' || property === 'releaseRuns') fields.fences = args[1]
        writesInFlight++
        return value.apply(target, args).then(
          (result) => {
            writesInFlight--
            const extra = property === 'renewLeases' ? { lost: result.lost } : property === 'claimRuns' ? { claimed: result.map((r) => r.id) } : {}
            marker('write', { ...fields, outcome: 'accepted', ...extra })
            return result
          },
          (error) => {
            writesInFlight--
            marker('write', { ...fields, outcome: 'rejected', error: describe(error) })
            throw error
          },
        )
      }
    },
  })
}
