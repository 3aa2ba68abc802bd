import type { AuditStore } from '../store.js'
import { CommandFailedError } from './cli-errors.js'
import { describeDatabase, openStore } from './database.js'
import { authorizeCommand, type SecuredCommand } from './cli-security.js'

/**
 * Runs `use` with the audit log of the `--database` store (opened to read), and closes the store. With `--config`
 * (`secured`), the caller must first be allowed `read:audit` (a database with security enabled refuses the command without it).
 */
export async function withAuditStore<T>(database: string | undefined, cwd: string, use: (audit: AuditStore) => Promise<T>, secured?: SecuredCommand): Promise<T> {
  if (secured !== undefined) await authorizeCommand(secured, { action: 'read', resource: 'audit' }, 'audit.read', Date.now())
  const store = await openStore(database, { cwd, access: 'read', secured: secured !== undefined, codec: secured?.config.codec })
  try {
    if (store.audit === undefined) throw new CommandFailedError(`the store of ${describeDatabase(database ?? 'the default database')} keeps no audit log`)
    return await use(store.audit)
  } finally {
    await store.close()
  }
}
