/**
 * Example 04: an event-driven user-interaction processor.
 *
 * Shows the three event patterns:
 * - a stream of events inside a task: `processActions` iterates
 *   `ctx.events('user-action', { timeout })` with `for await` and stops at the
 *   first purchase (or when the session stays idle past its timeout, after
 *   which `stream.timedOut` is true);
 * - a single wait: `confirmPayment` calls `ctx.waitForEvent(...)` with a
 *   `match` so that only the confirmation of its own order is taken;
 * - a workflow started by an event: `SendReceipt` declares
 *   `@Workflow({ trigger: 'purchase-completed' })`, and
 *   `engine.emit('purchase-completed', purchase)` starts a run of it with the
 *   payload as input.
 *
 * Events reach one run with `run.signal(name, payload)`: an event sent before
 * the task waits for it is kept in the run's mailbox, so nothing is lost.
 *
 * Ported from the `user_interaction_processor` handler of the reference
 * (section 1.3), which read an `asyncio.Queue` until an action said `stop_processing`.
 *
 * Run it: `npm run build && npm run build:examples && node examples/dist/04-user-interactions/main.js`.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { Task, When, Workflow, WorkflowBase, createEngine, type Engine, type TaskContext, type WorkflowRun, sqliteStore } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'

/** The run input: whose session this is, and how long it may stay idle. */
export interface Session {
  readonly userId: string
  readonly idleTimeoutMs: number
}

/** What the front end reports. */
export type UserAction =
  | { readonly actionType: 'click'; readonly target: string }
  | { readonly actionType: 'purchase'; readonly orderId: string; readonly amount: number }
  | { readonly actionType: 'scroll' }

/** A purchase, as the receipt workflow takes it. */
export interface Purchase {
  readonly userId: string
  readonly orderId: string
  readonly amount: number
}

/** How one action was handled (the reference's `process_user_action` result). */
export interface ProcessedAction {
  readonly processed: boolean
  readonly action: 'click_processed' | 'purchase_processed' | 'unknown_action'
}

/** What `processActions` produces. */
export interface ActivityReport {
  readonly actions: readonly ProcessedAction[]
  readonly purchase: Purchase | undefined
  readonly timedOut: boolean
}

/** What the payment provider sends once it has captured the money. */
export interface PaymentConfirmation {
  readonly orderId: string
  readonly confirmationId: string
}

@Workflow({ name: 'user-interaction-processor', version: 1 })
export class UserInteractionProcessor extends WorkflowBase<Session> {
  @Task({ description: 'process user actions until a purchase, or until the session is idle' })
  async processActions(session: Session, ctx: TaskContext<Session>): Promise<ActivityReport> {
    const actions: ProcessedAction[] = []
    const stream = ctx.events<UserAction>('user-action', { timeout: session.idleTimeoutMs })
    for await (const action of stream) {
      actions.push(processUserAction(action))
      if (action.actionType === 'purchase') {
        return { actions, purchase: { userId: session.userId, orderId: action.orderId, amount: action.amount }, timedOut: false }
      }
    }
    return { actions, purchase: undefined, timedOut: stream.timedOut }
  }

  @Task({ dependsOn: ['processActions'], description: 'wait for the payment provider to confirm this order' })
  @When((report: ActivityReport) => report.purchase !== undefined)
  async confirmPayment(report: ActivityReport, ctx: TaskContext<Session>): Promise<PaymentConfirmation> {
    const orderId = report.purchase?.orderId
    return ctx.waitForEvent<PaymentConfirmation>('payment-confirmed', { timeout: '1 s', match: (payment) => payment.orderId === orderId })
  }
}

function processUserAction(action: UserAction): ProcessedAction {
  switch (action.actionType) {
    case 'click':
      return { processed: true, action: 'click_processed' }
    case 'purchase':
      return { processed: true, action: 'purchase_processed' }
    default:
      return { processed: false, action: 'unknown_action' }
  }
}

