import { sql, type RawBuilder } from 'kysely'
import { compileStatement, queryBuilder, shapeCache, type CompiledStatement } from '../sql/compiled-statement.js'
import type { StepRow } from '../sql/schema.js'
import { insertRunQuery, patchRunQuery, type PatchParameters, type PatchShape, type RunInsert } from '../sql/statements.js'
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
        .with('updated', (qc) => patchRunQuery(qc, shape, p).returning('id'))
        .with('inserted', (qc) =>
          qc
            .insertInto('weft_steps')
            .columns(['run_id', 'key', 'task', 'kind', 'status', 'output', 'error', 'attempts', 'started_at', 'finished_at'])
            .expression((eb) =>
              eb
                .selectFrom('updated')
                .select([
                  eb.val(p.run_id).as('run_id'),
                  eb.val(p.key).as('key'),
                  eb.val(p.task).as('task'),
                  eb.val(p.kind).as('kind'),
                  eb.val(p.status).as('status'),
                  eb.val(p.output).as('output'),
                  eb.val(p.error).as('error'),
                  eb.val(p.attempts).as('attempts'),
                  eb.val(p.started_at).as('started_at'),
                  eb.val(p.finished_at).as('finished_at'),
                ]),
            )
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
