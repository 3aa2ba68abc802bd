import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqliteStore } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'
import { main as sequentialPipeline } from '../../examples/01-sequential-pipeline/main.js'
import { main as parallelImages } from '../../examples/02-parallel-images/main.js'
import { main as qualityBranch } from '../../examples/03-quality-branch/main.js'
import { main as userInteractions } from '../../examples/04-user-interactions/main.js'
import { main as batchLoop } from '../../examples/05-batch-loop/main.js'
import { main as retryCircuitBreaker } from '../../examples/06-retry-circuit-breaker/main.js'
import { main as comprehensive } from '../../examples/07-comprehensive/main.js'
import { main as defineWorkflowResearch } from '../../examples/08-define-workflow/main.js'
import { main as decoratedResearch } from '../../examples/09-research-decorators/main.js'
import { main as integrations } from '../../examples/10-integrations/main.js'
import { main as secureWorkflows } from '../../examples/11-secure-workflows/main.js'
import { main as nestjs } from '../../examples/12-nestjs/main.js'
import { challengeRuns, main as performanceAnalysis } from '../../examples/13-performance-analysis/main.js'
import { describeAmqp, sharedBroker } from '../support/rabbitmq.js'

/** Each example must stay quick: it is run by this suite and by `npm start`. */
const budgetMs = 2_000

interface Played<S> {
  readonly summary: S
  readonly lines: string[]
  readonly elapsedMs: number
}

// Each example runs on its own SQLite file, as `npm start` runs on the default one.
const folder = mkdtempSync(join(tmpdir(), 'weft-examples-'))
let stores = 0
afterAll(() => rmSync(folder, { recursive: true, force: true }))

async function play<S>(main: (log: (line: string) => void, store: WorkflowStore) => Promise<S>): Promise<Played<S>> {
  const lines: string[] = []
  const startedAt = performance.now()
  const summary = await main((line) => lines.push(line), sqliteStore({ path: join(folder, `example-${stores++}.sqlite`) }))
  return { summary, lines, elapsedMs: performance.now() - startedAt }
}

describe('01-sequential-pipeline', () => {
  let played: Played<Awaited<ReturnType<typeof sequentialPipeline>>>
  beforeAll(async () => {
    played = await play(sequentialPipeline)
  })

  it('runs validate, transform and store one after the other', () => {
    expect(played.summary.completionOrder).toEqual(['validate', 'transform', 'store'])
  })

  it('drops the implausible reading and converts the others', () => {
    expect(played.summary.rejectedSensors).toEqual(['t-3'])
    expect(played.summary.rows).toEqual([
      { sensor: 't-1', fahrenheit: 71 },
      { sensor: 't-2', fahrenheit: 66 },
      { sensor: 't-4', fahrenheit: 77 },
    ])
  })

  it('stores every converted row under the task idempotency key', () => {
    expect(played.summary.receipt).toMatchObject({ storedRows: 3, location: 'warehouse://greenhouse-7' })
    expect(played.summary.receipt.idempotencyKey).toMatch(/^.+:store$/)
  })

  it('rejects an invalid input with every bad path', () => {
    expect(played.summary.invalidInput.code).toBe('WEFT_INVALID_INPUT')
    expect(played.summary.invalidInput.paths).toEqual(expect.arrayContaining(['source', 'readings[0].celsius']))
  })

  it('finishes within its time budget', () => {
    expect(played.elapsedMs).toBeLessThan(budgetMs)
  })
})

describe('02-parallel-images', () => {
  let played: Played<Awaited<ReturnType<typeof parallelImages>>>
  beforeAll(async () => {
    played = await play(parallelImages)
  })

  it('starts resize, compress and watermark before any of them completes', () => {
    expect(played.summary.timeline.slice(0, 3).sort()).toEqual(['started:compress', 'started:resize', 'started:watermark'])
    expect(played.summary.peakConcurrency).toBe(3)
  })

  it('starts the join task only after the three branches completed', () => {
    const at = (entry: string) => played.summary.timeline.indexOf(entry)
    const joinStart = at('started:publish')
    for (const branch of ['resize', 'compress', 'watermark']) expect(at(`completed:${branch}`)).toBeLessThan(joinStart)
  })

  it('joins the typed outputs of the three branches', () => {
    expect(played.summary.gallery).toEqual({
      albumId: 'summer-2024',
      images: 12,
      format: 'thumbnail',
      compressionRatio: 0.7,
      watermark: 'company-logo',
    })
  })

  it('prints the graph as Mermaid', () => {
    expect(played.lines[0]).toContain('flowchart TD')
  })

  it('finishes within its time budget', () => {
    expect(played.elapsedMs).toBeLessThan(budgetMs)
  })
})

