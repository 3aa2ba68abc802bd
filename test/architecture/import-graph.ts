/**
 * The import graph of Weft's sources, read with the TypeScript compiler's
 * parser: every `import`, `export ... from`, `import()` and `import x =
 * require()` of every `.ts` file under `src/`, with relative specifiers
 * resolved to the file they name.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import ts from 'typescript'

/** One import of one file. Paths are relative to the repository, with `/` separators. */
export interface ImportEdge {
  /** The importing file, e.g. `src/runtime/task-program.ts`. */
  readonly from: string
  /** The specifier as written: `'../storage/workflow-store.js'`, `'kysely'`. */
  readonly specifier: string
  /** The file a relative specifier names (`src/storage/workflow-store.ts`); `undefined` for a package. */
  readonly to: string | undefined
  /** `import type` / `export type`: gone from the emitted JavaScript, still a dependency of the design. */
  readonly typeOnly: boolean
}

/** Every `.ts` file under `folder` (relative to `root`), sorted. */
export function sourceFiles(root: string, folder: string): string[] {
  const entries = readdirSync(join(root, folder), { withFileTypes: true })
  return entries
    .flatMap((entry) => {
      const path = posix.join(folder, entry.name)
      if (entry.isDirectory()) return sourceFiles(root, path)
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
    })
    .sort()
}

/** The import graph of every source file under `folder`. */
export function readImportGraph(root: string, folder = 'src'): ImportEdge[] {
  const files = sourceFiles(root, folder)
  const known = new Set(files)
  return files.flatMap((file) => importsOf(file, readFileSync(join(root, file), 'utf8'), known))
}

/** The imports of one file, given its text; `known` lists the files relative specifiers may resolve to. */
export function importsOf(file: string, text: string, known: ReadonlySet<string>): ImportEdge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS)
  const edges: ImportEdge[] = []
  const add = (specifier: string, typeOnly: boolean): void => {
    edges.push({ from: file, specifier, to: resolveSpecifier(file, specifier, known), typeOnly })
  }
  const visit = (node: ts.Node): void => {
    const found = specifierOf(node)
    if (found !== undefined) add(found.specifier, found.typeOnly)
    ts.forEachChild(node, visit)
  }
  visit(source)
  return edges
}

/** The module a node imports, if it is an import of any form. */
function specifierOf(node: ts.Node): { specifier: string; typeOnly: boolean } | undefined {
  if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
    return { specifier: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly === true }
  }
  if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
    return { specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly }
  }
  if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
    const [argument] = node.arguments
    if (argument !== undefined && ts.isStringLiteralLike(argument)) return { specifier: argument.text, typeOnly: false }
  }
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
    const expression = node.moduleReference.expression
    if (ts.isStringLiteral(expression)) return { specifier: expression.text, typeOnly: node.isTypeOnly }
  }
  return undefined
}

/** The source file a relative specifier names (`./x.js` is `./x.ts`); `undefined` for a package. */
export function resolveSpecifier(from: string, specifier: string, known: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined
  const target = posix.normalize(posix.join(posix.dirname(from), specifier))
  const candidates = [target.replace(/\.js$/, '.ts'), `${target}.ts`, posix.join(target, 'index.ts')]
  return candidates.find((candidate) => known.has(candidate)) ?? candidates[0]
}
