/**
 * Real-process harness of the durability battery. Children are plain `.mjs`
 * programs under `children/` that import the built package (`weft` resolves
 * to `dist/` through the package's self-reference), configured by
 * environment variables. They report on stdout as JSON lines
 * (`{"marker": "...", ...}`) and append side effects to a JSON-lines file
 * the test reads back.
 *
 * Every child spawned here is tracked: `stopAllChildren()` (called after
 * each test by `useChildCleanup()`) continues stopped ones and SIGKILLs
 * whatever still runs, so a failing test leaves no process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, afterEach } from 'vitest'
import { sqliteStore } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'
import { postgresStore } from '../../../src/postgres.js'
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const root = join(here, '..', '..', '..')

/** A line a child printed on stdout as JSON with a `marker` field. */
export interface Marker {
  readonly marker: string
  readonly pid: number
  readonly at: number
  readonly [field: string]: unknown
}

/** How a child ended. */
export interface ChildExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

const live = new Set<Child>()

/** A running child program. */
export class Child {
  readonly process: ChildProcess
  readonly pid: number
  readonly markers: Marker[] = []
  stderr = ''
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ChildExit>
  exit: ChildExit | undefined
  private stdoutRest = ''
  private readonly listeners = new Set<() => void>()

  constructor(
    readonly name: string,
    script: string,
    env: Record<string, string>,
    options: ChildOptions = {},
  ) {
    const program = join(here, 'children', script)
    const [command, args] =
      options.fileSizeLimitBlocks === undefined
        ? [process.execPath, [program]]
        : // The shell sets the limit, then becomes node (exec): the pid is node's.
          ['/bin/sh', ['-c', `ulimit -f ${Math.floor(options.fileSizeLimitBlocks)} && exec "$0" "$1"`, process.execPath, program]]
    this.process = spawn(command, args, {
      cwd: root,
      env: { ...process.env, ...env, WEFT_CHILD_NAME: name },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    if (this.process.pid === undefined) throw new Error(`could not spawn ${script}`)
    this.pid = this.process.pid
    live.add(this)
    this.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk))
    this.process.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk
      if (process.env.WEFT_DEBUG_CHILDREN === '1') process.stderr.write(`[${name} ${this.pid}] ${chunk}`)
    })
    this.process.stdin!.on('error', () => undefined)
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        this.exit = { code, signal }
        live.delete(this)
        this.notify()
        resolve(this.exit)
      })
    })
  }

  private onStdout(chunk: string): void {
    const text = this.stdoutRest + chunk
    const lines = text.split('\n')
    this.stdoutRest = lines.pop()!
    for (const line of lines) {
      if (process.env.WEFT_DEBUG_CHILDREN === '1') process.stderr.write(`[${this.name} ${this.pid}] ${line}\n`)
      if (!line.startsWith('{')) continue
      try {
        const parsed = JSON.parse(line) as Marker
        if (typeof parsed.marker === 'string') this.markers.push(parsed)
      } catch {
        // Not one of ours.
      }
    }
    this.notify()
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener()
  }

  /** Markers named `name` (optionally matching `where`). */
  all(name: string, where: (marker: Marker) => boolean = () => true): Marker[] {
    return this.markers.filter((m) => m.marker === name && where(m))
  }

  /**
   * Waits for a marker named `name` (already printed or to come). Rejects if
   * the child exits first or after `timeoutMs`, with its stderr in the message.
   */
  waitFor(name: string, options: { where?: (marker: Marker) => boolean; timeoutMs?: number } = {}): Promise<Marker> {
    const where = options.where ?? (() => true)
    const timeoutMs = options.timeoutMs ?? 20_000
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.markers.find((m) => m.marker === name && where(m))
        if (found !== undefined) return done(() => resolve(found))
        if (this.exit !== undefined) {
          return done(() => reject(new Error(`${this.name} (pid ${this.pid}) exited (${describeExit(this.exit!)}) before printing "${name}"${this.diagnostics()}`)))
        }
      }
      const timer = setTimeout(() => done(() => reject(new Error(`${this.name} (pid ${this.pid}) printed no "${name}" within ${timeoutMs} ms${this.diagnostics()}`))), timeoutMs)
      const done = (settle: () => void) => {
        clearTimeout(timer)
        this.listeners.delete(check)
        settle()
      }
      this.listeners.add(check)
      check()
    })
  }

  /** Waits for the child to exit, or kills it and rejects after `timeoutMs`. */
  async waitForExit(timeoutMs = 20_000): Promise<ChildExit> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill('SIGKILL')
        reject(new Error(`${this.name} (pid ${this.pid}) did not exit within ${timeoutMs} ms${this.diagnostics()}`))
      }, timeoutMs)
    })
    try {
      return await Promise.race([this.exited, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Expects the child to end by itself with exit code 0. */
  async expectCleanExit(timeoutMs = 20_000): Promise<void> {
    const exit = await this.waitForExit(timeoutMs)
    if (exit.code !== 0) throw new Error(`${this.name} (pid ${this.pid}) ended with ${describeExit(exit)}${this.diagnostics()}`)
  }

  /** Sends a signal (no-op once exited). */
  kill(signal: NodeJS.Signals): void {
    if (this.exit === undefined) this.process.kill(signal)
  }

  /** SIGKILLs the child and waits until it is gone. */
  async killHard(): Promise<ChildExit> {
    this.kill('SIGKILL')
    return this.exited
  }

  /** Writes a line to the child's stdin. */
  send(line: string): void {
    this.process.stdin!.write(`${line}\n`)
  }

  diagnostics(): string {
    const tail = this.stderr.trim().split('\n').slice(-25).join('\n')
    return tail === '' ? '' : `\n--- stderr of ${this.name} ---\n${tail}`
  }
}

function describeExit(exit: ChildExit): string {
  return exit.signal === null ? `exit code ${exit.code}` : `signal ${exit.signal}`
}

/** How a child is started besides its environment. */
export interface ChildOptions {
  /** `ulimit -f`: the largest file the child may write, in the shell's blocks of 512 bytes (POSIX sh) — writes beyond fail with EFBIG. */
  readonly fileSizeLimitBlocks?: number
}

/** Starts `children/<script>` with the given environment. */
export function spawnChild(script: string, name: string, env: Record<string, string | number | undefined>, options: ChildOptions = {}): Child {
  assertDistIsFresh()
  const clean: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) clean[key] = String(value)
  return new Child(name, script, clean, options)
}

/** Kills every child still running (continuing stopped ones first) and waits for them to exit. */
export async function stopAllChildren(): Promise<void> {
  const children = [...live]
  for (const child of children) {
    child.kill('SIGCONT')
    child.kill('SIGKILL')
  }
  await Promise.all(children.map((child) => child.exited))
}

/**
 * Kills the file's children after each test (`'each'`), or only after the
 * file's tests (`'all'`: for scenarios whose children live across tests;
 * their describe's `afterAll` should call `stopAllChildren` too).
 */
export function useChildCleanup(scope: 'each' | 'all' = 'each'): void {
  if (scope === 'each') afterEach(stopAllChildren)
  afterAll(stopAllChildren)
}

let freshnessChecked = false

/**
 * Children run the built package (`dist/`). `npm test` builds first; a run of
 * vitest alone on an older build would test old code, so refuse it.
 */
function assertDistIsFresh(): void {
  if (freshnessChecked) return
  const built = join(root, 'dist', 'index.js')
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)')
  const builtAt = statSync(built).mtimeMs
  const newest = newestMtime(join(root, 'src'), new Set([join(root, 'src', 'cli')]))
  if (newest.mtime > builtAt + 1) {
    throw new Error(`dist/ is older than ${newest.path}: run \`npm run build\` before these tests (npm test does it first)`)
  }
  freshnessChecked = true
}

