/**
 * Pruning idle rows of a shared policy state (SQLite file, PostgreSQL): the
 * buckets of principals that stopped calling are deleted, the ones in use
 * are kept, and a principal whose bucket was pruned starts again with a full one.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { PrincipalLimits, RateLimitedError, principal, sqlitePolicyState, type PolicyStateStore } from 'weft-sdk'
import { postgresPolicyState } from 'weft-sdk/postgres'
import { createTestDatabase, describePostgres, type TestDatabase } from '../support/postgres.js'

const hour = 3_600_000
const principals = ['user:ada', 'user:bob', 'user:cy'].map((subject) => principal({ subject }))

/** Takes one start for each principal, ages every bucket but ada's by two hours, prunes idle for one hour. */
async function pruneChecks(state: PolicyStateStore, age: (keepKeyLike: string) => Promise<void>): Promise<void> {
  const limits = new PrincipalLimits({ limits: { start: { limit: 1, window: '1 m' } }, state })
  for (const who of principals) await limits.take(who, 'start')
  await expect(limits.take(principals[1]!, 'start')).rejects.toBeInstanceOf(RateLimitedError)
  await age('user:ada')
  expect(await state.pruneIdle!(hour)).toBe(2)
  // ada's bucket was kept (still empty); bob's was pruned: he starts with a full one.
  await expect(limits.take(principals[0]!, 'start')).rejects.toBeInstanceOf(RateLimitedError)
  await expect(limits.take(principals[1]!, 'start')).resolves.toBeUndefined()
  expect(await state.pruneIdle!(hour)).toBe(0)
}

describe('pruning a SQLite policy state', () => {
  let dir: string
  let state: PolicyStateStore
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-prune-'))
    state = sqlitePolicyState({ path: join(dir, 'limits.db') })
  })
  afterEach(async () => {
    await state.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('deletes the buckets idle for longer than asked, keeps the others', async () => {
    await pruneChecks(state, async (keep) => {
      const db = new Database(join(dir, 'limits.db'))
      db.prepare(`update weft_policy_state set updated_at = updated_at - ? where key not like ?`).run(2 * hour, `%${encodeURIComponent(keep)}%`)
      db.close()
    })
  })

  it('refuses an idle time under a minute, which would reset limits in use', async () => {
    await expect(state.pruneIdle!(1_000)).rejects.toThrow('at least 60000 ms')
  })
})

describePostgres('pruning a PostgreSQL policy state', () => {
  let db: TestDatabase
  let state: PolicyStateStore
  beforeAll(async () => {
    db = await createTestDatabase()
    state = postgresPolicyState({ connectionString: db.url, maxConnections: 2 })
  })
  afterAll(async () => {
    await state.close()
    await db.drop()
  })

  it('deletes the buckets idle for longer than asked, by the database clock, keeps the others', async () => {
    await pruneChecks(state, async (keep) => {
      const client = new pg.Client({ connectionString: db.url })
      await client.connect()
      await client.query(`update weft_policy_state set updated_at = updated_at - interval '2 hours' where key not like $1`, [`%${encodeURIComponent(keep)}%`])
      await client.end()
    })
  })
})
