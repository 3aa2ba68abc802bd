import { unfinishedRuns } from '../sql/migrations.js'
import type { StepRow } from '../sql/schema.js'
import { unclaimableMessageSql } from '../sql/statements.js'
import { channel } from './pg-statements.js'

/*
 * Hand-written SQL of the PostgreSQL store: the statements whose exact form
 * `npm run bench` section 5 measured (per workflow, Weft with 1 worker
 * process, sequential: 9.00 step writes at 37.4 µs of server time, 1.01
 * claims at 79.7 µs, 2.00 run-with-steps reads at 31.7 µs) or whose plan
 * and lock order matter more than kysely can say: lateral primary-key
 * probes with `FOR UPDATE SKIP LOCKED` that keep a cached generic plan an
 * index lookup at any table size, `unnest` of array parameters (one
 * statement for a batch of any size), rows locked in run-id order (two
 * statements locking runs in different orders deadlock), a run and its
 * steps as JSON in one read. Their rows are still typed by sql/schema.ts
 * where they are read; everything else the store says is in
 * pg-statements.ts and sql/statements.ts, typed by kysely.
 */

const unfinished = unfinishedRuns

/** A step row's columns after the run's (key, task, kind, status, output, error, attempts, start, end, history, usage): the step parameters of the hand-written writes. */
export function stepColumns(row: StepRow): unknown[] {
  return [row.key, row.task, row.kind, row.status, row.output, row.error, row.attempts, row.started_at, row.finished_at, row.history, row.usage]
}

/** Sends a notification on Weft's channel, inside the statement (so it is delivered on commit). */
function notify(payload: string): string {
  return `pg_notify('${channel}', ${payload})`
}

/**
 * Locks the runs of the fences `$1` (ids) and `$2` (epochs) that match
 * `condition`, in the order of their ids, for an update. Every statement that
 * locks several runs does so in that order (see PgStepWriter), or two of them
 * can deadlock.
 */
function lockInIdOrder(condition: string): string {
  // `r.id = any($1)` lets even a cached generic plan find the rows by primary key.
  return `select r.id from weft_runs r join unnest($1::text[], $2::int[]) as f(id, epoch) on r.id = f.id and r.epoch = f.epoch
    where r.id = any($1::text[]) and ${condition} order by r.id for no key update of r`
}

/**
 * Claims: per workflow version, the oldest claimable runs from the partial
 * index weft_runs_claimable, in its order (a lateral subquery with its own
 * lock leaves the planner no seq scan to cache). Parameters: workflow names,
 * versions, now, dead owners, limit, owner, lease length.
 */
export const claimSql = `with candidates as (
    select c.id from (select distinct * from unnest($1::text[], $2::int[])) as w(workflow, version)
    cross join lateral (
      select id, created_at from weft_runs
      where workflow = w.workflow and version = w.version
        and ${unfinished} and (status = 'pending' or lease_owner is null or lease_expires_at <= $3 or lease_owner = any($4::text[]))
      order by created_at, id
      limit $5
      for update skip locked
    ) c
    order by c.created_at, c.id
    limit $5
  )
  update weft_runs r set
    status = case when r.status = 'pending' then 'running' else r.status end,
    status_message = null,
    started_at = coalesce(r.started_at, $3),
    recoveries = r.recoveries + case when r.lease_owner is not null then 1 else 0 end,
    epoch = r.epoch + 1, lease_owner = $6, lease_expires_at = $3 + $7
  from candidates c where r.id = c.id
  returning r.*`

/** Notes why unclaimable runs wait, skipping runs locked by a claim. Parameters: workflow names, versions, now. */
export const noteUnclaimableSql = `with locked as (
    select id from weft_runs
    where (workflow, version) not in (select * from unnest($1::text[], $2::int[]))
      and ${unfinished} and (status = 'pending' or lease_owner is null or lease_expires_at <= $3)
      and (status_message is distinct from ${unclaimableMessageSql} or status = 'running')
    order by id
    for no key update skip locked
  )
  update weft_runs r set status_message = ${unclaimableMessageSql}, status = case when r.status = 'running' then 'pending' else r.status end
  from locked l where r.id = l.id`

