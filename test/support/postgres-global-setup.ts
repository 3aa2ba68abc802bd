/**
 * vitest `globalSetup`: starts ONE throwaway PostgreSQL server for the whole
 * test run and hands its URL to every test file (`inject('postgresUrl')`, see
 * `postgres.ts`). Stopped, and its folder deleted, when the run ends.
 *
 * If the server cannot start the run fails here, loudly, with the package to
 * install. `WEFT_SKIP_POSTGRES=1` (developers without PostgreSQL only; refused
 * when `CI` is set) turns that failure into skipped PostgreSQL suites.
 */
import type { TestProject } from 'vitest/node'
import type {} from './postgres.js' // the ProvidedContext keys
import { startPostgres, type PostgresServer } from './postgres-server.js'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const skipAllowed = process.env.WEFT_SKIP_POSTGRES === '1'
  if (skipAllowed && isCI()) {
    throw new Error('WEFT_SKIP_POSTGRES=1 is not allowed in CI: PostgreSQL tests must run there.')
  }

  let server: PostgresServer
  try {
    server = await startPostgres()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    if (!skipAllowed) {
      throw new Error(
        `Could not start the test PostgreSQL server:\n${message}\n` +
          '(Developers without PostgreSQL may set WEFT_SKIP_POSTGRES=1 to skip the PostgreSQL tests; CI never does.)',
        { cause: error },
      )
    }
    const reason = `WEFT_SKIP_POSTGRES=1 and PostgreSQL could not start: ${message.split('\n')[0]}`
    console.warn(`\n⚠  PostgreSQL tests are SKIPPED in this run.\n   ${message.replaceAll('\n', '\n   ')}\n`)
    project.provide('postgresUrl', null)
    project.provide('postgresSkipReason', reason)
    return async () => {}
  }

  if (process.env.WEFT_DEBUG_POSTGRES === '1') {
    const t = server.timings
    console.info(
      `PostgreSQL test server: ${server.url} (${server.version}; ` +
        `initdb ${t.initdb} ms, start ${t.start} ms, CREATE DATABASE ${t.createDatabase} ms, total ${t.total} ms)`,
    )
  }
  project.provide('postgresUrl', server.url)
  project.provide('postgresSkipReason', null)
  return () => server.stop()
}

function isCI(): boolean {
  const ci = process.env.CI
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false'
}
