import type { RunRecord } from '../index.js'
import type { RunStore } from '../store.js'
import { CommandFailedError } from './cli-errors.js'
import { defaultDatabase, describeDatabase } from './database.js'

/**
 * The run with this id.
 * @throws {@link CommandFailedError} when the store has no such run.
 */
export async function requireRun(store: Pick<RunStore, 'getRun'>, runId: string, database: string | undefined): Promise<RunRecord> {
  const run = await store.getRun(runId)
  if (run !== undefined) return run
  const where = describeDatabase(database ?? defaultDatabase)
  throw new CommandFailedError(`no run "${runId}" in ${where}; \`weft runs list\` shows the runs there`)
}
