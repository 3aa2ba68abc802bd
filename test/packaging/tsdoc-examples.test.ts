/**
 * Every public export carries a TSDoc `@example`, and every example compiles.
 *
 * The rule, as this test holds it:
 * - The public exports are the exports of each entry point of package.json's
 *   `exports` map (`weft-sdk`, `weft-sdk/store`, `weft-sdk/types`,
 *   `weft-sdk/postgres`, `weft-sdk/cli`), read from their sources with the
 *   TypeScript compiler. A re-export is followed to the declaration it names.
 * - Each such declaration has an `@example` tag (for a symbol declared more
 *   than once, such as overloads or a class merged with a namespace, one of
 *   its declarations is enough). A symbol tagged `@internal` is exempt.
 * - Members of an exported class or interface, and the members of an exported
 *   enum-like union, need no example of their own: the export's example shows
 *   them in use. A member that has one must still compile (next point).
 * - Every ```ts block of an `@example` in the sources the entry points load is
 *   type-checked as a module of its own, importing the package by its names,
 *   like the README's blocks (test/readme/readme.test.ts). A block may
 *   `declare const run: WorkflowRun` to stand for a value the reader has.
 *
 * The exports that had no example when this test arrived are listed in
 * ./awaiting-examples.ts; that list must only shrink.
 */
import { dirname, join, relative } from 'node:path'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'
import { awaitingExample } from './awaiting-examples.js'
import { typeCheckModules } from '../support/virtual-modules.js'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
/** Where the example blocks pretend to live: inside the repository, so that node_modules and the paths resolve. */
const blockDir = join(repoRoot, 'test', 'packaging', 'tsdoc-blocks')

type ExportTarget = { readonly types: string; readonly default: string } | string | null

/** Each entry point's import name (`weft-sdk/store`) and source file (`src/store.ts`), from the exports map. */
function entryPoints(): Map<string, string> {
  const { name, exports } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; exports: Record<string, ExportTarget> }
  const entries = new Map<string, string>()
  for (const [subpath, target] of Object.entries(exports)) {
    if (target === null || typeof target === 'string') continue
    const source = target.types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts')
    entries.set(subpath === '.' ? name : `${name}/${subpath.slice(2)}`, join(repoRoot, source))
  }
  return entries
}

/** The repository's compiler options, with every entry point importable by its name (tsconfig's paths leave out the CLI). */
function compilerOptions(entries: ReadonlyMap<string, string>): ts.CompilerOptions {
  const configPath = join(repoRoot, 'tsconfig.json')
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile)
  if (error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath))
  const paths = Object.fromEntries([...entries].map(([name, source]) => [name, [source]]))
  return { ...parsed.options, paths, noEmit: true }
}

/** An export of an entry point that has no example. */
interface MissingExample {
  readonly entry: string
  readonly name: string
}

function hasTag(symbol: ts.Symbol, tag: string): boolean {
  return (symbol.declarations ?? []).some((declaration) => ts.getJSDocTags(declaration).some((found) => found.tagName.text === tag))
}

/** The exports of `entry` whose declarations carry no `@example` (and are not `@internal`). */
function exportsWithoutExample(program: ts.Program, entry: string, source: string): MissingExample[] {
  const checker = program.getTypeChecker()
  const file = program.getSourceFile(source)
  const module = file === undefined ? undefined : checker.getSymbolAtLocation(file)
  if (module === undefined) throw new Error(`${source}: not a module the compiler can read`)
  return checker
    .getExportsOfModule(module)
    .map((exported) => ({ name: exported.name, declared: exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported }))
    .filter(({ declared }) => !hasTag(declared, 'internal') && !hasTag(declared, 'example'))
    .map(({ name }) => ({ entry, name }))
}

/** A ```ts block of an `@example`: its code, and the source file and line its fence opens on. */
interface ExampleBlock {
  readonly code: string
  readonly file: string
  readonly line: number
}

