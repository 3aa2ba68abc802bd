// `weft outbox list` and `weft outbox retry`: what the durable outbox holds, and dead entries given another
// life once their cause is fixed (a broker down for longer than the delivery backoff, a missing exchange).
import type { OutboxEntry, OutboxStatus, OutboxStore, WorkflowStore } from '../store.js'
import { CommandFailedError, UsageError } from './cli-errors.js'
import type { CliCommand, CliContext, CommandArgs } from './command.js'
import { databaseOption, defaultDatabase, describeDatabase } from './database.js'
import { configOption, recordAudit, securedCommand, tokenOption, withAuthorizedStore, type StoreCommand } from './cli-security.js'
import { jsonOption, printJson } from './run-json.js'
import { formatInstant, none } from './run-text.js'
import { formatTable, type Column } from './text-table.js'

/** Listing needs `read:outbox`; a retry `admin:outbox` and is audited as `outbox.retried`. */
const readOutbox: StoreCommand = { request: { action: 'read', resource: 'outbox' }, audit: 'outbox.read', access: 'read' }
const retryOutbox: StoreCommand = { request: { action: 'admin', resource: 'outbox' }, audit: 'outbox.retried', access: 'write' }

const statuses: readonly OutboxStatus[] = ['pending', 'delivered', 'dead']

/** Runs `use` on the database's outbox, the caller authorized for `command` when `--config` is given. */
function withOutbox<T>(args: CommandArgs, context: CliContext, command: StoreCommand, use: (outbox: OutboxStore, store: WorkflowStore, audited: (resource: string) => Promise<void>) => Promise<T>): Promise<T> {
  const database = args.string('database')
  return securedCommand(args, context).then((secured) =>
    withAuthorizedStore(database, context, secured, command, async (store, caller) => {
      if (store.outbox === undefined) throw new CommandFailedError(`${describeDatabase(database ?? defaultDatabase)} has no outbox (its store does not keep one)`)
      const audited = async (resource: string): Promise<void> => {
        if (caller !== undefined) await recordAudit(caller.audit, context, { at: context.now(), action: command.audit, resource, outcome: 'succeeded', subject: caller.who.subject, tenant: caller.who.tenant })
      }
      return use(store.outbox, store, audited)
    }),
  )
}

/** `weft outbox list`: the outbox's entries with their status, attempts and last error; counts per status first. */
export const outboxListCommand: CliCommand = {
  path: ['outbox', 'list'],
  summary: "list the durable outbox's entries (pending, delivered, dead) with their last error",
  details: [
    'Prints how many entries are pending, delivered and dead, then the entries (oldest first, at most --limit),',
    'each with its run, adapter, attempts, creation time and last delivery error. Payloads are not printed.',
    'A dead entry was refused by its adapter or failed every delivery attempt: fix the cause, then',
    '`weft outbox retry`. On a database with security enabled, --config is required and the caller needs read:outbox.',
  ],
  positionals: [],
  options: {
    status: { type: 'string', valueName: '<status>', description: `only entries in this status: ${statuses.join(', ')}` },
    run: { type: 'string', valueName: '<id>', description: 'only entries recorded by this run' },
    limit: { type: 'string', valueName: '<n>', description: 'the most entries listed [default: 100]' },
    database: databaseOption,
    config: configOption,
    token: tokenOption,
    json: jsonOption,
  },
  examples: ['weft outbox list', 'weft outbox list --status dead', 'weft outbox list --run 01jhkm5100k3m9xq4v0c8n2r --json'],
  async run(args, context) {
    const status = parseStatus(args.string('status'))
    const limit = parseLimit(args.string('limit'))
    const runId = args.string('run')
    return withOutbox(args, context, readOutbox, async (outbox) => {
      const counts = await outbox.countOutbox()
      const entries = await outbox.listOutbox({ ...(status === undefined ? {} : { status }), ...(runId === undefined ? {} : { runId }), limit })
      if (args.flag('json')) {
        printJson(context.out, { counts, entries: entries.map(toEntryJson) })
        return 0
      }
      context.out.line(`pending ${counts.pending}, delivered ${counts.delivered}, dead ${counts.dead}`)
      if (entries.length === 0) return 0
      context.out.line()
      const columns: Column<OutboxEntry>[] = [
        { header: 'id', cell: (entry) => entry.id },
        { header: 'status', cell: (entry) => entry.status, tone: (entry) => (entry.status === 'dead' ? 'red' : entry.status === 'pending' ? 'yellow' : 'green') },
        { header: 'attempts', cell: (entry) => String(entry.attempts) },
        { header: 'adapter', cell: (entry) => entry.adapter },
        { header: 'created (utc)', cell: (entry) => formatInstant(entry.createdAt) },
        { header: 'last error', cell: (entry) => entry.lastError ?? none },
      ]
      for (const line of formatTable(context.out, columns, entries)) context.out.line(line)
      return 0
    })
  },
}