describe('03-quality-branch', () => {
  let played: Played<Awaited<ReturnType<typeof qualityBranch>>>
  beforeAll(async () => {
    played = await play(qualityBranch)
  })

  it('takes the premium branch above the threshold and skips the standard one', () => {
    expect(played.summary.highQuality.delivery).toEqual({ datasetId: 'survey-a', branch: 'premium', result: 'high_quality_output(0.93)' })
    expect(played.summary.highQuality.skipped).toEqual(['standard'])
  })

  it('takes the standard branch below the threshold and skips the premium one', () => {
    expect(played.summary.lowQuality.delivery).toEqual({ datasetId: 'survey-b', branch: 'standard', result: 'standard_output(0.42)' })
    expect(played.summary.lowQuality.skipped).toEqual(['premium'])
  })

  it('finishes within its time budget', () => {
    expect(played.elapsedMs).toBeLessThan(budgetMs)
  })
})

describe('04-user-interactions', () => {
  let played: Played<Awaited<ReturnType<typeof userInteractions>>>
  beforeAll(async () => {
    played = await play(userInteractions)
  })

  it('processes the actions in order and stops at the purchase', () => {
    const actions = played.summary.shoppingSession.actions.map((action) => action.action)
    expect(actions).toEqual(['click_processed', 'unknown_action', 'click_processed', 'purchase_processed'])
    expect(played.summary.shoppingSession.purchase).toEqual({ userId: 'u-17', orderId: 'o-1001', amount: 59.9 })
    expect(played.summary.shoppingSession.timedOut).toBe(false)
  })

  it('takes only the payment confirmation that matches the order', () => {
    expect(played.summary.confirmation).toEqual({ orderId: 'o-1001', confirmationId: 'pay-7731' })
  })

  it('starts one receipt run from the purchase-completed event', () => {
    expect(played.summary.receiptRuns).toBe(1)
    expect(played.summary.receipt).toBe('receipt for o-1001 (59.90 EUR) sent to u-17')
  })

  it('ends an idle session by its stream timeout and skips the payment wait', () => {
    expect(played.summary.idleSession).toMatchObject({ timedOut: true, purchase: undefined, confirmPaymentStatus: 'skipped' })
    expect(played.summary.idleSession.actions).toHaveLength(1)
  })

  it('finishes within its time budget', () => {
    expect(played.elapsedMs).toBeLessThan(budgetMs)
  })
})

describe('05-batch-loop', () => {
  let played: Played<Awaited<ReturnType<typeof batchLoop>>>
  beforeAll(async () => {
    played = await play(batchLoop)
  })

  it('processes 1000 items in 10 batches of 100', () => {
    const { fits } = played.summary
    expect(fits.iterations).toBe(10)
    expect(fits.maxIterationsReached).toBe(false)
    expect(fits.iterationResults.map((state) => state.processedItems)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000])
    expect(fits.finalState.remainingItems).toBe(0)
  })

  it('gives each iteration its own idempotency key', () => {
    const keys = played.summary.fits.iterationResults.map((state) => state.lastBatchKey)
    expect(new Set(keys).size).toBe(10)
    expect(played.summary.fits.finalState.lastBatchKey).toMatch(/:processBatch#9$/)
  })

  it('reports the loop result through a typed dependent task', () => {
    expect(played.summary.fitsReport).toEqual({ batches: 10, processedItems: 1000, remainingItems: 0, complete: true, stoppedAtCap: false })
  })

  it('stops at maxIterations and says so when the work does not fit', () => {
    expect(played.summary.tooLarge).toEqual({ batches: 50, processedItems: 5000, remainingItems: 5000, complete: false, stoppedAtCap: true })
  })

  it('finishes within its time budget', () => {
    expect(played.elapsedMs).toBeLessThan(budgetMs)
  })
})

