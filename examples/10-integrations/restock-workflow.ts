/**
 * The restock agent: one workflow that talks to five systems through Weft's
 * adapters, each received by constructor injection and called through
 * `ctx.use(adapter)` (the task's signal and an idempotency key per call).
 *
 * ```
 * fetchItems (HTTP) → plan (LLM) → saveDecisions (SQL) → storeReport (object storage; also takes plan) ┐
 * checkBroker (the AMQP adapter's health check) ───────────────────────────────────────────────────────┴→ notify (AMQP, @When reachable)
 * ```
 *
 * @module
 */
import { Schema } from 'effect'
import { inject, injectable } from 'tsyringe'
import { DependsOn, HttpAdapter, Task, When, Workflow, WorkflowBase, type TaskContext } from 'weft-sdk'
import { AmqpAdapter, type AmqpPublished } from 'weft-sdk/amqp'
import { LlmAdapter, type LlmUsage } from 'weft-sdk/llm'
import { FileSystemStorage } from 'weft-sdk/object-storage'
import { SqlAdapter } from 'weft-sdk/sql'
import { notificationExchange } from './subscriber.js'

/** The token the catalog API is registered under (shows `@inject(token)`; the other adapters are injected by their class). */
export const CatalogApi = Symbol('CatalogApi')

/** The run's input: which products to look at. */
export const RestockInput = Schema.Struct({ category: Schema.NonEmptyString, limit: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100 })) })
export type RestockInput = typeof RestockInput.Type
type Ctx = TaskContext<RestockInput>

/** A product as the catalog API returns it, decoded by the HTTP adapter. */
const Item = Schema.Struct({
  sku: Schema.String,
  name: Schema.String,
  category: Schema.String,
  stock: Schema.Int,
  reorderLevel: Schema.Int,
  weeklySales: Schema.Int,
})
export type Item = typeof Item.Type

/** What the model must answer: one decision per product and a headline (sent as `response_format: json_schema`, decoded on receipt). */
const Plan = Schema.Struct({
  decisions: Schema.Array(Schema.Struct({ sku: Schema.String, action: Schema.Literals(['restock', 'discount', 'keep']), reason: Schema.String })),
  headline: Schema.String,
})
export type Plan = typeof Plan.Type

/** The SQL database's tables, for a typed `Kysely<RestockDb>`. */
export interface RestockDb {
  restock_decisions: { run_id: string; sku: string; action: string; reason: string; call_key: string }
}

/** What `plan` returns: the model's plan, and who answered at what cost. */
export interface PlanResult {
  readonly plan: Plan
  readonly model: string
  readonly usage: LlmUsage
}

/** What `saveDecisions` wrote. */
export interface SavedDecisions {
  readonly table: 'restock_decisions'
  readonly rows: number
}

/** Where `storeReport` put the report. */
export interface StoredReport {
  readonly key: string
  readonly bytes: number
  readonly sha256: string
}

/** Whether the broker answered `checkBroker`'s health check. */
export interface BrokerCheck {
  readonly reachable: boolean
  readonly detail: string
}

/** What `notify` published. */
export interface Notification extends AmqpPublished {
  readonly exchange: string
  readonly routingKey: string
}

@injectable()
@Workflow({ name: 'restock-agent', version: 1, input: RestockInput, description: 'reads the catalog, asks a model what to restock, records and reports it, and notifies' })
export class RestockAgent extends WorkflowBase<RestockInput> {
  static readonly result = {
    items: 'fetchItems',
    plan: 'plan',
    saved: 'saveDecisions',
    report: 'storeReport',
    broker: 'checkBroker',
    notification: { task: 'notify', optional: true },
  } as const

  constructor(
    @inject(CatalogApi) private readonly catalog: HttpAdapter,
    private readonly llm: LlmAdapter,
    private readonly sql: SqlAdapter<RestockDb>,
    private readonly reports: FileSystemStorage,
    private readonly broker: AmqpAdapter,
  ) {
    super()
  }

  /** GET the products; the adapter decodes them with the schema and retries the API's 503. */
  @Task()
  fetchItems(input: RestockInput, ctx: Ctx): Promise<readonly Item[]> {
    return ctx.use(this.catalog).get('items', { query: { category: input.category, limit: input.limit }, schema: Schema.Array(Item), operation: 'list-items' })
  }

