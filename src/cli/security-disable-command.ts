// `weft security disable`: the explicit operator action that turns off the store's record that security is enabled,
// after which commands run without --config again. It needs a caller allowed `admin:security`, and is audited
// (to the --config's audit sink, else to the store's audit log).
import { readSecuritySetting, securitySettingName, type SecuritySetting } from '../store.js'
import { CommandFailedError, UsageError } from './cli-errors.js'
import type { CliCommand } from './command.js'
import { configOption, recordAudit, securedCommand, tokenOption, withSecuredStore, type StoreCommand } from './cli-security.js'
import { databaseOption, describeDatabase } from './database.js'
import { jsonOption, printJson } from './run-json.js'

/** Turning security off: `admin:security`, audited as `security.disable` (refused or done). */
const disableSecurity: StoreCommand = { request: { action: 'admin', resource: 'security' }, audit: 'security.disable', access: 'write' }

/** `weft security disable`: records that security is off, as an admin. */
export const securityDisableCommand: CliCommand = {
  path: ['security', 'disable'],
  summary: 'turn off the record that security is enabled (an admin only)',
  details: [
    'Once an engine with security opened the database, every command needs --config. This turns that off:',
    'the caller (--token, or the --config\'s credentials or principal) must be allowed admin:security. The action',
    'and any refusal are audited to the --config\'s audit sink, else to the store\'s audit log (`weft audit list`).',
    'An engine with security that opens the database again records it again: disable it in the application first.',
    'With --json it prints { database, changed, by }.',
  ],
  positionals: [],
  options: { database: databaseOption, config: configOption, token: tokenOption, json: jsonOption },
  examples: ['weft security disable --config weft.config.mjs --token "$ADMIN_TOKEN"'],
  async run(args, context) {
    const secured = await securedCommand(args, context)
    if (secured === undefined) throw new UsageError('weft security disable needs --config <file> (and --token <jwt>) naming an admin')
    const database = args.string('database')
    const where = describeDatabase(database ?? 'the default database')
    return withSecuredStore(database, context, secured, disableSecurity, async (store, { who, audit }) => {
      const report = (changed: boolean, message: string): number => {
        if (args.flag('json')) printJson(context.out, { database: where, changed, by: who.subject })
        else context.out.line(message)
        return 0
      }
      const current = await readSecuritySetting(store.settings)
      if (store.settings === undefined) throw new CommandFailedError(`the store of ${where} keeps no settings`)
      if (current?.enabled !== true) return report(false, `security is not enabled in ${where}: nothing to do`)
      const off: SecuritySetting = { enabled: false, since: current.since, changedBy: who.subject }
      await store.settings.set(securitySettingName, off, context.now())
      await recordAudit(audit, context, { at: context.now(), action: 'security.disable', outcome: 'succeeded', subject: who.subject, tenant: who.tenant, resource: 'security' })
      return report(true, `security disabled in ${where} by ${who.subject}: commands run without --config until an engine with security opens it again`)
    })
  },
}
