import { sql, type ExpressionBuilder, type QueryCreator, type Updateable } from 'kysely'
import { finishedRunStatuses, type NewRun, type RunPatch, type RunQuery } from '../workflow-store.js'
import { compileStatement, queryBuilder, shapeCache, type CompiledStatement } from './compiled-statement.js'
import type { SqlDialect } from './migrations.js'
import type { RunsTable, StepRow, WeftDatabase } from './schema.js'
import { errorText } from './rows.js'
import { isFinished } from '../run-rules.js'

/**
 * Weft's dialect-neutral statements, written once with kysely's typed
 * builder and compiled once per dialect (each family of shapes, such as the
 * columns a run patch sets, once per shape). The stores run them through
 * their prepared-statement caches; PostgreSQL wraps some in a statement that
 * also notifies (see the postgres folder). What only one dialect can say
 * fast (claims with `SKIP LOCKED`, batched step writes, the final
 * checkpoint) is hand-written SQL beside its store.
 */

/** Unfinished runs, with the statuses written as literals so that the partial indexes' predicate matches. */
export function unfinished(eb: ExpressionBuilder<WeftDatabase, 'weft_runs'>) {
  return eb('status', 'not in', finishedRunStatuses.map((status) => sql.lit(status)))
}

/** `unclaimableMessage(workflow, version)` written in SQL, for the hand-written claim statements (the conformance suite checks they agree). */
export const unclaimableMessageSql = `'waiting for a worker with workflow "' || workflow || '" version ' || version || ' registered'`

/** The columns of a new run. */
export interface RunInsert {
  readonly id: string
  readonly workflow: string
  readonly version: number
  readonly input: string
  readonly status: string
  readonly principal: string | null
  readonly createdAt: number
  readonly startedAt: number | null
  readonly leaseOwner: string | null
  readonly leaseExpiresAt: number | null
  readonly epoch: number
  readonly inputDigest: string | null
  readonly tenant: string | null
  readonly roles: string | null
  readonly traceContext: string | null
}

/** Inserts a run unless its id exists (shared by both dialects; PostgreSQL adds its notification). */
export function insertRunQuery(db: QueryCreator<WeftDatabase>, p: RunInsert) {
  return db
    .insertInto('weft_runs')
    .values({
      id: p.id,
      workflow: p.workflow,
      version: p.version,
      input: p.input,
      status: p.status,
      principal: p.principal,
      created_at: p.createdAt,
      started_at: p.startedAt,
      lease_owner: p.leaseOwner,
      lease_expires_at: p.leaseExpiresAt,
      epoch: p.epoch,
      input_digest: p.inputDigest,
      tenant: p.tenant,
      roles: p.roles,
      trace_context: p.traceContext,
    })
    .onConflict((conflict) => conflict.column('id').doNothing())
}

/** The parameters of a run patch: the run, its fence, and the patched values. */
export interface PatchParameters {
  readonly id: string
  readonly epoch: number
  readonly runStatus: string | null
  readonly statusMessage: string | null
  readonly finishedAt: number | null
  readonly runError: string | null
}

/** The columns of a step row Weft's code writes, in the order of {@link stepSelection}. */
export const stepColumnNames = ['run_id', 'key', 'task', 'kind', 'status', 'output', 'error', 'attempts', 'started_at', 'finished_at', 'history', 'usage'] as const satisfies readonly (keyof StepRow)[]

/** The columns PostgreSQL inserts a step with: its own, then the history columns (migration 015) its run gives it: the run's `workflow` and `created_at`. */
export const stepInsertColumns = [...stepColumnNames, 'workflow', 'run_created_at'] as const

/** A step row's values as a select list, for an `insert … select` that writes the step only where a condition holds (the fence). */
export function stepSelection<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, p: StepRow) {
  return stepColumnNames.map((column) => eb.val(p[column]).as(column))
}

/** A step row's values as parameters (kysely reads an object's own keys, which parameter stand-ins do not have). */
export function stepValues(p: StepRow): StepRow {
  return Object.fromEntries(stepColumnNames.map((column) => [column, p[column]])) as unknown as StepRow
}

/** Which columns a patch sets and whether it is fenced: one compiled statement per shape. */
export type PatchShape = `${'fenced' | 'any'}:${string}`

/** The shape of `patch`, applied fenced (by a run's worker) or not (a request of another process). */
export function patchShape(patch: RunPatch, fenced: boolean): PatchShape {
  const fields = [
    patch.status === undefined ? '' : isFinished(patch.status) ? 'finish' : 'status',
    'statusMessage' in patch ? 'message' : '',
    'finishedAt' in patch ? 'finishedAt' : '',
    'error' in patch ? 'error' : '',
  ]
  return `${fenced ? 'fenced' : 'any'}:${fields.join(',')}`
}

