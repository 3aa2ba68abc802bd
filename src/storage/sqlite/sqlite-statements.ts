import { compileStatement, queryBuilder, type CompiledStatement } from '../sql/compiled-statement.js'
import type { StepRow } from '../sql/schema.js'
import { stepValues, unfinished } from '../sql/statements.js'

/**
 * The SQLite store's own statements, typed and compiled once like the shared
 * ones (sql/statements.ts): a step or a fence is checked in the same
 * transaction by a separate statement here, where PostgreSQL folds the
 * check into one statement per round trip.
 */
const db = queryBuilder('sqlite')
const compile = <P, R>(build: Parameters<typeof compileStatement<P, R>>[1]): CompiledStatement<P, R> => compileStatement(db, build)

/** A fenced lease operation's parameters. */
interface Held {
  readonly id: string
  readonly epoch: number
  readonly owner: string
}

export const sqliteStatements = {
  insertStep: compile((db, p: StepRow) => db.insertInto('weft_steps').values(stepValues(p)).onConflict((conflict) => conflict.doNothing())),
  insertTimer: compile((db, p: { runId: string; key: string; wakeAt: number }) =>
    db.insertInto('weft_timers').values({ run_id: p.runId, key: p.key, wake_at: p.wakeAt }).onConflict((conflict) => conflict.doNothing()),
  ),
  selectTimer: compile((db, p: { runId: string; key: string }) => db.selectFrom('weft_timers').select('wake_at').where('run_id', '=', p.runId).where('key', '=', p.key)),
  insertEvent: compile((db, p: { name: string; runId: string | null; payload: string; sentAt: number }) =>
    db.insertInto('weft_events').values({ name: p.name, run_id: p.runId, payload: p.payload, sent_at: p.sentAt }),
  ),
  insertTake: compile((db, p: { eventId: number; runId: string }) =>
    db.insertInto('weft_event_takes').values({ event_id: p.eventId, run_id: p.runId }).onConflict((conflict) => conflict.doNothing()),
  ),
  consumeEvent: compile((db, p: { id: number; at: number }) =>
    db.updateTable('weft_events').set({ consumed_at: p.at }).where('id', '=', p.id).where('consumed_at', 'is', null),
  ),
  renewLease: compile((db, p: Held & { until: number }) =>
    db
      .updateTable('weft_runs')
      .set({ lease_expires_at: p.until })
      .where('id', '=', p.id)
      .where('epoch', '=', p.epoch)
      .where('lease_owner', '=', p.owner)
      .where(unfinished),
  ),
  selectAction: compile((db, p: { id: string }) => db.selectFrom('weft_runs').select('requested_action').where('id', '=', p.id)),
  releaseLease: compile((db, p: Held) =>
    db.updateTable('weft_runs').set({ lease_owner: null, lease_expires_at: null }).where('id', '=', p.id).where('epoch', '=', p.epoch).where('lease_owner', '=', p.owner),
  ),
  giveBackLease: compile((db, p: Held & { failure: string }) =>
    db
      .updateTable('weft_runs')
      .set({ lease_expires_at: 0, status_message: p.failure })
      .where('id', '=', p.id)
      .where('epoch', '=', p.epoch)
      .where('lease_owner', '=', p.owner),
  ),
}
