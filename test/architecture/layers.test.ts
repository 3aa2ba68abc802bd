/**
 * Weft's dependency rule, checked over the real import graph of `src/` and
 * proven to fail, rule by rule, on synthetic bad imports (see layer-rules.ts
 * for the table and DESIGN.md's "Layers" for the picture).
 */
import { readdirSync } from 'node:fs'
import { basename, dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { importsOf, readImportGraph, type ImportEdge } from './import-graph.js'
import { checkEdge, checkImportGraph, findCycles, layerOf, storagePorts } from './layer-rules.js'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/** An import of `specifier` from `from`, resolved as the real graph would (`to` given for a file). */
function edge(from: string, specifier: string, to?: string): ImportEdge {
  return { from, specifier, to, typeOnly: false }
}

/** The messages of the violations of one import. */
function violations(from: string, specifier: string, to?: string): string[] {
  return checkEdge(edge(from, specifier, to)).map((v) => `${v.rule}: ${v.message}`)
}

describe("the import graph of Weft's sources", () => {
  const graph = readImportGraph(repoRoot)

  it('is read from every layer', () => {
    const layers = new Set(graph.map((e) => layerOf(e.from)))
    for (const layer of ['core', 'graph', 'authoring', 'storage', 'resilience', 'runtime', 'engine', 'cli', 'entry']) expect(layers).toContain(layer)
  })

  it("keeps DESIGN.md's layer arrows, the package rules and has no import cycle", () => {
    expect(checkImportGraph(graph).map((v) => v.message)).toEqual([])
  })

  it('has no folder barrel: an index.ts under src/ is an entry point of the exports map (weft/cli)', () => {
    const barrels = readdirSync(join(repoRoot, 'src'), { recursive: true, encoding: 'utf8' }).filter((path) => basename(path) === 'index.ts' && dirname(path) !== '.')
    expect(barrels.map((path) => path.split(sep).join('/'))).toEqual(['cli/index.ts'])
  })
})

/** The packages a file loads when imported: its value imports and theirs, transitively (type-only imports load nothing). */
function packagesLoadedBy(entry: string, graph: readonly ImportEdge[]): string[] {
  const packages = new Set<string>()
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    for (const e of graph) {
      if (e.from !== file || e.typeOnly) continue
      if (e.to !== undefined) visit(e.to)
      else if (!e.specifier.startsWith('node:')) packages.add(e.specifier.startsWith('@') ? e.specifier.split('/').slice(0, 2).join('/') : e.specifier.split('/')[0]!)
    }
  }
  visit(entry)
  return [...packages].sort()
}

describe('the packages each entry point loads', () => {
  const graph = readImportGraph(repoRoot)
  // A driver is an optional peer: only the entry point of its adapter or store may load it, so an application
  // on the embedded default never needs pg, mysql2, ioredis, amqplib, aws4fetch or @opentelemetry/api installed. (A driver loaded
  // with createRequire, as pg-client.ts loads pg, is not in this graph: keep such loads behind their own entry point.)
  // NestJS too: only weft-sdk/nestjs loads it.
  const drivers = ['pg', 'mysql2', 'ioredis', 'amqplib', 'aws4fetch', '@opentelemetry/api', '@nestjs/common', '@nestjs/core']

  it('weft-sdk, weft-sdk/store and weft-sdk/types load no optional driver', () => {
    for (const entry of ['src/index.ts', 'src/store.ts', 'src/types.ts']) {
      expect({ entry, drivers: packagesLoadedBy(entry, graph).filter((name) => drivers.includes(name)) }).toEqual({ entry, drivers: [] })
    }
  })

  it('weft-sdk/nestjs loads NestJS (the check above can see it)', () => {
    expect(packagesLoadedBy('src/nestjs.ts', graph)).toEqual(expect.arrayContaining(['@nestjs/common', '@nestjs/core']))
  })

  it('are found through re-exports, and type-only imports load nothing (the check can fail)', () => {
    const synthetic = [edge('src/a.ts', './b.js', 'src/b.ts'), edge('src/b.ts', 'amqplib'), { ...edge('src/a.ts', 'mysql2'), typeOnly: true }, edge('src/b.ts', 'node:fs')]
    expect(packagesLoadedBy('src/a.ts', synthetic)).toEqual(['amqplib'])
  })
})

