// The CLI under security: `--config <file>` and `--token <jwt>`, which every command that opens a database accepts,
// and the engine (an API engine: it claims no runs) through whose secure path the run commands act as the caller.
import { AuthorizationError, createEngine, isPrincipal, isWeftError, principal, SecurityConfigError } from '../index.js'
import type { AccessRequest, Authenticator, Caller, Credentials, EngineAs, Principal, RunId, WorkflowRun } from '../index.js'
import type { WorkflowStore } from '../store.js'
import { loadCliConfig, type CliConfig } from './cli-config.js'
import { CommandFailedError, UsageError } from './cli-errors.js'
import type { CommandArgs, CliContext, OptionSpec } from './command.js'
import { defaultDatabase, describeDatabase, openStore, type StoreAccess } from './database.js'

/** The `--config` option of every command that opens a database. */
export const configOption: OptionSpec = {
  type: 'string',
  valueName: '<file>',
  description: "a built module exporting defineCliConfig({ security, ... }): required once the database has security enabled",
}

/** The `--token` option of every command that opens a database. */
export const tokenOption: OptionSpec = {
  type: 'string',
  valueName: '<jwt>',
  description: "credentials, verified by the --config's authenticator (the command acts as the token's principal)",
}

/** A command run with `--config`: the configuration and the caller it acts as. */
export interface SecuredCommand {
  /** The loaded configuration. */
  readonly config: CliConfig
  /** Whom the command acts as: `--token`, else the configuration's credentials, else its principal. */
  readonly caller: Caller
}

/**
 * The command's `--config` and caller, or `undefined` without `--config`
 * (then a database with security enabled refuses the command).
 * @throws {@link UsageError} for `--token` without `--config`, or a configuration that names no caller.
 */
export async function securedCommand(args: CommandArgs, context: CliContext): Promise<SecuredCommand | undefined> {
  const path = args.string('config')
  const token = args.string('token')
  if (path === undefined) {
    if (token !== undefined) throw new UsageError('--token needs --config <file>: the token is verified by the authenticator of its security')
    return undefined
  }
  const config = await loadCliConfig(path, context.cwd)
  if (token !== undefined && config.security.authenticator === undefined) {
    throw new UsageError(`--token cannot be verified: the security of ${path} has no authenticator (add one, e.g. a JwtAuthenticator)`)
  }
  const caller: Caller | undefined = token !== undefined ? { token } : (config.credentials ?? config.principal)
  if (caller === undefined) throw new UsageError(`pass --token <jwt>, or give credentials or a principal in ${path}: a secured command acts as someone`)
  return { config, caller }
}

/**
 * Opens the store for a command with `--config`, an engine on it that claims
 * no runs (an API engine) with the configuration's security, and passes the
 * engine acting as the caller to `use`; closes both whatever happens. A
 * refusal of the secure path (authentication, authorization, limits) and any
 * Weft error become a {@link CommandFailedError} with its message and code.
 */
export async function withSecuredEngine<T>(
  database: string | undefined,
  context: CliContext,
  secured: SecuredCommand,
  use: (caller: EngineAs, store: WorkflowStore) => Promise<T>,
  access: StoreAccess = 'write',
): Promise<T> {
  // Write access even to read: an engine with security records it in a store that does not have it yet.
  const store = await openStore(database, { cwd: context.cwd, access, secured: true, codec: secured.config.codec })
  // A failed audit write is reported here (the operation it records stands, as through the API).
  const reportError = (error: unknown) => context.err.line(`weft: background work failed: ${error instanceof Error ? error.message : String(error)}`)
  const engine = createEngine({ store, security: secured.config.security, claimRuns: false, onBackgroundError: reportError })
  try {
    await engine.ready
    return await use(engine.as(secured.caller), store)
  } catch (error) {
    throw isWeftError(error) && !(error instanceof CommandFailedError) && !(error instanceof UsageError) ? new CommandFailedError(`${error.message} [${error.code}]`, { cause: error }) : error
  } finally {
    await engine.close({ drain: 0 }).catch(() => undefined)
    await store.close()
  }
}

/**
 * The handle of a run the caller may read (the secure path's read check).
 * @throws {@link CommandFailedError} when no run has this id; the secure path's refusal when it may not read it.
 */
export async function requireReadableRun(caller: EngineAs, runId: string, database: string | undefined): Promise<WorkflowRun> {
  const run = await caller.getRun(runId as RunId)
  if (run !== undefined) return run
  throw new CommandFailedError(`no run "${runId}" in ${describeDatabase(database ?? defaultDatabase)}; \`weft runs list\` shows the runs there`)
}

/**
 * Authenticates the caller of a command that reads no runs (the audit
 * commands) and asks the configuration's authorizer for `request`; a refusal
 * is audited to the configuration's sink (when it has one) and thrown.
 * @throws {@link CommandFailedError} with the `AuthenticationError`'s or `AuthorizationError`'s message and code.
 */
export async function authorizeCommand(secured: SecuredCommand, request: AccessRequest, audit: string, now: number): Promise<Principal> {
  const { authorizer, authenticator, audit: sink } = secured.config.security
  try {
    const who = await callerPrincipal(secured.caller, authenticator)
    const decision = authorizer.authorize(who, request)
    if (decision.allowed) return who
    await sink?.record({ at: now, action: audit, outcome: 'denied', subject: who.subject, tenant: who.tenant, resource: request.resource, reason: decision.reason })
    throw new AuthorizationError(who.subject, request.action, request.resource, decision.reason)
  } catch (error) {
    throw isWeftError(error) ? new CommandFailedError(`${error.message} [${error.code}]`, { cause: error }) : error
  }
}

async function callerPrincipal(caller: Caller, authenticator: Authenticator | undefined): Promise<Principal> {
  if (typeof caller === 'string') return principal({ subject: caller })
  if ('token' in caller) {
    if (authenticator === undefined) throw new SecurityConfigError('credentials were given but the configuration has no authenticator')
    return authenticator.authenticate(caller as Credentials)
  }
  return isPrincipal(caller) ? caller : principal(caller)
}
