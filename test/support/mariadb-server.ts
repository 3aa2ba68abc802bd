/**
 * Which MariaDB/MySQL server the tests use, found once per run (vitest
 * `globalSetup`, see mariadb-global-setup.ts), in this order:
 *
 * 1. `WEFT_TEST_MYSQL_URL` when set: it must answer (a URL set on purpose
 *    that does not answer fails the run);
 * 2. the standard local server (`mysql://root@127.0.0.1:3306`, root without
 *    a password, as CI and this project's machines run it) when it answers;
 * 3. a throwaway server of the run's own, started from the installed
 *    binaries (`mariadb-install-db` + `mariadbd`, Debian's `mariadb-server`)
 *    on a free loopback port with its data in a temp folder, stopped and
 *    deleted when the run ends (`WEFT_TEST_MYSQL_THROWAWAY=1` forces this
 *    step, to test it where a standard server runs);
 * 4. none: `describeMysql` suites are skipped with the reason in their name
 *    (failed in CI).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import { freePort } from './postgres-server.js'

/** Where the test server is, or why there is none; `stop` ends a throwaway server. */
export type MysqlChoice = { readonly url: string; readonly source: 'env' | 'local' | 'throwaway'; stop(): Promise<void> } | { readonly skip: string }

const standardUrl = 'mysql://root@127.0.0.1:3306/'
const installDb = '/usr/bin/mariadb-install-db'
const serverBinary = '/usr/sbin/mariadbd'

/** Finds (or starts) the server for this run. @throws when `WEFT_TEST_MYSQL_URL` is set and does not answer, or a throwaway server fails to start. */
export async function chooseMysqlServer(): Promise<MysqlChoice> {
  const fromEnv = process.env['WEFT_TEST_MYSQL_URL']
  if (fromEnv) {
    const problem = await mysqlAnswers(fromEnv)
    if (problem !== undefined) throw new Error(`WEFT_TEST_MYSQL_URL is set but its server does not answer (${problem}): start it, or unset the variable`)
    return { url: fromEnv, source: 'env', stop: async () => undefined }
  }
  const forced = process.env['WEFT_TEST_MYSQL_THROWAWAY'] === '1'
  const problem = forced ? 'WEFT_TEST_MYSQL_THROWAWAY=1' : await mysqlAnswers(standardUrl)
  if (problem === undefined) return { url: standardUrl, source: 'local', stop: async () => undefined }
  if (!existsSync(installDb) || !existsSync(serverBinary)) {
    return { skip: `no MariaDB/MySQL: WEFT_TEST_MYSQL_URL is not set, 127.0.0.1:3306 (root, no password) does not answer (${problem}), and no ${serverBinary} to start one (apt-get install -y mariadb-server)` }
  }
  return startThrowawayMysql()
}

/** `undefined` when a `select 1` succeeds within 3 s, else why not. */
export async function mysqlAnswers(url: string): Promise<string | undefined> {
  try {
    const connection = await mysql.createConnection({ uri: url, connectTimeout: 3_000 })
    try {
      await connection.query('select 1')
    } finally {
      await connection.end()
    }
    return undefined
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message
  }
}

/** Initialises a data folder and starts `mariadbd` on a free loopback port; resolves when it answers. */
async function startThrowawayMysql(): Promise<MysqlChoice> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-mariadb-'))
  const data = join(dir, 'data')
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : []
  await runToEnd(installDb, ['--no-defaults', ...asRoot, `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db'], join(dir, 'install.log'))
  const port = await freePort()
  const server = spawn(
    serverBinary,
    [
      '--no-defaults',
      ...asRoot,
      `--datadir=${data}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dir, 'mysqld.sock')}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${join(dir, 'error.log')}`,
      '--skip-log-bin',
      '--innodb-buffer-pool-size=32M',
      '--innodb-log-file-size=16M',
    ],
    { stdio: 'ignore' },
  )
  let exited = false
  server.once('exit', () => void (exited = true))
  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise<void>((resolve) => server.once('exit', () => resolve()))
      server.kill('SIGTERM')
      const timer = setTimeout(() => server.kill('SIGKILL'), 20_000)
      await gone
      clearTimeout(timer)
    }
    await rm(dir, { recursive: true, force: true })
  }
  const url = `mysql://root@127.0.0.1:${port}/`
  const deadline = Date.now() + 60_000
  let problem = await mysqlAnswers(url)
  while (problem !== undefined && !exited && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    problem = await mysqlAnswers(url)
  }
  if (problem !== undefined) {
    const log = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '')
    await stop()
    throw new Error(`a throwaway MariaDB on port ${port} did not answer within 60 s (${problem}); its log ends:\n${log.split('\n').slice(-15).join('\n')}`)
  }
  return { url, source: 'throwaway', stop }
}

/** Runs a command to its end, its output in `logFile`'s place on failure. */
function runToEnd(command: string, args: readonly string[], logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => void (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code} (${logFile}):\n${output.slice(-2_000)}`))))
  })
}

