/**
 * A real, throwaway PostgreSQL server: `initdb` into a temporary folder,
 * started on a free loopback port, stopped and deleted at the end. No Docker,
 * no mocks: the binaries come from the Debian package `postgresql`.
 *
 * ONE implementation shared by the tests (`test/support/postgres-server.ts`
 * re-exports it) and the benchmarks (`bench/durable-postgres.mjs`). Plain ESM
 * with JSDoc types so node runs it without a build; the types are declared
 * in `postgres-server.d.mts`.
 *
 * PostgreSQL refuses to run as root and CI runs as root: then the data and
 * socket folders are handed to the `postgres` account and `initdb` /
 * `pg_ctl` run through `runuser -u postgres --`.
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { appendFile, chmod, chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/** @typedef {import('./postgres-server.d.mts').PostgresServerOptions} PostgresServerOptions */
/** @typedef {import('./postgres-server.d.mts').PostgresServer} PostgresServer */
/** @typedef {import('./postgres-server.d.mts').PostgresBinaries} PostgresBinaries */

export const POSTGRES_INSTALL_HINT =
  'Install the Debian package `postgresql`: `apt-get install -y postgresql` ' +
  '(it puts initdb and pg_ctl in /usr/lib/postgresql/<version>/bin).'

export class PostgresUnavailableError extends Error {
  name = 'PostgresUnavailableError'
}

/**
 * Locates `initdb` and `pg_ctl`: `$WEFT_POSTGRES_BINDIR`, then `pg_config
 * --bindir`, then the newest `/usr/lib/postgresql/<version>/bin`. Throws
 * `PostgresUnavailableError` with the package to install when none has them.
 * @returns {PostgresBinaries}
 */
export function findPostgresBinaries() {
  /** @type {string[]} */
  const candidates = []
  const fromEnv = process.env.WEFT_POSTGRES_BINDIR
  if (fromEnv) candidates.push(fromEnv)
  try {
    const bindir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
    if (bindir) candidates.push(bindir)
  } catch {
    // pg_config is only in libpq-dev / postgresql-server-dev: fall through to the glob.
  }
  const base = '/usr/lib/postgresql'
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a))
    for (const version of versions) candidates.push(join(base, version, 'bin'))
  }
  for (const dir of candidates) {
    const initdb = join(dir, 'initdb')
    const pgCtl = join(dir, 'pg_ctl')
    if (existsSync(initdb) && existsSync(pgCtl)) return { dir, initdb, pgCtl }
  }
  throw new PostgresUnavailableError(
    `PostgreSQL server binaries (initdb, pg_ctl) not found ` +
      `(looked in: ${candidates.length > 0 ? candidates.join(', ') : '`pg_config --bindir` and /usr/lib/postgresql/*/bin'}). ` +
      POSTGRES_INSTALL_HINT,
  )
}

/**
 * A TCP port free on 127.0.0.1 right now (bind port 0, read it, release it).
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not get a free port'))))
    })
  })
}

/** @returns {boolean} */
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0

/**
 * argv that runs `command` as the server's OS user (`runuser -u postgres --` when root).
 * @param {string} command
 * @param {readonly string[]} args
 * @returns {[string, string[]]}
 */
function asServerUser(command, args) {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, [...args]]
}

/**
 * @param {string} command
 * @param {readonly string[]} args
 * @param {string} cwd
 * @returns {Promise<string>}
 */
function run(command, args, cwd) {
  const [file, argv] = asServerUser(command, args)
  return new Promise((resolve, reject) => {
    execFile(file, argv, { cwd, encoding: 'utf8', env: serverEnv() }, (error, stdout, stderr) => {
      if (error) {
        const detail = `${stdout}${stderr}`.trim()
        reject(new Error(`\`${[file, ...argv].join(' ')}\` failed (${error.message.split('\n')[0]})${detail ? `:\n${detail}` : ''}`))
      } else resolve(stdout)
    })
  })
}

/** @returns {NodeJS.ProcessEnv} */
function serverEnv() {
  // Locale-independent messages; no inherited PG* variables steering initdb/pg_ctl.
  /** @type {NodeJS.ProcessEnv} */
  const env = {}
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PG')) env[key] = value
  env.LC_ALL = 'C'
  return env
}

/**
 * @param {string | number | boolean} value
 * @returns {string}
 */
function confValue(value) {
  if (typeof value === 'boolean') return value ? 'on' : 'off'
  if (typeof value === 'number') return String(value)
  return `'${value.replaceAll("'", "''")}'`
}

/* ---------- cleanup of servers this process started ---------- */

/**
 * A server this process started: `stopSync` stops it and deletes its folder,
 * synchronously (for `exit` and signal handlers).
 * @typedef {{ readonly stopSync: () => void }} Live
 */
/** @type {Set<Live>} */
const live = new Set()
let hooksInstalled = false

function installExitHooks() {
  if (hooksInstalled) return
  hooksInstalled = true
  const cleanupAll = () => {
    for (const server of [...live]) server.stopSync()
  }
  process.on('exit', cleanupAll)
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    const onSignal = () => {
      cleanupAll()
      // If nobody else handles this signal, restore the default (exit by signal).
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal)
        process.kill(process.pid, signal)
      }
    }
    process.on(signal, onSignal)
  }
}

/**
 * Starts a throwaway PostgreSQL server on 127.0.0.1 and creates one database
 * (`weft`). Never skips: throws `PostgresUnavailableError` naming the package
 * to install when the binaries are missing.
 * @param {PostgresServerOptions} [options]
 * @returns {Promise<PostgresServer>}
 */
