import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestDatabase, describePostgres, postgresUrl, withTestDatabase, type TestDatabase } from './postgres.js'
import { startPostgres } from './postgres-server.js'

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  return client
}

describePostgres('throwaway PostgreSQL server (shared by the run)', () => {
  let a: TestDatabase
  let b: TestDatabase
  let clientA: pg.Client
  let clientB: pg.Client

  beforeAll(async () => {
    ;[a, b] = await Promise.all([createTestDatabase(), createTestDatabase()])
    ;[clientA, clientB] = await Promise.all([connect(a.url), connect(b.url)])
  })
  afterAll(async () => {
    await Promise.all([clientA?.end(), clientB?.end()])
    await Promise.all([a?.drop(), b?.drop()])
  })

  it('listens on 127.0.0.1 and serves the `weft` database', async () => {
    const url = new URL(postgresUrl())
    expect(url.protocol).toBe('postgres:')
    expect(url.hostname).toBe('127.0.0.1')
    expect(url.pathname).toBe('/weft')
    const client = await connect(url.toString())
    try {
      const { rows } = await client.query<{ db: string; addr: string; encoding: string }>(
        `SELECT current_database() AS db, host(inet_server_addr()) AS addr, pg_encoding_to_char(encoding) AS encoding
           FROM pg_database WHERE datname = current_database()`,
      )
      expect(rows[0]).toEqual({ db: 'weft', addr: '127.0.0.1', encoding: 'UTF8' })
    } finally {
      await client.end()
    }
  })

  it('creates a table, inserts and reads it back', async () => {
    await clientA.query('CREATE TABLE runs (id text PRIMARY KEY, output jsonb NOT NULL)')
    await clientA.query('INSERT INTO runs VALUES ($1, $2), ($3, $4)', ['r1', { n: 1 }, 'r2', { n: 2 }])
    const { rows } = await clientA.query('SELECT id, output FROM runs ORDER BY id')
    expect(rows).toEqual([
      { id: 'r1', output: { n: 1 } },
      { id: 'r2', output: { n: 2 } },
    ])
  })

  it('keeps durability on: fsync and synchronous_commit', async () => {
    const sync = await clientA.query<{ synchronous_commit: string }>('SHOW synchronous_commit')
    const fsync = await clientA.query<{ fsync: string }>('SHOW fsync')
    const maxConnections = await clientA.query<{ max_connections: string }>('SHOW max_connections')
    expect(sync.rows[0]?.synchronous_commit).toBe('on')
    expect(fsync.rows[0]?.fsync).toBe('on')
    expect(maxConnections.rows[0]?.max_connections).toBe('200')
  })

  it('isolates two test databases', async () => {
    expect(a.name).not.toBe(b.name)
    await clientA.query('CREATE TABLE isolated (v int)')
    await clientA.query('INSERT INTO isolated VALUES (1)')
    const inB = await clientB.query<{ t: string | null }>(`SELECT to_regclass('isolated')::text AS t`)
    expect(inB.rows[0]?.t).toBeNull()
    await clientB.query('CREATE TABLE isolated (v int)')
    await clientB.query('INSERT INTO isolated VALUES (2), (3)')
    const rowsA = await clientA.query('SELECT v FROM isolated ORDER BY v')
    const rowsB = await clientB.query('SELECT v FROM isolated ORDER BY v')
    expect(rowsA.rows).toEqual([{ v: 1 }])
    expect(rowsB.rows).toEqual([{ v: 2 }, { v: 3 }])
  })

  it('drops a test database, even with a connection still open', async () => {
    const name = await withTestDatabase(async (db) => {
      const leftOpen = await connect(db.url) // left open on purpose: drop() must still succeed
      leftOpen.on('error', () => {}) // the server terminates it (57P01): expected here
      return db.name
    })
    const { rows } = await clientA.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    expect(rows).toEqual([])
  })
})

describePostgres('startPostgres() (a server of its own)', () => {
  it('honours setting overrides, and stop() leaves no process or folder behind', async () => {
    const server = await startPostgres({ fsync: false, synchronousCommit: false, database: 'other' })
    let backendPid = 0
    let postmasterPid = 0
    let dataDir = ''
    const client = await connect(server.url)
    try {
      expect(server.url).toBe(`postgres://${server.user}@127.0.0.1:${server.port}/other`)
      expect((await client.query('SHOW fsync')).rows[0]).toEqual({ fsync: 'off' })
      expect((await client.query('SHOW synchronous_commit')).rows[0]).toEqual({ synchronous_commit: 'off' })
      backendPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
      dataDir = (await client.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory
      postmasterPid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
      expect(isAlive(postmasterPid)).toBe(true)
    } finally {
      await client.end().catch(() => {})
      await server.stop()
    }
    expect(existsSync(dataDir)).toBe(false)
    expect(isAlive(backendPid)).toBe(false)
    expect(isAlive(postmasterPid)).toBe(false)
    await expect(connect(server.url)).rejects.toThrow(/ECONNREFUSED/)
    await server.stop() // idempotent
  })
})

/** Running (a zombie waiting for init to reap it counts as gone). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return true // no /proc: kill(0) is all we know
  }
}
