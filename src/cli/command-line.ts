import { parseArgs } from 'node:util'
import { UsageError } from './cli-errors.js'
import type { CliCommand, CommandArgs, OptionSpec, PositionalSpec } from './command.js'

/** The `--help` flag every command accepts. */
export const helpOption: OptionSpec = { type: 'boolean', description: 'show this help' }

/** `weft runs list`. */
export function commandName(command: CliCommand): string {
  return ['weft', ...command.path].join(' ')
}

/** `<id>`, `[id]`, or `[ids...]` for a positional that takes every remaining argument. */
export function positionalLabel(p: PositionalSpec): string {
  const name = p.variadic === true ? `${p.name}...` : p.name
  return p.optional === true ? `[${name}]` : `<${name}>`
}

type Token = ReturnType<typeof parseArgs>['tokens'] extends (infer T)[] | undefined ? T : never

/**
 * Parses a command's arguments (after its words) with `util.parseArgs`, and
 * checks them against the command's specs with messages that name the fix.
 * @throws {@link UsageError} for an unknown option, a missing value, or missing or extra positionals.
 */
export function parseCommandLine(command: CliCommand, argv: readonly string[]): CommandArgs {
  const specs = { ...command.options, help: helpOption }
  const config = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, { type: spec.type, multiple: spec.multiple ?? false }]))
  const { tokens } = parseArgs({ args: [...argv], options: { ...config, help: { type: 'boolean', short: 'h' } }, strict: false, allowPositionals: true, tokens: true })
  const values = new Map<string, string[]>()
  const positionals: string[] = []
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value)
    else if (token.kind === 'option') values.set(token.name, [...(values.get(token.name) ?? []), optionValue(command, specs, token)])
  }
  if (!values.has('help')) checkPositionals(command, positionals)
  return {
    positionals,
    string: (name) => values.get(name)?.at(-1),
    strings: (name) => values.get(name) ?? [],
    flag: (name) => values.has(name),
  }
}

function optionValue(command: CliCommand, specs: Readonly<Record<string, OptionSpec>>, token: Extract<Token, { kind: 'option' }>): string {
  const spec = Object.hasOwn(specs, token.name) ? specs[token.name] : undefined
  const help = `see ${commandName(command)} --help`
  if (spec === undefined) {
    const known = Object.keys(specs).map((name) => `--${name}`).join(', ')
    throw new UsageError(`unknown option ${token.rawName} for ${commandName(command)}; its options are ${known} (${help})`)
  }
  const usage = `--${token.name} ${spec.valueName ?? '<value>'}`
  if (spec.type === 'boolean') {
    if (token.value !== undefined) throw new UsageError(`option --${token.name} takes no value, got "${token.value}" (${help})`)
    return ''
  }
  if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) {
    const got = token.value === undefined ? '' : `, got "${token.value}" (write --${token.name}=${token.value} if that is the value)`
    throw new UsageError(`option --${token.name} needs a value: ${usage}${got}`)
  }
  return token.value
}

function checkPositionals(command: CliCommand, positionals: readonly string[]): void {
  const required = command.positionals.filter((p) => p.optional !== true)
  const usage = `usage: ${commandName(command)} ${command.positionals.map(positionalLabel).join(' ')}`.trimEnd()
  if (positionals.length < required.length) {
    const missing = required.slice(positionals.length).map((p) => `<${p.name}>`).join(' ')
    throw new UsageError(`${commandName(command)} needs ${missing}; ${usage}`)
  }
  if (positionals.length > command.positionals.length && command.positionals.at(-1)?.variadic !== true) {
    const extra = positionals.slice(command.positionals.length).map((p) => `"${p}"`).join(', ')
    throw new UsageError(`unexpected argument ${extra} for ${commandName(command)}; ${usage}`)
  }
}

/** Parses a whole number option at least `min`. @throws {@link UsageError} */
export function parseCount(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name} must be a whole number ≥ ${min}, got "${text}"`)
  }
  return value
}
