/**
 * Weft's entry points are listed in four places that must agree: the
 * `exports` map (what users can import), typedoc's entry points (what is
 * documented), tsconfig's `paths` (how the repository's own tests and
 * examples import the package by name) and the dependency rule's list of
 * public faces (what the CLI may import).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { entryPoints } from '../architecture/layer-rules.js'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

function readJson<T>(file: string): T {
  // tsconfig.json is JSONC: drop line comments before parsing.
  const text = readFileSync(`${repoRoot}${file}`, 'utf8').replace(/^\s*\/\/.*$/gm, '')
  return JSON.parse(text) as T
}

type ExportTarget = { readonly types: string; readonly default: string } | string | null

/** `./store` → `src/store.ts`, from the declaration file the exports map names. */
function sourcesOfExports(): Map<string, string> {
  const { exports } = readJson<{ exports: Record<string, ExportTarget> }>('package.json')
  const sources = new Map<string, string>()
  for (const [subpath, target] of Object.entries(exports)) {
    if (target === null || typeof target === 'string') continue
    sources.set(subpath, target.types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts'))
  }
  return sources
}

describe("Weft's entry points", () => {
  const exported = sourcesOfExports()

  it('are weft-sdk, its store, types, postgres, sql, redis, amqp, object-storage, llm, otel, nestjs and cli subpaths', () => {
    expect([...exported.keys()].sort()).toEqual(['.', './amqp', './cli', './llm', './nestjs', './object-storage', './otel', './postgres', './redis', './sql', './store', './types'])
  })

  it('are each documented by typedoc', () => {
    const { entryPoints: documented } = readJson<{ entryPoints: string[] }>('typedoc.json')
    expect([...documented].sort()).toEqual([...exported.values()].sort())
  })

  it('are each importable by name in the repository (tsconfig paths), the CLI aside', () => {
    const { compilerOptions } = readJson<{ compilerOptions: { paths: Record<string, string[]> } }>('tsconfig.json')
    const expected = [...exported].filter(([subpath]) => subpath !== './cli').map(([subpath, source]) => [subpath === '.' ? 'weft-sdk' : `weft-sdk/${subpath.slice(2)}`, [`./${source}`]])
    expect(compilerOptions.paths).toEqual(Object.fromEntries(expected))
  })

  it('are the public faces the dependency rule lets embeddings import', () => {
    const topLevel = [...exported.values()].filter((source) => source.split('/').length === 2)
    expect([...entryPoints].sort()).toEqual(topLevel.sort())
  })
})
