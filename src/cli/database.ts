import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { sqliteStore, type SqliteStoreOptions } from '../index.js'
import { withoutPassword, type EventInbox, type RunStore, type StepJournal, type WorkflowStore } from '../store.js'
import { readSecuritySetting } from '../store.js'
import { CommandFailedError, UsageError } from './cli-errors.js'
import type { OptionSpec } from './command.js'

/** The database every command uses without `--database`: the file `sqliteStore()` opens. */
export const defaultDatabase = '.weft/weft.sqlite'

/** The `--database` option of the commands that read or write runs. */
export const databaseOption: OptionSpec = {
  type: 'string',
  valueName: '<path|url>',
  description: `a SQLite file, or a postgres:// (postgresql://) URL [default: ${defaultDatabase}]`,
}

/** Whether `database` is a PostgreSQL connection URL rather than a SQLite file path. */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database)
}

/** The database as it may be printed: a URL's password is masked. */
export function describeDatabase(database: string): string {
  return isPostgresUrl(database) ? withoutPassword(database) : database
}

/**
 * What a command does with the database: `read` (it changes nothing: a
 * SQLite file is opened read-only), `write` (it changes runs but not the
 * schema), or `migrate` (a worker: it creates or upgrades the schema).
 * Only `migrate` may turn a file into a Weft database; the others refuse a
 * database that is not one, or that a newer Weft wrote.
 */
export type StoreAccess = 'read' | 'write' | 'migrate'

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** The directory a relative SQLite path is resolved from. */
  readonly cwd: string
  /**
   * Whether a SQLite file that does not exist may be created (a worker), or
   * is an error (commands that read runs). @defaultValue `false`
   */
  readonly create?: boolean
  /** What the command does with the database. @defaultValue `'migrate'` */
  readonly access?: StoreAccess
  /**
   * Whether the command runs with `--config` (through the secure path). A
   * database whose store records security enabled refuses a command without
   * it, before anything else is read. @defaultValue `false`
   */
  readonly secured?: boolean
  /** How stored values are encoded (a `--config`'s codec). */
  readonly codec?: SqliteStoreOptions['codec']
}

/**
 * Opens and initializes (migrates) the store of a `--database` value:
 * PostgreSQL for a `postgres://` URL, else a SQLite file.
 * @throws {@link CommandFailedError} when the file does not exist (unless `create`) or the database cannot be opened.
 */
export async function openStore(database: string = defaultDatabase, options: OpenStoreOptions): Promise<WorkflowStore> {
  const store = await createStore(database, options)
  try {
    await store.init()
  } catch (error) {
    await store.close().catch(() => undefined)
    throw new CommandFailedError(`cannot open ${describeDatabase(database)}: ${messageOf(error)}`, { cause: error })
  }
  await refuseUnsecured(store, database, options)
  return store
}

/** Refuses, closing the store, a command without `--config` on a database whose store records security enabled. */
async function refuseUnsecured(store: WorkflowStore, database: string, options: OpenStoreOptions): Promise<void> {
  if (options.secured === true) return
  let setting
  try {
    setting = await readSecuritySetting(store.settings)
  } catch (error) {
    await store.close().catch(() => undefined)
    throw new CommandFailedError(`cannot open ${describeDatabase(database)}: ${messageOf(error)}`, { cause: error })
  }
  if (setting?.enabled !== true) return
  await store.close().catch(() => undefined)
  const since = setting.since > 0 ? ` since ${new Date(setting.since).toISOString()}` : ''
  throw new UsageError(`${describeDatabase(database)} has security enabled${since}: every command needs credentials; pass --config <file> (and --token <jwt>)`)
}

async function createStore(database: string, options: OpenStoreOptions): Promise<WorkflowStore> {
  const access = options.access ?? 'migrate'
  try {
    if (isPostgresUrl(database)) {
      const { postgresStore } = await import('../postgres.js')
      return postgresStore({ connectionString: database, maxConnections: 4, migrate: access === 'migrate', codec: options.codec })
    }
    const path = resolve(options.cwd, database)
    if (options.create !== true && !existsSync(path)) {
      throw new CommandFailedError(
        `no Weft database at ${database} (${path}); pass --database <path|url> to name another SQLite file or a postgres:// URL`,
      )
    }
    // A command that changes runs checks the file read-only first: opening it to write switches it to WAL.
    if (access === 'write') await verifiedReadOnly(path)
    return sqliteStore({ path, readOnly: access === 'read', migrate: access === 'migrate', codec: options.codec })
  } catch (error) {
    if (error instanceof CommandFailedError) throw error
    throw new CommandFailedError(`cannot open ${describeDatabase(database)}: ${messageOf(error)}`, { cause: error })
  }
}

/** Checks, reading only, that a SQLite file is a Weft database this version can use. */
async function verifiedReadOnly(path: string): Promise<void> {
  const reader = sqliteStore({ path, readOnly: true })
  try {
    await reader.init()
  } finally {
    await reader.close()
  }
}

/**
 * Opens the store of `database` for `access`, passes it to `use`, and closes it whatever happens.
 * @throws what {@link openStore} and `use` throw.
 */
export async function withStore<T>(database: string | undefined, cwd: string, access: StoreAccess, use: (store: RunStore & Pick<StepJournal, 'loadSteps'> & Pick<EventInbox, 'sendEvent'>) => Promise<T>): Promise<T> {
  const store = await openStore(database, { cwd, access })
  try {
    return await use(store)
  } finally {
    await store.close()
  }
}

/** An error's message, or the value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
