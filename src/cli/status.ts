import { createEngine, nearestRank, sqliteStore, type AdapterReport, type AdapterState, type BreakerStatus, type Engine, type LimiterStatus } from '../index.js'
import type { WorkflowStore } from '../store.js'
import { CommandFailedError, UsageError } from './cli-errors.js'
import { defaultDatabase, describeDatabase, messageOf, openStore } from './database.js'
import { mergeWorkerConfigs, type WorkerSetup } from './worker-setup.js'
import { importWorkflowModule, workerConfigExport, type WorkerConfigExport } from './workflow-module.js'

/**
 * What `weft status --json` prints: the store and every adapter of the
 * modules' worker configurations, as this process sees them.
 *
 * @example
 * ```ts
 * import type { StatusJson } from 'weft-sdk/cli'
 * declare const printed: string // the output of `weft status --module dist/worker.js --json`
 * const status = JSON.parse(printed) as StatusJson
 * for (const adapter of status.adapters.filter((a) => a.state !== 'up')) console.error(`${adapter.name}: ${adapter.state} (${adapter.detail ?? 'no detail'})`)
 * ```
 */
export interface StatusJson {
  /** `down` when the store or an adapter is down (the command exits 1), else `degraded` when an adapter is, else `up`. */
  readonly state: AdapterState
  /** When the checks ended (ISO 8601, UTC). */
  readonly checkedAt: string
  /** The store. */
  readonly store: StoreStatusJson
  /** Each adapter, in the order the modules list them. */
  readonly adapters: readonly AdapterStatusJson[]
}

/**
 * The store in {@link StatusJson}: whether it opened and answered a read.
 *
 * @example
 * ```ts
 * import type { StoreStatusJson } from 'weft-sdk/cli'
 * const store: StoreStatusJson = { state: 'up', database: 'postgres://weft:***@db.internal/weft', latencyMs: 1.8, detail: null }
 * ```
 */
export interface StoreStatusJson {
  /** `up` when it opened and answered a read, else `down`. */
  readonly state: 'up' | 'down'
  /** The `--database` value, a URL's password masked. */
  readonly database: string
  /** How long the read took (milliseconds); `null` when it did not answer. */
  readonly latencyMs: number | null
  /** Why it is down; `null` when up. */
  readonly detail: string | null
}

/**
 * One adapter in {@link StatusJson}: its `health()` as a fresh engine in
 * this process sees it. Breakers show this process's state (all closed)
 * unless the workers keep them in a shared policy state, which is then read;
 * limiters always show this process's own headroom (full).
 *
 * @example
 * ```ts
 * import type { AdapterStatusJson } from 'weft-sdk/cli'
 * const headroom = (adapter: AdapterStatusJson) => adapter.limiters.map((l) => `${l.name}: ${l.remaining}/${l.limit}`)
 * ```
 */
export interface AdapterStatusJson {
  /** The adapter's name. */
  readonly name: string
  /** Its kind (`http`, ...). */
  readonly kind: string
  /** Its state at the last check. */
  readonly state: AdapterState
  /** The last check's round trip (milliseconds). */
  readonly latencyMs: number
  /** The nearest-rank 95th percentile of the checks' round trips (`--samples`; with one check, its round trip). */
  readonly p95Ms: number
  /** How many checks were made. */
  readonly samples: number
  /** Why it is down or degraded, from the last check; `null` when it says nothing. */
  readonly detail: string | null
  /** Its circuit breakers and their states. */
  readonly breakers: readonly BreakerStatus[]
  /** Its rate limiters and their headroom. */
  readonly limiters: readonly LimiterStatus[]
}

/** Options of {@link checkStatus}. */
export interface StatusOptions {
  /** `--database`. @defaultValue `'.weft/weft.sqlite'` */
  readonly database?: string | undefined
  /** Built modules exporting worker configurations whose adapters are checked; none checks the store only. */
  readonly modules: readonly string[]
  /** Health checks per adapter, one after the other. */
  readonly samples: number
  /** The directory relative paths are resolved from. */
  readonly cwd: string
  /** Whether the caller was authenticated through a `--config` (else a database with security enabled refuses the check). @defaultValue `false` */
  readonly secured?: boolean | undefined
}

