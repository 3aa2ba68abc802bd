// The CLI under security: `--config <file>` and `--token <jwt>`, which every command that opens a database accepts,
// and the engine (an API engine: it claims no runs) through whose secure path the run commands act as the caller.
import { AuthenticationError, AuthorizationError, createEngine, isPrincipal, isWeftError, principal, SecurityConfigError } from '../index.js'
import type { AccessRequest, AuditRecord, AuditSink, Authenticator, Caller, Credentials, EngineAs, Principal, RunId, WorkflowRun } from '../index.js'
import type { WorkflowStore } from '../store.js'
import { CliAuditSink } from './cli-audit-sink.js'
import { loadCliConfig, type CliConfig } from './cli-config.js'
import { CommandFailedError, UsageError } from './cli-errors.js'
import type { CommandArgs, CliContext, OptionSpec } from './command.js'
import { defaultDatabase, describeDatabase, messageOf, openStore, type StoreAccess } from './database.js'

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
    throw commandFailure(error)
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

/** A command that reads no runs (the audit, keys and security commands), as its authorization sees it. */
export interface StoreCommand {
  /** What the caller must be allowed, e.g. `{ action: 'read', resource: 'audit' }`. */
  readonly request: AccessRequest
  /** The audit action of a refusal: `audit.read`, `keys.rotated`, `security.disable`... */
  readonly audit: string
  /** What the command does with the database; with `--config` a read opens it to write, so a refusal can be recorded. */
  readonly access: StoreAccess
}

/** The caller of a command with `--config`, allowed, and where the command audits to. */
export interface AuthorizedCaller {
  /** The caller's principal. */
  readonly who: Principal
  /** The `--config`'s audit sink, else the store's audit log. */
  readonly audit: AuditSink
}

/**
 * Opens the store of a command that reads no runs and, with `--config`
 * (`secured`), authorizes its caller (see {@link withSecuredStore}) before
 * passing both to `use`; without it, the caller is `undefined`. Closes the
 * store whatever happens.
 * @throws what {@link openStore}, {@link authorizeCommand} and `use` throw.
 */
export async function withAuthorizedStore<T>(database: string | undefined, context: CliContext, secured: SecuredCommand | undefined, command: StoreCommand, use: (store: WorkflowStore, caller: AuthorizedCaller | undefined) => Promise<T>): Promise<T> {
  if (secured !== undefined) return withSecuredStore(database, context, secured, command, use)
  const store = await openStore(database, { cwd: context.cwd, access: command.access })
  try {
    return await use(store, undefined)
  } finally {
    await store.close()
  }
}

/**
 * Opens the store of a command with `--config` (to write, so that a refusal
 * can be recorded) and authorizes its caller with {@link authorizeCommand}
 * before passing both to `use`: a refusal is audited (to the `--config`'s
 * sink, else the store's audit log) and thrown. Closes the audit log, then
 * the store, whatever happens.
 * @throws what {@link openStore}, {@link authorizeCommand} and `use` throw.
 */
export async function withSecuredStore<T>(database: string | undefined, context: CliContext, secured: SecuredCommand, command: StoreCommand, use: (store: WorkflowStore, caller: AuthorizedCaller) => Promise<T>): Promise<T> {
  const access = command.access === 'read' ? 'write' : command.access
  const store = await openStore(database, { cwd: context.cwd, access, secured: true, codec: secured.config.codec })
  const audit = new CliAuditSink(store.audit, secured.config.security)
  try {
    const who = await authorizeCommand(secured, command, audit, context)
    return await use(store, { who, audit })
  } finally {
    await audit.close().catch((error: unknown) => reportAuditFailure(context, error))
    await store.close()
  }
}

/**
 * Authenticates the caller of a command that reads no runs and asks the
 * configuration's authorizer for its request. A failed authentication is
 * audited as `auth.failed` (its reason, never the credential), a refusal as
 * the command's action, both `denied`, to `audit`; then thrown.
 * @throws {@link CommandFailedError} with the `AuthenticationError`'s or `AuthorizationError`'s message and code.
 */
export async function authorizeCommand(secured: SecuredCommand, command: Pick<StoreCommand, 'request' | 'audit'>, audit: AuditSink, context: CliContext): Promise<Principal> {
  const { request } = command
  const who = await authenticateCaller(secured, request, audit, context)
  try {
    const decision = secured.config.security.authorizer.authorize(who, request)
    if (decision.allowed) return who
    await recordAudit(audit, context, { at: context.now(), action: command.audit, outcome: 'denied', subject: who.subject, tenant: who.tenant, resource: request.resource, reason: decision.reason })
    throw new AuthorizationError(who.subject, request.action, request.resource, decision.reason)
  } catch (error) {
    throw commandFailure(error)
  }
}

/** The caller's principal; a failure is audited as `auth.failed` and thrown. */
async function authenticateCaller(secured: SecuredCommand, request: AccessRequest, audit: AuditSink, context: CliContext): Promise<Principal> {
  try {
    return await callerPrincipal(secured.caller, secured.config.security.authenticator)
  } catch (error) {
    await recordAudit(audit, context, { at: context.now(), action: 'auth.failed', outcome: 'denied', resource: request.resource, reason: authenticationFailure(error) })
    throw commandFailure(error)
  }
}

/**
 * Records `entry` to `audit`; a failed write is reported on stderr, and the
 * decision or operation it records stands (as through the engine).
 */
export async function recordAudit(audit: AuditSink, context: CliContext, entry: AuditRecord): Promise<void> {
  try {
    await audit.record(entry)
  } catch (error) {
    reportAuditFailure(context, error)
  }
}

function reportAuditFailure(context: CliContext, error: unknown): void {
  context.err.line(`weft: the audit log could not be written: ${messageOf(error)}`)
}

/** Why authentication failed, for the audit entry: the failure's kind and detail, never the credential. */
function authenticationFailure(error: unknown): string {
  if (error instanceof AuthenticationError) return `${error.reason}: ${error.detail}`
  if (isWeftError(error)) return error.message
  return error instanceof Error ? error.name : 'failed'
}

/** A Weft error as a {@link CommandFailedError} with its message and code (the CLI's own errors as they are). */
function commandFailure(error: unknown): unknown {
  return isWeftError(error) && !(error instanceof CommandFailedError) && !(error instanceof UsageError) ? new CommandFailedError(`${error.message} [${error.code}]`, { cause: error }) : error
}

async function callerPrincipal(caller: Caller, authenticator: Authenticator | undefined): Promise<Principal> {
  if (typeof caller === 'string') return principal({ subject: caller })
  if ('token' in caller) {
    if (authenticator === undefined) throw new SecurityConfigError('credentials were given but the configuration has no authenticator')
    return authenticator.authenticate(caller as Credentials)
  }
  return isPrincipal(caller) ? caller : principal(caller)
}
