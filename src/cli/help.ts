import { commandName, helpOption, positionalLabel } from './command-line.js'
import type { CliCommand, OptionSpec } from './command.js'
import { defaultDatabase } from './database.js'

/** The command line of a command, e.g. `weft runs show <id> [options]`. */
export function usageLine(command: CliCommand): string {
  return [commandName(command), ...command.positionals.map(positionalLabel), '[options]'].join(' ')
}

function optionLabel(name: string, spec: OptionSpec): string {
  const flag = name === 'help' ? '-h, --help' : `--${name}`
  return spec.type === 'string' ? `${flag} ${spec.valueName ?? '<value>'}` : flag
}

function twoColumns(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length))
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)
}

/** `weft <command> --help`. */
export function commandHelp(command: CliCommand): string[] {
  const options = Object.entries({ ...command.options, help: helpOption }).map(([name, spec]) => [optionLabel(name, spec), spec.description] as const)
  const positionals = command.positionals.map((p) => [`<${p.name}>`, p.description] as const)
  return [
    `Usage: ${usageLine(command)}`,
    '',
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    ...(command.details === undefined ? [] : ['', ...command.details]),
    ...(positionals.length === 0 ? [] : ['', 'Arguments:', ...twoColumns(positionals)]),
    '',
    'Options:',
    ...twoColumns(options),
    '',
    'Examples:',
    ...command.examples.map((example) => `  ${example}`),
  ]
}

/** `weft --help`, or the help of a command group such as `weft runs --help`. */
export function overviewHelp(commands: readonly CliCommand[], group?: string): string[] {
  const listed = commands.filter((command) => group === undefined || command.path[0] === group)
  return [
    group === undefined ? 'weft: inspect, control and run Weft workflows' : `weft ${group}: ${group === 'runs' ? 'inspect and control runs' : group}`,
    '',
    `Usage: weft ${group ?? '<command>'}${group === undefined ? '' : ' <command>'} [options]`,
    '',
    'Commands:',
    ...twoColumns(listed.map((command) => [usageLine(command).replace(/^weft /, '').replace(/ \[options\]$/, ''), command.summary])),
    '',
    `Commands that read or run runs take --database <path|url>: a SQLite file (default ${defaultDatabase})`,
    'or a postgres:// URL. `weft <command> --help` shows a command\'s options.',
    'Exit codes: 0 done; 1 the command failed (no such run, a module that cannot be imported); 2 a bad command line.',
  ]
}
