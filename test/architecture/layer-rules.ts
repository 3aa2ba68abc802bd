/**
 * Weft's dependency rule: DESIGN.md's layer arrows, as data, and the checks
 * that hold an import graph to them. Each violation names the file, the
 * import and the rule it breaks.
 *
 * The layers, top to bottom (an arrow may only point down):
 *
 * ```
 * cli/ nestjs/ dashboard/        embeddings: the public entry points only
 * src/index.ts, store.ts, ...    entry points: re-export the layers' public names
 * engine/                        composition root: everything below
 * security/ observability/ integration/
 *                                runtime/, resilience/, storage ports, graph/, core/
 * runtime/                       resilience/, storage ports, graph/, core/
 * resilience/                    graph/, core/
 * storage/                       graph/, core/
 * authoring/ → graph/ → core/
 * ```
 *
 * A layer's public face is its files that other layers import; where that
 * must be narrower than "any file" (runtime/ sees storage/ only through its
 * ports), the rule lists the files. A folder `internal/` inside a layer is
 * for that layer alone.
 *
 * Folders have no `index.ts` barrel: a barrel is all or nothing (importing
 * storage/'s would load the SQLite and PostgreSQL stores into runtime/), it
 * hides which file a layer depends on, and the seven Weft had were imported
 * by nothing and had drifted. The package's entry points (`src/*.ts`) are
 * the only barrels, and the rule names files where a layer's face is narrow.
 */
import type { ImportEdge } from './import-graph.js'

/** What one layer may import. */
export interface LayerRule {
  /** Layers it may import any file of. */
  readonly layers: readonly string[]
  /** Files of other layers it may import besides (a port of a layer it may not import whole). */
  readonly files?: readonly string[]
  /** Packages it may import besides Node's built-ins and the packages every layer may use. */
  readonly packages?: readonly string[]
}

/**
 * The storage ports: the only files of storage/ that runtime/ and the
 * cross-cutting layers see (`attempt-history.ts` reads the port's step
 * records, `stepAttempts`, with nothing of a store: the analysis lists
 * attempts as the CLI and the store do, not by a copy of its rule).
 */
export const storagePorts = ['src/storage/workflow-store.ts', 'src/storage/attempt-history.ts', 'src/storage/storage-failure.ts', 'src/storage/serialization.ts', 'src/storage/outbox-store.ts', 'src/storage/value-codec.ts', 'src/storage/session-store.ts', 'src/storage/audit-store.ts'] as const

/** The package's entry points (`weft-sdk` and its subpaths but the CLI), the public face embeddings use. */
export const entryPoints = ['src/index.ts', 'src/store.ts', 'src/types.ts', 'src/postgres.ts', 'src/sql.ts', 'src/redis.ts', 'src/amqp.ts', 'src/object-storage.ts', 'src/llm.ts', 'src/otel.ts', 'src/nestjs.ts'] as const

/** The entry points other embeddings may import: all but weft-sdk/nestjs, which is an embedding's own face. */
const embeddingFaces = entryPoints.filter((file) => file !== 'src/nestjs.ts')

/** Packages any layer may import: Effect is the runtime's language throughout. */
export const sharedPackages = ['effect'] as const

const crossCutting: LayerRule = { layers: ['runtime', 'resilience', 'graph', 'core'], files: storagePorts }

/** The allowed arrows, by layer (the folder under `src/`; `entry` for the entry points). */
export const layerRules: Readonly<Record<string, LayerRule>> = {
  core: { layers: [] },
  graph: { layers: ['core'] },
  authoring: { layers: ['graph', 'core'] },
  storage: { layers: ['graph', 'core'], packages: ['kysely', 'better-sqlite3', 'pg'] },
  resilience: { layers: ['graph', 'core'] },
  runtime: { layers: ['resilience', 'graph', 'core'], files: storagePorts },
  // security/ verifies and issues JWTs with jose (pure JavaScript, a dependency).
  security: { ...crossCutting, packages: ['jose'] },
  // observability/ keeps live percentiles in DDSketches and speaks the OpenTelemetry API (an optional peer, loaded
  // only by the weft-sdk/otel entry point).
  observability: { ...crossCutting, packages: ['@datadog/sketches-js', '@opentelemetry/api'] },
  // The adapters of integration/ speak their servers' drivers (the SQL adapter kysely, as storage/ does); each is
  // loaded only by its own entry point (weft-sdk/sql, weft-sdk/amqp, ...), so no application loads a driver it does not use.
  integration: { ...crossCutting, packages: ['kysely', 'pg', 'mysql2', 'better-sqlite3', 'ioredis', 'amqplib', 'aws4fetch'] },
  engine: {
    layers: ['security', 'observability', 'integration', 'runtime', 'resilience', 'storage', 'authoring', 'graph', 'core'],
    // Only the engine wires the DI container.
    packages: ['tsyringe', 'reflect-metadata'],
  },
  // The entry points re-export the layers; src/nestjs.ts re-exports nestjs/ (layers.test.ts holds that weft-sdk
  // itself never loads @nestjs).
  entry: { layers: ['engine', 'security', 'observability', 'integration', 'runtime', 'resilience', 'storage', 'authoring', 'graph', 'core', 'nestjs'] },
  cli: { layers: [], files: embeddingFaces },
  // NestJS's module: the public entry points only (never engine/ or a layer's file directly), Nest's two packages,
  // reflect-metadata for the injection metadata Nest reads.
  nestjs: { layers: [], files: embeddingFaces, packages: ['@nestjs/common', '@nestjs/core', 'reflect-metadata'] },
  dashboard: { layers: [], files: embeddingFaces },
}