/**
 * Checks the store (opened read-only: nothing is written) and every adapter
 * of the modules' worker configurations, through an engine that claims no
 * runs and is closed before this returns.
 * @throws {@link CommandFailedError} when a module cannot be imported or exports no worker configuration, or an adapter cannot be registered.
 */
export async function checkStatus(options: StatusOptions): Promise<StatusJson> {
  const setup = await loadSetup(options.modules, options.cwd)
  const database = options.database ?? defaultDatabase
  const { store, status } = await checkStore(database, options.cwd, options.secured === true)
  try {
    const adapters = await checkAdapters(setup, store ?? sqliteStore({ path: ':memory:' }), options.samples)
    return { state: worstOf([status.state, ...adapters.map((a) => a.state)]), checkedAt: new Date().toISOString(), store: status, adapters }
  } finally {
    await store?.close().catch(() => undefined)
  }
}

async function loadSetup(modules: readonly string[], cwd: string): Promise<WorkerSetup> {
  const configs: WorkerConfigExport[] = []
  for (const path of modules) {
    const config = workerConfigExport(await importWorkflowModule(path, cwd))
    if (config === undefined) {
      throw new CommandFailedError(`${path} exports no worker configuration: weft status checks the adapters of one (export const weft = defineWorkerConfig({ workflows, adapters: [...] }))`)
    }
    configs.push(config)
  }
  return mergeWorkerConfigs(configs)
}

async function checkStore(database: string, cwd: string, secured: boolean): Promise<{ store: WorkflowStore | undefined; status: StoreStatusJson }> {
  const shown = describeDatabase(database)
  let store: WorkflowStore | undefined
  try {
    store = await openStore(database, { cwd, access: 'read', secured })
    const started = performance.now()
    await store.listRuns({ limit: 1 })
    return { store, status: { state: 'up', database: shown, latencyMs: roundMs(performance.now() - started), detail: null } }
  } catch (error) {
    await store?.close().catch(() => undefined)
    // A secured database without --config: a refusal of the command line, not a store that is down.
    if (error instanceof UsageError) throw error
    return { store: undefined, status: { state: 'down', database: shown, latencyMs: null, detail: messageOf(error) } }
  }
}

/** Builds the engine (no claims, no workflows), checks its adapters `samples` times, closes it. */
async function checkAdapters(setup: WorkerSetup, store: WorkflowStore, samples: number): Promise<AdapterStatusJson[]> {
  // With the workers' shared policy state, the breakers reported are the ones the workers see.
  const { container, resolver, adapters, policyState } = setup.engine
  let engine: Engine
  try {
    engine = createEngine({ container, resolver, adapters, policyState, store, claimRuns: false, onRunRecovered: () => undefined, onBackgroundError: () => undefined })
  } catch (error) {
    throw new CommandFailedError(`cannot set up the adapters: ${messageOf(error)}`, { cause: error })
  }
  try {
    await engine.ready
    const checks: AdapterReport[][] = []
    for (let i = 0; i < samples; i++) checks.push([...(await engine.health()).adapters])
    return (checks[0] ?? []).map((_, i) => adapterStatus(checks.map((check) => check[i]!)))
  } finally {
    await engine.close({ drain: 0 }).catch(() => undefined)
  }
}

function adapterStatus(checks: readonly AdapterReport[]): AdapterStatusJson {
  const last = checks[checks.length - 1]!
  const p95 = nearestRank(checks.map((check) => check.latencyMs).sort((a, b) => a - b), 95)
  return {
    name: last.name,
    kind: last.kind,
    state: last.state,
    latencyMs: roundMs(last.latencyMs),
    p95Ms: roundMs(p95),
    samples: checks.length,
    detail: last.detail ?? null,
    breakers: last.breakers,
    limiters: last.limiters,
  }
}

const stateOrder: readonly AdapterState[] = ['up', 'degraded', 'down']

/** The worst of some states (`up` for none). */
export function worstOf(states: readonly AdapterState[]): AdapterState {
  return stateOrder[Math.max(0, ...states.map((state) => stateOrder.indexOf(state)))]!
}

function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100
}
