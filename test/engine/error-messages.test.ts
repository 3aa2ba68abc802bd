/**
 * Messages that used to point the wrong way: each names the problem and the
 * fix, with its own error class and code.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createEngine,
  defineWorkflow,
  EngineClosedError,
  InvalidOptionsError,
  MemoryWorkflowStore,
  NewerSchemaError,
  PayloadTooLargeError,
  RunFailedError,
  RunFinishedError,
  sqliteStore,
  StorageError,
  toMillis,
} from 'weft-sdk'
import { postgresStore } from '../../src/postgres.js'
import { sqliteMigratedByNewerWeft } from '../support/newer-schema.js'
import { createTestDatabase, describePostgres } from '../support/postgres.js'
import { thrown } from '../support/thrown.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-messages-'))

afterAll(() => rmSync(folder, { recursive: true, force: true }))

const echo = defineWorkflow<unknown>({ name: 'echo', version: 1 })
  .task('echo', (input) => input)
  .build()

describe('messages that name the problem and the fix', () => {
  it('names the store option that raises the payload limit', async () => {
    const engine = createEngine({ store: sqliteStore({ path: join(folder, 'limits.sqlite'), limits: { warnBytes: 64, maxBytes: 64 } }) })
    const error = await engine.start(echo, 'x'.repeat(100)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PayloadTooLargeError)
    expect(error).toMatchObject({ code: 'WEFT_PAYLOAD_TOO_LARGE' })
    expect((error as Error).message).toMatch(/^input of run \w+ is 102 bytes, over the 64-byte limit; store large data elsewhere and pass a reference, or raise the store's limits\.maxBytes$/)
    await engine.close()
  })

  it('says a database migrated by a newer Weft is newer, not corrupted', async () => {
    const path = join(folder, 'newer.sqlite')
    await sqliteMigratedByNewerWeft(path)
    const error = await sqliteStore({ path }).init().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NewerSchemaError)
    expect(error).toMatchObject({ code: 'WEFT_NEWER_SCHEMA', unknownMigrations: ['2099_01_01_999_future'] })
    expect((error as Error).message).toBe(
      `the database at ${path} was migrated by a newer version of Weft (it has migration "2099_01_01_999_future"; this version knows migrations up to "2026_12_11_015_step_history"): upgrade Weft to use it`,
    )
  })

  it('prints a non-finite option as itself, not as JSON null', () => {
    const define = () => defineWorkflow<number>({ name: 'loop', version: 1 }).loop('l', { while: () => true, maxIterations: Infinity }, (s) => s).build()
    expect(thrown(define)).toMatchObject({ constructor: InvalidOptionsError, code: 'WEFT_INVALID_OPTIONS', message: 'workflow "loop" task "l": @Loop maxIterations must be an integer ≥ 1, got Infinity' })
  })

  it('says an event cannot go to a run that already ended, instead of "no run has id"', async () => {
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    const run = await engine.start(echo, 1)
    await run.result()
    const reader = createEngine({ store: (engine as unknown as { store: MemoryWorkflowStore }).store, claimRuns: false })
    const stored = (await reader.getRun(run.id))!
    for (const send of [() => engine.emit('approved', {}, { runId: run.id }), () => stored.signal('approved', {})]) {
      const error = await send().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(RunFinishedError)
      expect(error).toMatchObject({
        code: 'WEFT_RUN_FINISHED',
        message: `run ${run.id} has already ended (completed); events can only be sent to pending, running or paused runs`,
      })
    }
    await Promise.all([engine.close(), reader.close()])
  })

  it('answers every call after close() with EngineClosedError, not a TypeError of the closed store', async () => {
    const engine = createEngine({ store: sqliteStore({ path: join(folder, 'closed.sqlite') }) })
    const run = await engine.start(echo, 1)
    await run.result()
    await engine.close()
    const calls: [string, () => Promise<unknown>][] = [
      ['getRun', () => engine.getRun(run.id)],
      ['listRuns', () => engine.listRuns()],
      ['emit', () => engine.emit('tick')],
      ['emit to a run', () => engine.emit('tick', {}, { runId: run.id })],
      ['start', () => engine.start(echo, 2)],
      ['signal through a handle', () => run.signal('tick', {})],
    ]
    for (const [what, call] of calls) {
      const error = await call().catch((e: unknown) => e)
      expect(error, what).toBeInstanceOf(EngineClosedError)
      expect(error).toMatchObject({ code: 'WEFT_ENGINE_CLOSED', message: 'the engine is closed; create a new engine to start runs' })
    }
  })

  it('says "failed in task" once in the error of a run read back from the store', async () => {
    const path = join(folder, 'failed.sqlite')
    const failing = defineWorkflow({ name: 'payments', version: 1 })
      .task('charge', () => {
        throw new Error('card declined')
      })
      .build()
    const engine = createEngine({ store: sqliteStore({ path }) })
    const run = await engine.start(failing)
    await run.outcome()
    await engine.close()
    const reader = createEngine({ store: sqliteStore({ path }), claimRuns: false })
    const stored = await (await reader.getRun(run.id))!.outcome()
    expect(stored.error).toBeInstanceOf(RunFailedError)
    expect(stored.error!.message).toBe(`run ${run.id} of workflow "payments" failed in task "charge": card declined`)
    expect((await reader.listRuns())[0]!.error).toEqual({ name: 'Error', message: 'card declined', task: 'charge', stack: expect.stringMatching(/^Error: card declined\n/) })
    await reader.close()
  })

  it('says a file that is not a database is not one, naming the file, when the store opens', () => {
    const path = join(folder, 'garbage.sqlite')
    writeFileSync(path, Buffer.alloc(4096, 7))
    expect(thrown(() => sqliteStore({ path }))).toMatchObject({
      constructor: StorageError,
      code: 'WEFT_STORAGE',
      reason: 'corrupt',
      isRetryable: false,
      message: `opening the SQLite database ${path} failed (corrupt): SQLITE_NOTADB: the file is not a SQLite database; pass the path of a Weft database`,
    })
  })

  it('refuses a duration string too long to be a number', () => {
    const duration = `${'9'.repeat(400)} h` as `${number} h`
    expect(thrown(() => toMillis(duration, 'sleep duration'))).toMatchObject({
      constructor: InvalidOptionsError,
      code: 'WEFT_INVALID_OPTIONS',
      message: `sleep duration must be a finite duration, got "${duration}" (more milliseconds than a number holds)`,
    })
  })

  it('refuses a SQLite path with a NUL byte instead of opening the file its prefix names', () => {
    const path = join(folder, 'runs.sqlite\u0000.bak')
    expect(thrown(() => sqliteStore({ path }))).toMatchObject({
      constructor: InvalidOptionsError,
      code: 'WEFT_INVALID_OPTIONS',
      message: `sqliteStore path ${JSON.stringify(path)} contains a NUL character, where the file name would end; remove it`,
    })
  })
})

describePostgres('a PostgreSQL database migrated by a newer Weft', () => {
  it('is refused with NewerSchemaError', async () => {
    const database = await createTestDatabase()
    try {
      const store = postgresStore({ connectionString: database.url })
      await store.init()
      await store.close()
      const admin = postgresStore({ connectionString: database.url })
      await (admin as unknown as { pool: { query(sql: string): Promise<unknown> } }).pool.query(
        `insert into kysely_migration (name, timestamp) values ('2099_01_01_999_future', now()::text)`,
      )
      await admin.close()
      const error = await postgresStore({ connectionString: database.url }).init().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(NewerSchemaError)
      expect(error).toMatchObject({ code: 'WEFT_NEWER_SCHEMA', unknownMigrations: ['2099_01_01_999_future'] })
      expect((error as Error).message).toBe(
        `the database at ${database.url} was migrated by a newer version of Weft (it has migration "2099_01_01_999_future"; this version knows migrations up to "2026_12_11_015_step_history"): upgrade Weft to use it`,
      )
    } finally {
      await database.drop()
    }
  })
})
