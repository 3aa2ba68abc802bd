import type { AuditStore } from '../store.js'
import { CommandFailedError } from './cli-errors.js'
import { describeDatabase, openStore } from './database.js'

/** Runs `use` with the audit log of the `--database` store (opened to read), and closes the store. */
export async function withAuditStore<T>(database: string | undefined, cwd: string, use: (audit: AuditStore) => Promise<T>): Promise<T> {
  const store = await openStore(database, { cwd, access: 'read' })
  try {
    if (store.audit === undefined) throw new CommandFailedError(`the store of ${describeDatabase(database ?? 'the default database')} keeps no audit log`)
    return await use(store.audit)
  } finally {
    await store.close()
  }
}
