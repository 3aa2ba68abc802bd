/**
 * Example 10: an agentic workflow that uses every built-in adapter.
 *
 * `RestockAgent` (see `restock-workflow.ts`) reads products from a catalog
 * HTTP API, asks an LLM what to restock (structured output decoded by a
 * `Schema`), writes the decisions to SQL, stores a report in object storage
 * and notifies a RabbitMQ exchange. Each adapter is registered with the
 * engine (`createEngine({ adapters })`), injected into the workflow's
 * constructor, and called through `ctx.use(adapter)` in a task:
 *
 * - HTTP (`HttpAdapter`): a catalog API this program starts on 127.0.0.1,
 *   which answers its first request with 503; the adapter retries it;
 * - LLM (`LlmAdapter`, `weft-sdk/llm`): the server at `OPENAI_BASE_URL`
 *   (with `OPENAI_API_KEY`, `OPENAI_MODEL`) when set; otherwise a LOCAL
 *   STAND-IN this program starts (`local-model.ts`): fixed rules behind the
 *   OpenAI wire format, not a language model. Token usage is recorded with
 *   the run's step either way;
 * - SQL (`SqlAdapter`, `weft-sdk/sql`): a SQLite file in a temp folder,
 *   typed `Kysely<RestockDb>`;
 * - object storage (`FileSystemStorage`, `weft-sdk/object-storage`): the
 *   same temp folder; the SHA-256 recorded on write is verified on read;
 * - AMQP (`AmqpAdapter`, `weft-sdk/amqp`): `AMQP_URL`, else
 *   amqp://guest:guest@127.0.0.1:5672; when no broker answers within a
 *   second the `notify` task is skipped (`@When`) and the program says why.
 *
 * The run itself is kept in the embedded SQLite store, like the other
 * examples'. Everything the program starts is closed and the temp folder
 * removed before it returns.
 *
 * Run it: `npm run build && npm run build:examples && node examples/dist/10-integrations/main.js`.
 */
import 'reflect-metadata'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Redacted } from 'effect'
import { createEngine, formatMillis, HttpAdapter, sqliteStore, type AdapterState, type Engine, type RunId, type RunOutcome, type WorkflowResult } from 'weft-sdk'
import { AmqpAdapter } from 'weft-sdk/amqp'
import { LlmAdapter, type LlmUsage } from 'weft-sdk/llm'
import { FileSystemStorage } from 'weft-sdk/object-storage'
import { SqlAdapter } from 'weft-sdk/sql'
import type { WorkflowStore } from 'weft-sdk/store'
import { startCatalogApi, type CatalogApi as CatalogServer } from './catalog-api.js'
import { localModelName, startLocalModel, type LocalModel } from './local-model.js'
import { CatalogApi, RestockAgent, type BrokerCheck, type Notification, type PlanResult, type RestockDb, type RestockInput } from './restock-workflow.js'
import { notificationExchange, subscribe, type Subscriber } from './subscriber.js'

/** The environment the program reads (`process.env` by default; the examples' test passes its own). */
export type IntegrationsEnv = Readonly<Record<string, string | undefined>>

/** The broker tried when `AMQP_URL` is not set. */
export const defaultAmqpUrl = 'amqp://guest:guest@127.0.0.1:5672'

const input: RestockInput = { category: 'tea', limit: 20 }

