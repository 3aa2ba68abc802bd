import { formatMillis, type AdapterState } from '../index.js'
import { parseCount } from './command-line.js'
import type { CliCommand, CliContext } from './command.js'
import { databaseOption } from './database.js'
import { configOption, securedCommand, tokenOption, withSecuredEngine } from './cli-security.js'
import { jsonOption, printJson } from './run-json.js'
import { checkStatus, type AdapterStatusJson, type StatusJson } from './status.js'
import type { Tone } from './terminal.js'
import { formatTable, type Column } from './text-table.js'

/** `weft status`: the store and every adapter of the worker configurations, and an exit code that says whether one is down. */
export const statusCommand: CliCommand = {
  path: ['status'],
  summary: 'check the store and the adapters a worker uses: exit 1 when one is down',
  details: [
    'Opens the database read-only and reads one run, then builds an engine that claims no runs from',
    'the adapters of each module\'s worker configuration (defineWorkerConfig({ workflows, adapters }),',
    'the modules `weft worker --module` runs) and calls every adapter\'s health(): a real round trip.',
    'Prints each adapter\'s state (up, degraded, down), the last round trip, the 95th percentile of the',
    'round trips (--samples checks, one after the other), its breakers and its limiters\' headroom.',
    'They are this process\'s: closed and full, unless the adapter keeps them in a shared backend.',
    'Exit codes: 0 when everything is up or degraded (an open breaker: shown, still answering);',
    '1 when the store or an adapter is down, or a module cannot be loaded; 2 a bad command line.',
    'Without --module only the store is checked. With --json it prints one JSON value:',
    '{ state, checkedAt, store: { state, database, latencyMs, detail }, adapters: [{ name, kind,',
    'state, latencyMs, p95Ms, samples, detail, breakers, limiters }] }.',
  ],
  positionals: [],
  options: {
    module: { type: 'string', multiple: true, valueName: '<path>', description: 'a built module exporting a worker configuration with adapters (repeat for several)' },
    database: databaseOption,
    config: configOption,
    token: tokenOption,
    samples: { type: 'string', valueName: '<n>', description: 'health checks per adapter, for the 95th percentile [default: 1]' },
    json: jsonOption,
  },
  examples: ['weft status --module dist/worker.js', 'weft status --module dist/worker.js --database postgres://weft@db.internal/weft --samples 5 --json'],
  async run(args, context) {
    const secured = await securedCommand(args, context)
    // With --config: the caller must authenticate (a listing admits any authenticated principal); no permission is needed.
    if (secured !== undefined) await withSecuredEngine(args.string('database'), context, secured, (caller) => caller.listRuns({ limit: 1 }))
    const status = await checkStatus({
      secured: secured !== undefined,
      database: args.string('database'),
      modules: args.strings('module'),
      samples: parseCount('samples', args.string('samples'), 1) ?? 1,
      cwd: context.cwd,
    })
    if (args.flag('json')) printJson(context.out, status)
    else printStatus(context, status)
    return status.state === 'down' ? 1 : 0
  },
}

const stateTones: Readonly<Record<AdapterState, Tone>> = { up: 'green', degraded: 'yellow', down: 'red' }

function printStatus(context: CliContext, status: StatusJson): void {
  const { store } = status
  const answered = store.latencyMs === null ? '' : ` in ${formatMillis(store.latencyMs)}`
  context.out.line(`database  ${store.database}: ${store.state}${answered}${store.detail === null ? '' : ` (${store.detail})`}`)
  if (status.adapters.length === 0) context.out.line('adapters  none (--module names a worker configuration that lists them)')
  else for (const line of formatTable(context.out, adapterColumns, status.adapters)) context.out.line(line)
  context.out.line(`state     ${status.state}`)
}

const adapterColumns: readonly Column<AdapterStatusJson>[] = [
  { header: 'adapter', cell: (a) => a.name },
  { header: 'kind', cell: (a) => a.kind },
  { header: 'state', cell: (a) => a.state, tone: (a) => stateTones[a.state] },
  { header: 'latency', cell: (a) => formatMillis(a.latencyMs) },
  { header: 'p95', cell: (a) => formatMillis(a.p95Ms) },
  { header: 'breakers', cell: (a) => (a.breakers.length === 0 ? '-' : a.breakers.map((b) => `${b.name} ${b.state}`).join(', ')) },
  { header: 'limiters', cell: (a) => (a.limiters.length === 0 ? '-' : a.limiters.map((l) => `${l.name} ${l.remaining}/${l.limit} per ${formatMillis(l.windowMs)}`).join(', ')) },
  { header: 'detail', cell: (a) => a.detail ?? '' },
]