describe('06-retry-circuit-breaker', () => {
  let played: Played<Awaited<ReturnType<typeof retryCircuitBreaker>>>
  beforeAll(async () => {
    played = await play(retryCircuitBreaker)
  })

  it('retries a failure and a hung call cut by the timeout, then succeeds', () => {
    expect(played.summary.transient).toMatchObject({ status: 'completed', attempts: 3, serviceCalls: 3, errorCode: undefined })
    expect(played.summary.transient.retriedErrors).toEqual(['Error', 'WEFT_TASK_TIMEOUT'])
  })

  it('opens the breaker after three consecutive failures and fails the run with CircuitOpenError', () => {
    expect(played.summary.outage).toMatchObject({ status: 'failed', serviceCalls: 3, errorCode: 'WEFT_CIRCUIT_OPEN' })
  })

  it('rejects calls while open without reaching the service', () => {
    expect(played.summary.whileOpen).toMatchObject({ status: 'failed', serviceCalls: 0, errorCode: 'WEFT_CIRCUIT_OPEN', retriedErrors: [] })
  })

  it('closes the breaker after a successful probe once halfOpenAfter has passed', () => {
    expect(played.summary.afterCooldown).toMatchObject({ status: 'completed', attempts: 1, serviceCalls: 1 })
    expect(played.summary.breakerTransitions).toEqual(['breaker.opened', 'breaker.half-open', 'breaker.closed'])
  })

  it('finishes within its time budget', () => {
    expect(played.elapsedMs).toBeLessThan(budgetMs)
  })
})

describe('07-comprehensive', () => {
  let played: Played<Awaited<ReturnType<typeof comprehensive>>>
  const task = (name: string) => played.summary.tasks.find((t) => t.task === name)
  beforeAll(async () => {
    played = await play(comprehensive)
  })

  it('completes the run although publish failed, because the failure is handled', () => {
    expect(played.summary.status).toBe('completed')
    expect(task('publish')).toMatchObject({ status: 'failed', attempts: 2 })
  })

  it('retries the store after the transient deadlock', () => {
    expect(task('store')).toMatchObject({ status: 'completed', attempts: 2 })
    expect(played.summary.rejectedReadings).toEqual(['r3', 'r7'])
  })

  it('takes the premium branch and skips the standard one', () => {
    expect(played.summary.enrichment.tier).toBe('premium')
    expect(task('standardEnrichment')?.status).toBe('skipped')
  })

  it('resizes every image with at most two at once', () => {
    expect(played.summary.thumbnails).toEqual(['north.thumb.jpg', 'south.thumb.jpg', 'east.thumb.jpg', 'west.thumb.jpg', 'roof.thumb.jpg'])
    expect(played.summary.peakResizeConcurrency).toBe(2)
  })

  it('indexes the six valid rows in three batches', () => {
    expect(played.summary.indexedBatches).toBe(3)
  })

  it('receives the approval event sent to the run', () => {
    expect(played.summary.approval).toEqual({ datasetId: 'greenhouse-2024-06', approvedBy: 'data-steward@example.com' })
  })

  it('compensates the failed publish by removing every uploaded file', () => {
    expect(played.summary.rollback.removedFiles).toBe(6)
    expect(played.summary.rollback.reason).toBe('publish failed after 2 attempts: CDN cache purge failed (502 Bad Gateway)')
    expect(played.summary.filesLeftOnCdn).toBe(0)
  })

  it('runs the cleanup task', () => {
    expect(played.summary.cleanup).toBe('released 1 table lock(s) of greenhouse-2024-06')
    expect(task('releaseWorkspace')?.status).toBe('completed')
  })

  it('prints live progress, including retries, and a summary table', () => {
    expect(played.lines.some((line) => /▶ store\s+started/.test(line))).toBe(true)
    expect(played.lines.some((line) => /↻ store\s+attempt 1 failed/.test(line))).toBe(true)
    expect(played.lines.some((line) => /✗ publish\s+failed after 2 attempts, handled/.test(line))).toBe(true)
    expect(played.lines).toContainEqual(expect.stringMatching(/^task\s+status\s+attempts\s+duration$/))
    expect(played.lines).toContainEqual(expect.stringMatching(/^store\s+completed\s+2\s+\S+ ms$/))
    expect(played.lines.at(-2)).toMatch(/^run completed in .+: 13 completed, 1 failed \(handled\), 1 skipped$/)
    expect(played.lines.at(-1)).toMatch(/^every step is recorded in the store: npx weft runs show [0-9a-z]{24}$/)
  })

  it('finishes within its time budget', () => {
    expect(played.elapsedMs).toBeLessThan(budgetMs)
  })
})

