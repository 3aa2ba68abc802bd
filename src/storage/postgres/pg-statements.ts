import { sql, type ExpressionBuilder, type RawBuilder } from 'kysely'
import { compileStatement, queryBuilder, shapeCache, type CompiledStatement } from '../sql/compiled-statement.js'
import type { StepRow } from '../sql/schema.js'
import { insertRunQuery, patchRunQuery, stepInsertColumns, stepSelection, type PatchParameters, type PatchShape, type RunInsert } from '../sql/statements.js'
/** The LISTEN/NOTIFY channel of Weft's notifications. */
export const channel = 'weft'

/**
 * Sends a notification on Weft's channel from inside a statement, so that it
 * is delivered when the statement's transaction commits.
 */
export function notify(payload: RawBuilder<string>): RawBuilder<string> {
  return sql<string>`pg_notify(${sql.lit(channel)}, ${payload})`
}

const runCreated = sql<string>`'{"type":"run-created"}'`

/**
 * The PostgreSQL store's own typed statements: the shared ones (sql/statements.ts)
 * wrapped so that the same round trip notifies other processes.
 */
const db = queryBuilder('postgres')

const compile = <P, R>(build: Parameters<typeof compileStatement<P, R>>[1]): CompiledStatement<P, R> => compileStatement(db, build)