  /** Asks the model for a decision per product, as structured output; the call's tokens are recorded with this step. */
  @DependsOn('fetchItems')
  async plan(items: readonly Item[], ctx: Ctx): Promise<PlanResult> {
    const products = items.map(({ sku, name, stock, reorderLevel, weeklySales }) => ({ sku, name, stock, reorderLevel, weeklySales }))
    const answer = await ctx.use(this.llm).chat({
      messages: [
        { role: 'system', content: 'You are an inventory planner. For each product decide: restock (stock below its reorder level), discount (more than 20 weeks of stock), or keep. Give a short reason for each, and a one-line headline.' },
        { role: 'user', content: `Products of category "${ctx.input.category}":\n${JSON.stringify(products)}` },
      ],
      output: Plan,
      outputName: 'restock_plan',
      temperature: 0,
      operation: 'plan-restock',
    })
    return { plan: answer.output, model: answer.model, usage: answer.usage }
  }

  /** Writes the decisions in one transaction, keyed by run and SKU, so a retried attempt rewrites the same rows. */
  @DependsOn('plan')
  saveDecisions(planned: PlanResult, ctx: Ctx): Promise<SavedDecisions> {
    return ctx.use(this.sql).transaction('save-decisions', async (trx, call) => {
      const rows = planned.plan.decisions.map((d) => ({ run_id: ctx.runId, sku: d.sku, action: d.action, reason: d.reason, call_key: call.idempotencyKey }))
      if (rows.length === 0) return { table: 'restock_decisions', rows: 0 }
      const result = await trx
        .insertInto('restock_decisions')
        .values(rows)
        .onConflict((conflict) => conflict.columns(['run_id', 'sku']).doUpdateSet((eb) => ({ action: eb.ref('excluded.action'), reason: eb.ref('excluded.reason'), call_key: eb.ref('excluded.call_key') })))
        .executeTakeFirstOrThrow()
      return { table: 'restock_decisions', rows: Number(result.numInsertedOrUpdatedRows ?? 0n) }
    })
  }

  /** Puts the report (JSON) in object storage; the storage records its SHA-256, verified on every read. */
  @Task({ dependsOn: ['plan', 'saveDecisions'] })
  async storeReport(planned: PlanResult, saved: SavedDecisions, ctx: Ctx): Promise<StoredReport> {
    const report = { runId: ctx.runId, category: ctx.input.category, headline: planned.plan.headline, decisions: planned.plan.decisions, model: planned.model, usage: planned.usage, savedRows: saved.rows }
    const key = `restock/${ctx.input.category}/${ctx.runId}.json`
    const info = await ctx.use(this.reports).put(key, `${JSON.stringify(report, null, 2)}\n`, { contentType: 'application/json', metadata: { category: ctx.input.category } })
    return { key, bytes: info.size, sha256: info.sha256 ?? '' }
  }

  /** A real round trip to the broker (the adapter's health check), recorded so a resumed run decides the same way. */
  @Task()
  async checkBroker(): Promise<BrokerCheck> {
    const health = await this.broker.health()
    const answered = health.state === 'up'
    return { reachable: answered, detail: answered ? `${this.broker.url} answered in ${health.latencyMs.toFixed(0)} ms` : `${this.broker.url} is ${health.state}: ${health.detail ?? 'no detail'}` }
  }

  /** Publishes the headline with a publisher confirm; skipped when the broker did not answer. */
  @Task({ dependsOn: ['storeReport', 'checkBroker'] })
  @When((_report: StoredReport, broker: BrokerCheck) => broker.reachable)
  async notify(report: StoredReport, _broker: BrokerCheck, ctx: Ctx): Promise<Notification> {
    const routingKey = `restock.${ctx.input.category}`
    const published = await ctx.use(this.broker).publish(notificationExchange.name, routingKey, { runId: ctx.runId, report: report.key, sha256: report.sha256 }, { type: 'restock.planned' })
    return { ...published, exchange: notificationExchange.name, routingKey }
  }
}