describe('the dependency rule', () => {
  it('refuses kysely, tsyringe and the SQLite driver in runtime/', () => {
    expect(violations('src/runtime/task-program.ts', 'kysely')).toEqual([
      "package: src/runtime/task-program.ts imports 'kysely': runtime/ must not import the package 'kysely' (only storage/, integration/ may); reach it through a port",
    ])
    expect(violations('src/runtime/run-worker.ts', 'tsyringe')).toEqual([
      "package: src/runtime/run-worker.ts imports 'tsyringe': runtime/ must not import the package 'tsyringe' (only engine/ may); reach it through a port",
    ])
    expect(violations('src/runtime/run-worker.ts', 'better-sqlite3/lib/index.js')).toHaveLength(1)
  })

  it('refuses a concrete store in runtime/ and allows its ports', () => {
    expect(violations('src/runtime/run-worker.ts', '../storage/sqlite/sqlite-workflow-store.js', 'src/storage/sqlite/sqlite-workflow-store.ts')).toEqual([
      `layer: src/runtime/run-worker.ts imports '../storage/sqlite/sqlite-workflow-store.js': runtime/ may not import src/storage/sqlite/sqlite-workflow-store.ts (runtime/ may import resilience/, graph/, core/, ${storagePorts.join(', ')})`,
    ])
    expect(violations('src/runtime/run-worker.ts', '../storage/memory-workflow-store.js', 'src/storage/memory-workflow-store.ts')).toHaveLength(1)
    expect(violations('src/runtime/run-worker.ts', '../storage/workflow-store.js', 'src/storage/workflow-store.ts')).toEqual([])
  })

  it('refuses an arrow pointing up', () => {
    expect(violations('src/resilience/retry.ts', '../runtime/run-events.js', 'src/runtime/run-events.ts')).toHaveLength(1)
    expect(violations('src/graph/compile-graph.ts', '../authoring/metadata.js', 'src/authoring/metadata.ts')).toHaveLength(1)
    expect(violations('src/core/errors.ts', '../graph/workflow-graph.js', 'src/graph/workflow-graph.ts')).toEqual([
      "layer: src/core/errors.ts imports '../graph/workflow-graph.js': core/ may not import src/graph/workflow-graph.ts (core/ imports nothing of other layers)",
    ])
    expect(violations('src/storage/run-rules.ts', '../runtime/run-outcome.js', 'src/runtime/run-outcome.ts')).toHaveLength(1)
    expect(violations('src/engine/engine.ts', '../index.js', 'src/index.ts')).toHaveLength(1)
  })

  it('lets the CLI import the entry points only', () => {
    expect(violations('src/cli/worker.ts', '../engine/engine.js', 'src/engine/engine.ts')).toEqual([
      "layer: src/cli/worker.ts imports '../engine/engine.js': cli/ may not import src/engine/engine.ts (cli/ may import src/index.ts, src/store.ts, src/types.ts, src/postgres.ts, src/sql.ts, src/redis.ts, src/amqp.ts, src/object-storage.ts, src/llm.ts, src/otel.ts)",
    ])
    expect(violations('src/cli/worker.ts', '../storage/index.js', 'src/storage/index.ts')).toHaveLength(1)
    expect(violations('src/cli/worker.ts', '../store.js', 'src/store.ts')).toEqual([])
  })

  it('keeps cross-cutting layers apart from each other and from the engine', () => {
    expect(violations('src/security/guard.ts', '../observability/metrics.js', 'src/observability/metrics.ts')).toHaveLength(1)
    expect(violations('src/observability/metrics.ts', '../engine/engine.js', 'src/engine/engine.ts')).toHaveLength(1)
    expect(violations('src/observability/metrics.ts', '../runtime/run-events.js', 'src/runtime/run-events.ts')).toEqual([])
  })

  it("refuses another layer's internal/ files", () => {
    expect(violations('src/engine/engine.ts', '../runtime/internal/phase.js', 'src/runtime/internal/phase.ts')).toEqual([
      "internal: src/engine/engine.ts imports '../runtime/internal/phase.js': src/runtime/internal/phase.ts is internal to runtime/; import that layer's public files instead",
    ])
    expect(violations('src/runtime/run-worker.ts', './internal/phase.js', 'src/runtime/internal/phase.ts')).toEqual([])
  })

  it('refuses a file in a folder the rule does not know', () => {
    expect(violations('src/plugins/loader.ts', '../core/errors.js', 'src/core/errors.ts')).toEqual([
      "unknown-layer: src/plugins/loader.ts imports '../core/errors.js', but src/plugins/ is in no layer of the dependency rule; add it to layerRules with its arrows",
    ])
  })

  it('allows what the arrows allow', () => {
    expect(violations('src/engine/engine.ts', 'tsyringe')).toEqual([])
    expect(violations('src/storage/sql/schema.ts', 'kysely')).toEqual([])
    expect(violations('src/runtime/owner-id.ts', 'node:os')).toEqual([])
    expect(violations('src/resilience/retry.ts', 'effect')).toEqual([])
  })
})

