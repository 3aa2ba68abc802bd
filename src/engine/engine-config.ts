import type { OutboxOptions } from '../integration/outbox/engine-outbox.js'
import type { PolicyStateStore } from '../resilience/policy-services.js'
import type { Clock } from 'effect'
import type { DependencyContainer } from 'tsyringe'
import type { AnyWorkflow } from '../authoring/workflow-ref.js'
import { toMillis, type Duration } from '../core/duration.js'
import { InvalidOptionsError } from '../core/errors.js'
import type { ListenerErrorHandler } from '../runtime/event-hub.js'
import type { RunRecovered } from '../runtime/run-events.js'
import type { RunTracing } from '../runtime/run-tracing.js'
import type { WorkflowStore } from '../storage/workflow-store.js'
import type { AdapterRegistration } from './adapter-registry.js'
import type { SecurityConfig } from './secure-path.js'
import type { LiveMetricsOptions } from '../observability/live-metrics.js'
import type { AlertsConfig } from '../observability/alerts/alert-rules.js'
import { InvalidAlertError } from '../core/alert-errors.js'
import type { WorkflowResolver } from './workflow-resolver.js'

/**
 * Options of {@link createEngine}.
 *
 * @example
 * ```ts
 * import { createEngine, sqliteStore, type EngineConfig } from 'weft-sdk'
 * const config: EngineConfig = { store: sqliteStore({ path: '.weft/weft.sqlite' }), maxConcurrentTasks: 8, leaseDuration: '30 s' }
 * const engine = createEngine(config)
 * ```
 */
