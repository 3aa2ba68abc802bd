import type { Terminal } from './terminal.js'

/** An option a command accepts. */
export interface OptionSpec {
  /** A flag (`boolean`) or an option that takes a value (`string`). */
  readonly type: 'string' | 'boolean'
  /** Whether the option may be given several times. @defaultValue `false` */
  readonly multiple?: boolean
  /** The value's placeholder in help, e.g. `<path>`. */
  readonly valueName?: string
  /** One line for `--help`. */
  readonly description: string
}

/** A positional argument a command takes. */
export interface PositionalSpec {
  /** The placeholder in help, e.g. `id`. */
  readonly name: string
  /** One line for `--help`. */
  readonly description: string
  /** Whether it may be left out. @defaultValue `false` */
  readonly optional?: boolean
  /** Whether it takes every remaining argument (the last positional only). @defaultValue `false` */
  readonly variadic?: boolean
}

/**
 * What a command runs with: where to write, the working directory, the
 * clock. A test gives a fixed clock and captures the output.
 *
 * @example
 * ```ts
 * import { runCli, streamTerminal, type CliContext } from 'weft-sdk/cli'
 * const context: CliContext = { out: streamTerminal(process.stdout, process.env), err: streamTerminal(process.stderr, process.env), cwd: '/srv/app', now: () => Date.parse('2030-01-01T00:00:00Z') }
 * await runCli(['runs', 'list'], context)
 * ```
 */
export interface CliContext {
  /** Standard output. */
  readonly out: Terminal
  /** Standard error. */
  readonly err: Terminal
  /** The directory relative paths are resolved from. */
  readonly cwd: string
  /** The current time (epoch milliseconds). */
  readonly now: () => number
}

/** A command's arguments, parsed and checked against its specs. */
export interface CommandArgs {
  /** The positional arguments, in order. */
  readonly positionals: readonly string[]
  /** The value of a `string` option, when given (the last one if given twice). */
  string(name: string): string | undefined
  /** Every value of a `multiple` option, in order. */
  strings(name: string): readonly string[]
  /** Whether a flag was given. */
  flag(name: string): boolean
}

/** One `weft` command: its words, help and behaviour. */
export interface CliCommand {
  /** The words that name it, e.g. `['runs', 'list']`. */
  readonly path: readonly string[]
  /** One line for the command list. */
  readonly summary: string
  /** Paragraphs for `--help`, after the usage line. */
  readonly details?: readonly string[]
  /** Its positional arguments. */
  readonly positionals: readonly PositionalSpec[]
  /** Its options, by long name (without `--`). `--help` is added to every command. */
  readonly options: Readonly<Record<string, OptionSpec>>
  /** Example command lines for `--help`. */
  readonly examples: readonly string[]
  /** Runs the command; resolves to the process exit code. */
  run(args: CommandArgs, context: CliContext): Promise<number>
}