describe('08-define-workflow', () => {
  let played: Played<Awaited<ReturnType<typeof defineWorkflowResearch>>>
  beforeAll(async () => {
    played = await play(defineWorkflowResearch)
  })

  it('plans, researches every sub-question, refines and publishes once approved', () => {
    expect(played.summary.published).toMatchObject({ sections: 4, editor: 'ada' })
    expect(played.summary.published.refinements).toBeGreaterThan(0)
  })

  it('dives deeper into the low-confidence findings (the conditional task ran)', () => {
    expect(played.summary.published.followUps.length).toBeGreaterThan(0)
  })

  it('retries the one failing item alone: four sub-questions cost five model calls', () => {
    expect(played.summary.modelCalls).toBe(5)
  })

  it('refuses the malformed decision sent to the run, ignores it broadcast, and takes the real one', () => {
    expect(played.lines).toContain('editor: a malformed decision was refused when sent (WEFT_INVALID_EVENT_PAYLOAD)')
    expect(played.summary.malformedIgnored).toBe(true)
  })

  it('runs the cleanup whatever happened', () => {
    expect(played.summary.cleaned).toEqual(['durable agents'])
  })

  it(`finishes within ${budgetMs} ms`, () => {
    expect(played.elapsedMs).toBeLessThan(budgetMs)
  })
})

describe('09-research-decorators', () => {
  let decorated: Played<Awaited<ReturnType<typeof decoratedResearch>>>
  let defined: Played<Awaited<ReturnType<typeof defineWorkflowResearch>>>
  beforeAll(async () => {
    decorated = await play(decoratedResearch)
    defined = await play(defineWorkflowResearch)
  })

  it('reports what its defineWorkflow twin (example 08) reports: the two styles build the same workflow', () => {
    expect(decorated.summary).toEqual(defined.summary)
    expect(decorated.summary.published).toMatchObject({ sections: 4, editor: 'ada' })
  })

  it('gets its model and cleanup log by constructor injection: the injected model was called, the cleanup recorded', () => {
    expect(decorated.summary.modelCalls).toBe(5)
    expect(decorated.summary.cleaned).toEqual(['durable agents'])
  })

  it('prints the same lines as its twin', () => {
    expect(decorated.lines).toEqual(defined.lines)
  })

  it(`finishes within ${budgetMs} ms`, () => {
    expect(decorated.elapsedMs).toBeLessThan(budgetMs)
  })
})

/**
 * Example 10 starts two local servers, opens a SQLite file and a broker connection, and without a broker its
 * `checkBroker` task waits out the AMQP adapter's 1 s health timeout: 2 s would leave too little room on a
 * loaded 2-core machine.
 */
const integrationsBudgetMs = 5_000

