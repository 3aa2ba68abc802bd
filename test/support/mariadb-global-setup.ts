/**
 * vitest `globalSetup`: finds the MariaDB/MySQL server for the whole run, or
 * starts ONE throwaway server (see mariadb-server.ts), and hands its URL or
 * the reason there is none to every test file (`inject('mysqlUrl')`,
 * `inject('mysqlSkipReason')`, read by mariadb.ts). A throwaway server is
 * stopped, and its folder deleted, when the run ends.
 */
import type { TestProject } from 'vitest/node'
import type {} from './mariadb.js' // the ProvidedContext keys
import { chooseMysqlServer } from './mariadb-server.js'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await chooseMysqlServer()
  if ('skip' in server) {
    project.provide('mysqlUrl', null)
    project.provide('mysqlSkipReason', server.skip)
    return async () => undefined
  }
  if (server.source === 'throwaway') console.info(`MariaDB tests use a throwaway server at ${server.url}`)
  project.provide('mysqlUrl', server.url)
  project.provide('mysqlSkipReason', null)
  return () => server.stop()
}
