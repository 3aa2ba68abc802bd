// `weft keys status` and `weft keys rotate`: which encryption keys a database's stored values use, and the
// re-encryption of every value with the newest key after a rotation (batched, resumable). The keys come from the
// `--config` file's codec (the application's payload codec): the CLI has no other access to them.
import type { KeyUsage, RotationCursor, RotationProgress, WorkflowStore } from '../store.js'
import { readKeysSetting, type ValueCodec } from '../store.js'
import { configOption, recordAudit, securedCommand, tokenOption, withAuthorizedStore, type StoreCommand } from './cli-security.js'
import { CommandFailedError, UsageError } from './cli-errors.js'
import type { CliCommand, CliContext, CommandArgs } from './command.js'
import { databaseOption, defaultDatabase, describeDatabase, messageOf, type StoreAccess } from './database.js'
import { decryptableKeyIds, keysStatus, printKeysStatus } from './keys-status-report.js'
import { jsonOption, printJson } from './run-json.js'

/** What the keys commands need of a store beyond the port: the SQL stores have both. */
interface KeyedStore extends WorkflowStore {
  valueKeyUsage(): Promise<KeyUsage[]>
  reencryptValues(options: { batchSize?: number; resumeFrom?: RotationCursor; onBatch?: (progress: RotationProgress) => void }): Promise<RotationProgress>
}

function isKeyedStore(store: WorkflowStore): store is KeyedStore {
  const candidate = store as Partial<KeyedStore>
  return typeof candidate.valueKeyUsage === 'function' && typeof candidate.reencryptValues === 'function'
}

/**
 * What a keys command does, for the secure path: `weft keys status` needs `read:keys`, `weft keys rotate`
 * `admin:keys` (on a secured database, before anything is read), and a rotation is audited.
 */
function keysCommand(action: 'read' | 'admin', access: StoreAccess): StoreCommand {
  return { request: { action, resource: 'keys' }, audit: action === 'admin' ? 'keys.rotated' : 'keys.status', access }
}

/** Opens the store of the command (with the `--config`'s codec, if any), authorizes the caller, runs `use`, closes it. */
async function withKeyedStore<T>(args: CommandArgs, context: CliContext, command: StoreCommand, use: (store: KeyedStore, hasCodec: boolean, codec: ValueCodec | undefined) => Promise<T>): Promise<T> {
  const secured = await securedCommand(args, context)
  const database = args.string('database')
  return withAuthorizedStore(database, context, secured, command, async (store, caller) => {
    if (!isKeyedStore(store)) throw new CommandFailedError(`${describeDatabase(database ?? defaultDatabase)} is not a SQL store: its values are not encrypted`)
    const result = await use(store, secured?.config.codec !== undefined, secured?.config.codec)
    if (command.audit === 'keys.rotated' && caller !== undefined) await recordAudit(caller.audit, context, { at: context.now(), action: 'keys.rotated', resource: 'keys', outcome: 'succeeded', subject: caller.who.subject, tenant: caller.who.tenant })
    return result
  })
}

/** `weft keys status`: the key ids the store records, how many stored values each encrypts, and the keys the --config lacks. */
export const keysStatusCommand: CliCommand = {
  path: ['keys', 'status'],
  summary: 'count the stored values each encryption key id encrypts (clear for unencrypted ones)',
  details: [
    'Counts, per table and column, the values each key id encrypts, and the values stored in clear.',
    'Prints the key ids the store records (current and every one known; written when a store with an',
    'encrypting codec migrates the database), and with --config each id the values use or the record',
    'lists that its codec cannot decrypt, with the fix: add that key to the key provider.',
    'A key may be removed from the key provider once no value names it (run `weft keys rotate` first).',
    'Reads no value and needs no key.',
  ],
  positionals: [],
  options: { database: databaseOption, config: configOption, token: tokenOption, json: jsonOption },
  examples: ['weft keys status', 'weft keys status --database postgres://weft@db.internal/weft --json'],
  async run(args, context) {
    const hasConfig = args.string('config') !== undefined
    const status = await withKeyedStore(args, context, keysCommand('read', 'read'), async (store, _hasCodec, codec) =>
      keysStatus(await store.valueKeyUsage(), await readKeysSetting(store.settings), codec, decryptableKeyIds(hasConfig, codec)),
    )
    if (args.flag('json')) printJson(context.out, status)
    else printKeysStatus(context, status)
    return 0
  },
}