/** What {@link main} reports. */
export interface IntegrationsSummary {
  readonly status: RunOutcome['status']
  readonly catalog: {
    /** Products the HTTP adapter fetched and decoded. */
    readonly itemsFetched: number
    /** Requests the catalog API received for them: the 503, then the retry. */
    readonly requests: number
    /** Calls the adapter counted (a retried call counts once). */
    readonly adapterCalls: number
  }
  readonly llm: {
    /** `'local stand-in'` (rules, not a model) or the `OPENAI_BASE_URL` asked. */
    readonly source: string
    readonly model: string
    readonly usage: LlmUsage
    /** Tokens stored with the `plan` step in the run's store (what a per-run budget counts, also after a resume). */
    readonly recordedTokens: number | undefined
    readonly decisions: Readonly<Record<'restock' | 'discount' | 'keep', number>>
    readonly headline: string
  }
  readonly sql: {
    /** Rows the `saveDecisions` transaction inserted or updated. */
    readonly rowsWritten: number
    /** Rows of this run found in the table afterwards. */
    readonly rowsInTable: number
  }
  readonly report: {
    readonly key: string
    readonly bytes: number
    /** The SHA-256 the storage recorded on write. */
    readonly sha256: string
    /** Read back: the storage verified the bytes against it, and their hash here is the same. */
    readonly verified: boolean
  }
  readonly amqp:
    | {
        readonly status: 'published'
        readonly exchange: string
        readonly routingKey: string
        readonly messageId: string
        /** The message id a subscriber bound to the exchange received (`undefined`: none arrived). */
        readonly receivedMessageId: string | undefined
      }
    | { readonly status: 'skipped'; readonly reason: string }
  /** Every adapter's state from `engine.health()` after the run. */
  readonly health: Readonly<Record<string, AdapterState>>
}

/** Everything the program starts, closed in reverse order. */
class Resources {
  private readonly closers: (() => Promise<unknown>)[] = []

  add<T>(value: T, close: (value: T) => Promise<unknown>): T {
    this.closers.push(() => close(value))
    return value
  }

  async closeAll(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) await close().catch(() => undefined)
  }
}

/** Runs the restock agent once against the five systems, printing progress and a summary. */
export async function main(log: (line: string) => void = console.log, store: WorkflowStore = sqliteStore(), env: IntegrationsEnv = process.env): Promise<IntegrationsSummary> {
  const resources = new Resources()
  try {
    const folder = resources.add(await mkdtemp(join(tmpdir(), 'weft-example-10-')), (path) => rm(path, { recursive: true, force: true }))
    const catalogServer = resources.add(await startCatalogApi(), (server) => server.close())
    const localModel = env['OPENAI_BASE_URL'] ? undefined : resources.add(await startLocalModel(), (server) => server.close())
    const amqpUrl = env['AMQP_URL'] ?? defaultAmqpUrl
    const subscriber = await subscribe(amqpUrl, 'restock.#', 1_000)
    if (subscriber !== undefined) resources.add(subscriber, (s) => s.close())

    const adapters = createAdapters(folder, catalogServer, localModel, amqpUrl, env)
    // engine.close() closes the adapters it registered; closing them here too covers a failure before that (close() is idempotent).
    resources.add(adapters, (a) => Promise.all(Object.values(a).map((adapter) => adapter.close())))
    await createTables(adapters.sql)
    const engine = createEngine({
      store,
      adapters: [{ token: CatalogApi, adapter: adapters.catalog }, adapters.llm, adapters.sql, adapters.reports, adapters.broker],
      workflows: [RestockAgent],
    })
    resources.add(engine, (e) => e.close())

    log(`catalog API on ${catalogServer.url}; model: ${localModel ? `local stand-in (rules, not an LLM) on ${localModel.baseUrl}` : env['OPENAI_BASE_URL']}`)
    log(`SQL and reports in ${folder}; broker ${adapters.broker.url}${subscriber ? ' (a subscriber is listening)' : ' (not answering)'}\n`)
    printProgress(engine, log)
    const run = await engine.start(RestockAgent, input)
    const outcome = await run.outcome()
    const result = await run.result()
    const summary = await summarize({ result, outcome, runId: run.id, adapters, catalogServer, localModel, subscriber, engine, store, env })
    printSummary(log, outcome, summary)
    return summary
  } finally {
    await resources.closeAll()
  }
}

