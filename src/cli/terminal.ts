/** A colour (or weight) the CLI paints text with, only on a terminal. */
export type Tone = 'green' | 'red' | 'yellow' | 'blue' | 'magenta' | 'dim' | 'bold'

const codes: Readonly<Record<Tone, readonly [number, number]>> = {
  green: [32, 39],
  red: [31, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  dim: [2, 22],
  bold: [1, 22],
}

/**
 * Where the CLI writes: standard output or standard error, and what that
 * stream can show. Write your own to capture what a command prints.
 *
 * @example
 * ```ts
 * import { runCli, type Terminal } from 'weft-sdk/cli'
 * const lines: string[] = []
 * const capture: Terminal = { line: (text = '') => void lines.push(text), color: false, columns: undefined }
 * await runCli(['--version'], { out: capture, err: capture, cwd: process.cwd(), now: Date.now })
 * ```
 */
export interface Terminal {
  /** Writes `text` and a newline. */
  line(text?: string): void
  /** Whether colour codes may be written (the stream is a TTY and `NO_COLOR` is not set). */
  readonly color: boolean
  /** The terminal's width in columns; `undefined` when writing to a file or pipe. */
  readonly columns: number | undefined
}

/**
 * A {@link Terminal} on a process stream. When the reader goes away (`EPIPE`:
 * `weft runs list | head` once `head` has its lines), later lines are dropped
 * and the command ends as it would have, with no stack trace.
 *
 * @example
 * ```ts
 * import { streamTerminal } from 'weft-sdk/cli'
 * const out = streamTerminal(process.stdout, process.env)
 * out.line(out.color ? '\u001b[32mok\u001b[39m' : 'ok')
 * ```
 */
export function streamTerminal(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): Terminal {
  const tty = stream.isTTY === true
  let closed = false
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    closed = true
  })
  return {
    line: (text = '') => {
      if (!closed) stream.write(`${text}\n`)
    },
    color: tty && env.NO_COLOR === undefined,
    columns: tty ? stream.columns : undefined,
  }
}

/** `text` in `tone` when the terminal shows colour, else unchanged. */
export function paint(terminal: Terminal, tone: Tone | undefined, text: string): string {
  if (!terminal.color || tone === undefined || text === '') return text
  const [on, off] = codes[tone]
  return `\u001b[${on}m${text}\u001b[${off}m`
}