/** The parameters of `patch` for a run. */
export function patchParameters(id: string, epoch: number, patch: RunPatch): PatchParameters {
  return {
    id,
    epoch,
    runStatus: patch.status ?? null,
    statusMessage: patch.statusMessage ?? null,
    finishedAt: patch.finishedAt ?? null,
    runError: errorText(patch.error),
  }
}

/**
 * Updates a run with a patch of `shape`. Finishing a run also frees its lease
 * and clears requested actions.
 */
export function patchRunQuery(db: QueryCreator<WeftDatabase>, shape: PatchShape, p: PatchParameters) {
  const [fencing, fields = ''] = shape.split(':') as [string, string]
  const has = (field: string) => fields.split(',').includes(field)
  // Assigned column by column (not spread), so that every column name is checked against RunsTable.
  const set: RunUpdate = {}
  if (has('finish') || has('status')) set.status = p.runStatus!
  if (has('message')) set.status_message = p.statusMessage
  if (has('finishedAt')) set.finished_at = p.finishedAt
  if (has('error')) set.error = p.runError
  if (has('finish')) Object.assign(set, { lease_owner: null, lease_expires_at: null, requested_action: null } satisfies RunUpdate)
  return db
    .updateTable('weft_runs')
    .set(set)
    .where('id', '=', p.id)
    .$if(fencing === 'fenced', (query) => query.where('epoch', '=', p.epoch))
}

/** The columns an update of a run may set. */
type RunUpdate = { -readonly [K in keyof Updateable<RunsTable>]?: Updateable<RunsTable>[K] }

/** Which filters a listing uses: one compiled statement per combination. */
export type ListShape = `${'status' | ''},${'workflow' | ''},${'before' | ''},${'owner' | 'owner-or-tenant' | ''}`

/** Which filters `query` uses. */
export function listShape(query: RunQuery): ListShape {
  const owner = query.ownedBy === undefined ? '' : query.ownedBy.tenant === undefined ? 'owner' : 'owner-or-tenant'
  return `${query.status === undefined ? '' : 'status'},${query.workflow === undefined ? '' : 'workflow'},${query.before === undefined ? '' : 'before'},${owner}`
}

/** The parameters of a listing (filters it does not use are ignored by its shape). */
export function listParameters(query: RunQuery): ListParameters {
  const { status = '', workflow = '', before = '', limit = 100, ownedBy } = query
  return { status, workflow, before, limit, subject: ownedBy?.subject ?? '', tenant: ownedBy?.tenant ?? '' }
}

/** The parameters of a listing. */
export interface ListParameters {
  readonly status: string
  readonly workflow: string
  readonly before: string
  readonly limit: number
  readonly subject: string
  readonly tenant: string
}

/** The columns of `run`, whose input is serialized as `input`: claimed by its starter when it says so, else pending. */
export function runInsert(run: NewRun, input: string): RunInsert {
  const claim = run.claimBy
  return {
    id: run.id,
    workflow: run.workflow,
    version: run.version,
    input,
    status: claim === undefined ? 'pending' : 'running',
    principal: run.principal ?? null,
    createdAt: run.createdAt,
    startedAt: claim === undefined ? null : run.createdAt,
    leaseOwner: claim?.owner ?? null,
    leaseExpiresAt: claim === undefined ? null : run.createdAt + claim.leaseMs,
    epoch: claim === undefined ? 0 : 1,
    inputDigest: run.inputDigest ?? null,
    tenant: run.tenant ?? null,
    roles: run.roles === undefined ? null : JSON.stringify(run.roles),
    traceContext: run.traceContext ?? null,
  }
}

/** Compiles the statements of `dialect`. */
/** Compiles `build` once for the dialect `compile` was made for. */
type Compile = <P, R>(build: Parameters<typeof compileStatement<P, R>>[1]) => CompiledStatement<P, R>

function compileAll(dialect: SqlDialect) {
  const db = queryBuilder(dialect)
  const compile: Compile = (build) => compileStatement(db, build)
  return { ...runStatements(compile), ...journalStatements(compile), ...eventStatements(compile) }
}