/** What {@link summarize} reads. */
interface Finished {
  readonly result: WorkflowResult<typeof RestockAgent>
  readonly outcome: RunOutcome
  readonly runId: RunId
  readonly adapters: Adapters
  readonly catalogServer: CatalogServer
  readonly localModel: LocalModel | undefined
  readonly subscriber: Subscriber | undefined
  readonly engine: Engine
  readonly store: WorkflowStore
  readonly env: IntegrationsEnv
}

/** The run's result, checked against each system: rows counted in SQL, the report read back, the notification received. */
async function summarize(f: Finished): Promise<IntegrationsSummary> {
  const { result, adapters } = f
  return {
    status: f.outcome.status,
    catalog: { itemsFetched: result.items.length, requests: f.catalogServer.itemRequests, adapterCalls: callsOf(adapters.catalog, 'list-items') },
    llm: await llmSummary(result.plan, f.localModel, f.env, f.store, f.runId),
    sql: { rowsWritten: result.saved.rows, rowsInTable: await rowsOf(adapters.sql, f.runId) },
    report: { ...result.report, verified: await verify(adapters.reports, result.report.key, result.report.sha256) },
    amqp: await amqpSummary(result.notification, result.broker, f.subscriber),
    health: Object.fromEntries((await f.engine.health()).adapters.map((adapter) => [adapter.name, adapter.state])),
  }
}

/** The five adapters. */
type Adapters = ReturnType<typeof createAdapters>

/** The five adapters, each with the resilience its system calls for. */
function createAdapters(folder: string, catalog: CatalogServer, localModel: LocalModel | undefined, amqpUrl: string, env: IntegrationsEnv) {
  const apiKey = env['OPENAI_API_KEY']
  return {
    catalog: new HttpAdapter({ name: 'catalog', baseUrl: catalog.url, healthPath: 'health', timeout: '5 s', retry: { maxAttempts: 3, backoff: { initial: '20 ms', max: '200 ms' } } }),
    llm: new LlmAdapter({
      name: 'llm',
      baseUrl: localModel?.baseUrl ?? env['OPENAI_BASE_URL'] ?? '',
      ...(localModel === undefined && apiKey ? { apiKey: Redacted.make(apiKey) } : {}),
      model: localModel ? localModelName : (env['OPENAI_MODEL'] ?? 'gpt-4o-mini'),
      budget: { tokens: 20_000 },
      timeout: '60 s',
      retry: { maxAttempts: 3, backoff: { initial: '500 ms', max: '10 s' } },
    }),
    sql: new SqlAdapter<RestockDb>({ name: 'warehouse-db', dialect: 'sqlite', file: join(folder, 'warehouse.sqlite'), retry: { maxAttempts: 3 } }),
    reports: new FileSystemStorage({ name: 'reports', root: join(folder, 'reports') }),
    broker: new AmqpAdapter({
      name: 'notifications',
      url: amqpUrl,
      topology: { exchanges: [notificationExchange] },
      // Quick answers for an example: a broker that does not answer within a second counts as absent.
      healthTimeout: '1 s',
      connectionWait: '3 s',
      confirmTimeout: '5 s',
    }),
  }
}

