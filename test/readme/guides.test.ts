/**
 * The guides (`guides/*.md`, published with the API docs) are read right
 * after the README, so their code must work too: every ```ts block is
 * type-checked as a module of its own against the package's entry points,
 * with the repository's compiler options, as the README's blocks are.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { markdownBlocks } from '../support/readme.js'
import { repoCompilerOptions, typeCheckModules } from '../support/virtual-modules.js'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const guidesDir = join(repoRoot, 'guides')
/** Where the blocks pretend to live: inside the repository, so that node_modules and the paths resolve. */
const snippetDir = join(repoRoot, 'test', 'readme', 'guide-blocks')

const guides = readdirSync(guidesDir).filter((name) => name.endsWith('.md')).sort()

describe('the guides', () => {
  it('exist and have TypeScript examples', () => {
    expect(guides).toEqual(expect.arrayContaining(['integrations.md', 'security.md']))
    for (const guide of guides) expect({ guide, blocks: markdownBlocks(join(guidesDir, guide), 'ts').length > 0 }).toEqual({ guide, blocks: true })
  })

  it.each(guides)('%s: every ts block type-checks as a module importing weft-sdk', (guide) => {
    const blocks = markdownBlocks(join(guidesDir, guide), 'ts')
    const modules = new Map(blocks.map((block) => [join(snippetDir, `${guide.replace(/\.md$/, '')}-line-${block.line}.ts`), { code: block.code, locate: (at: number) => `guides/${guide}:${block.line + 1 + at}` }]))
    expect(typeCheckModules(modules, repoCompilerOptions())).toEqual([])
  }, 60_000)
})