/** One broken rule. */
export interface Violation {
  /** Which rule: `layer`, `package`, `internal`, `unknown-layer` or `cycle`. */
  readonly rule: 'layer' | 'package' | 'internal' | 'unknown-layer' | 'cycle'
  /** A sentence naming the file, the import and the rule. */
  readonly message: string
}

/** The layer of a source file: its folder under `src/`, or `entry` for a file directly in `src/`. */
export function layerOf(file: string): string {
  const [, folder, ...rest] = file.split('/')
  return rest.length === 0 ? 'entry' : (folder ?? 'entry')
}

/** The package a bare specifier names (`@scope/name` or `name`), or `undefined` for Node's built-ins. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('node:')) return undefined
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/** Checks one import against the layer it leaves from. */
export function checkEdge(edge: ImportEdge, rules: Readonly<Record<string, LayerRule>> = layerRules): Violation[] {
  const layer = layerOf(edge.from)
  const rule = rules[layer]
  const what = `${edge.from} imports '${edge.specifier}'`
  if (rule === undefined) {
    return [{ rule: 'unknown-layer', message: `${what}, but src/${layer}/ is in no layer of the dependency rule; add it to layerRules with its arrows` }]
  }
  if (edge.to === undefined) return checkPackage(edge, layer, rule, what)
  return checkFile(edge.to, layer, rule, what)
}

function checkPackage(edge: ImportEdge, layer: string, rule: LayerRule, what: string): Violation[] {
  const name = packageOf(edge.specifier)
  if (name === undefined || (sharedPackages as readonly string[]).includes(name) || rule.packages?.includes(name)) return []
  const users = Object.entries(layerRules)
    .filter(([, other]) => other.packages?.includes(name))
    .map(([other]) => `${other}/`)
  const allowed = users.length === 0 ? 'no layer may' : `only ${users.join(', ')} may`
  return [{ rule: 'package', message: `${what}: ${layer}/ must not import the package '${name}' (${allowed}); reach it through a port` }]
}

function checkFile(target: string, layer: string, rule: LayerRule, what: string): Violation[] {
  const targetLayer = layerOf(target)
  if (targetLayer === layer) return []
  if (target.split('/').includes('internal')) {
    return [{ rule: 'internal', message: `${what}: ${target} is internal to ${targetLayer}/; import that layer's public files instead` }]
  }
  if (rule.layers.includes(targetLayer) || rule.files?.includes(target)) return []
  return [{ rule: 'layer', message: `${what}: ${layer}/ may not import ${target} (${allowedTargets(layer, rule)})` }]
}

function allowedTargets(layer: string, rule: LayerRule): string {
  const parts = [...rule.layers.map((l) => (l === 'entry' ? 'the entry points' : `${l}/`)), ...(rule.files ?? [])]
  return parts.length === 0 ? `${layer}/ imports nothing of other layers` : `${layer}/ may import ${parts.join(', ')}`
}

/**
 * The import cycles between files, each as the path that closes it
 * (`a.ts → b.ts → a.ts`), found with Tarjan's strongly connected components.
 * Type-only imports count: files that need each other are one concept.
 */
export function findCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>()
  for (const edge of edges) {
    if (edge.to === undefined) continue
    next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to])
  }
  return stronglyConnected(next)
    .filter((component) => component.length > 1 || (next.get(component[0]!) ?? []).includes(component[0]!))
    .map((component) => cyclePath(component, next))
}

function stronglyConnected(next: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const components: string[][] = []
  const visit = (node: string): void => {
    index.set(node, index.size)
    low.set(node, index.get(node)!)
    stack.push(node)
    onStack.add(node)
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target)
        low.set(node, Math.min(low.get(node)!, low.get(target)!))
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node)!, index.get(target)!))
    }
    if (low.get(node) !== index.get(node)) return
    const component: string[] = []
    let member: string | undefined
    do {
      member = stack.pop()!
      onStack.delete(member)
      component.push(member)
    } while (member !== node)
    components.push(component.sort())
  }
  for (const node of [...next.keys()].sort()) if (!index.has(node)) visit(node)
  return components
}

/** One cycle through a component, from its first file back to it, by breadth-first search. */
function cyclePath(component: readonly string[], next: ReadonlyMap<string, readonly string[]>): string[] {
  const members = new Set(component)
  const start = component[0]!
  const cameFrom = new Map<string, string>()
  const queue = [start]
  while (queue.length > 0) {
    const node = queue.shift()!
    for (const target of next.get(node) ?? []) {
      if (!members.has(target)) continue
      if (target === start) return [...pathTo(node, cameFrom, start), start]
      if (!cameFrom.has(target)) {
        cameFrom.set(target, node)
        queue.push(target)
      }
    }
  }
  return [start, start]
}

function pathTo(node: string, cameFrom: ReadonlyMap<string, string>, start: string): string[] {
  const path = [node]
  while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!)
  return path
}

/** Every violation of the dependency rule in an import graph: its edges one by one, then its cycles. */
export function checkImportGraph(edges: readonly ImportEdge[], rules: Readonly<Record<string, LayerRule>> = layerRules): Violation[] {
  const edgeViolations = edges.flatMap((edge) => checkEdge(edge, rules))
  const cycles = findCycles(edges).map(
    (path): Violation => ({ rule: 'cycle', message: `import cycle: ${path.join(' → ')}; files that need each other are one concept, so merge them or move what both need below them` }),
  )
  return [...edgeViolations, ...cycles]
}
