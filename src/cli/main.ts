#!/usr/bin/env node
/**
 * The `weft` executable (the package's `bin`): runs the command line and
 * sets the exit code. See `weft --help`.
 */
import { runCli } from './cli.js'
import { streamTerminal } from './terminal.js'

process.exitCode = await runCli(process.argv.slice(2), {
  out: streamTerminal(process.stdout, process.env),
  err: streamTerminal(process.stderr, process.env),
  cwd: process.cwd(),
  now: Date.now,
})
