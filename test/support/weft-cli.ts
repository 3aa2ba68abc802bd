/**
 * Runs the BUILT `weft` command line (`dist/cli/main.js`) as a real process,
 * the way users run it. `npm test` builds first; when running vitest by hand,
 * run `npm run build` before.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const packageRoot = fileURLToPath(new URL('../../', import.meta.url))
const cliPath = join(packageRoot, 'dist', 'cli', 'main.js')

/** How a `weft` process ended and what it printed. */
export interface WeftResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** stdout split into lines, without the last empty one. */
  readonly lines: string[]
}

/** A `weft` process still running (a worker). */
export interface WeftProcess {
  readonly child: ChildProcess
  /** stdout so far. */
  stdout(): string
  /** stderr so far. */
  stderr(): string
  /** Resolves with the first stdout line matching `pattern` (printed already or later). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>
  /** Resolves when the process exits. */
  readonly exited: Promise<WeftResult>
}

function assertBuilt(): void {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first (npm test does)`)
}

/** Starts `weft <args>` in `cwd`. */
export function startWeft(args: readonly string[], cwd: string): WeftProcess {
  assertBuilt()
  const child = spawn(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  const listeners = new Set<() => void>()
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    for (const listener of listeners) listener()
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<WeftResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, lines: stdout.split('\n').slice(0, -1) }))
  })
  const waitForLine = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = stdout.split('\n').find((l) => pattern.test(l))
        if (line === undefined) return
        done()
        resolve(line)
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        listeners.delete(check)
      }
      listeners.add(check)
      void exited.then(() => {
        if (listeners.has(check)) {
          done()
          reject(new Error(`weft exited before printing a line matching ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`))
        }
      })
      check()
    })
  return { child, stdout: () => stdout, stderr: () => stderr, waitForLine, exited }
}

/** Runs `weft <args>` in `cwd` to its end. */
export function runWeft(args: readonly string[], cwd: string): Promise<WeftResult> {
  return startWeft(args, cwd).exited
}

/**
 * Runs `weft <args>` with its standard output closed before it writes
 * anything, as `weft … | head` leaves it once `head` has its lines: every
 * write the process makes to it fails with EPIPE.
 */
export function runWeftWithClosedStdout(args: readonly string[], cwd: string): Promise<Omit<WeftResult, 'stdout' | 'lines'>> {
  assertBuilt()
  const child = spawn(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.destroy()
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stderr }))
  })
}

/** A temporary directory whose modules can `import 'weft-sdk'` (a `node_modules/weft` link to this package, so it resolves to `dist/`). */
export interface ModuleFolder {
  readonly path: string
  /** Writes a module into the folder; returns its file name (relative to the folder). */
  write(name: string, source: string): string
  remove(): void
}

/** Creates a {@link ModuleFolder}. */
export function createModuleFolder(prefix = 'weft-cli-'): ModuleFolder {
  const path = mkdtempSync(join(tmpdir(), prefix))
  mkdirSync(join(path, 'node_modules'))
  symlinkSync(packageRoot, join(path, 'node_modules', 'weft-sdk'), 'dir')
  return {
    path,
    write: (name, source) => {
      writeFileSync(join(path, name), source)
      return name
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  }
}

/** The cells of a table line: text separated by two or more spaces. */
export function cells(line: string): string[] {
  return line.trim().split(/ {2,}/)
}

/** The line of a table or listing whose first cell is `first`. */
export function lineStartingWith(lines: readonly string[], first: string): string | undefined {
  return lines.find((line) => cells(line)[0] === first)
}