export interface EngineConfig {
  /**
   * Where runs and step results are recorded.
   * @defaultValue a SQLite file `.weft/weft.sqlite` in the working directory (`sqliteStore()`)
   */
  readonly store?: WorkflowStore
  /**
   * The container the engine's child container is created from; workflow
   * classes, adapters and policies are resolved from that child.
   * @defaultValue tsyringe's root container
   */
  readonly container?: DependencyContainer
  /**
   * How workflow instances and their dependencies are resolved, instead of a
   * tsyringe child container (not with `container`): a `TsyringeResolver`
   * over a container used as it is, or another container's implementation
   * of the port (NestJS's module passes Nest's).
   * @defaultValue `new TsyringeResolver(container.createChildContainer())`
   */
  readonly resolver?: WorkflowResolver
  /**
   * Adapters to register in the engine's container, before any workflow is
   * checked: an adapter alone is registered under its class, `{ token, adapter }`
   * under the token. The engine reports their health and closes them on `close()`.
   */
  readonly adapters?: readonly AdapterRegistration[]
  /**
   * Where rate limits and circuit breakers keep their state: tasks' `@RateLimit`
   * and `@CircuitBreaker`, and every registered adapter that was not given
   * state of its own. Give a shared one (`redisPolicyState` from
   * `weft-sdk/redis`, `postgresPolicyState` from `weft-sdk/postgres`) for
   * limits and breakers that hold across worker processes; the engine closes
   * it on `close()`. @defaultValue in memory, per process
   */
  readonly policyState?: PolicyStateStore
  /**
   * Tracing of runs and task attempts (`weftTracing` of `weft-sdk/otel` for
   * OpenTelemetry): each run created is recorded with the trace context it
   * returns, so a worker that resumes the run continues the same trace; it
   * listens to the engine's events while it follows a run.
   * @defaultValue none: runs are not traced
   */
  readonly tracing?: RunTracing
  /**
   * Security: the authorizer (deny by default once given), and optionally an
   * authenticator for credentials, per-principal limits and an audit sink.
   * Every operation then goes through one path: authenticate → authorize →
   * limit → execute → audit. @defaultValue none: operations are not checked
   */
  readonly security?: SecurityConfig
  /**
   * Live metrics of this engine: `true` (or options) keeps a
   * `LiveMetrics` monitor of its events, read with `engine.metrics()`.
   * Off by default: a listener makes the engine build every event.
   * @defaultValue false
   */
  readonly metrics?: boolean | LiveMetricsOptions
  /**
   * Alert rules on the live metrics and the store's backlog, evaluated every
   * `interval` and at once when a breaker opens, a run or an outbox entry is
   * dead-lettered or a failure is escalated; alerts are emitted as
   * `alert.fired` / `alert.resolved` events, delivered to `sinks`, and
   * listed by `engine.alerts()`. Alerts need live metrics: given without
   * `metrics`, they turn it on (default options); with `metrics: false`
   * they are refused (`InvalidAlertError`).
   * @defaultValue none
   */
  readonly alerts?: AlertsConfig
  /** Workflows to register at once (runs of them left unfinished by a previous process are resumed). */
  readonly workflows?: readonly AnyWorkflow[]
  /** Tasks running at once across every run of the engine. @defaultValue `Infinity` */
  readonly maxConcurrentTasks?: number
  /** Tasks of one run running at once. @defaultValue `Infinity` */
  readonly maxConcurrentTasksPerRun?: number
  /**
   * The Effect `Clock` policies, sleeps and event timeouts use; pass a
   * `TestClock` to drive time in tests. @defaultValue the system clock
   */
  readonly clock?: Clock.Clock
  /** Called when an event listener throws. @defaultValue logs to `console.error` */
  readonly onListenerError?: ListenerErrorHandler
  /** Called when background work (claiming, lease renewal) fails, e.g. the database is down. @defaultValue logs to `console.error` */
  readonly onBackgroundError?: (error: unknown) => void
  /**
   * Called when this engine takes over a run left unfinished (its process was
   * killed, lost its lease, or released it on shutdown) and continues it from
   * its checkpoints; the run's events include `run.recovered` too. Pass a
   * function that does nothing to silence it.
   * @defaultValue logs one line to `console.warn`
   */
  readonly onRunRecovered?: (run: RunRecovered) => void
  /** Whether this engine claims runs it did not start: unfinished runs of a crashed process, runs started by clients. @defaultValue `true` */
  readonly claimRuns?: boolean
  /** How long a claimed run's lease lasts without renewal. @defaultValue `'30 s'` */
  readonly leaseDuration?: Duration
  /** How often leases are renewed; shorter than `leaseDuration`. @defaultValue a third of `leaseDuration` */
  readonly heartbeatInterval?: Duration
  /** How often the store is asked for runs to claim (the store's notifications also wake it). @defaultValue `'1 s'` */
  readonly claimInterval?: Duration
  /** Crashes tolerated while a run executes; one more and the run is dead-lettered. @defaultValue `5` */
  readonly maxRecoveryAttempts?: number
  /** How often waiting tasks and remote result handles look at the store when it cannot notify. @defaultValue `'250 ms'` */
  readonly pollInterval?: Duration
  /** This worker's id in leases. @defaultValue `<host>/<pid>/<random>` */
  readonly workerId?: string
  /** The durable outbox's deliverer: attempts and backoff per entry, poll interval (see `OutboxOptions`). */
  readonly outbox?: OutboxOptions
}

/**
 * The engine's settings with defaults filled in and durations in milliseconds.
 *
 * @example
 * ```ts
 * import { engineSettings } from 'weft-sdk'
 * const settings = engineSettings({ leaseDuration: '1 m' })
 * console.log(settings.leaseMs, settings.heartbeatMs) // 60000 20000
 * ```
 */
export interface EngineSettings {
  /** Tasks running at once across every run of the engine (`Infinity` when not given). */
  readonly maxConcurrentTasks: number
  /** Tasks of one run running at once (`Infinity` when not given). */
  readonly maxConcurrentTasksPerRun: number
  /** Whether the engine claims runs it did not start (`true` when not given). */
  readonly claimRuns: boolean
  /** How long a claimed run's lease lasts without renewal, in milliseconds (30 000 when not given). */
  readonly leaseMs: number
  /** How often leases are renewed, in milliseconds; less than `leaseMs` (a third of it when not given). */
  readonly heartbeatMs: number
  /** How often the store is asked for runs to claim, in milliseconds (1000 when not given). */
  readonly claimIntervalMs: number
  /** Crashes tolerated while a run executes; one more and the run is dead-lettered (5 when not given). */
  readonly maxRecoveryAttempts: number
  /** How often waiting tasks and remote handles look at the store when it cannot notify, in milliseconds (250 when not given). */
  readonly pollMs: number
}

