/**
 * Guards the readability of Weft's compile-time errors: compiles the wrong
 * programs in `fixtures/` with the TypeScript compiler API (one program for
 * all of them) and checks that each diagnostic names the task and the problem.
 *
 * In a fixture, a comment `// error: <text>` expects a diagnostic on the next
 * code line whose full message (with its chain) contains `<text>`. Every
 * diagnostic must be expected by such a comment, so a fixture that breaks for
 * another reason fails too.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { beforeAll, describe, expect, test } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '../..')
const fixturesDir = join(here, 'fixtures')
const fixtureNames = readdirSync(fixturesDir)
  .filter((name) => name.endsWith('.ts'))
  .sort()

interface Expected {
  /** 1-based line the diagnostic must be on. */
  readonly line: number
  readonly text: string
}

interface Found {
  readonly line: number
  readonly code: number
  readonly text: string
}

const marker = /^\s*\/\/ error: (.+)$/

/** The `// error:` expectations of a fixture, each bound to the next line that is not a comment. */
function expectationsOf(source: string): Expected[] {
  const lines = source.split('\n')
  const expected: Expected[] = []
  lines.forEach((line, index) => {
    const match = marker.exec(line)
    if (match === null) return
    let target = index + 1
    while (target < lines.length && /^\s*\/\//.test(lines[target]!)) target++
    expected.push({ line: target + 1, text: match[1]!.trim() })
  })
  return expected
}

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(repoRoot, 'tsconfig.json')
  const { config, error } = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path))
  if (error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, repoRoot, undefined, configPath)
  return {
    ...parsed.options,
    noEmit: true,
    incremental: false,
    // The fixtures import weft-sdk from the sources (not the built dist/, which may be stale).
    paths: { 'weft-sdk': [join(repoRoot, 'src/index.ts')] },
  }
}

let diagnostics: ReadonlyMap<string, readonly Found[]>

beforeAll(() => {
  const files = fixtureNames.map((name) => join(fixturesDir, name))
  const program = ts.createProgram(files, compilerOptions())
  const byFile = new Map<string, Found[]>()
  for (const [index, file] of files.entries()) {
    const sourceFile = program.getSourceFile(file)
    if (sourceFile === undefined) throw new Error(`fixture not in the program: ${file}`)
    const found = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)].map((d) => ({
      line: sourceFile.getLineAndCharacterOfPosition(d.start ?? 0).line + 1,
      code: d.code,
      text: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    }))
    byFile.set(fixtureNames[index]!, found)
  }
  diagnostics = byFile
})

describe('compile-time error messages name the task and the problem', () => {
  test('there are fixtures with expectations', () => {
    expect(fixtureNames).toEqual(expect.arrayContaining(['binding.ts', 'builder.ts', 'depends-on.ts', 'flow.ts']))
    for (const name of fixtureNames) {
      expect(expectationsOf(readFileSync(join(fixturesDir, name), 'utf8')).length, name).toBeGreaterThan(0)
    }
  })

  test.each(fixtureNames)('%s: every expected message, and no other error', (name) => {
    const expected = expectationsOf(readFileSync(join(fixturesDir, name), 'utf8'))
    const found = diagnostics.get(name) ?? []

    const problems: string[] = []
    for (const { line, text } of expected) {
      const onLine = found.filter((d) => d.line === line)
      if (!onLine.some((d) => d.text.includes(text))) {
        const got = onLine.map((d) => `TS${d.code}: ${d.text}`).join('\n    ') || '(no error)'
        problems.push(`${name}:${line} should report\n    ${text}\n  but reported\n    ${got}`)
      }
    }
    const expectedLines = new Set(expected.map((e) => e.line))
    for (const d of found) {
      if (!expectedLines.has(d.line)) problems.push(`${name}:${d.line} unexpected TS${d.code}: ${d.text}`)
    }
    expect(problems).toEqual([])
  })

  test('the @DependsOn mismatch is reported on the decorator as TS1241 with the task-level message', () => {
    const ship = (diagnostics.get('depends-on.ts') ?? []).filter((d) => d.text.includes("task 'ship'"))
    expect(ship).toHaveLength(1)
    expect(ship[0]!.code).toBe(1241)
    expect(ship[0]!.text).toContain("task 'ship': its 2nd parameter does not accept what task 'charge' returns")
  })
})
