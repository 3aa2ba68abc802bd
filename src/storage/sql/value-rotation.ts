// Re-encryption of stored values with the codec's newest key (what `weft keys rotate` runs): each table whose
// columns the row codec encodes is scanned in primary-key order, in batches; every value not yet written with the
// newest key is decoded at its location and encoded again, and written back only if it did not change meanwhile
// (compare-and-set), one transaction per batch. Progress is kept by the data itself: a value already under the newest
// key is skipped without a write, so a rotation stopped anywhere (a crash, a kill) resumes by running it again, and
// the cursor it reports after each batch lets it skip the rescan too.
import { InvalidOptionsError } from '../../core/errors.js'
import { encryptedValuePrefix, type ValueCodec, type ValueLocation } from '../value-codec.js'
import { outboxErrorLocation } from './row-codec.js'

/**
 * The tables of encoded values, in the order a rotation visits them.
 *
 * @example
 * ```ts
 * import type { RotationTable } from 'weft-sdk/store'
 * const first: RotationTable = 'weft_runs'
 * ```
 */
export type RotationTable = 'weft_runs' | 'weft_steps' | 'weft_events' | 'weft_outbox'

/**
 * Where a rotation stands: the table it is in and the primary key of the last
 * row it finished (`undefined` before the table's first batch).
 *
 * @example
 * ```ts
 * import type { RotationCursor } from 'weft-sdk/store'
 * const cursor: RotationCursor = { table: 'weft_steps', after: ['r-1', 'load'] }
 * ```
 */
export interface RotationCursor {
  /** The table. */
  readonly table: RotationTable
  /** The primary key (its columns' values) of the last row done. */
  readonly after?: readonly (string | number)[] | undefined
}

/**
 * What a rotation did so far, reported after each batch and returned at the end.
 *
 * @example
 * ```ts
 * import type { RotationProgress } from 'weft-sdk/store'
 * const line = (p: RotationProgress) => `${p.table}: ${p.rewritten} of ${p.scanned} values re-encrypted`
 * ```
 */
export interface RotationProgress extends RotationCursor {
  /** Values read so far (all tables). */
  readonly scanned: number
  /** Values re-encrypted so far (all tables). */
  readonly rewritten: number
  /** Values that changed between the read and the write, left as their writer wrote them (with the newest key). */
  readonly skipped: number
}

/**
 * Options of a store's `reencryptValues`.
 *
 * @example
 * ```ts
 * import type { ReencryptOptions } from 'weft-sdk/store'
 * const options: ReencryptOptions = { batchSize: 200, onBatch: (p) => console.log(p.table, p.after, p.rewritten) }
 * ```
 */
export interface ReencryptOptions {
  /**
   * Rows read and written per transaction.
   * @defaultValue 500
   */
  readonly batchSize?: number
  /** Where to start: the cursor of the last batch a stopped rotation reported. @defaultValue the first row of the first table */
  readonly resumeFrom?: RotationCursor
  /** Called after each batch commits. */
  readonly onBatch?: (progress: RotationProgress) => void
}

/** A table of encoded values: its primary key, the columns its locations need, and its encoded columns. */
interface TablePlan {
  readonly table: RotationTable
  readonly key: readonly string[]
  readonly context: readonly string[]
  readonly values: readonly string[]
  /** Columns that also hold clear text by design (messages the store writes in SQL): a clear value there is left as it is. */
  readonly clearToo?: readonly string[]
  location(row: Readonly<Record<string, unknown>>, field: string): ValueLocation
}

const text = (value: unknown): string => String(value)

/** The plans of every table, the same locations as the row codec's (row-codec.ts). */
export const rotationPlans: readonly TablePlan[] = [
  {
    table: 'weft_runs',
    key: ['id'],
    context: [],
    values: ['input', 'error', 'roles', 'status_message'],
    clearToo: ['status_message'],
    location: (row, field) => ({ runId: text(row.id), record: '', field }),
  },
  {
    table: 'weft_steps',
    key: ['run_id', 'key'],
    context: [],
    values: ['output', 'error', 'history'],
    location: (row, field) => ({ runId: text(row.run_id), record: text(row.key), field }),
  },
  {
    table: 'weft_events',
    key: ['id'],
    context: ['name', 'run_id', 'sent_at'],
    values: ['payload'],
    location: (row, field) => ({ runId: row.run_id === null ? '' : text(row.run_id), record: `event "${text(row.name)}" at ${Number(row.sent_at)}`, field }),
  },
  {
    table: 'weft_outbox',
    key: ['id'],
    context: ['run_id'],
    values: ['payload', 'last_error'],
    location: (row, field) => (field === 'last_error' ? outboxErrorLocation(text(row.id)) : { runId: text(row.run_id), record: `outbox entry "${text(row.id)}"`, field }),
  },
]

/** A statement and its parameters, in the dialect's placeholders. */
export interface RotationStatement {
  readonly sql: string
  readonly parameters: readonly unknown[]
}

/** What a store gives a rotation: reads, and a batch of updates in one transaction returning how many rows each changed. */
export interface RotationDriver {
  /** `'$'` for PostgreSQL's `$1`, `'?'` for SQLite. */
  readonly placeholders: '$' | '?'
  select(statement: RotationStatement): Promise<readonly Record<string, unknown>[]>
  updateAll(statements: readonly RotationStatement[]): Promise<readonly number[]>
}

/** One value to write back: its update (compare-and-set on the old value). */
interface Rewrite {
  readonly statement: RotationStatement
}

/**
 * Re-encrypts every stored value that the codec's newest key did not write.
 * @throws {@link index!InvalidOptionsError} when the codec cannot tell which values are current (the clear codec), or the batch size is not a positive integer.
 */