/** The ```ts blocks of the `@example` tags of one doc comment, whose text starts at `start` in `file`. */
function blocksOfComment(file: ts.SourceFile, comment: ts.JSDoc): ExampleBlock[] {
  const firstLine = file.getLineAndCharacterOfPosition(comment.getStart(file)).line
  const lines = comment.getText(file).split('\n').map((line) => line.replace(/^\s*\/?\*+\/?\s?/, '').replace(/\s*\*\/$/, ''))
  const blocks: ExampleBlock[] = []
  let inExample = false
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!
    if (/^@\w+/.test(text)) inExample = text.startsWith('@example')
    const open = /^(\s*)```(ts|typescript)\s*$/.exec(text)
    if (!inExample || open === null) continue
    const indent = open[1]!.length
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && lines[j]!.trim() !== '```') body.push(lines[j++]!.slice(indent))
    if (j === lines.length) throw new Error(`${relative(repoRoot, file.fileName)}:${firstLine + i + 1}: an @example code block that never closes`)
    blocks.push({ code: body.join('\n'), file: file.fileName, line: firstLine + i + 1 })
    i = j
  }
  return blocks
}

/** Every doc comment on `node` and the nodes inside it (a class's members, an interface's properties). */
function docComments(node: ts.Node): ts.JSDoc[] {
  const comments: ts.JSDoc[] = []
  const visit = (inner: ts.Node): void => {
    for (const doc of (inner as { jsDoc?: ts.JSDoc[] }).jsDoc ?? []) comments.push(doc)
    ts.forEachChild(inner, visit)
  }
  visit(node)
  return comments
}

/** The node a declaration's doc comment sits on: a `const`'s statement, else the declaration itself. */
function documentedNode(declaration: ts.Declaration): ts.Node {
  return ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration
}

/** The example blocks of the entry points: their own doc comments and those of every declaration they export, members included. */
function exampleBlocks(program: ts.Program, sources: readonly string[]): ExampleBlock[] {
  const checker = program.getTypeChecker()
  const nodes = new Set<ts.Node>()
  for (const source of sources) {
    const file = program.getSourceFile(source)!
    nodes.add(file)
    for (const exported of checker.getExportsOfModule(checker.getSymbolAtLocation(file)!)) {
      const declared = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      for (const declaration of declared.declarations ?? []) nodes.add(documentedNode(declaration))
    }
  }
  const comments = new Set([...nodes].flatMap((node) => docComments(node)))
  return [...comments].flatMap((comment) => blocksOfComment(comment.getSourceFile(), comment))
}

/** A block's virtual file name: its source and line, so that an error names where to fix it. */
function blockPath(block: ExampleBlock): string {
  const source = relative(join(repoRoot, 'src'), block.file).replace(/\.ts$/, '').replace(/[/\\]/g, '--')
  return join(blockDir, `${source}--line-${block.line}.ts`)
}

/** Type-checks the blocks (each a module of its own) and returns each error at the source line it comes from. */
function typeCheck(blocks: readonly ExampleBlock[], options: ts.CompilerOptions, oldProgram?: ts.Program): string[] {
  const modules = new Map(blocks.map((block) => [blockPath(block), { code: block.code, locate: (line: number) => `${relative(repoRoot, block.file)}:${block.line + 1 + line}` }]))
  return typeCheckModules(modules, options, oldProgram)
}

describe("the TSDoc of Weft's public exports", () => {
  const entries = entryPoints()
  const options = compilerOptions(entries)
  let program: ts.Program
  beforeAll(() => {
    program = ts.createProgram([...entries.values()], options)
  }, 60_000)

  it('gives every export of every entry point an @example (but those still awaiting one)', () => {
    const missing = [...entries].flatMap(([entry, source]) => exportsWithoutExample(program, entry, source)).map(({ entry, name }) => `${entry}: ${name}`)
    expect(missing.filter((name) => !awaitingExample.has(name))).toEqual([])
  })

  it('lists as awaiting an example only exports that still have none (the list only shrinks)', () => {
    const missing = new Set([...entries].flatMap(([entry, source]) => exportsWithoutExample(program, entry, source)).map(({ entry, name }) => `${entry}: ${name}`))
    expect([...awaitingExample].filter((name) => !missing.has(name))).toEqual([])
  })

  it('has examples that type-check as modules importing weft-sdk', () => {
    const blocks = exampleBlocks(program, [...entries.values()])
    expect(blocks.length).toBeGreaterThan(50)
    expect(typeCheck(blocks, options, program)).toEqual([])
  }, 120_000)

  it('would report an example that does not compile, at its source line', () => {
    const broken = { file: join(repoRoot, 'src/engine/engine.ts'), line: 100, code: "import { createEngine } from 'weft-sdk'\nconst engine: number = createEngine()" }
    expect(typeCheck([broken], options, program)).toEqual([expect.stringMatching(/^src\/engine\/engine\.ts:102: Type 'Engine' is not assignable to type 'number'/)])
  }, 60_000)
})
