import type { RunRecord } from '../index.js'
import type { CliCommand } from './command.js'
import { jsonOption, reportAction, type ActionOutcome } from './run-json.js'
import { databaseOption, withStore } from './database.js'
import { configOption, requireReadableRun, securedCommand, tokenOption, withSecuredEngine } from './cli-security.js'
import { requireRun } from './require-run.js'
import { workflowLabel } from './run-text.js'

/** `weft runs resume <id>`: makes a dead-lettered run pending again, or asks a paused run's worker to resume it. */
export const runsResumeCommand: CliCommand = {
  path: ['runs', 'resume'],
  summary: 'resume a paused or dead-lettered run',
  details: [
    'A dead-lettered run becomes pending again (its recovery count reset) and the next worker with',
    'its workflow version claims it. A paused run is resumed by its worker at its next heartbeat.',
    'Exit code 1 for a run that finished (completed, failed, cancelled).',
  ],
  positionals: [{ name: 'id', description: 'the run id (see `weft runs list`)' }],
  options: { database: databaseOption, config: configOption, token: tokenOption, json: jsonOption },
  examples: ['weft runs resume 01jhkm5100k3m9xq4v0c8n2r'],
  async run(args, context) {
    const database = args.string('database')
    const secured = await securedCommand(args, context)
    if (secured !== undefined) {
      // With --config: the handle's resume goes through the secure path as the caller (the object-level rule).
      return withSecuredEngine(database, context, secured, async (caller, store) => {
        const handle = await requireReadableRun(caller, args.positionals[0]!, database)
        const before = await requireRun(store, handle.id, database)
        if (resumable(before)) await handle.resume()
        const after = (await store.getRun(before.id)) ?? before
        return reportAction(context, args.flag('json'), 'resume', after, describe(before, after))
      })
    }
    return withStore(database, context.cwd, 'write', async (store) => {
      const before = await requireRun(store, args.positionals[0]!, database)
      const after = resumable(before) ? await store.requestAction(before.id, 'resume', context.now()) : before
      return reportAction(context, args.flag('json'), 'resume', after ?? before, describe(before, after ?? before))
    })
  },
}

/** Whether a resume request can change anything: dead-lettered, paused, or about to pause. */
function resumable(run: RunRecord): boolean {
  return run.status === 'dead-lettered' || run.status === 'paused' || (run.status === 'running' && run.requestedAction === 'pause')
}

function describe(before: RunRecord, after: RunRecord): ActionOutcome {
  const run = `run ${after.id} (${workflowLabel(after)})`
  if (before.status === 'dead-lettered' && after.status === 'pending') {
    return { outcome: 'done', message: `resumed ${run}: it was dead-lettered and is pending again; a worker with ${workflowLabel(after)} registered will claim it` }
  }
  if (after.requestedAction === 'resume') {
    const worker = after.leaseOwner === undefined ? 'the next worker to claim it resumes it' : `its worker ${after.leaseOwner} resumes it at its next heartbeat`
    return { outcome: 'requested', message: `requested resumption of ${run}, which is ${after.status}; ${worker}` }
  }
  if (after.status === 'pending' || after.status === 'running') {
    return { outcome: 'unchanged', message: `${run} is ${after.status}, not paused; nothing to resume` }
  }
  return { outcome: 'refused', message: `${run} is ${after.status}; only paused or dead-lettered runs can be resumed` }
}
