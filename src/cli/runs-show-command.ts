import { formatMillis, type RunRecord, type StepUsage } from '../index.js'
import type { RunStore, StepJournal, StepRecord } from '../store.js'
import type { CliCommand, CliContext } from './command.js'
import { databaseOption, withStore } from './database.js'
import { configOption, requireReadableRun, securedCommand, tokenOption, withSecuredEngine } from './cli-security.js'
import { requireRun } from './require-run.js'
import { jsonOption, printJson, toRunJson, toStepJson, toStoredJson } from './run-json.js'
import { cellPropsChars, describeError, formatInstant, none, runDuration, runState, stackLines, statusTone, stepDuration, workflowLabel } from './run-text.js'
import { printAttempts } from './step-attempts.js'
import { toStepRows, type StepRow } from './step-rows.js'
import { paint, type Tone } from './terminal.js'
import { formatTable, type Column } from './text-table.js'

/** `weft runs show <id>`: one run and its recorded steps. */
export const runsShowCommand: CliCommand = {
  path: ['runs', 'show'],
  summary: 'show a run and the steps it recorded',
  details: [
    'Prints the run (status, times, principal, lease, recoveries, status message, error with its causes,',
    'then the stack of the error that ended it; status',
    '`orphaned` when its worker\'s lease expired, see `weft runs list --help`), then',
    'each recorded task step with its sub-steps (ctx.step results, events, loop iterations, map items)',
    'indented under it. Times are UTC. A task appears once it finished or recorded a sub-step.',
    'With --values it also prints the run\'s input and each step\'s output, as JSON in Weft\'s storage',
    'encoding (a Date is {"$weft":"date","v":"…"}). Values are printed as stored: nothing is redacted',
    '(redaction comes with the security layer).',
    'With --attempts it also lists each step\'s attempts: number, start, duration, outcome and error. A step',
    'keeps its last 5 failed attempts before the last in full and counts older ones; an attempt whose process',
    'stopped (the run was taken over) is `interrupted`, its times unknown.',
    'When metered calls (an LLM adapter\'s, through ctx.use) spent tokens, each step shows its usage (tokens,',
    'and cost when the adapter has prices) and the run the total (`usage` in --json).',
  ],
  positionals: [{ name: 'id', description: 'the run id (see `weft runs list`)' }],
  options: {
    values: { type: 'boolean', description: "also print the run's input and each step's output (errors are always shown)" },
    attempts: { type: 'boolean', description: "also list each step's attempts (start, duration, outcome, error)" },
    database: databaseOption,
    config: configOption,
    token: tokenOption,
    json: jsonOption,
  },
  examples: [
    'weft runs show 01jhkm5100k3m9xq4v0c8n2r',
    'weft runs show 01jhkm5100k3m9xq4v0c8n2r --attempts',
    'weft runs show 01jhkm5100k3m9xq4v0c8n2r --values --json | jq .steps',
  ],
  async run(args, context) {
    const database = args.string('database')
    const secured = await securedCommand(args, context)
    const read = async (store: Pick<StepJournal, 'loadSteps'> & Pick<RunStore, 'getRun'>) => {
      const found = await requireRun(store, args.positionals[0]!, database)
      return [found, await store.loadSteps(found.id)] as const
    }
    // With --config: the secure path's read check (the object-level rule) before anything is printed.
    const [run, steps] = secured !== undefined
      ? await withSecuredEngine(database, context, secured, async (caller, store) => {
          await requireReadableRun(caller, args.positionals[0]!, database)
          return read(store)
        })
      : await withStore(database, context.cwd, 'read', read)
    const values = args.flag('values')
    const attempts = args.flag('attempts')
    if (args.flag('json')) {
      const stepsJson = toStepRows(steps).flatMap((row) => (row.step === undefined ? [] : [toStepJson(row.step, values, attempts)]))
      printJson(context.out, { run: toRunJson(run, context.now(), values), steps: stepsJson, usage: totalUsage(steps) ?? null })
      return 0
    }
    printRun(context, run, values, totalUsage(steps))
    context.out.line()
    printSteps(context, run, steps)
    if (attempts) printAttempts(context, toStepRows(steps))
    if (values) printOutputs(context, steps)
    return 0
  },
}

