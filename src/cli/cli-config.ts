// The configuration `--config <file>` gives every `weft` command on a secured database: the engine's security (its
// authorizer, and the authenticator `--token` is verified with), who the command acts as, and the store's codec.
import type { Credentials, Principal, SecurityConfig, SqliteStoreOptions } from '../index.js'
import { CommandFailedError } from './cli-errors.js'
import { importWorkflowModule } from './workflow-module.js'

const cliConfigBrand = Symbol.for('weft.cliConfig')

/**
 * What a module passed to `--config` exports (as `weft` or as its default
 * export): the security every command of the CLI goes through, and whom a
 * command acts as when no `--token` is given.
 *
 * @example
 * ```ts
 * import { principal, Rbac } from 'weft-sdk'
 * import type { CliConfig } from 'weft-sdk/cli'
 * declare const rbac: Rbac
 * const config: CliConfig = { security: { authorizer: rbac }, principal: principal({ subject: 'ops:oncall', roles: ['admin'] }) }
 * ```
 */
export interface CliConfig {
  /** The security of the commands' engine: the same policies as the application's (`createEngine({ security })`). */
  readonly security: SecurityConfig
  /** Credentials the commands act with when no `--token` is given (verified by `security.authenticator`). */
  readonly credentials?: Credentials | undefined
  /** A principal the commands act as when neither `--token` nor `credentials` is given (the file is trusted as code is). */
  readonly principal?: Principal | undefined
  /** How the store's values are encoded: the payload codec of the application's keys, when it encrypts. */
  readonly codec?: SqliteStoreOptions['codec']
}

/**
 * Types the configuration a `--config` module exports. Every command then
 * goes through the engine's secure path as the caller: `--token <jwt>`
 * (verified by `security.authenticator`), else `credentials`, else `principal`.
 *
 * @example
 * ```ts
 * // weft.config.mjs — `weft runs list --config weft.config.mjs --token "$TOKEN"`
 * import { JwtAuthenticator, Rbac } from 'weft-sdk'
 * import { defineCliConfig } from 'weft-sdk/cli'
 * declare const authenticator: JwtAuthenticator
 * const authorizer = new Rbac({ roles: { admin: { allow: ['*'] }, user: { allow: ['read:*', 'cancel:*', 'resume:*', 'signal:*'] } } })
 * export default defineCliConfig({ security: { authorizer, authenticator } })
 * ```
 * @throws {@link CommandFailedError} when `security.authorizer` is missing (security is deny by default).
 */
export function defineCliConfig(config: CliConfig): CliConfig {
  assertCliConfig(config, 'defineCliConfig')
  return Object.defineProperty({ ...config }, cliConfigBrand, { value: true, enumerable: false })
}

/** Whether a module's export is a CLI configuration: made by {@link defineCliConfig}, or a plain object with `security`. */
function isCliConfig(value: unknown): value is CliConfig {
  if (typeof value !== 'object' || value === null) return false
  return (value as Record<symbol, unknown>)[cliConfigBrand] === true || 'security' in value
}

function assertCliConfig(config: CliConfig, where: string): void {
  const authorizer = (config.security as Partial<SecurityConfig> | undefined)?.authorizer
  if (typeof authorizer?.authorize !== 'function') {
    throw new CommandFailedError(`${where}: security.authorizer is required (an Rbac, or your own Authorizer): security is deny by default`)
  }
}

/**
 * Imports a `--config` module (a built .js or .mjs file, relative to `cwd`) and returns its configuration.
 * @throws {@link CommandFailedError} when it cannot be imported or exports no configuration.
 */
export async function loadCliConfig(path: string, cwd: string): Promise<CliConfig> {
  const module = await importWorkflowModule(path, cwd)
  for (const exportName of ['weft', 'default']) {
    const value = module.exports[exportName]
    if (!Object.hasOwn(module.exports, exportName) || !isCliConfig(value)) continue
    assertCliConfig(value, `the ${exportName} export of ${path}`)
    return value
  }
  throw new CommandFailedError(`${path} exports no CLI configuration: export default defineCliConfig({ security: { authorizer, authenticator } }) (defineCliConfig from 'weft-sdk/cli')`)
}