/** The statements of the runs table: reads, writes, requests, leases. */
function runStatements(compile: Compile) {
  return {
    selectRun: compile((db, p: { id: string }) => db.selectFrom('weft_runs').selectAll().where('id', '=', p.id)),
    selectEpoch: compile((db, p: { id: string }) => db.selectFrom('weft_runs').select('epoch').where('id', '=', p.id)),
    insertRun: compile((db, p: RunInsert) => insertRunQuery(db, p)),
    patchRun: shapeCache((shape: PatchShape) => compile((db, p: PatchParameters) => patchRunQuery(db, shape, p))),
    listRuns: shapeCache((shape: ListShape) =>
      compile((db, p: ListParameters) =>
        db
          .selectFrom('weft_runs')
          .selectAll()
          .$if(shape.includes('status'), (q) => q.where('status', '=', p.status))
          .$if(shape.includes('workflow'), (q) => q.where('workflow', '=', p.workflow))
          .$if(shape.endsWith(',owner'), (q) => q.where('principal', '=', p.subject))
          .$if(shape.endsWith(',owner-or-tenant'), (q) => q.where((eb) => eb.or([eb('principal', '=', p.subject), eb('tenant', '=', p.tenant)])))
          .$if(shape.includes('before'), (q) =>
            q.where(({ eb, refTuple, selectFrom }) =>
              eb(refTuple('created_at', 'id'), '<', selectFrom('weft_runs').select(['created_at', 'id']).where('id', '=', p.before) as never),
            ),
          )
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(p.limit),
      ),
    ),
    revive: compile((db, p: { id: string }) =>
      db.updateTable('weft_runs').set({ status: 'pending', status_message: null, recoveries: 0, finished_at: null }).where('id', '=', p.id),
    ),
    askWorker: compile((db, p: { id: string; action: string }) => db.updateTable('weft_runs').set({ requested_action: p.action }).where('id', '=', p.id)),
    clearAction: compile((db, p: { id: string; epoch: number }) =>
      db.updateTable('weft_runs').set({ requested_action: null }).where('id', '=', p.id).where('epoch', '=', p.epoch),
    ),
    leaseOwners: compile((db, p: { now: number }) =>
      db
        .selectFrom('weft_runs')
        .select('lease_owner')
        .distinct()
        .where('lease_owner', 'is not', null)
        .where('lease_expires_at', '>', p.now)
        .where(unfinished),
    ),
  }
}

/** The statements of the step journal, and the probe of a store's health. */
function journalStatements(compile: Compile) {
  return {
    selectSteps: compile((db, p: { runId: string }) => db.selectFrom('weft_steps').selectAll().where('run_id', '=', p.runId)),
    selectStep: compile((db, p: { runId: string; key: string }) => db.selectFrom('weft_steps').selectAll().where('run_id', '=', p.runId).where('key', '=', p.key)),
    insertProbe: compile((db, p: { data: Uint8Array }) => db.insertInto('weft_probe').values({ data: p.data }).returning('id')),
    deleteProbe: compile((db, p: { id: number | string }) => db.deleteFrom('weft_probe').where('id', '=', p.id as never)),
  }
}

/** The statements of the event inbox. */
function eventStatements(compile: Compile) {
  return {
    eventsAfter: compile((db, p: { afterId: number; limit: number }) =>
      db.selectFrom('weft_events').select(['id', 'name', 'run_id']).where('id', '>', p.afterId).orderBy('id').limit(p.limit),
    ),
    latestEventId: compile((db, _: Record<string, never>) =>
      db.selectFrom('weft_events').select((eb) => eb.fn.coalesce(eb.fn.max('id'), sql.lit(0)).as('id')),
    ),
    pendingEvents: compile((db, p: { runId: string; name: string; since: number }) =>
      db
        .selectFrom('weft_events as e')
        .select(['e.id', 'e.name', 'e.run_id', 'e.payload', 'e.sent_at'])
        .where('e.name', '=', p.name)
        .where(({ eb, and, or, not, exists, selectFrom }) =>
          or([
            and([eb('e.run_id', '=', p.runId), eb('e.consumed_at', 'is', null)]),
            and([
              eb('e.run_id', 'is', null),
              eb('e.sent_at', '>=', p.since),
              not(exists(selectFrom('weft_event_takes as t').select(sql.lit(1).as('one')).whereRef('t.event_id', '=', 'e.id').where('t.run_id', '=', p.runId))),
            ]),
          ]),
        )
        .orderBy('e.id'),
    ),
  }
}

/** Weft's dialect-neutral statements, compiled for one dialect. */
export type WeftStatements = ReturnType<typeof compileAll>

const compiledByDialect = new Map<SqlDialect, WeftStatements>()

/** The neutral statements compiled for `dialect` (once per process). */
export function weftStatements(dialect: SqlDialect): WeftStatements {
  let statements = compiledByDialect.get(dialect)
  if (statements === undefined) {
    statements = compileAll(dialect)
    compiledByDialect.set(dialect, statements)
  }
  return statements
}
