import type { RunQuery, RunRecord, RunStatus } from '../index.js'
import { UsageError } from './cli-errors.js'
import { parseCount } from './command-line.js'
import type { CliCommand, CliContext } from './command.js'
import { databaseOption, withStore } from './database.js'
import { configOption, requireReadableRun, securedCommand, tokenOption, withSecuredEngine } from './cli-security.js'
import { requireRun } from './require-run.js'
import { jsonOption, printJson, toRunJson } from './run-json.js'
import { formatDateTime, runDuration, runNote, runState, runStatuses, statusTone, workflowLabel } from './run-text.js'
import { formatTable, type Column } from './text-table.js'

const defaultLimit = 20

/** `weft runs list`: the newest runs, as a table. */
export const runsListCommand: CliCommand = {
  path: ['runs', 'list'],
  summary: 'list runs, newest first',
  details: [
    'Columns: the run id, workflow@version, status, when it was created (UTC), how long it took',
    '(or has been running so far), and its error or status message.',
    'Status `orphaned`: the run is pending, running or paused and names a worker whose lease has',
    'expired, or a worker of this host whose process is gone: that worker stopped (crashed or was',
    'killed) and the next worker with its workflow version recovers it. --status filters by the',
    'stored status (an orphaned run is still running).',
  ],
  positionals: [],
  options: {
    status: { type: 'string', valueName: '<status>', description: `only runs in this status: ${runStatuses.join(', ')}` },
    workflow: { type: 'string', valueName: '<name>', description: 'only runs of this workflow' },
    limit: { type: 'string', valueName: '<n>', description: `most runs shown [default: ${defaultLimit}]` },
    before: { type: 'string', valueName: '<id>', description: 'only runs older than this one: the next page after a list ending with it' },
    database: databaseOption,
    config: configOption,
    token: tokenOption,
    json: jsonOption,
  },
  examples: [
    'weft runs list',
    'weft runs list --json | jq -r \'.runs[].id\'',
    'weft runs list --status failed --limit 5',
    'weft runs list --before 01jhkm5100k3m9xq4v0c8n2r',
    'weft runs list --database postgres://weft@db.internal/weft',
  ],
  async run(args, context) {
    const query: RunQuery = {
      status: parseStatus(args.string('status')),
      workflow: args.string('workflow'),
      limit: parseCount('limit', args.string('limit'), 1) ?? defaultLimit,
      before: args.string('before'),
    }
    const database = args.string('database')
    const secured = await securedCommand(args, context)
    // With --config: only the runs the caller may read (its own, its tenant's, or all of a workflow it administers).
    const runs = secured !== undefined
      ? await withSecuredEngine(database, context, secured, async (caller) => {
          if (query.before !== undefined) await requireReadableRun(caller, query.before, database)
          return caller.listRuns(query)
        })
      : await withStore(database, context.cwd, 'read', async (store) => {
          if (query.before !== undefined) await requireRun(store, query.before, database)
          return store.listRuns(query)
        })
    if (args.flag('json')) printJson(context.out, { runs: runs.map((run) => toRunJson(run, context.now())), nextBefore: nextPage(runs, query) ?? null })
    else printRuns(context, runs, query)
    return 0
  },
}

function parseStatus(text: string | undefined): RunStatus | undefined {
  if (text === undefined || runStatuses.includes(text as RunStatus)) return text as RunStatus | undefined
  throw new UsageError(`--status must be one of ${runStatuses.join(', ')}; got "${text}"`)
}

function printRuns(context: CliContext, runs: readonly RunRecord[], query: RunQuery): void {
  if (runs.length === 0) {
    context.out.line(`no runs${query.status === undefined ? '' : ` with status ${query.status}`}${query.workflow === undefined ? '' : ` of workflow "${query.workflow}"`}`)
    return
  }
  const now = context.now()
  const columns: Column<RunRecord>[] = [
    { header: 'id', cell: (run) => run.id },
    { header: 'workflow', cell: workflowLabel },
    { header: 'status', cell: (run) => runState(run, now), tone: (run) => statusTone(runState(run, now)) },
    { header: 'created (utc)', cell: (run) => formatDateTime(run.createdAt) },
    { header: 'duration', cell: (run) => runDuration(run, now) },
    { header: 'message', cell: runNote },
  ]
  for (const line of formatTable(context.out, columns, runs)) context.out.line(line)
  const next = nextPage(runs, query)
  if (next !== undefined) {
    const which = query.before === undefined ? 'newest runs' : `runs before ${query.before}`
    context.err.line(`(the ${runs.length} ${which}; --before ${next} shows the next ${runs.length})`)
  }
}

/** The `--before` of the next page: the last run's id when the page is full. */
function nextPage(runs: readonly RunRecord[], query: RunQuery): string | undefined {
  return runs.length === query.limit ? runs.at(-1)!.id : undefined
}
