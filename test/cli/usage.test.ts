/** `weft` help and command-line errors: help exits 0, a bad command line exits 2 with the fix. */
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { describe, expect, it } from 'vitest'
import { runWeft, runWeftWithClosedStdout } from '../support/weft-cli.js'

const cwd = tmpdir()

describe('weft --help', () => {
  it('lists every command', async () => {
    const { code, lines } = await runWeft(['--help'], cwd)
    expect(code).toBe(0)
    expect(lines[0]).toBe('weft: inspect, control and run Weft workflows')
    const commands = lines.slice(lines.indexOf('Commands:') + 1, lines.indexOf('', lines.indexOf('Commands:')))
    expect(commands.map((line) => line.trim().split(/ {2,}/)[0])).toEqual([
      'runs list',
      'runs show <id>',
      'runs cancel <id>',
      'runs resume <id>',
      'runs signal <id> <event> <json>',
      'graph <module> <workflow>',
      'worker',
      'status',
      'stats',
      'audit list',
      'audit verify',
      'keys status',
      'keys rotate',
      'outbox list',
      'outbox retry [ids...]',
      'security disable',
      'analyze <module> <workflow>',
    ])
  })

  it("shows a command's usage, options and examples", async () => {
    const { code, lines } = await runWeft(['worker', '--help'], cwd)
    expect(code).toBe(0)
    expect(lines[0]).toBe('Usage: weft worker [options]')
    const options = lines.slice(lines.indexOf('Options:') + 1, lines.indexOf('Examples:') - 1).map((line) => line.trim().split(/ {2,}/)[0])
    expect(options).toEqual(['--database <path|url>', '--config <file>', '--module <path>', '--drain <duration>', '--max-tasks <n>', '--metrics-port <port>', '--json', '-h, --help'])
  })

  it('shows the help of a command group', async () => {
    const { code, stdout } = await runWeft(['runs', '-h'], cwd)
    expect(code).toBe(0)
    expect(stdout).toMatch(/\n {2}runs resume <id> {2,}resume a paused or dead-lettered run\n/)
    expect(stdout).toMatch(/\n {2}runs signal <id> <event> <json> {2}send an event to a run\n/)
    expect(stdout).not.toContain('worker')
  })
})

describe('a bad command line', () => {
  it.concurrent.for<[string[], string]>([
    [['deploy'], 'weft: unknown command "deploy"; the commands are runs, graph, worker, status, stats, audit, keys, outbox, security, analyze (see weft --help)'],
    [['runs', 'delete', 'x'], 'weft: unknown command "weft runs delete"; the runs commands are list, show, cancel, resume, signal (see weft runs --help)'],
    [['runs'], 'weft: weft runs needs a command: list, show, cancel, resume, signal (see weft runs --help)'],
    [
      ['runs', 'list', '--state', 'failed'],
      'weft: unknown option --state for weft runs list; its options are --status, --workflow, --limit, --before, --database, --config, --token, --json, --help (see weft runs list --help)',
    ],
    [['runs', 'list', '--limit'], 'weft: option --limit needs a value: --limit <n>'],
    [['runs', 'list', '--limit', '0'], 'weft: --limit must be a whole number ≥ 1, got "0"'],
    [['runs', 'list', '--status', 'done'], 'weft: --status must be one of pending, running, paused, completed, failed, cancelled, dead-lettered; got "done"'],
    [['runs', 'show'], 'weft: weft runs show needs <id>; usage: weft runs show <id>'],
    [['runs', 'show', 'a', 'b'], 'weft: unexpected argument "b" for weft runs show; usage: weft runs show <id>'],
    [['runs', 'signal', 'r1', 'approved'], 'weft: weft runs signal needs <json>; usage: weft runs signal <id> <event> <json>'],
    [['runs', 'list', '--json=yes'], 'weft: option --json takes no value, got "yes" (see weft runs list --help)'],
    [['--database', 'x.sqlite', 'runs', 'list'], 'weft: --database must come after a command, e.g. weft runs list --database; `weft --help` lists the commands'],
    [['worker'], 'weft: weft worker needs at least one --module <path> (a built module exporting workflows)'],
    [['worker', '--module', 'w.js', '--drain', 'soon'], `weft: --drain must be a number of milliseconds or a string like '250 ms', '5 s', '2 m', '1 h', '2 d', got "soon"`],
    [['worker', '--module', 'w.js', '--max-tasks', '-1'], 'weft: option --max-tasks needs a value: --max-tasks <n>, got "-1" (write --max-tasks=-1 if that is the value)'],
    [['worker', '--module', 'w.js', '--metrics-port', '70000'], 'weft: --metrics-port must be a port number from 0 to 65535, got "70000"'],
  ])('weft %j exits 2 and says what to fix', async ([args, message], { expect }) => {
    const { code, stdout, stderr } = await runWeft(args, cwd)
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: `${message}\n` })
  })

  it('prints the overview on standard error when no command is given', async () => {
    const { code, stdout, stderr } = await runWeft([], cwd)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain('Usage: weft <command> [options]')
  })
})

describe('every command that prints', () => {
  it('takes --json', async () => {
    const { lines } = await runWeft(['--help'], cwd)
    const commands = lines.slice(lines.indexOf('Commands:') + 1, lines.indexOf('', lines.indexOf('Commands:'))).map((line) => line.trim().split(/ {2,}/)[0]!.split(' <')[0]!)
    // All at once: one process each, ~1 s apiece on a loaded machine.
    const helps = await Promise.all(commands.map((command) => runWeft([...command.split(' '), '--help'], cwd)))
    expect(commands.length).toBeGreaterThan(10)
    for (const [i, command] of commands.entries()) expect(helps[i]!.stdout, command).toContain('  --json ')
  }, 120_000)
})

describe('a closed standard output', () => {
  it('ends the command quietly with its own exit code, no stack trace', async () => {
    expect(await runWeftWithClosedStdout(['--help'], cwd)).toEqual({ code: 0, signal: null, stderr: '' })
  })
})

describe('weft --version', () => {
  it("prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    const { code, stdout } = await runWeft(['--version'], cwd)
    expect({ code, stdout }).toEqual({ code: 0, stdout: `${version}\n` })
  })
})

describe('a database that cannot be opened', () => {
  it('exits 1 with the reason, and never prints the password of a postgres:// URL', async () => {
    const { code, stdout, stderr } = await runWeft(['runs', 'list', '--database', 'postgres://weft:s3cret@127.0.0.1:1/weft'], cwd)
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' })
    expect(stderr).toMatch(/^weft: cannot open postgres:\/\/weft:\*\*\*@127\.0\.0\.1:1\/weft: a PostgreSQL query failed \(connection-lost\): ECONNREFUSED: the server refused the connection/)
    expect(stderr).not.toContain('s3cret')
  })
})
