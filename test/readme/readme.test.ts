/**
 * The README is the first thing a user reads, so its code must work: every
 * ```ts block is type-checked here as a module of its own, against the
 * package's entry points (`weft-sdk`, `weft-sdk/postgres`, ... through the
 * repository's tsconfig paths), with the repository's compiler options.
 *
 * A block may `import { OrderFulfilment } from './workflows.js'`: that module is
 * the README's first example (the workflow of "A workflow in 20 lines"), with
 * its class exported. The README's `tsconfig.json` and `npm i` line are proven
 * by the installed-package test, which compiles and runs an app with them.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { readmeBlocks, type CodeBlock } from '../support/readme.js'
import { repoCompilerOptions, typeCheckModules } from '../support/virtual-modules.js'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
/** Where the blocks pretend to live: inside the repository, so that node_modules and the paths resolve. */
const snippetDir = join(repoRoot, 'test', 'readme', 'blocks')

/** The README's first example as a module exporting its workflow class. */
function workflowsModule(first: CodeBlock): string {
  const exported = first.code.replace(/^class OrderFulfilment\b/m, 'export class OrderFulfilment')
  if (exported === first.code) throw new Error(`README line ${first.line}: the first example no longer declares class OrderFulfilment; update this test's workflows.js`)
  return exported
}

/** Type-checks `files` (virtual, by path) and returns each error with the README line it comes from. */
function typeCheck(files: ReadonlyMap<string, { code: string; line: number }>): string[] {
  const modules = new Map([...files].map(([path, { code, line }]) => [path, { code, locate: (at: number) => `README.md:${line + 1 + at}` }]))
  return typeCheckModules(modules, repoCompilerOptions())
}

describe('the README', () => {
  const blocks = readmeBlocks('ts')

  it('has TypeScript examples, the first declaring the OrderFulfilment workflow', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2)
    expect(blocks[0]!.code).toMatch(/^class OrderFulfilment\b/m)
  })

  it('type-checks every ts block as a module importing weft-sdk', () => {
    const files = new Map<string, { code: string; line: number }>(blocks.map((block) => [join(snippetDir, `line-${block.line}.ts`), block]))
    files.set(join(snippetDir, 'workflows.ts'), { code: workflowsModule(blocks[0]!), line: blocks[0]!.line })
    expect(typeCheck(files)).toEqual([])
  }, 60_000)

  it('would report a block that does not compile, at its README line', () => {
    const broken = { lang: 'ts', line: 100, code: "import { createEngine } from 'weft-sdk'\nconst engine: number = createEngine()" }
    const errors = typeCheck(new Map([[join(snippetDir, 'broken.ts'), broken]]))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^README\.md:102: Type 'Engine' is not assignable to type 'number'/)
  }, 60_000)
})

describe("the README's install instructions", () => {
  it("name the package and every peer dependency that is not optional", async () => {
    const { peerDependencies, peerDependenciesMeta = {} } = (await import('../../package.json', { with: { type: 'json' } })).default as {
      peerDependencies: Record<string, string>
      peerDependenciesMeta?: Record<string, { optional?: boolean }>
    }
    const required = Object.keys(peerDependencies).filter((name) => peerDependenciesMeta[name]?.optional !== true)
    const install = readmeBlocks('sh').map((block) => /^npm i (.+)$/m.exec(block.code)?.[1]).find((line) => line !== undefined)
    expect(install?.split(/\s+/).sort()).toEqual(['weft-sdk', ...required].sort())
  })

  it('give a tsconfig with the decorator flags', () => {
    const [tsconfig] = readmeBlocks('json')
    const { compilerOptions } = JSON.parse(tsconfig!.code) as { compilerOptions: Record<string, unknown> }
    expect(compilerOptions).toMatchObject({ experimentalDecorators: true, emitDecoratorMetadata: true, module: 'NodeNext' })
  })
})