export const pgStatements = {
  /** Inserts a run (unless its id exists) and, for a pending one, tells idle workers. */
  createRun: compile((db, p: RunInsert) =>
    db
      .with('inserted', (qc) => insertRunQuery(qc, p).returningAll())
      .with('notified', (qc) => qc.selectFrom('inserted').select(notify(runCreated).as('n')).where('status', '=', sql.lit('pending')))
      .selectFrom('inserted')
      .selectAll('inserted')
      .select((eb) => eb.selectFrom('notified').select((count) => count.fn.countAll().as('c')).as('notified')),
  ),
  /** A worker's fenced patch; finishing the run tells handles waiting for it. */
  updateRun: shapeCache((shape: PatchShape) =>
    compile((db, p: PatchParameters) =>
      db
        .with('updated', (qc) => patchRunQuery(qc, shape, p).returning('id'))
        .selectFrom('updated')
        .select('id')
        .$if(shape.includes('finish'), (query) => query.select(notify(sql<string>`json_build_object('type', 'run-finished', 'runId', id)::text`).as('notified'))),
    ),
  ),
  /**
   * The final checkpoint: a run's last step and its end in one statement (one
   * round trip, one commit; `npm run bench` section 5: 1.00 per workflow).
   * The patch is fenced; the step is inserted only when the fence held.
   */
  finalStep: shapeCache((shape: PatchShape) =>
    compile((db, p: PatchParameters & StepRow) =>
      db
        .with('updated', (qc) => patchRunQuery(qc, shape, p).returning(['id', 'workflow', 'created_at']))
        .with('inserted', (qc) =>
          qc
            .insertInto('weft_steps')
            .columns(stepInsertColumns)
            .expression((eb) => eb.selectFrom('updated').select([...stepSelection(eb, p), 'workflow', 'created_at as run_created_at']))
            .onConflict((conflict) => conflict.columns(['run_id', 'key']).doNothing())
            .returning('key'),
        )
        .with('notified', (qc) =>
          qc
            .selectFrom('updated')
            .select(notify(sql<string>`json_build_object('type', 'run-finished', 'runId', id)::text`).as('n'))
            .where(sql.lit(shape.includes('finish'))),
        )
        .selectNoFrom((eb) => [
          eb.selectFrom('updated').select(eb.fn.countAll().as('c')).as('fenced'),
          eb.selectFrom('inserted').select(eb.fn.countAll().as('c')).as('inserted'),
          eb.selectFrom('notified').select(eb.fn.countAll().as('c')).as('notified'),
        ]),
    ),
  ),
  /** A durable timer, fenced, in one round trip: stores the deadline unless the key has one, and returns the stored one. */
  timer: compile((db, p: { runId: string; epoch: number; key: string; wakeAt: number }) =>
    db
      .with('f', (qc) => qc.selectFrom('weft_runs').select('id').where('id', '=', p.runId).where('epoch', '=', p.epoch).forShare())
      .with('inserted', (qc) =>
        qc
          .insertInto('weft_timers')
          .columns(['run_id', 'key', 'wake_at'])
          .expression((eb) => eb.selectFrom('f').select([eb.val(p.runId).as('run_id'), eb.val(p.key).as('key'), eb.val(p.wakeAt).as('wake_at')]))
          .onConflict((conflict) => conflict.doNothing())
          .returning('wake_at'),
      )
      .selectNoFrom((eb) => [
        eb.selectFrom('f').select(eb.fn.countAll().as('c')).as('fenced'),
        eb.fn
          .coalesce(
            eb.selectFrom('inserted').select('wake_at'),
            eb.selectFrom('weft_timers').select('wake_at').where('run_id', '=', p.runId).where('key', '=', p.key),
          )
          .as('wake_at'),
      ]),
  ),
  /**
   * Takes an event for a run, fenced, in one round trip: marks it taken by
   * the run (and consumed, when it was sent to that run) and records the step.
   */
  takeEvent: compile((db, p: StepRow & { epoch: number; eventId: number }) =>
    db
      .with('f', (qc) => qc.selectFrom('weft_runs').select(['id', 'workflow', 'created_at']).where('id', '=', p.run_id).where('epoch', '=', p.epoch).forShare())
      .with('free', (qc) =>
        qc
          .selectFrom('weft_events')
          .select('id')
          .where('id', '=', p.eventId)
          .where((eb) => eb.or([eb('run_id', 'is', null), eb('consumed_at', 'is', null)]))
          .forUpdate(),
      )
      .with('took', (qc) =>
        qc
          .insertInto('weft_event_takes')
          .columns(['event_id', 'run_id'])
          .expression((eb) => eb.selectFrom(['f', 'free']).select([eb.val(p.eventId).as('event_id'), eb.val(p.run_id).as('run_id')]))
          .onConflict((conflict) => conflict.doNothing())
          .returning('event_id'),
      )
      .with('consumed', (qc) =>
        qc
          .updateTable('weft_events')
          .set({ consumed_at: p.finished_at })
          .where('id', '=', p.eventId)
          .where('run_id', 'is not', null)
          .where((eb) => eb.exists(eb.selectFrom('took').select('event_id')))
          .returning('id'),
      )
      .with('step', (qc) =>
        qc
          .insertInto('weft_steps')
          .columns(stepInsertColumns)
          .expression(
            qc
              .selectFrom('f')
              .select((eb) => [...stepSelection(eb, p), 'workflow', 'created_at as run_created_at'])
              .where((eb) => eb.exists(eb.selectFrom('took').select('event_id'))),
          )
          .onConflict((conflict) => conflict.doNothing())
          .returning('key'),
      )
      .selectNoFrom((eb) => [eb.selectFrom('f').select(eb.fn.countAll().as('c')).as('fenced'), eb.selectFrom('took').select(eb.fn.countAll().as('c')).as('took')]),
  ),
  /** Stores an event and tells waiting runs. */
  sendEvent: compile((db, p: { name: string; runId: string | null; payload: string; sentAt: number }) =>
    db
      .with('inserted', (qc) =>
        qc.insertInto('weft_events').values({ name: p.name, run_id: p.runId, payload: p.payload, sent_at: p.sentAt }).returning(['id', 'name', 'run_id']),
      )
      .selectFrom('inserted')
      .select(['id', notify(sql<string>`json_build_object('type', 'event', 'runId', run_id, 'name', name)::text`).as('notified')]),
  ),
  /** A run, locked for the decision of an operator's request. */
  selectRunForUpdate: compile((db, p: { id: string }) => db.selectFrom('weft_runs').selectAll().where('id', '=', p.id).forUpdate()),
  notifyRunFinished: compile((db, p: { id: string }) => db.selectNoFrom(notify(sql<string>`json_build_object('type', 'run-finished', 'runId', ${p.id}::text)::text`).as('n'))),
  notifyRunCreated: compile((db, _: Record<string, never>) => db.selectNoFrom(notify(runCreated).as('n'))),
  notifyAction: compile((db, p: { id: string }) => db.selectNoFrom(notify(sql<string>`json_build_object('type', 'action', 'runId', ${p.id}::text)::text`).as('n'))),
}