/** The newest file under `folder` (the CLI aside: children never load it). */
function newestMtime(folder: string, skip: ReadonlySet<string>): { mtime: number; path: string } {
  let best = { mtime: 0, path: folder }
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name)
    if (skip.has(path)) continue
    const found = entry.isDirectory() ? newestMtime(path, skip) : { mtime: statSync(path).mtimeMs, path }
    if (found.mtime > best.mtime) best = found
  }
  return best
}

// ---- temporary files ---------------------------------------------------------------------

/** A temporary folder removed after the file's tests. */
export function useTempDir(prefix: string): () => string {
  let folder: string | undefined
  afterAll(() => {
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true })
  })
  return () => (folder ??= mkdtempSync(join(tmpdir(), `weft-${prefix}-`)))
}

// ---- side effects --------------------------------------------------------------------------

/** One side effect a child appended. */
export interface Effect {
  readonly pid: number
  readonly at: number
  readonly runId: string
  readonly step: string
  readonly [field: string]: unknown
}

/** Every effect in a JSON-lines file (none when it does not exist yet). */
export function readEffects(file: string): Effect[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Effect)
}

/** How many effects each `runId/step` has. */
export function countEffects(effects: readonly Effect[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const e of effects) counts.set(`${e.runId}/${e.step}`, (counts.get(`${e.runId}/${e.step}`) ?? 0) + 1)
  return counts
}

// ---- stores --------------------------------------------------------------------------------

export type StoreKind = 'sqlite' | 'postgres'

