/**
 * The SQLite file is deleted (or replaced by another file) while an engine
 * has it open. SQLite would go on writing to the unlinked file: every run
 * reported `completed`, and nothing was on disk after close. The store now
 * notices at its next write that the file at its path is not the one it
 * opened, stops, and fails loudly: runs are given up with a StorageError, and
 * every later operation fails with the same error.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, sqliteStore, StorageError } from 'weft-sdk'
import { useTempDir } from './harness.js'

const tempDir = useTempDir('file-deleted')

/** A workflow whose second task waits until the test releases it. */
function gatedWorkflow() {
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  let entered!: () => void
  const waiting = new Promise<void>((resolve) => (entered = resolve))
  const workflow = defineWorkflow({ name: 'gated', version: 1 })
    .task('first', () => 1)
    .task('second', { dependsOn: ['first'] }, async (n) => {
      entered()
      await gate
      return n + 1
    })
    .build()
  return { workflow, release, waiting }
}

const removals: [string, (path: string, spare: string) => void][] = [
  ['taken away with its folder (replaced by a file)', (path) => {
    const folder = dirname(path)
    renameSync(folder, `${folder}-moved`)
    writeFileSync(folder, 'not a folder')
  }],
  ['deleted', (path) => ['', '-wal', '-shm'].forEach((suffix) => rmSync(path + suffix, { force: true }))],
  ['replaced by another file', (path, spare) => {
    ['', '-wal', '-shm'].forEach((suffix) => rmSync(path + suffix, { force: true }))
    copyFileSync(spare, path)
  }],
]

describe.each(removals)('a database file %s while the engine runs', (what, remove) => {
  it('fails the next write loudly: the run is given up with a StorageError, and so is every later operation', async () => {
    const folder = join(tempDir(), what.replaceAll(/\W+/g, '-'))
    mkdirSync(folder)
    const path = join(folder, 'runs.sqlite')
    const spare = join(tempDir(), `${what.replaceAll(/\W+/g, '-')}-spare.sqlite`)
    const spareStore = sqliteStore({ path: spare })
    await spareStore.init()
    await spareStore.close()
    const { workflow, release, waiting } = gatedWorkflow()
    const engine = createEngine({ store: sqliteStore({ path }), workflows: [workflow] })
    const run = await engine.start(workflow)
    await waiting
    remove(path, spare)
    release()

    const error = await run.result().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(error).toMatchObject({ code: 'WEFT_STORAGE', reason: 'file-replaced', isRetryable: false })
    expect((error as Error).message).toBe(
      `the database file ${path} ${what === 'replaced by another file' ? 'was replaced by another file' : 'was deleted'} while Weft had it open; Weft stopped writing so that nothing goes to a file nobody can see: restore the file (runs resume from it), then start a new engine`,
    )
    expect((await run.outcome()).status).toBe('abandoned')
    await expect(engine.start(workflow)).rejects.toBe(error)
    await expect(engine.listRuns()).rejects.toBe(error)
    await engine.close()
    if (what === 'deleted') expect(existsSync(path)).toBe(false)
  })
})
