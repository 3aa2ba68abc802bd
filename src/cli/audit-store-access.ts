import type { AuditStore } from '../store.js'
import { CommandFailedError } from './cli-errors.js'
import type { CliContext } from './command.js'
import { describeDatabase } from './database.js'
import { withAuthorizedStore, type SecuredCommand, type StoreCommand } from './cli-security.js'

/** Reading the audit log: `read:audit`, a refusal audited as `audit.read`; opened to read without `--config`. */
const readAudit: StoreCommand = { request: { action: 'read', resource: 'audit' }, audit: 'audit.read', access: 'read' }

/**
 * Runs `use` with the audit log of the `--database` store, and closes the store. With `--config` (`secured`), the
 * caller must first be allowed `read:audit` (a database with security enabled refuses the command without it), and
 * a refusal is audited: to the `--config`'s audit sink, else to the store's audit log (opened to write for that).
 */
export async function withAuditStore<T>(database: string | undefined, context: CliContext, use: (audit: AuditStore) => Promise<T>, secured?: SecuredCommand): Promise<T> {
  return withAuthorizedStore(database, context, secured, readAudit, async (store) => {
    if (store.audit === undefined) throw new CommandFailedError(`the store of ${describeDatabase(database ?? 'the default database')} keeps no audit log`)
    return use(store.audit)
  })
}
