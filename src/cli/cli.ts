import { readFileSync } from 'node:fs'
import { analyzeCommand } from './analyze-command.js'
import { auditListCommand } from './audit-list-command.js'
import { auditVerifyCommand } from './audit-verify-command.js'
import { CommandFailedError, exitCodeOf, UsageError } from './cli-errors.js'
import { parseCommandLine } from './command-line.js'
import type { CliCommand, CliContext } from './command.js'
import { messageOf } from './database.js'
import { graphCommand } from './graph-command.js'
import { keysRotateCommand, keysStatusCommand } from './keys-commands.js'
import { outboxListCommand, outboxRetryCommand } from './outbox-commands.js'
import { commandHelp, overviewHelp } from './help.js'
import { runsCancelCommand } from './runs-cancel-command.js'
import { runsListCommand } from './runs-list-command.js'
import { runsResumeCommand } from './runs-resume-command.js'
import { runsShowCommand } from './runs-show-command.js'
import { runsSignalCommand } from './runs-signal-command.js'
import { statusCommand } from './status-command.js'
import { statsCommand } from './stats-command.js'
import { securityDisableCommand } from './security-disable-command.js'
import { workerCommand } from './worker-command.js'

/**
 * Every `weft` command, in the order `weft --help` lists them.
 *
 * @example
 * ```ts
 * import { commands } from 'weft-sdk/cli'
 * const names = commands.map((command) => command.path.join(' ')) // ['runs list', 'runs show', …]
 * ```
 */
export const commands: readonly CliCommand[] = [
  runsListCommand,
  runsShowCommand,
  runsCancelCommand,
  runsResumeCommand,
  runsSignalCommand,
  graphCommand,
  workerCommand,
  statusCommand,
  statsCommand,
  auditListCommand,
  auditVerifyCommand,
  keysStatusCommand,
  keysRotateCommand,
  outboxListCommand,
  outboxRetryCommand,
  securityDisableCommand,
  analyzeCommand,
]

const helpFlags = ['-h', '--help']

/**
 * Runs the `weft` command line `argv` (the arguments after `weft`). Errors
 * are printed to `context.err` as `weft: <message>`.
 * @returns the process exit code: 0 done, 1 the command failed, 2 a bad command line.
 *
 * @example
 * ```ts
 * import { runCli, streamTerminal } from 'weft-sdk/cli'
 * const context = { out: streamTerminal(process.stdout, process.env), err: streamTerminal(process.stderr, process.env), cwd: process.cwd(), now: Date.now }
 * process.exitCode = await runCli(['runs', 'list', '--json'], context)
 * ```
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  try {
    return await dispatch(argv, context)
  } catch (error) {
    context.err.line(`weft: ${error instanceof UsageError || error instanceof CommandFailedError ? error.message : describeUnexpected(error)}`)
    return exitCodeOf(error)
  }
}

async function dispatch(argv: readonly string[], context: CliContext): Promise<number> {
  const [first, ...rest] = argv
  if (first === undefined) return print(context.err, overviewHelp(commands), 2)
  if (helpFlags.includes(first)) return print(context.out, overviewHelp(commands), 0)
  if (first === '--version') return print(context.out, [packageVersion()], 0)
  if (first.startsWith('-')) throw new UsageError(`${first} must come after a command, e.g. weft runs list ${first}; \`weft --help\` lists the commands`)
  const group = commands.filter((command) => command.path[0] === first)
  if (group.length === 0) throw new UsageError(`unknown command "${first}"; the commands are ${groupNames()} (see weft --help)`)
  if (group.length === 1 && group[0]!.path.length === 1) return runCommand(group[0]!, rest, context)
  const [word, ...args] = rest
  if (word !== undefined && helpFlags.includes(word)) return print(context.out, overviewHelp(commands, first), 0)
  const command = group.find((c) => c.path[1] === word)
  if (command !== undefined) return runCommand(command, args, context)
  const names = group.map((c) => c.path[1]).join(', ')
  if (word === undefined) throw new UsageError(`weft ${first} needs a command: ${names} (see weft ${first} --help)`)
  throw new UsageError(`unknown command "weft ${first} ${word}"; the ${first} commands are ${names} (see weft ${first} --help)`)
}

async function runCommand(command: CliCommand, argv: readonly string[], context: CliContext): Promise<number> {
  const args = parseCommandLine(command, argv)
  if (args.flag('help')) return print(context.out, commandHelp(command), 0)
  return command.run(args, context)
}

function print(terminal: CliContext['out'], lines: readonly string[], exitCode: number): number {
  for (const line of lines) terminal.line(line)
  return exitCode
}

function groupNames(): string {
  return [...new Set(commands.map((c) => c.path[0]!))].join(', ')
}

function describeUnexpected(error: unknown): string {
  const name = error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : ''
  return `${name}${messageOf(error)}`
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return manifest.version
}