/** `weft keys rotate`: re-encrypts every stored value with the newest key. */
export const keysRotateCommand: CliCommand = {
  path: ['keys', 'rotate'],
  summary: 're-encrypt every stored value with the newest key of the --config codec (batched, resumable)',
  details: [
    'Visits weft_runs, weft_steps, weft_events and weft_outbox in primary-key order, one transaction per',
    'batch, and rewrites every value not yet under the newest key (values in clear included). A value a',
    'worker changes meanwhile is left as written: it may run beside live workers. Prints a cursor after',
    'each batch; stopped anywhere, run it again (re-encrypted values are skipped) or pass the last cursor',
    'to --resume-from to skip the rescan. The keys come from the --config file\'s codec.',
  ],
  positionals: [],
  options: {
    database: databaseOption,
    config: configOption,
    token: tokenOption,
    'batch-size': { type: 'string', valueName: '<n>', description: 'rows per transaction [default: 500]' },
    'resume-from': { type: 'string', valueName: '<cursor>', description: 'the cursor a stopped rotation printed last (JSON)' },
    json: jsonOption,
  },
  examples: ['weft keys rotate --config weft.config.mjs', 'weft keys rotate --config weft.config.mjs --batch-size 200 --resume-from \'{"table":"weft_steps","after":["r-1","load"]}\''],
  async run(args, context) {
    const batchSize = parseBatchSize(args.string('batch-size'))
    const resumeFrom = parseCursor(args.string('resume-from'))
    if (args.string('config') === undefined) throw new UsageError('weft keys rotate needs --config <file> whose codec holds the keys (createPayloadCodec(...))')
    const json = args.flag('json')
    const onBatch = (progress: RotationProgress) => {
      if (!json) context.out.line(`${progress.table}: ${progress.rewritten} re-encrypted of ${progress.scanned} read; cursor ${JSON.stringify({ table: progress.table, after: progress.after })}`)
    }
    const done = await withKeyedStore(args, context, keysCommand('admin', 'write'), async (store, hasCodec) => {
      if (!hasCodec) throw new UsageError(`the --config file gives no codec: add codec: createPayloadCodec(<key provider>) to it`)
      return store.reencryptValues({ batchSize, resumeFrom, onBatch }).catch((error: unknown) => {
        throw new CommandFailedError(`re-encryption stopped: ${messageOf(error)}; run it again to resume`, { cause: error })
      })
    })
    if (json) printJson(context.out, done)
    else context.out.line(`done: ${done.rewritten} values re-encrypted, ${done.skipped} changed meanwhile (left as written)`)
    return 0
  },
}

function parseBatchSize(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const size = Number(text)
  if (!Number.isInteger(size) || size < 1) throw new UsageError(`--batch-size ${JSON.stringify(text)} is not a positive integer`)
  return size
}

const tables = new Set(['weft_runs', 'weft_steps', 'weft_events', 'weft_outbox'])

function parseCursor(text: string | undefined): RotationCursor | undefined {
  if (text === undefined) return undefined
  let cursor: unknown
  try {
    cursor = JSON.parse(text)
  } catch {
    throw new UsageError('--resume-from is not JSON: pass the cursor a rotation printed, e.g. {"table":"weft_steps","after":["r-1","load"]}')
  }
  const { table, after } = (cursor ?? {}) as { table?: unknown; after?: unknown }
  if (typeof table !== 'string' || !tables.has(table) || (after !== undefined && !Array.isArray(after))) {
    throw new UsageError('--resume-from must be {"table": "weft_runs" | "weft_steps" | "weft_events" | "weft_outbox", "after": [...]}')
  }
  return cursor as RotationCursor
}