describe('the cycle check', () => {
  it('finds a cycle of two files and names its path', () => {
    const graph = [edge('src/runtime/a.ts', './b.js', 'src/runtime/b.ts'), edge('src/runtime/b.ts', './a.js', 'src/runtime/a.ts')]
    expect(checkImportGraph(graph).map((v) => v.message)).toEqual([
      'import cycle: src/runtime/a.ts → src/runtime/b.ts → src/runtime/a.ts; files that need each other are one concept, so merge them or move what both need below them',
    ])
  })

  it('finds a longer cycle, a type-only one and a file importing itself, and nothing in a DAG', () => {
    const typeOnly = (from: string, to: string): ImportEdge => ({ from, specifier: to, to, typeOnly: true })
    const graph = [
      edge('src/graph/a.ts', './b.js', 'src/graph/b.ts'),
      edge('src/graph/b.ts', './c.js', 'src/graph/c.ts'),
      typeOnly('src/graph/c.ts', 'src/graph/a.ts'),
      edge('src/core/self.ts', './self.js', 'src/core/self.ts'),
      edge('src/core/x.ts', './y.js', 'src/core/y.ts'),
      edge('src/core/w.ts', './y.js', 'src/core/y.ts'),
    ]
    expect(findCycles(graph)).toEqual([['src/core/self.ts', 'src/core/self.ts'], ['src/graph/a.ts', 'src/graph/b.ts', 'src/graph/c.ts', 'src/graph/a.ts']])
  })
})

describe('reading imports', () => {
  it('sees static, re-export, type-only and dynamic imports, and resolves relative ones to their .ts file', () => {
    const text = [
      "import { a } from './a.js'",
      "import type { B } from '../core/b.js'",
      "export { c } from './c.js'",
      "export type { D } from './d/index.js'",
      "const pg = await import('pg')",
    ].join('\n')
    const known = new Set(['src/runtime/a.ts', 'src/core/b.ts', 'src/runtime/c.ts', 'src/runtime/d/index.ts'])
    expect(importsOf('src/runtime/x.ts', text, known)).toEqual([
      { from: 'src/runtime/x.ts', specifier: './a.js', to: 'src/runtime/a.ts', typeOnly: false },
      { from: 'src/runtime/x.ts', specifier: '../core/b.js', to: 'src/core/b.ts', typeOnly: true },
      { from: 'src/runtime/x.ts', specifier: './c.js', to: 'src/runtime/c.ts', typeOnly: false },
      { from: 'src/runtime/x.ts', specifier: './d/index.js', to: 'src/runtime/d/index.ts', typeOnly: true },
      { from: 'src/runtime/x.ts', specifier: 'pg', to: undefined, typeOnly: false },
    ])
  })
})