/** A row of `weft_runs` as the tests read it. */
export interface RunRow {
  readonly id: string
  readonly status: string
  readonly status_message: string | null
  readonly lease_owner: string | null
  readonly lease_expires_at: number | null
  readonly epoch: number
  readonly recoveries: number
  readonly finished_at: number | null
}

/**
 * A real store for a test: a SQLite file (WAL) in a temporary folder, or a
 * fresh database on the test PostgreSQL server. Children get its location
 * through `childEnv(name)`; the test reads rows with plain SQL.
 */
export interface TestStore {
  readonly kind: StoreKind
  /** Environment for a child: which store, where, and (PostgreSQL) the connection's application name. */
  childEnv(name: string): Record<string, string>
  /** The store, opened in the test process (created on first use, closed by `close`). */
  store(): Promise<WorkflowStore>
  /** Runs SQL (`?` placeholders); the rows it returns, if any. */
  query<R>(sql: string, params?: readonly unknown[]): Promise<R[]>
  /** A run's row. */
  run(id: string): Promise<RunRow | undefined>
  /** Keys of a run's step rows, sorted, one entry per row. */
  stepKeys(runId: string): Promise<string[]>
  /**
   * Waits until nothing a killed child started can still change the store:
   * for PostgreSQL, until the server has ended every connection of `name`
   * (a statement already received is finished or rolled back by then).
   */
  settled(name: string): Promise<void>
  close(): Promise<void>
}

/** Creates a {@link TestStore} of `kind`; `folder` holds SQLite files. */
export async function createTestStore(kind: StoreKind, folder: string, label: string): Promise<TestStore> {
  return kind === 'sqlite' ? sqliteTestStore(join(folder, `${label}.sqlite`)) : postgresTestStore(await createTestDatabase())
}

function sqliteTestStore(path: string): TestStore {
  let opened: WorkflowStore | undefined
  let db: Database.Database | undefined
  const connection = () => {
    if (db === undefined) {
      db = new Database(path)
      db.pragma('busy_timeout = 5000')
    }
    return db
  }
  return {
    kind: 'sqlite',
    childEnv: () => ({ WEFT_STORE: 'sqlite', WEFT_STORE_LOCATION: path }),
    async store() {
      if (opened === undefined) {
        opened = sqliteStore({ path })
        await opened.init()
      }
      return opened
    },
    async query<R>(sql: string, params: readonly unknown[] = []) {
      const statement = connection().prepare(sql)
      if (statement.reader) return statement.all(...params) as R[]
      statement.run(...params)
      return []
    },
    async run(id) {
      return (await this.query<RunRow>('select * from weft_runs where id = ?', [id]))[0]
    },
    async stepKeys(runId) {
      return (await this.query<{ key: string }>('select key from weft_steps where run_id = ? order by key', [runId])).map((r) => r.key)
    },
    async settled() {},
    async close() {
      await opened?.close()
      db?.close()
    },
  }
}

function postgresTestStore(database: TestDatabase): TestStore {
  let opened: WorkflowStore | undefined
  const pool = new pg.Pool({ connectionString: database.url, max: 4 })
  pool.on('error', () => undefined)
  const toPg = (sql: string) => {
    let n = 0
    return sql.replace(/\?/g, () => `$${++n}`)
  }
  return {
    kind: 'postgres',
    childEnv: (name) => {
      const url = new URL(database.url)
      url.searchParams.set('application_name', name)
      return { WEFT_STORE: 'postgres', WEFT_STORE_LOCATION: url.toString() }
    },
    async store() {
      if (opened === undefined) {
        opened = postgresStore({ connectionString: database.url, maxConnections: 10 })
        await opened.init()
      }
      return opened
    },
    async query<R>(sql: string, params: readonly unknown[] = []) {
      const { rows } = await pool.query(toPg(sql), params as unknown[])
      return rows as R[]
    },
    async run(id) {
      const row = (await this.query<RunRow>('select * from weft_runs where id = ?', [id]))[0]
      return row === undefined ? undefined : { ...row, lease_expires_at: row.lease_expires_at === null ? null : Number(row.lease_expires_at) }
    },
    async stepKeys(runId) {
      return (await this.query<{ key: string }>('select key from weft_steps where run_id = ? order by key collate "C"', [runId])).map((r) => r.key)
    },
    async settled(name) {
      const deadline = Date.now() + 15_000
      while (true) {
        const [row] = await this.query<{ n: string }>('select count(*) as n from pg_stat_activity where application_name = ?', [name])
        if (Number(row!.n) === 0) return
        if (Date.now() > deadline) throw new Error(`PostgreSQL still has connections of ${name} 15 s after it was killed`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    async close() {
      await opened?.close()
      await pool.end()
      await database.drop()
    },
  }
}

/** Polls `probe` until it returns a value other than `undefined`, or fails after `timeoutMs` with `what`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