@Workflow({ name: 'send-receipt', version: 1, trigger: 'purchase-completed' })
export class SendReceipt extends WorkflowBase<Purchase> {
  @Task()
  email(purchase: Purchase): string {
    return `receipt for ${purchase.orderId} (${purchase.amount.toFixed(2)} EUR) sent to ${purchase.userId}`
  }
}

/** What {@link main} reports. */
export interface InteractionSummary {
  readonly shoppingSession: ActivityReport
  readonly confirmation: PaymentConfirmation
  /** Runs `engine.emit('purchase-completed', ...)` started, and what the first one sent. */
  readonly receiptRuns: number
  readonly receipt: string
  readonly idleSession: ActivityReport & { readonly confirmPaymentStatus: string }
}

/** Plays a shopping session and an idle session, then starts a receipt run from an event. */
export async function main(log: (line: string) => void = console.log, store: WorkflowStore = sqliteStore()): Promise<InteractionSummary> {
  const engine = createEngine({ store, workflows: [UserInteractionProcessor, SendReceipt] })
  try {
    const shopping = await engine.start(UserInteractionProcessor, { userId: 'u-17', idleTimeoutMs: 1_000 })
    await playShoppingSession(shopping)
    const result = await shopping.result()
    const shoppingSession = result.output('processActions')
    const confirmation = result.output('confirmPayment')
    log(`session u-17: ${shoppingSession.actions.map((a) => a.action).join(', ')}; payment ${confirmation.confirmationId}`)
    const { receiptRuns, receipt } = await emitPurchase(engine, shoppingSession.purchase!)
    log(`'purchase-completed' started ${receiptRuns} run: ${receipt}`)
    const idleSession = await playIdleSession(engine)
    log(`session u-18: ${idleSession.actions.length} action, then idle (timedOut=${idleSession.timedOut}); confirmPayment ${idleSession.confirmPaymentStatus}`)
    return { shoppingSession, confirmation, receiptRuns, receipt, idleSession }
  } finally {
    await engine.close()
  }
}

async function playShoppingSession(run: WorkflowRun<unknown>): Promise<void> {
  run.signal('user-action', { actionType: 'click', target: 'product/42' } satisfies UserAction)
  run.signal('user-action', { actionType: 'scroll' } satisfies UserAction)
  await delay(2)
  run.signal('user-action', { actionType: 'click', target: 'cart' } satisfies UserAction)
  run.signal('user-action', { actionType: 'purchase', orderId: 'o-1001', amount: 59.9 } satisfies UserAction)
  run.signal('user-action', { actionType: 'click', target: 'after-purchase' } satisfies UserAction)
  run.signal('payment-confirmed', { orderId: 'o-0999', confirmationId: 'pay-other' } satisfies PaymentConfirmation)
  await delay(2)
  run.signal('payment-confirmed', { orderId: 'o-1001', confirmationId: 'pay-7731' } satisfies PaymentConfirmation)
}

async function emitPurchase(engine: Engine, purchase: Purchase): Promise<{ receiptRuns: number; receipt: string }> {
  const { started } = await engine.emit('purchase-completed', purchase)
  const [first] = started
  if (first === undefined) throw new Error('no workflow is triggered by purchase-completed')
  // `emit` cannot know which workflow it started, so its runs are untyped.
  const receipt = (await first.result()).outputs['email'] as string
  return { receiptRuns: started.length, receipt }
}

async function playIdleSession(engine: Engine): Promise<InteractionSummary['idleSession']> {
  const run = await engine.start(UserInteractionProcessor, { userId: 'u-18', idleTimeoutMs: 15 })
  run.signal('user-action', { actionType: 'click', target: 'home' } satisfies UserAction)
  const result = await run.result()
  const confirmPaymentStatus = result.tasks.find((task) => task.task === 'confirmPayment')?.status ?? 'missing'
  return { ...result.output('processActions'), confirmPaymentStatus }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
