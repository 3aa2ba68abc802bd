import { WeftError } from '../index.js'

/**
 * A command line the CLI cannot act on: an unknown command or option, a
 * missing or malformed argument. The CLI exits with code 2.
 */
export class UsageError extends WeftError {
  readonly code = 'WEFT_CLI_USAGE'
  readonly _tag = 'UsageError'
}

/**
 * A well-formed command that could not do what it was asked: no such run, a
 * module that cannot be imported, an export that is not a workflow. The CLI
 * exits with code 1.
 */
export class CommandFailedError extends WeftError {
  readonly code = 'WEFT_CLI_FAILED'
  readonly _tag = 'CommandFailedError'
}

/** The process exit code for an error that ended a command: 2 for usage errors, else 1. */
export function exitCodeOf(error: unknown): number {
  return error instanceof UsageError ? 2 : 1
}