export async function reencryptValues(driver: RotationDriver, codec: ValueCodec, options: ReencryptOptions = {}): Promise<RotationProgress> {
  const isCurrent = codec.isCurrent?.bind(codec)
  if (isCurrent === undefined) throw new InvalidOptionsError('reencryptValues needs the store to have an encrypting codec (createPayloadCodec): give the store its keys')
  const batchSize = options.batchSize ?? 500
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidOptionsError(`reencryptValues batchSize ${batchSize} is not a positive integer`)
  const start = options.resumeFrom === undefined ? 0 : rotationPlans.findIndex((plan) => plan.table === options.resumeFrom!.table)
  let progress: RotationProgress = { table: rotationPlans[start]!.table, after: options.resumeFrom?.after, scanned: 0, rewritten: 0, skipped: 0 }
  for (const plan of rotationPlans.slice(start)) {
    let after = plan.table === options.resumeFrom?.table ? options.resumeFrom.after : undefined
    for (;;) {
      const rows = await driver.select(selectBatch(plan, after, batchSize, driver.placeholders))
      if (rows.length === 0) break
      const rewrites = rows.flatMap((row) => rewritesOf(plan, row, codec, isCurrent, driver.placeholders))
      const changed = rewrites.length === 0 ? [] : await driver.updateAll(rewrites.map((rewrite) => rewrite.statement))
      const written = changed.filter((count) => count > 0).length
      after = plan.key.map((column) => rows[rows.length - 1]![column] as string | number)
      progress = { table: plan.table, after, scanned: progress.scanned + rows.length * plan.values.length, rewritten: progress.rewritten + written, skipped: progress.skipped + rewrites.length - written }
      options.onBatch?.(progress)
      if (rows.length < batchSize) break
    }
  }
  return progress
}

/**
 * How many stored values one key encrypts in one column (`keyId` `'clear'`
 * for values stored in clear): what `weft keys status` prints, and how to
 * know that a key is no longer used before removing it.
 *
 * @example
 * ```ts
 * import type { KeyUsage } from 'weft-sdk/store'
 * const unused = (usage: readonly KeyUsage[], keyId: string) => !usage.some((u) => u.keyId === keyId && u.values > 0)
 * ```
 */
export interface KeyUsage {
  /** The table. */
  readonly table: RotationTable
  /** The column. */
  readonly column: string
  /** The key id values of this column name, or `'clear'`. */
  readonly keyId: string
  /** How many values. */
  readonly values: number
}

/** How many values each key id (or none: `'clear'`) encrypts, per table and column; one grouped query per column. */
export async function valueKeyUsage(driver: Pick<RotationDriver, 'placeholders' | 'select'>): Promise<KeyUsage[]> {
  const usage: KeyUsage[] = []
  for (const plan of rotationPlans) {
    for (const column of plan.values) {
      const rows = await driver.select({ sql: keyUsageSql(plan.table, quote(column), driver.placeholders, plan.clearToo?.includes(column) === true), parameters: [] })
      for (const row of rows) usage.push({ table: plan.table, column, keyId: String(row.key_id), values: Number(row.n) })
    }
  }
  return usage
}

/** The grouped count of one column by the key id between the first two dots of `wenc1.<id>.<data>`. */
function keyUsageSql(table: string, column: string, placeholders: '$' | '?', encryptedOnly: boolean): string {
  const keyId = placeholders === '$' ? `split_part(${column}, '.', 2)` : `substr(${column}, 7, instr(substr(${column}, 7), '.') - 1)`
  // A column that holds clear text by design counts its encrypted values only: its clear ones are not left to rotate.
  const which = encryptedOnly ? `${column} like 'wenc1.%'` : `${column} is not null`
  return `select case when ${column} like 'wenc1.%' then ${keyId} else 'clear' end as key_id, count(*) as n from ${table} where ${which} group by 1 order by 1`
}

/** The next batch of a table after `after`, in primary-key order. */
function selectBatch(plan: TablePlan, after: readonly unknown[] | undefined, limit: number, placeholders: '$' | '?'): RotationStatement {
  const columns = [...plan.key, ...plan.context.filter((c) => !plan.key.includes(c)), ...plan.values].map(quote).join(', ')
  const order = plan.key.map(quote).join(', ')
  const where = after === undefined ? '' : ` where (${order}) > (${after.map((_, i) => placeholder(placeholders, i)).join(', ')})`
  return { sql: `select ${columns} from ${plan.table}${where} order by ${order} limit ${limit}`, parameters: after ?? [] }
}

/** The updates a row needs: one per value not yet under the newest key. */
function rewritesOf(plan: TablePlan, row: Readonly<Record<string, unknown>>, codec: ValueCodec, isCurrent: (stored: string) => boolean, placeholders: '$' | '?'): Rewrite[] {
  const rewrites: Rewrite[] = []
  for (const field of plan.values) {
    const stored = row[field]
    if (typeof stored !== 'string' || isCurrent(stored)) continue
    if (plan.clearToo?.includes(field) === true && !stored.startsWith(encryptedValuePrefix)) continue
    const location = plan.location(row, field)
    const fresh = codec.encode(codec.decode(stored, location), location)
    const keyMatch = plan.key.map((column, i) => `${quote(column)} = ${placeholder(placeholders, i + 1)}`).join(' and ')
    const sql = `update ${plan.table} set ${quote(field)} = ${placeholder(placeholders, 0)} where ${keyMatch} and ${quote(field)} = ${placeholder(placeholders, plan.key.length + 1)}`
    rewrites.push({ statement: { sql, parameters: [fresh, ...plan.key.map((column) => row[column]), stored] } })
  }
  return rewrites
}

function quote(column: string): string {
  return `"${column}"`
}

function placeholder(style: '$' | '?', index: number): string {
  return style === '$' ? `$${index + 1}` : '?'
}