/** Renews leases in id order. Parameters: ids, epochs, lease end, owner. */
export const renewSql = `with locked as (${lockInIdOrder('r.lease_owner = $4 and r.' + unfinished)})
  update weft_runs r set lease_expires_at = $3 from locked l where r.id = l.id
  returning r.id, r.requested_action`

/**
 * Releases leases in id order, and tells idle workers. Parameters: ids,
 * epochs, owner, and with `failure`, the status message. A failed start keeps
 * the owner (the next claim counts a recovery) and only ends the lease.
 */
export function releaseSql(failure: boolean): string {
  const release = failure ? 'lease_expires_at = 0, status_message = $4' : 'lease_owner = null, lease_expires_at = null'
  return `with locked as (${lockInIdOrder('r.lease_owner = $3')}),
    released as (
      update weft_runs r set ${release} from locked l where r.id = l.id
      returning r.id
    )
    select ${notify(`'{"type":"run-created"}'`)} from released limit 1`
}

/** A run and, once it has ended, its steps as JSON: one round trip for waiting handles. Parameter: the run id. */
export const runWithStepsSql = `select r.*, case when r.status in ('completed', 'failed', 'cancelled')
    then (select coalesce(json_agg(s), '[]'::json) from weft_steps s where s.run_id = r.id) end as steps
  from weft_runs r where r.id = $1`

/**
 * Group commit of step records: one statement for a batch of any size, each
 * row's fence checked against its run under a share lock taken in id order,
 * first-writer-wins. Parameters: arrays of run ids, epochs, keys, tasks,
 * kinds, statuses, outputs, errors, attempts, starts, ends, histories, usages.
 */
export const stepBatchSql = `with input as (
    select * from unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::float8[], $11::float8[], $12::text[], $13::text[])
      with ordinality as t(run_id, epoch, key, task, kind, status, output, error, attempts, started_at, finished_at, history, usage, n)
  ), locked as (
    -- One primary-key lookup per run, in id order as the database sorts ids (its collation, as
    -- in renewals and releases; a sort in JavaScript may disagree). Written as a lateral
    -- subquery with its own lock so that the plan cannot be anything else: with \`id = any($1)\`,
    -- a generic plan cached while the table was small kept seq-scanning it as it grew.
    -- The run's workflow and creation time go into its steps' history columns.
    select r.id, r.epoch, r.workflow, r.created_at from (select distinct id from unnest($1::text[]) as ids(id) order by id) u
    cross join lateral (select id, epoch, workflow, created_at from weft_runs where id = u.id for share) r
  ), fenced as (
    select i.*, r.workflow, r.created_at from input i join locked r on r.id = i.run_id and r.epoch = i.epoch
  ), inserted as (
    insert into weft_steps (run_id, key, task, kind, status, output, error, attempts, started_at, finished_at, history, usage, workflow, run_created_at)
    select run_id, key, task, kind, status, output, error, attempts, started_at, finished_at, history, usage, workflow, created_at from fenced
    on conflict (run_id, key) do nothing
    returning run_id, key
  )
  select i.n::int as n,
    exists (select 1 from fenced f where f.n = i.n) as fenced,
    exists (select 1 from inserted s where s.run_id = i.run_id and s.key = i.key) as inserted
  from input i order by i.n`

/**
 * One step (a chain's usual batch): the batch statement with scalar
 * parameters. Planned with arrays, the server estimates the arrays' sizes in
 * each custom plan and found the generic plan dearer, so unless the
 * connection forces generic plans it planned the batch statement on every
 * call (as much time as running it). Parameters: run id, epoch, then the
 * step's key, task, kind, status, output, error, attempts, start, end, history and usage.
 */
export const singleStepSql = `with locked as (
    select id, workflow, created_at from weft_runs where id = $1 and epoch = $2 for share
  ), inserted as (
    insert into weft_steps (run_id, key, task, kind, status, output, error, attempts, started_at, finished_at, history, usage, workflow, run_created_at)
    select $1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, workflow, created_at from locked
    on conflict (run_id, key) do nothing
    returning key
  )
  select (select count(*) from locked)::int as fenced, (select count(*) from inserted)::int as inserted`

/** The stored steps of (run id, key) pairs. Parameters: run ids, keys. */
export const existingStepsSql = `select s.* from weft_steps s join unnest($1::text[], $2::text[]) as k(run_id, key) on s.run_id = k.run_id and s.key = k.key`
