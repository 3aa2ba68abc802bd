#!/usr/bin/env node
// Code-size figures for a review: code lines per file (comments and blank
// lines excluded), the largest functions, and the names each public entry
// exports. Usage: node scripts/code-metrics.mjs [repo-root]
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

const root = process.argv[2] ?? process.cwd()
const files = listTs(join(root, 'src'))

function listTs(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return listTs(path)
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : []
  })
}

function codeLines(source) {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, source)
  const lines = new Set()
  const lineOf = (pos) => source.slice(0, pos).split('\n').length
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.NewLineTrivia || kind === ts.SyntaxKind.WhitespaceTrivia) continue
    if (kind === ts.SyntaxKind.SingleLineCommentTrivia || kind === ts.SyntaxKind.MultiLineCommentTrivia) continue
    const start = lineOf(scanner.getTokenStart()), end = lineOf(scanner.getTokenEnd())
    for (let l = start; l <= end; l++) lines.add(l)
  }
  return lines.size
}

const sizes = [], functions = []
for (const path of files) {
  const text = readFileSync(path, 'utf8')
  const file = relative(root, path)
  sizes.push({ file, code: codeLines(text) })
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true)
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const a = sf.getLineAndCharacterOfPosition(node.getStart()).line
      const b = sf.getLineAndCharacterOfPosition(node.getEnd()).line
      const name = node.name?.getText() ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText() : '<anonymous>')
      if (!ts.isClassDeclaration(node)) functions.push({ file, name, lines: b - a + 1 })
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
}

const program = ts.createProgram([join(root, 'src/index.ts'), join(root, 'src/postgres.ts')], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, experimentalDecorators: true, skipLibCheck: true, noEmit: true })
const checker = program.getTypeChecker()
const entries = ['src/index.ts', 'src/postgres.ts', 'src/store.ts', 'src/types.ts', 'src/cli/index.ts'].map((p) => join(root, p))
const exportCounts = {}
for (const entry of entries) {
  let sf = program.getSourceFile(entry)
  if (sf === undefined) {
    try { statSync(entry) } catch { continue }
    sf = ts.createProgram([entry], program.getCompilerOptions()).getSourceFile(entry)
  }
  const p2 = ts.createProgram([entry], program.getCompilerOptions())
  const s2 = p2.getSourceFile(entry)
  const sym = p2.getTypeChecker().getSymbolAtLocation(s2)
  exportCounts[relative(root, entry)] = sym ? p2.getTypeChecker().getExportsOfModule(sym).length : 0
}

sizes.sort((a, b) => b.code - a.code)
functions.sort((a, b) => b.lines - a.lines)
const over = sizes.filter((s) => s.code > 300)
console.log(JSON.stringify({
  files: sizes.length,
  totalCodeLines: sizes.reduce((n, s) => n + s.code, 0),
  filesOver300CodeLines: over,
  largestFiles: sizes.slice(0, 8),
  largestFunctions: functions.slice(0, 5),
  functionsOver50Lines: functions.filter((f) => f.lines > 50).length,
  exports: exportCounts,
}, null, 2))
