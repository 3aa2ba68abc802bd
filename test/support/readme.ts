import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The repository's README, as a user reads it first. */
export const readmePath = fileURLToPath(new URL('../../README.md', import.meta.url))

/** A fenced code block of the README: its language tag, its text and the line its fence opens on. */
export interface CodeBlock {
  readonly lang: string
  readonly code: string
  readonly line: number
}

/**
 * Every fenced code block of `markdown` (``` fences, indented or not, as in
 * list items), in order. The block's lines lose the fence's indentation.
 */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]!)
    if (open === null) continue
    const [, indent = '', lang = ''] = open
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && lines[j]!.trim() !== '```') body.push(lines[j++]!.slice(indent.length))
    if (j === lines.length) throw new Error(`README line ${i + 1}: a code block that never closes`)
    blocks.push({ lang, code: body.join('\n'), line: i + 1 })
    i = j
  }
  return blocks
}

/** The README's code blocks in `lang`. */
export function readmeBlocks(lang: string): CodeBlock[] {
  return markdownBlocks(readmePath, lang)
}

/** The code blocks in `lang` of the markdown file at `path`. */
export function markdownBlocks(path: string, lang: string): CodeBlock[] {
  return codeBlocks(readFileSync(path, 'utf8')).filter((block) => block.lang === lang)
}
