/**
 * Runs `weft` in this process (`runCli` from the sources, no build needed)
 * with captured output: what the CLI tests that read a command's lines use.
 */
import { runCli } from '../../src/cli/index.js'

/** What a command printed, line by line, and its exit code. */
export interface CapturedCli {
  readonly code: number
  readonly out: string[]
  readonly err: string[]
}

/** Runs `argv` (the arguments after `weft`) in `cwd` with the real clock; colours off, no terminal width. */
export async function runCliCaptured(argv: readonly string[], cwd: string): Promise<CapturedCli> {
  const out: string[] = []
  const err: string[] = []
  const terminal = (into: string[]) => ({ line: (text = '') => void into.push(text), color: false, columns: undefined })
  const code = await runCli([...argv], { out: terminal(out), err: terminal(err), cwd, now: Date.now })
  return { code, out, err }
}