/** `weft outbox retry [id...]`: dead entries pending again, delivered by the next worker that polls. */
export const outboxRetryCommand: CliCommand = {
  path: ['outbox', 'retry'],
  summary: 'make dead outbox entries pending again (those named, or with --all every dead one)',
  details: [
    'Each named entry that is dead (or with --all every dead entry) becomes pending again, its attempts counted',
    'from 0 and its last error kept; a running worker delivers it at its next poll, under the same message id',
    '(consumers deduplicate by it). Entries that are not dead are left as they are. Exit code 1 when none of the',
    'named entries was dead. On a database with security enabled, --config is required and the caller needs',
    'admin:outbox; the retry is audited as outbox.retried.',
  ],
  positionals: [{ name: 'ids', description: 'the entries (see `weft outbox list --status dead`)', optional: true, variadic: true }],
  options: {
    all: { type: 'boolean', description: 'every dead entry' },
    database: databaseOption,
    config: configOption,
    token: tokenOption,
    json: jsonOption,
  },
  examples: ['weft outbox retry --all', "weft outbox retry '01jhkm5100k3m9xq4v0c8n2r:notify:events:outbox:1'"],
  async run(args, context) {
    const ids = args.positionals
    const all = args.flag('all')
    if (all === ids.length > 0) throw new UsageError(all ? 'weft outbox retry takes entry ids or --all, not both' : 'weft outbox retry needs entry ids or --all (see `weft outbox list --status dead`)')
    return withOutbox(args, context, retryOutbox, async (outbox, _store, audited) => {
      const requeued = await outbox.requeueOutbox({ ...(all ? {} : { ids }), now: context.now() })
      await audited(all ? 'outbox' : `outbox:${requeued.length}`)
      const notDead = all ? [] : ids.filter((id) => !requeued.includes(id))
      if (args.flag('json')) printJson(context.out, { requeued, notDead })
      else {
        context.out.line(requeued.length === 0 ? 'no dead entry to retry' : `requeued ${requeued.length} dead entr${requeued.length === 1 ? 'y' : 'ies'}: a worker delivers ${requeued.length === 1 ? 'it' : 'them'} at its next poll`)
        for (const id of notDead) context.out.line(`not dead (left as it is): ${id}`)
      }
      return !all && requeued.length === 0 ? 1 : 0
    })
  },
}

function parseStatus(text: string | undefined): OutboxStatus | undefined {
  if (text === undefined) return undefined
  if (!(statuses as readonly string[]).includes(text)) throw new UsageError(`--status must be one of ${statuses.join(', ')}, not "${text}"`)
  return text as OutboxStatus
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return 100
  const limit = Number(text)
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number ≥ 1, not "${text}"`)
  return limit
}

/** An entry as `weft outbox list --json` prints it: no payload; absent fields null. */
function toEntryJson(entry: OutboxEntry): Record<string, unknown> {
  return {
    id: entry.id,
    runId: entry.runId,
    stepKey: entry.stepKey,
    adapter: entry.adapter,
    status: entry.status,
    attempts: entry.attempts,
    createdAt: entry.createdAt,
    availableAt: entry.availableAt,
    deliveredAt: entry.deliveredAt ?? null,
    lastError: entry.lastError ?? null,
  }
}