function positiveLimit(name: string, value: number | undefined): number {
  if (value === undefined) return Infinity
  if (value === Infinity || (Number.isInteger(value) && value >= 1)) return value
  throw new InvalidOptionsError(`${name} must be an integer ≥ 1 or Infinity, got ${String(value)}`)
}

function positiveMillis(name: string, value: Duration | undefined, fallback: number): number {
  const ms = value === undefined ? fallback : toMillis(value, name)
  if (ms <= 0) throw new InvalidOptionsError(`${name} must be longer than 0 ms, got ${String(value)}`)
  return ms
}

/**
 * Validates an engine configuration and fills in defaults.
 *
 * @example
 * ```ts
 * import { engineSettings } from 'weft-sdk'
 * const settings = engineSettings({ leaseDuration: '1 m' })
 * settings.heartbeatMs // 20000: a third of the lease
 * ```
 * @throws `InvalidOptionsError`, e.g. when `heartbeatInterval` is not shorter than `leaseDuration`.
 */
export function engineSettings(config: EngineConfig): EngineSettings {
  const leaseMs = positiveMillis('leaseDuration', config.leaseDuration, 30_000)
  const heartbeatMs = positiveMillis('heartbeatInterval', config.heartbeatInterval, Math.max(1, Math.floor(leaseMs / 3)))
  if (heartbeatMs >= leaseMs && config.heartbeatInterval === undefined) {
    throw new InvalidOptionsError(`leaseDuration (${leaseMs} ms) is too short to be renewed: heartbeats come every third of it, at least 1 ms apart; make it at least 2 ms`)
  }
  if (heartbeatMs >= leaseMs) {
    throw new InvalidOptionsError(
      `heartbeatInterval (${heartbeatMs} ms) must be shorter than leaseDuration (${leaseMs} ms), or leases expire between renewals`,
    )
  }
  const maxRecoveryAttempts = config.maxRecoveryAttempts ?? 5
  if (!Number.isInteger(maxRecoveryAttempts) || maxRecoveryAttempts < 0) {
    throw new InvalidOptionsError(`maxRecoveryAttempts must be an integer ≥ 0, got ${String(maxRecoveryAttempts)}`)
  }
  return {
    maxConcurrentTasks: positiveLimit('maxConcurrentTasks', config.maxConcurrentTasks),
    maxConcurrentTasksPerRun: positiveLimit('maxConcurrentTasksPerRun', config.maxConcurrentTasksPerRun),
    claimRuns: config.claimRuns ?? true,
    leaseMs,
    heartbeatMs,
    claimIntervalMs: positiveMillis('claimInterval', config.claimInterval, 1_000),
    maxRecoveryAttempts,
    pollMs: positiveMillis('pollInterval', config.pollInterval, 250),
  }
}

/**
 * The configuration with live metrics on when it has alerts (which read
 * them) and says nothing of metrics.
 *
 * @example
 * ```ts
 * import { withAlertMetrics } from 'weft-sdk'
 * withAlertMetrics({ alerts: { rules: [] } }).metrics // true
 * ```
 * @throws `InvalidAlertError` for alerts with `metrics: false`.
 */
export function withAlertMetrics(config: EngineConfig): EngineConfig {
  if (config.alerts === undefined || (config.metrics !== undefined && config.metrics !== false)) return config
  if (config.metrics === false) throw new InvalidAlertError('alerts', 'metrics', 'alerts read the live metrics, and this engine has metrics: false: remove it (alerts turn metrics on) or give metrics: true')
  return { ...config, metrics: true }
}