describe('10-integrations', () => {
  // Nothing listens on port 1: the connection is refused, as on a machine without RabbitMQ.
  const noBroker = { AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' }
  let played: Played<Awaited<ReturnType<typeof integrations>>>
  beforeAll(async () => {
    played = await play((log, store) => integrations(log, store, noBroker))
  })

  it('fetches the products over HTTP, the first request answered 503 and retried by the adapter', () => {
    expect(played.summary.status).toBe('completed')
    expect(played.summary.catalog).toEqual({ itemsFetched: 5, requests: 2, adapterCalls: 1 })
  })

  it('asks the local stand-in model (and says so), decodes its structured output, and records its usage with the step', () => {
    const { llm } = played.summary
    expect(llm).toMatchObject({ source: 'local stand-in', model: 'weft-local-rules', decisions: { restock: 2, discount: 1, keep: 2 } })
    expect(llm.usage.totalTokens).toBe(llm.usage.promptTokens + llm.usage.completionTokens)
    expect(llm.usage.totalTokens).toBeGreaterThan(0)
    expect(llm.recordedTokens).toBe(llm.usage.totalTokens)
    expect(played.lines.some((line) => line.includes('local stand-in (rules, not a language model)'))).toBe(true)
  })

  it('writes one row per decision to SQL', () => {
    expect(played.summary.sql).toEqual({ rowsWritten: 5, rowsInTable: 5 })
  })

  it('stores the report with its SHA-256, verified when read back', () => {
    const { report } = played.summary
    expect(report.key).toMatch(/^restock\/tea\/[0-9a-z]{24}\.json$/)
    expect(report.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(report.bytes).toBeGreaterThan(0)
    expect(report.verified).toBe(true)
  })

  it('skips the notification when no broker answers, with the reason', () => {
    expect(played.summary.amqp).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^no broker answered: .+/) })
    expect(played.lines).toContainEqual(expect.stringMatching(/^– notify skipped/))
    expect(played.summary.health).toEqual({ catalog: 'up', llm: 'up', 'warehouse-db': 'up', reports: 'up', notifications: 'down' })
  })

  it(`finishes within ${integrationsBudgetMs} ms`, () => {
    expect(played.elapsedMs).toBeLessThan(integrationsBudgetMs)
  })
})

const broker = await sharedBroker()

describeAmqp('10-integrations with a RabbitMQ broker', broker, (url) => {
  let played: Played<Awaited<ReturnType<typeof integrations>>>
  beforeAll(async () => {
    played = await play((log, store) => integrations(log, store, { AMQP_URL: url }))
  }, 20_000)
  afterAll(() => ('skip' in broker ? undefined : broker.stop()))

  it('publishes the notification with a confirm, and a subscriber receives it under the same message id', () => {
    const { amqp } = played.summary
    expect(amqp).toMatchObject({ status: 'published', exchange: 'weft.examples.restock', routingKey: 'restock.tea' })
    if (amqp.status !== 'published') return
    expect(amqp.messageId).toMatch(/:notify:notifications:1$/)
    expect(amqp.receivedMessageId).toBe(amqp.messageId)
    expect(played.summary.health['notifications']).toBe('up')
  })

  it(`finishes within ${integrationsBudgetMs} ms`, () => {
    expect(played.elapsedMs).toBeLessThan(integrationsBudgetMs)
  })
})

describe('11-secure-workflows', () => {
  let summary: Awaited<ReturnType<typeof secureWorkflows>>
  let lines: string[]
  let elapsedMs: number
  beforeAll(async () => {
    lines = []
    const startedAt = performance.now()
    // Its own encrypted SQLite file: the example makes its keys and its store.
    summary = await secureWorkflows((line) => lines.push(line))
    elapsedMs = performance.now() - startedAt
  })

  it('rejects an invalid user, a forged token and a logged-out session; authorizes a clerk and an admin', () => {
    expect(summary.outcomes).toEqual({
      'an invalid user logs in': 'refused: WEFT_UNAUTHENTICATED',
      'a forged token starts a payout': 'refused: WEFT_UNAUTHENTICATED',
      'ada (clerk) starts a payout': 'sent 250 to DE89 3704 0044 0532 0130 00',
      "bob (clerk, another tenant) opens ada's run to cancel it": 'refused: WEFT_FORBIDDEN',
      "root (admin) opens ada's run": 'completed',
      'ada starts a second payout': 'started',
      'ada starts a third payout within the minute': 'refused: WEFT_RATE_LIMITED (next permit in 30 s)',
      'root (admin) lists every run': '2 runs',
      'ada logs out, then uses her old token': 'refused: WEFT_UNAUTHENTICATED',
    })
  })

  it('audits every decision of the secure path, the logins and the sessions, and the log verifies against its signed checkpoints', () => {
    // Each writer's chain is in order; chains interleave by time.
    const written = (writer: string) => summary.audit.filter((line) => line.startsWith(`${writer}: `)).map((line) => line.slice(writer.length + 2))
    expect(written('users')).toEqual([
      'user.saved succeeded user:root',
      'user.saved succeeded user:ada',
      'user.saved succeeded user:bob',
      'auth.succeeded succeeded user:root',
      'auth.succeeded succeeded user:ada',
      'auth.succeeded succeeded user:bob',
      'auth.failed denied -',
    ])
    expect(written('sessions')).toEqual(['session.created succeeded user:root', 'session.created succeeded user:ada', 'session.created succeeded user:bob', 'session.revoked succeeded user:ada'])
    expect(written('engine')).toEqual([
      'policy.changed succeeded -',
      'auth.failed denied -',
      'auth.succeeded succeeded user:ada',
      'run.start succeeded user:ada',
      'run.read denied user:bob',
      'auth.succeeded succeeded user:root',
      'run.start succeeded user:ada',
      'run.start denied user:ada',
      'auth.failed denied -',
    ])
    expect(summary.auditVerified).toBe(true)
  })

  it('keeps the payout inputs encrypted at rest and never prints a token or password', () => {
    expect(summary.inputEncrypted).toBe(true)
    expect(lines.join('\n')).not.toMatch(/password-long-enough|eyJ/)
  })

  it(`finishes within ${budgetMs} ms`, () => {
    expect(elapsedMs).toBeLessThan(budgetMs)
  })
})

