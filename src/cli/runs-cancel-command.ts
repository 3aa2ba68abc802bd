import type { RunRecord } from '../index.js'
import type { CliCommand, CliContext } from './command.js'
import { jsonOption, reportAction, type ActionOutcome } from './run-json.js'
import { databaseOption, withStore } from './database.js'
import { configOption, requireReadableRun, securedCommand, tokenOption, withSecuredEngine } from './cli-security.js'
import { requireRun } from './require-run.js'
import { workflowLabel } from './run-text.js'

/** `weft runs cancel <id>`: cancels a pending or dead-lettered run at once, or asks a running run's worker to cancel it. */
export const runsCancelCommand: CliCommand = {
  path: ['runs', 'cancel'],
  summary: 'cancel a run',
  details: [
    'A pending or dead-lettered run is cancelled at once. A running or paused run is cancelled by its worker, which',
    'picks the request up at its next heartbeat. Exit code 1 when the run already finished otherwise.',
  ],
  positionals: [{ name: 'id', description: 'the run id (see `weft runs list`)' }],
  options: { database: databaseOption, config: configOption, token: tokenOption, json: jsonOption },
  examples: ['weft runs cancel 01jhkm5100k3m9xq4v0c8n2r'],
  async run(args, context) {
    const database = args.string('database')
    const secured = await securedCommand(args, context)
    if (secured !== undefined) {
      // With --config: the handle's cancel goes through the secure path as the caller (the object-level rule).
      return withSecuredEngine(database, context, secured, async (caller, store) => {
        const handle = await requireReadableRun(caller, args.positionals[0]!, database)
        const before = await requireRun(store, handle.id, database)
        if (cancellable(before)) await handle.cancel()
        const after = (await store.getRun(before.id)) ?? before
        return reportAction(context, args.flag('json'), 'cancel', after, describe(context, before, after))
      })
    }
    return withStore(database, context.cwd, 'write', async (store) => {
      const before = await requireRun(store, args.positionals[0]!, database)
      const after = cancellable(before) ? await store.requestAction(before.id, 'cancel', context.now()) : before
      return reportAction(context, args.flag('json'), 'cancel', after ?? before, describe(context, before, after ?? before))
    })
  },
}

function cancellable(run: RunRecord): boolean {
  return run.status === 'pending' || run.status === 'dead-lettered' || run.status === 'running' || run.status === 'paused'
}

/** Who will apply the request: the run's worker, or, when it stopped renewing its lease (it died), whoever claims the run next. */
function whoCancels(run: RunRecord, now: number): string {
  const next = 'the next worker to claim it cancels it before starting any task; its @Always cleanups still run'
  if (run.leaseOwner === undefined) return next
  if ((run.leaseExpiresAt ?? 0) <= now) return `its worker ${run.leaseOwner} stopped renewing its lease; ${next}`
  return `its worker ${run.leaseOwner} cancels it at its next heartbeat; should that worker be gone, the next worker to claim it does`
}

function describe(context: CliContext, before: RunRecord, after: RunRecord): ActionOutcome {
  const run = `run ${after.id} (${workflowLabel(after)})`
  if (before.status === 'cancelled') {
    return { outcome: 'unchanged', message: `${run} is already cancelled` }
  }
  if (after.status === 'cancelled') {
    return { outcome: 'done', message: `cancelled ${run}: it was ${before.status}` }
  }
  if (after.requestedAction === 'cancel') {
    return { outcome: 'requested', message: `requested cancellation of ${run}, which is ${after.status}; ${whoCancels(after, context.now())}` }
  }
  return { outcome: 'refused', message: `${run} is ${after.status}; only pending, dead-lettered, running or paused runs can be cancelled` }
}