/** One line of JSON for a stored value. */
function valueText(value: unknown, what: string): string {
  return JSON.stringify(toStoredJson(value, what))
}

type Field = readonly [label: string, value: string, tone?: Tone]

function runFields(run: RunRecord, now: number, values: boolean): Field[] {
  const input: Field[] = values ? [['input', valueText(run.input, `input of run ${run.id}`)]] : []
  return [
    ['run', run.id, 'bold'],
    ['workflow', workflowLabel(run)],
    ['status', runState(run, now), statusTone(runState(run, now))],
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
    ...input,
  ]
}

function leaseExpiry(run: RunRecord, now: number): string {
  if (run.leaseExpiresAt === undefined) return none
  const left = run.leaseExpiresAt - now
  return `${formatInstant(run.leaseExpiresAt)} (${left >= 0 ? `in ${formatMillis(left)}` : `${formatMillis(-left)} ago`})`
}

/** The steps' metered usage summed; `undefined` when no step metered any. */
function totalUsage(steps: readonly StepRecord[]): StepUsage | undefined {
  const metered = steps.flatMap((step) => (step.usage === undefined ? [] : [step.usage]))
  if (metered.length === 0) return undefined
  return { tokens: metered.reduce((sum, usage) => sum + usage.tokens, 0), costUsd: metered.reduce((sum, usage) => sum + usage.costUsd, 0) }
}

/** `1,250 tokens, $0.0031` (the cost left out when no price was known). */
function usageText(usage: StepUsage): string {
  const tokens = `${usage.tokens.toLocaleString('en-US')} token${usage.tokens === 1 ? '' : 's'}`
  return usage.costUsd === 0 ? tokens : `${tokens}, $${usage.costUsd.toFixed(4)}`
}

function printRun(context: CliContext, run: RunRecord, values: boolean, usage: StepUsage | undefined): void {
  const fields = [...runFields(run, context.now(), values), ...(usage === undefined ? [] : [['usage', usageText(usage)] as const])]
  const width = Math.max(...fields.map(([label]) => label.length))
  for (const [label, value, tone] of fields) context.out.line(`${label.padEnd(width)}  ${paint(context.out, tone, value)}`)
  const stack = stackLines(run.error)
  if (stack.length === 0) return
  // The run's error only: a step's error is one cell of the table, and the run's is the one that ended it.
  context.out.line()
  context.out.line('stack of the error')
  for (const line of stack) context.out.line(paint(context.out, 'dim', line))
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
    ...(steps.some((step) => step.usage !== undefined) ? [{ header: 'usage', cell: (row: StepRow) => (row.step?.usage === undefined ? '' : usageText(row.step.usage)) }] : []),
    { header: 'error', cell: (row) => (row.step?.error === undefined ? '' : describeError(row.step.error, cellPropsChars)), tone: () => 'red' },
  ]
  for (const line of formatTable(context.out, columns, toStepRows(steps))) context.out.line(line)
}

/** `--values`: each completed step's output, in the table's order, one line of JSON each. */
function printOutputs(context: CliContext, steps: readonly StepRecord[]): void {
  const rows = toStepRows(steps).filter((row) => row.step?.status === 'completed')
  if (rows.length === 0) return
  context.out.line()
  const width = Math.max(...rows.map((row) => row.label.length))
  context.out.line(paint(context.out, 'bold', 'OUTPUTS'))
  for (const row of rows) context.out.line(`${row.label.padEnd(width)}  ${valueText(row.step!.output, `output of step "${row.step!.key}"`)}`)
}