/** Set-up through the adapter's own Kysely (outside its policies), as migrations would do. */
async function createTables(sql: SqlAdapter<RestockDb>): Promise<void> {
  await sql.db.schema
    .createTable('restock_decisions')
    .ifNotExists()
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('call_key', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('restock_decisions_pk', ['run_id', 'sku'])
    .execute()
}

function printProgress(engine: Engine, log: (line: string) => void): void {
  engine.on((event) => {
    switch (event.type) {
      case 'task.started':
        return log(`▶ ${event.task}`)
      case 'task.completed':
        return log(`✓ ${event.task} (${formatMillis(event.durationMs)})`)
      case 'task.skipped':
        return log(`– ${event.task} skipped (${event.reason})`)
      case 'task.failed':
        return log(`✗ ${event.task}: ${event.error.message}`)
      case 'adapter.call-failed':
        return log(`! ${event.adapter} ${event.operation} failed after ${event.attempts} attempt(s): ${event.error.message}`)
      default:
        return
    }
  })
}

function callsOf(adapter: HttpAdapter, operation: string): number {
  return adapter.stats().operations.find((op) => op.operation === operation)?.calls ?? 0
}

/** What the model decided and spent, and the tokens the store recorded with the `plan` step. */
async function llmSummary(planned: PlanResult, localModel: LocalModel | undefined, env: IntegrationsEnv, store: WorkflowStore, runId: RunId): Promise<IntegrationsSummary['llm']> {
  const steps = await store.loadSteps(runId)
  const count = (action: 'restock' | 'discount' | 'keep') => planned.plan.decisions.filter((d) => d.action === action).length
  return {
    source: localModel ? 'local stand-in' : (env['OPENAI_BASE_URL'] ?? ''),
    model: planned.model,
    usage: planned.usage,
    recordedTokens: steps.find((step) => step.key === 'plan')?.usage?.tokens,
    decisions: { restock: count('restock'), discount: count('discount'), keep: count('keep') },
    headline: planned.plan.headline,
  }
}

async function rowsOf(sql: SqlAdapter<RestockDb>, runId: string): Promise<number> {
  const row = await sql.query('count-decisions', (db) => db.selectFrom('restock_decisions').select((eb) => eb.fn.countAll<number>().as('n')).where('run_id', '=', runId).executeTakeFirstOrThrow(), { idempotent: true })
  return Number(row.n)
}

/** Reads the report back: `bytes()` fails when they do not match the recorded SHA-256; their hash is checked here too. */
async function verify(reports: FileSystemStorage, key: string, sha256: string): Promise<boolean> {
  const bytes = await (await reports.get(key)).bytes()
  return createHash('sha256').update(bytes).digest('hex') === sha256
}

/** Published (and whether the subscriber got it), or skipped and why. */
async function amqpSummary(notification: Notification | undefined, broker: BrokerCheck, subscriber: Subscriber | undefined): Promise<IntegrationsSummary['amqp']> {
  if (notification === undefined) return { status: 'skipped', reason: `no broker answered: ${broker.detail}` }
  const received = await subscriber?.next(2_000)
  return { status: 'published', ...notification, receivedMessageId: received?.messageId }
}

function printSummary(log: (line: string) => void, outcome: RunOutcome, s: IntegrationsSummary): void {
  log('')
  log(`run ${outcome.status} in ${formatMillis(outcome.finishedAt - outcome.startedAt)}`)
  log(`HTTP    ${s.catalog.itemsFetched} products fetched in ${s.catalog.adapterCalls} call (${s.catalog.requests} requests: the 503 was retried)`)
  log(`LLM     ${s.llm.source === 'local stand-in' ? 'local stand-in (rules, not a language model)' : s.llm.source}, model ${s.llm.model}: "${s.llm.headline}"`)
  log(`        ${s.llm.usage.promptTokens} prompt + ${s.llm.usage.completionTokens} completion tokens; ${s.llm.recordedTokens ?? 'no'} tokens recorded with the step`)
  log(`SQL     ${s.sql.rowsWritten} rows written to restock_decisions (${s.sql.rowsInTable} found for this run)`)
  log(`storage ${s.report.key}, ${s.report.bytes} bytes, sha256 ${s.report.sha256.slice(0, 16)}…, ${s.report.verified ? 'verified on read' : 'NOT verified'}`)
  if (s.amqp.status === 'published') {
    log(`AMQP    published to ${s.amqp.exchange} (${s.amqp.routingKey}) as ${s.amqp.messageId}, confirmed; ${s.amqp.receivedMessageId === s.amqp.messageId ? 'the subscriber received it' : 'the subscriber did not receive it'}`)
  } else {
    log(`AMQP    skipped: ${s.amqp.reason} (set AMQP_URL to a RabbitMQ broker to publish)`)
  }
  log(`health  ${Object.entries(s.health).map(([name, state]) => `${name} ${state}`).join(', ')}`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