describe('12-nestjs', () => {
  let played: Played<Awaited<ReturnType<typeof nestjs>>>
  beforeAll(async () => {
    played = await play(nestjs)
  })

  it('starts an order over HTTP and returns its run id', () => {
    expect(played.summary.runId).toBe('order-o-1001')
  })

  it('reads the run waiting for its approval once the injected Inventory service reserved the order', () => {
    expect(played.summary.beforeApproval.status).toBe('running')
    expect(played.summary.beforeApproval.tasks.map(({ task, status }) => `${task} ${status}`)).toEqual(['reserve completed', 'approval running', 'charge pending', 'ship pending'])
  })

  it('completes the run after the approval event, charging once through the payments adapter', () => {
    expect(played.summary.completed).toMatchObject({ status: 'completed', outputs: { ship: 'shipped, 50 charged as ch-1, approved by ada' } })
    expect(played.summary.charges).toBe(1)
  })

  it("answers a reused order id with another input 409 and an unknown run 404 (WeftExceptionFilter)", () => {
    expect(played.summary.refused).toEqual({ conflict: 409, unknown: 404 })
  })

  it('finishes within its time budget', () => {
    expect(played.elapsedMs).toBeLessThan(budgetMs)
  })
})

describe('13-performance-analysis', () => {
  let played: Played<Awaited<ReturnType<typeof performanceAnalysis>>>
  beforeAll(async () => {
    played = await play(performanceAnalysis)
  })

  it('analyzes every recorded run of the challenge', () => {
    expect(played.summary.runs).toBe(challengeRuns)
    expect(played.summary.criticalPath).toEqual(['slow_task', 'memory_heavy', 'unreliable', 'variable', 'normal'])
  })

  it('flags the slow, unreliable and high-variance tasks, and nothing for the normal one', () => {
    const { flagged } = played.summary
    expect(flagged.slow_task).toContain('slow')
    expect(flagged.unreliable).toContain('unreliable')
    expect(flagged.variable).toContain('high-variance')
    expect(flagged.normal).toEqual([])
  })

  it("shows that the exercise's own variance rule (p95 > 3 × mean) flags neither the variable nor the unreliable task", () => {
    expect(played.summary.referenceVarianceRule).not.toContain('variable')
    expect(played.summary.referenceVarianceRule).not.toContain('unreliable')
  })

  it('prints the report with a saving estimated for each suggestion', () => {
    expect(played.lines[0]).toBe(`workflow optimization-challenge@1: ${challengeRuns} runs analyzed (${challengeRuns} completed, 0 not)`)
    expect(played.summary.suggestions).toContain('speed-up')
    expect(played.lines.filter((line) => /^ {5}saves ~\d/.test(line))).toHaveLength(played.summary.suggestions.length)
  })
})
