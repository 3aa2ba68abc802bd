/**
 * Example 06: retry, timeout and a circuit breaker in front of a flaky dependency.
 *
 * Shows:
 * - constructor injection: `ReserveStock` takes an `InventoryService` in its
 *   constructor; `engine.container.register(InventoryService, { useValue })`
 *   decides which instance every run gets (a test double here);
 * - `@Retry` (exponential backoff, here without jitter so the output is
 *   stable), `@Timeout` (a hanging call is aborted through `ctx.signal` and
 *   retried) and `@CircuitBreaker` stacked on one task;
 * - the breaker opening after 3 consecutive failures, failing the next calls
 *   fast with `CircuitOpenError` (which is not retried, and never reaches the
 *   service), then letting one probe through after `halfOpenAfter` and closing
 *   again, followed through `engine.on('breaker.opened' | 'breaker.half-open' |
 *   'breaker.closed', ...)` and `task.retrying` events.
 *
 * Ported from the resilience ideas of the reference (retry with backoff,
 * per-task timeouts, circuit breaking), applied to the pattern handlers of section 1.3.
 *
 * Run it: `npm run build && npm run build:examples && node examples/dist/06-retry-circuit-breaker/main.js`.
 */
import 'reflect-metadata'
import { setTimeout as delay } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { CircuitBreaker, Retry, Task, Timeout, Workflow, WorkflowBase, createEngine, isWeftError, type BreakerTransitioned, type Engine, type RunOutcome, type TaskContext, sqliteStore } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'

/** The run input: what to reserve. */
export interface StockRequest {
  readonly sku: string
  readonly quantity: number
}

/** What the inventory service returns. */
export interface Reservation {
  readonly reservationId: string
  readonly sku: string
  readonly quantity: number
}

/** How the fake service answers one call: succeed, throw, or hang until aborted. */
export type CallBehaviour = 'ok' | 'fail' | 'hang'

/**
 * A stand-in for a remote inventory API whose behaviour the example scripts:
 * a queue of behaviours for the next calls, then `ok` while up or `fail` while down.
 */
export class InventoryService {
  /** Calls that reached the service (calls rejected by an open breaker never do). */
  calls = 0
  private readonly script: CallBehaviour[] = []
  private down = false

  /** The next calls behave like this, in order. */
  plan(...behaviours: CallBehaviour[]): void {
    this.script.push(...behaviours)
  }

  /** Every call fails until {@link recover}. */
  goDown(): void {
    this.down = true
  }

  recover(): void {
    this.down = false
  }

  async reserve(request: StockRequest, signal: AbortSignal): Promise<Reservation> {
    this.calls++
    const behaviour = this.script.shift() ?? (this.down ? 'fail' : 'ok')
    if (behaviour === 'fail') throw new Error('inventory service unavailable (503)')
    if (behaviour === 'hang') await delay(10_000, undefined, { signal })
    return { reservationId: `res-${this.calls}`, sku: request.sku, quantity: request.quantity }
  }
}

@Workflow({ name: 'reserve-stock', version: 1 })
export class ReserveStock extends WorkflowBase<StockRequest> {
  constructor(private readonly inventory: InventoryService) {
    super()
  }

  @Task()
  @Retry({ maxAttempts: 4, backoff: { initial: '2 ms', factor: 2, max: '10 ms', jitter: 'none' } })
  @CircuitBreaker({ name: 'inventory', consecutiveFailures: 3, halfOpenAfter: '100 ms' })
  @Timeout('25 ms')
  reserve(request: StockRequest, ctx: TaskContext<StockRequest>): Promise<Reservation> {
    return this.inventory.reserve(request, ctx.signal)
  }
}

/** How one run went. */
export interface ReservationAttempt {
  readonly status: RunOutcome['status']
  readonly attempts: number
  /** Error codes (or names) of the attempts that were retried, in order. */
  readonly retriedErrors: readonly string[]
  /** The code of the error that failed the task, if it failed. */
  readonly errorCode: string | undefined
  /** Calls that reached the service during this run. */
  readonly serviceCalls: number
}

/** What {@link main} reports. */
export interface ResilienceSummary {
  /** A failure, then a hang cut by the timeout, then success. */
  readonly transient: ReservationAttempt
  /** The service is down: three failures open the breaker, the fourth attempt is rejected. */
  readonly outage: ReservationAttempt
  /** Right after: rejected at once, the service is not called. */
  readonly whileOpen: ReservationAttempt
  /** The service is back and the open period is over: one probe closes the breaker. */
  readonly afterCooldown: ReservationAttempt
  /** `breaker.*` events, in order. */
  readonly breakerTransitions: readonly string[]
}

/** Plays four runs against the scripted service and follows the breaker. */
export async function main(log: (line: string) => void = console.log, store: WorkflowStore = sqliteStore()): Promise<ResilienceSummary> {
  const inventory = new InventoryService()
  const engine = createEngine({ store })
  engine.container.register(InventoryService, { useValue: inventory })
  const breakerTransitions = followBreaker(engine, log)
  try {
    inventory.plan('fail', 'hang')
    const transient = await reserve(engine, inventory, 'transient failures', log)
    inventory.goDown()
    const outage = await reserve(engine, inventory, 'outage', log)
    const whileOpen = await reserve(engine, inventory, 'while open', log)
    inventory.recover()
    await delay(110)
    const afterCooldown = await reserve(engine, inventory, 'after cool-down', log)
    return { transient, outage, whileOpen, afterCooldown, breakerTransitions }
  } finally {
    await engine.close()
  }
}

function followBreaker(engine: Engine, log: (line: string) => void): string[] {
  const transitions: string[] = []
  const record = (event: BreakerTransitioned): void => {
    transitions.push(event.type)
    log(`  ${event.type} (${event.breaker}, was ${event.from})`)
  }
  engine.on('breaker.opened', record)
  engine.on('breaker.half-open', record)
  engine.on('breaker.closed', record)
  return transitions
}

async function reserve(engine: Engine, inventory: InventoryService, label: string, log: (line: string) => void): Promise<ReservationAttempt> {
  const callsBefore = inventory.calls
  const run = await engine.start(ReserveStock, { sku: 'sku-123', quantity: 2 })
  const retriedErrors: string[] = []
  for await (const event of run.events()) {
    if (event.type === 'task.retrying') retriedErrors.push(event.error.code ?? event.error.name)
  }
  const outcome = await run.outcome()
  const task = outcome.tasks.find((t) => t.task === 'reserve')!
  const attempt: ReservationAttempt = {
    status: outcome.status,
    attempts: task.attempts,
    retriedErrors,
    errorCode: errorCodeOf(outcome.error),
    serviceCalls: inventory.calls - callsBefore,
  }
  log(`${label.padEnd(18)} ${attempt.status.padEnd(9)} attempts=${attempt.attempts} service calls=${attempt.serviceCalls} retried=[${retriedErrors.join(', ')}]${attempt.errorCode === undefined ? '' : ` error=${attempt.errorCode}`}`)
  return attempt
}

/** The code of the task error behind a failed run (`RunFailedError.cause`). */
function errorCodeOf(error: Error | undefined): string | undefined {
  if (error === undefined) return undefined
  const cause = error.cause
  if (isWeftError(cause)) return cause.code
  return cause instanceof Error ? cause.message : String(cause)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
