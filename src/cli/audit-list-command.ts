import { auditOutcomes, type AuditEntry, type AuditOutcome, type AuditQuery } from '../store.js'
import { withAuditStore } from './audit-store-access.js'
import { configOption, securedCommand, tokenOption } from './cli-security.js'
import { UsageError } from './cli-errors.js'
import { parseCount } from './command-line.js'
import type { CliCommand, CliContext } from './command.js'
import { databaseOption } from './database.js'
import { jsonOption, printJson } from './run-json.js'
import { formatDateTime, none } from './run-text.js'
import { formatTable, type Column } from './text-table.js'

const defaultLimit = 50

/** `weft audit list`: audit entries, newest first, with filters. */
export const auditListCommand: CliCommand = {
  path: ['audit', 'list'],
  summary: 'list audit entries, newest first',
  details: [
    'Columns: when (UTC), the chain and index of the entry, who (the principal\'s subject), what',
    '(the action), on what, how it ended (succeeded, denied, failed) and why.',
    '--since and --until take an ISO date-time (2026-12-08T10:00:00Z) or epoch milliseconds.',
  ],
  positionals: [],
  options: {
    since: { type: 'string', valueName: '<time>', description: 'only entries at or after this time' },
    until: { type: 'string', valueName: '<time>', description: 'only entries before this time' },
    subject: { type: 'string', valueName: '<subject>', description: 'only entries of this principal' },
    action: { type: 'string', valueName: '<action>', description: 'only entries of this action, e.g. run.cancel or auth.failed' },
    outcome: { type: 'string', valueName: '<outcome>', description: `only entries with this outcome: ${auditOutcomes.join(', ')}` },
    run: { type: 'string', valueName: '<id>', description: 'only entries about this run' },
    chain: { type: 'string', valueName: '<chain>', description: 'only entries of this chain (writer)' },
    limit: { type: 'string', valueName: '<n>', description: `most entries shown [default: ${defaultLimit}]` },
    cursor: { type: 'string', valueName: '<cursor>', description: 'the next page: the cursor printed after a full page' },
    database: databaseOption,
    config: configOption,
    token: tokenOption,
    json: jsonOption,
  },
  examples: ['weft audit list', 'weft audit list --outcome denied --since 2026-12-08T00:00:00Z', 'weft audit list --subject user:bob --action run.cancel --json'],
  async run(args, context) {
    const query: AuditQuery = {
      from: parseTime('since', args.string('since')),
      to: parseTime('until', args.string('until')),
      subject: args.string('subject'),
      action: args.string('action'),
      outcome: parseOutcome(args.string('outcome')),
      runId: args.string('run'),
      chain: args.string('chain'),
      limit: parseCount('limit', args.string('limit'), 1) ?? defaultLimit,
      cursor: args.string('cursor'),
    }
    const page = await withAuditStore(args.string('database'), context, (audit) => audit.listAudit(withoutUndefined(query)), await securedCommand(args, context))
    if (args.flag('json')) printJson(context.out, { entries: page.entries, nextCursor: page.nextCursor ?? null })
    else printEntries(context, page.entries, page.nextCursor)
    return 0
  },
}

function withoutUndefined(query: AuditQuery): AuditQuery {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined)) as AuditQuery
}

function parseTime(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text)
  if (Number.isNaN(ms)) throw new UsageError(`--${option} must be an ISO date-time (2026-12-08T10:00:00Z) or epoch milliseconds; got "${text}"`)
  return ms
}

function parseOutcome(text: string | undefined): AuditOutcome | undefined {
  if (text === undefined || auditOutcomes.includes(text as AuditOutcome)) return text as AuditOutcome | undefined
  throw new UsageError(`--outcome must be one of ${auditOutcomes.join(', ')}; got "${text}"`)
}

function printEntries(context: CliContext, entries: readonly AuditEntry[], nextCursor: string | undefined): void {
  if (entries.length === 0) return context.out.line('no audit entries')
  const columns: Column<AuditEntry>[] = [
    { header: 'at (utc)', cell: (e) => formatDateTime(e.at) },
    { header: 'entry', cell: (e) => `${e.chain}:${e.index}` },
    { header: 'subject', cell: (e) => e.subject ?? none },
    { header: 'action', cell: (e) => e.action },
    { header: 'resource', cell: (e) => e.resource ?? none },
    { header: 'outcome', cell: (e) => e.outcome, tone: (e) => (e.outcome === 'succeeded' ? 'green' : e.outcome === 'denied' ? 'red' : 'yellow') },
    { header: 'reason', cell: (e) => e.reason ?? '' },
  ]
  for (const line of formatTable(context.out, columns, entries)) context.out.line(line)
  if (nextCursor !== undefined) context.err.line(`(${entries.length} entries; --cursor ${nextCursor} shows the next ones)`)
}
