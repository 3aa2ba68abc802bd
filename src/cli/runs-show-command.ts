import { formatMillis, type RunRecord } from '../index.js'
import type { StepRecord } from '../store.js'
import type { CliCommand, CliContext } from './command.js'
import { databaseOption, withStore } from './database.js'
import { requireRun } from './require-run.js'
import { describeError, formatInstant, none, runDuration, statusTone, stepDuration, workflowLabel } from './run-text.js'
import { toStepRows, type StepRow } from './step-rows.js'
import { paint, type Tone } from './terminal.js'
import { formatTable, type Column } from './text-table.js'

/** `weft runs show <id>`: one run and its recorded steps. */
export const runsShowCommand: CliCommand = {
  path: ['runs', 'show'],
  summary: 'show a run and the steps it recorded',
  details: [
    'Prints the run (status, times, principal, lease, recoveries, status message, error), then',
    'each recorded task step with its sub-steps (ctx.step results, events, loop iterations, map items)',
    'indented under it. Times are UTC. A task appears once it finished or recorded a sub-step.',
  ],
  positionals: [{ name: 'id', description: 'the run id (see `weft runs list`)' }],
  options: { database: databaseOption },
  examples: ['weft runs show 01jhkm5100k3m9xq4v0c8n2r'],
  async run(args, context) {
    const [run, steps] = await withStore(args.string('database'), context.cwd, 'read', async (store) => {
      const found = await requireRun(store, args.positionals[0]!, args.string('database'))
      return [found, await store.loadSteps(found.id)] as const
    })
    printRun(context, run)
    context.out.line()
    printSteps(context, run, steps)
    return 0
  },
}

type Field = readonly [label: string, value: string, tone?: Tone]

function runFields(run: RunRecord, now: number): Field[] {
  return [
    ['run', run.id, 'bold'],
    ['workflow', workflowLabel(run)],
    ['status', run.status, statusTone(run.status)],
    ['message', run.statusMessage ?? none],
    ['error', run.error === undefined ? none : describeError(run.error), run.error === undefined ? undefined : 'red'],
    ['principal', run.principal ?? none],
    ['created', formatInstant(run.createdAt)],
    ['started', formatInstant(run.startedAt)],
    ['finished', formatInstant(run.finishedAt)],
    ['duration', runDuration(run, now)],
    ['lease owner', run.leaseOwner ?? none],
    ['lease expires', leaseExpiry(run, now)],
    ['epoch', String(run.epoch)],
    ['recoveries', String(run.recoveries)],
    ['requested', run.requestedAction ?? none],
  ]
}

function leaseExpiry(run: RunRecord, now: number): string {
  if (run.leaseExpiresAt === undefined) return none
  const left = run.leaseExpiresAt - now
  return `${formatInstant(run.leaseExpiresAt)} (${left >= 0 ? `in ${formatMillis(left)}` : `${formatMillis(-left)} ago`})`
}

function printRun(context: CliContext, run: RunRecord): void {
  const fields = runFields(run, context.now())
  const width = Math.max(...fields.map(([label]) => label.length))
  for (const [label, value, tone] of fields) context.out.line(`${label.padEnd(width)}  ${paint(context.out, tone, value)}`)
}

function printSteps(context: CliContext, run: RunRecord, steps: readonly StepRecord[]): void {
  if (steps.length === 0) {
    context.out.line(run.status === 'pending' ? 'no steps: no worker has started the run yet' : 'no steps recorded')
    return
  }
  const unrecorded = run.status === 'running' || run.status === 'paused' ? 'running' : 'interrupted'
  const columns: Column<StepRow>[] = [
    { header: 'task', cell: (row) => row.label },
    { header: 'status', cell: (row) => row.step?.status ?? unrecorded, tone: (row) => statusTone(row.step?.status ?? 'skipped') },
    { header: 'attempts', cell: (row) => (row.step === undefined ? none : String(row.step.attempts)) },
    { header: 'started (utc)', cell: (row) => formatInstant(row.step?.startedAt) },
    { header: 'duration', cell: (row) => (row.step === undefined ? none : stepDuration(row.step)) },
    { header: 'error', cell: (row) => (row.step?.error === undefined ? '' : describeError(row.step.error)), tone: () => 'red' },
  ]
  for (const line of formatTable(context.out, columns, toStepRows(steps))) context.out.line(line)
}
