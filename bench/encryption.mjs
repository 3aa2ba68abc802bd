// The cost of encryption at rest per durable step: the same chain workflow on the same store, with and without the
// payload codec (AES-256-GCM, a fresh nonce, location-bound AAD), on SQLite (a file, WAL) and on PostgreSQL (a
// throwaway server). The two configurations alternate repetition by repetition, so drifts of the machine's load
// fall on both; the figure is the median µs per task and the overhead is the ratio of the medians. Also the codec
// alone: µs per encrypt and per decrypt of a 1 KiB value, beside AES-256-GCM of the same bytes with nothing else.
// Targets (issue 11): encryption adds ≤ 30% to a durable SQLite step and ≤ 5% to a PostgreSQL one.

import { createCipheriv, createSecretKey, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PostgresUnavailableError, startPostgres } from '../scripts/postgres-server.mjs'
import { createEngine, sqliteStore } from '../dist/index.js'
import { postgresStore } from '../dist/postgres.js'
import { staticKeyProvider } from '../dist/security/key-provider.js'
import { createPayloadCodec } from '../dist/security/payload-codec.js'
import { median } from './timing.mjs'

/** A note of about 1 KiB carried by every task's output (values Weft stores are rarely bare numbers). */
const note = 'n'.repeat(1000)

/** µs per task of `runs` runs of a `tasks`-task chain on `store`, each output a 1 KiB note. */
async function timeRuns(store, shape, runs) {
  const engine = createEngine({ store, workflows: [shape.workflow] })
  try {
    await engine.run(shape.workflow, 0)
    const start = performance.now()
    for (let i = 0; i < runs; i++) {
      const result = await engine.run(shape.workflow, 0)
      if (result.output(shape.last).i !== shape.tasks) throw new Error(`${shape.name}: wrong output`)
    }
    return ((performance.now() - start) * 1000) / runs / shape.tasks
  } finally {
    await engine.close()
  }
}

/** A chain of `tasks` tasks whose outputs carry the note. */
async function chainOfNotes(tasks, name) {
  const { defineWorkflow } = await import('../dist/index.js')
  let builder = defineWorkflow({ name, version: 1 }).task('t0', () => ({ i: 1, note }))
  for (let i = 1; i < tasks; i++) builder = builder.task(`t${i}`, { dependsOn: [`t${i - 1}`] }, (previous) => ({ i: previous.i + 1, note }))
  return { workflow: builder.build(), name, tasks, last: `t${tasks - 1}` }
}

/** Alternates the clear and the encrypting store `reps` times; medians and the overhead ratio. */
async function compare(open, { reps, runs, tasks, name }) {
  const codec = createPayloadCodec(staticKeyProvider([{ id: 'bench', key: randomBytes(32) }]))
  const shape = await chainOfNotes(tasks, name)
  const clear = []
  const encrypted = []
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? [false, true] : [true, false]
    for (const encrypt of order) {
      const store = await open(encrypt ? codec : undefined, `${r}-${encrypt ? 'enc' : 'clear'}`)
      try {
        ;(encrypt ? encrypted : clear).push(await timeRuns(store, shape, runs))
      } finally {
        await store.close()
      }
    }
  }
  return { clearUs: median(clear), encryptedUs: median(encrypted), overhead: median(encrypted) / median(clear) - 1 }
}

/** µs per encrypt and decrypt of a 1 KiB value, and of bare AES-256-GCM of the same bytes. */
function codecAlone(rounds = 20_000) {
  const codec = createPayloadCodec(staticKeyProvider([{ id: 'bench', key: randomBytes(32) }]))
  const location = { runId: '01jbench', record: 't1', field: 'output' }
  const text = JSON.stringify({ i: 1, note: 'n'.repeat(1010) })
  const stored = codec.encode(text, location)
  const time = (work) => {
    for (let i = 0; i < 2_000; i++) work()
    const start = performance.now()
    for (let i = 0; i < rounds; i++) work()
    return ((performance.now() - start) * 1000) / rounds
  }
  const key = createSecretKey(randomBytes(32))
  const nonce = randomBytes(12)
  const bytes = Buffer.from(text)
  const bare = () => {
    const cipher = createCipheriv('aes-256-gcm', key, nonce)
    cipher.update(bytes)
    cipher.final()
    cipher.getAuthTag()
  }
  let wrong = 0
  const decrypt = () => {
    if (codec.decode(stored, location) !== text) wrong++
  }
  return { encryptUs: time(() => codec.encode(text, location)), decryptUs: time(decrypt), bareUs: time(bare), bytes: Buffer.byteLength(text), storedBytes: stored.length, wrong }
}

/**
 * Measures the codec alone, then SQLite and PostgreSQL steps with and without it.
 * @returns {{ alone, sqlite, postgres: {clearUs, encryptedUs, overhead} | {unavailable} }}
 */
export async function measureEncryption({ reps = 7, runs = 20, tasks = 20 } = {}) {
  const alone = codecAlone()
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-encryption-'))
  let sqlite
  try {
    sqlite = await compare((codec, label) => sqliteStore({ path: join(dir, `${label}.sqlite`), ...(codec === undefined ? {} : { codec }) }), { reps, runs, tasks, name: 'bench encryption sqlite' })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  let postgres
  let server
  try {
    server = await startPostgres({})
    postgres = await compare((codec) => postgresStore({ connectionString: server.url, ...(codec === undefined ? {} : { codec }) }), { reps, runs, tasks, name: 'bench encryption postgres' })
  } catch (error) {
    if (!(error instanceof PostgresUnavailableError)) throw error
    postgres = { unavailable: error.message }
  } finally {
    await server?.stop?.()
  }
  return { alone, sqlite, postgres }
}

/** Prints the section's table and notes. */
export function printEncryption(result, table, us) {
  const { alone, sqlite, postgres } = result
  table(
    ['payload codec, one value of 1 KiB', 'µs', ''],
    [
      ['encrypt (nonce, AES-256-GCM, AAD, base64url)', us(alone.encryptUs), ''],
      ['decrypt (parse, AES-256-GCM, AAD)', us(alone.decryptUs), ''],
      ['bare AES-256-GCM of the same bytes', us(alone.bareUs), ''],
    ],
  )
  console.log(`  ${alone.bytes} bytes stored as ${alone.storedBytes} characters.`)
  const pct = (x) => `${(x * 100).toFixed(1)}%`
  const rows = [['SQLite (file, WAL)', us(sqlite.clearUs), us(sqlite.encryptedUs), pct(sqlite.overhead)]]
  if (postgres.unavailable === undefined) rows.push(['PostgreSQL', us(postgres.clearUs), us(postgres.encryptedUs), pct(postgres.overhead)])
  table(['durable step, 1 KiB output, chain of 20', 'clear µs/task', 'encrypted µs/task', 'overhead'], rows)
  if (postgres.unavailable !== undefined) console.log(`  PostgreSQL skipped: ${postgres.unavailable}`)
  console.log('  Each task writes one encrypted output and reads none back (the chain passes values in memory). The')
  console.log('  configurations alternate repetition by repetition. Targets: ≤ 30% on SQLite, ≤ 5% on PostgreSQL.')
  if (alone.wrong > 0) console.log(`  WRONG: ${alone.wrong} decryptions returned another text`)
}