export async function startPostgres(options = {}) {
  const bin = findPostgresBinaries()
  const root = isRoot()
  const user = root ? 'postgres' : userInfo().username
  const database = options.database ?? 'weft'

  const t0 = performance.now()
  const dir = await mkdtemp(join(tmpdir(), 'weft-pg-'))
  const dataDir = join(dir, 'data')
  const runDir = join(dir, 'run') // unix socket + server log
  const logFile = join(runDir, 'postgres.log')
  /** @param {string[]} args */
  const pgCtl = (...args) => ['-D', dataDir, ...args]
  let started = false
  /** @type {number | undefined} */
  let watchdogPid

  const stopArgv = asServerUser(bin.pgCtl, pgCtl('-m', 'immediate', '-w', '-s', 'stop'))
  const killWatchdog = () => {
    if (watchdogPid === undefined) return
    try {
      process.kill(-watchdogPid, 'SIGKILL') // its own process group: the shell and its `sleep`
    } catch {
      // already gone
    }
    watchdogPid = undefined
  }
  /** @type {Live} */
  const entry = {
    stopSync: () => {
      live.delete(entry)
      if (started) spawnSync(stopArgv[0], stopArgv[1], { stdio: 'ignore', cwd: dir, env: serverEnv() })
      started = false
      killWatchdog()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  installExitHooks()
  live.add(entry)

  try {
    await mkdir(dataDir, { mode: 0o700 })
    await mkdir(runDir, { mode: 0o700 })
    if (root) {
      const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
      const gr = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
      if (pw.status !== 0 || gr.status !== 0) {
        throw new PostgresUnavailableError(
          'Running as root, but there is no `postgres` OS account to run the server as ' +
            '(PostgreSQL refuses to run as root). ' +
            POSTGRES_INSTALL_HINT,
        )
      }
      const uid = Number(pw.stdout.trim())
      const gid = Number(gr.stdout.trim())
      await chmod(dir, 0o711) // traversable by postgres, not listable
      await chown(dataDir, uid, gid)
      await chown(runDir, uid, gid)
    }

    const tInitdb = performance.now()
    const [version] = await Promise.all([
      run(bin.initdb, ['--version'], dir).then((out) => out.trim()),
      run(
        bin.initdb,
        ['-D', dataDir, '-U', user, '-E', 'UTF8', '--locale=C', '--auth=trust', '--no-sync', '--no-instructions'],
        dir,
      ),
    ])
    const tStart = performance.now()

    /** @type {Record<string, string | number | boolean>} */
    const settings = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: runDir,
      fsync: options.fsync ?? true,
      synchronous_commit: options.synchronousCommit ?? true,
      max_connections: options.maxConnections ?? 200,
      ...options.settings,
    }
    const conf = join(dataDir, 'postgresql.conf')
    await appendFile(
      conf,
      '\n# --- weft test server ---\n' +
        Object.entries(settings)
          .map(([key, value]) => `${key} = ${confValue(value)}\n`)
          .join(''),
    )

    // The port is free when probed but may be taken before the server binds it: retry.
    let port = 0
    for (let attempt = 1; ; attempt++) {
      port = await freePort()
      await appendFile(conf, `port = ${port}\n`)
      await rm(logFile, { force: true }) // only this attempt's log
      try {
        await run(bin.pgCtl, pgCtl('-l', logFile, '-w', '-t', '60', '-s', 'start'), dir)
        started = true
        break
      } catch (error) {
        const log = await readFile(logFile, 'utf8').catch(() => '')
        if (attempt < 5 && /could not bind|Address already in use/i.test(log)) continue
        throw new Error(`${/** @type {Error} */ (error).message}\n--- ${logFile} ---\n${log.trim()}`)
      }
    }

    if (options.watchdog ?? true) {
      const script =
        'parent=$1; root=$2; shift 2\n' +
        'while kill -0 "$parent" 2>/dev/null; do sleep 1; done\n' +
        '"$@" >/dev/null 2>&1\n' +
        'rm -rf "$root"\n'
      const child = spawn('sh', ['-c', script, 'weft-pg-watchdog', String(process.pid), dir, stopArgv[0], ...stopArgv[1]], {
        detached: true,
        stdio: 'ignore',
        cwd: dir,
        env: serverEnv(),
      })
      child.unref()
      watchdogPid = child.pid
    }

    const tCreate = performance.now()
    const host = '127.0.0.1'
    const admin = new pg.Client({ host, port, user, database: 'postgres' })
    await admin.connect()
    try {
      if (database !== 'postgres') await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`)
    } finally {
      await admin.end()
    }
    const tEnd = performance.now()

    /** @type {Promise<void> | undefined} */
    let stopping
    return {
      url: `postgres://${encodeURIComponent(user)}@${host}:${port}/${encodeURIComponent(database)}`,
      host,
      port,
      database,
      user,
      version,
      dataDir,
      logFile,
      timings: {
        initdb: Math.round(tStart - tInitdb),
        start: Math.round(tCreate - tStart),
        createDatabase: Math.round(tEnd - tCreate),
        total: Math.round(tEnd - t0),
      },
      stop: () =>
        (stopping ??= (async () => {
          live.delete(entry)
          killWatchdog()
          if (started) {
            started = false
            await run(bin.pgCtl, pgCtl('-m', 'immediate', '-w', '-s', 'stop'), dir).catch(() => {
              // Fall back to SIGQUIT (immediate shutdown) on the postmaster.
              try {
                const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
                if (pid > 0) process.kill(pid, 'SIGQUIT')
              } catch {
                // no pid file: not running
              }
            })
          }
          await rm(dir, { recursive: true, force: true })
        })()),
    }
  } catch (error) {
    entry.stopSync()
    throw error
  }
}
