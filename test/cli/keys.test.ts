// weft keys status and weft keys rotate, in process on a real SQLite file: the status counts values by key id
// without any key; rotate re-encrypts with the newest key of the --config file's codec, prints a cursor per batch,
// resumes from one, and refuses to run without a codec.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keysRotateCommand, keysStatusCommand } from '../../src/cli/keys-commands.js'
import { parseCommandLine } from '../../src/cli/command-line.js'
import type { CliCommand } from '../../src/cli/command.js'
import type { Terminal } from '../../src/cli/terminal.js'
import { staticKeyProvider } from '../../src/security/key-provider.js'
import { createPayloadCodec } from '../../src/security/payload-codec.js'
import type { KeyUsage } from '../../src/store.js'
import { sqliteStore } from '../../src/storage/sqlite/sqlite-workflow-store.js'
import { createModuleFolder, type ModuleFolder } from '../support/weft-cli.js'

const k1 = randomBytes(32)
const k2 = randomBytes(32)
const dist = (file: string) => fileURLToPath(new URL(`../../dist/${file}`, import.meta.url))

/** A config module whose codec holds `keys` (k2 (newest) and k1 unless told), acting as an admin. */
function configSource(keys: readonly { id: string; key: Buffer }[] = [{ id: 'k2', key: k2 }, { id: 'k1', key: k1 }]): string {
  const provider = keys.map(({ id, key }) => `{ id: '${id}', key: Buffer.from('${key.toString('base64')}', 'base64') }`).join(', ')
  return `import { principal, Rbac } from 'weft-sdk'
import { defineCliConfig } from 'weft-sdk/cli'
import { staticKeyProvider } from ${JSON.stringify(dist('security/key-provider.js'))}
import { createPayloadCodec } from ${JSON.stringify(dist('security/payload-codec.js'))}
export default defineCliConfig({
  security: { authorizer: new Rbac({ roles: { admin: ['*'] } }) },
  principal: principal({ subject: 'ops:root', roles: ['admin'] }),
  codec: createPayloadCodec(staticKeyProvider([${provider}])),
})
`
}

/** Runs a keys command in process; its exit code and printed lines (a thrown usage or command error is returned). */
async function run(command: CliCommand, argv: readonly string[], cwd: string): Promise<{ code: number | unknown; lines: string[] }> {
  const lines: string[] = []
  const terminal: Terminal = { line: (text = '') => void lines.push(text), color: false, columns: undefined }
  const code = await command.run(parseCommandLine(command, argv), { out: terminal, err: terminal, cwd, now: Date.now }).catch((error: unknown) => error)
  return { code, lines }
}

describe('weft keys', () => {
  let folder: ModuleFolder
  beforeAll(async () => {
    folder = createModuleFolder('weft-cli-keys-')
    folder.write('weft.config.mjs', configSource())
    folder.write('k2-only.config.mjs', configSource([{ id: 'k2', key: k2 }]))
    const store = sqliteStore({ path: join(folder.path, 'weft.sqlite'), codec: createPayloadCodec(staticKeyProvider([{ id: 'k1', key: k1 }])) })
    await store.init()
    for (let i = 0; i < 5; i++) {
      const { run: created } = await store.createRun({ id: `r-${i}`, workflow: 'w', version: 1, input: { i }, createdAt: i, claimBy: { owner: 'o', leaseMs: 60_000 } })
      await store.saveStep({ runId: created.id, epoch: created.epoch }, { runId: created.id, key: 'load', task: 'load', status: 'completed', output: i, attempts: 1, startedAt: 1, finishedAt: 2 })
    }
    await store.close()
  })
  afterAll(() => folder.remove())

  const usage = async (): Promise<Record<string, number>> => {
    const { code, lines } = await run(keysStatusCommand, ['--database', 'weft.sqlite', '--json'], folder.path)
    expect(code).toBe(0)
    const totals: Record<string, number> = {}
    for (const { keyId, values } of (JSON.parse(lines[0]!) as { usage: KeyUsage[] }).usage) totals[keyId] = (totals[keyId] ?? 0) + values
    return totals
  }

  it('status counts the values of each key id without any key', async () => {
    expect(await usage()).toEqual({ k1: 10 })
    const { lines } = await run(keysStatusCommand, ['--database', 'weft.sqlite'], folder.path)
    expect(lines).toContain('k1  10 values')
    expect(lines).toContain('  weft_steps.output  k1  5')
  })

  it('status --json shows the key ids the store recorded beside the usage', async () => {
    const { code, lines } = await run(keysStatusCommand, ['--database', 'weft.sqlite', '--json'], folder.path)
    expect(code).toBe(0)
    expect(JSON.parse(lines[0]!)).toMatchObject({ recorded: { current: 'k1', known: ['k1'], updatedAt: expect.any(Number) }, codec: null, missing: null })
    const text = await run(keysStatusCommand, ['--database', 'weft.sqlite'], folder.path)
    expect(text.lines[0]).toMatch(/^key ids recorded: current k1; known k1 \(as of \d{4}-/)
  })

  it('status flags a key the values use that the --config codec lacks, with the fix', async () => {
    const json = await run(keysStatusCommand, ['--database', 'weft.sqlite', '--config', 'k2-only.config.mjs', '--json'], folder.path)
    expect(json.code).toBe(0)
    expect(JSON.parse(json.lines[0]!)).toMatchObject({ codec: { current: 'k2', known: ['k2'] }, missing: [{ keyId: 'k1', values: 10, recorded: true }] })
    const text = await run(keysStatusCommand, ['--database', 'weft.sqlite', '--config', 'k2-only.config.mjs'], folder.path)
    expect(text.lines).toContain('key "k1" is not in the --config\'s key provider: 10 stored values use it and cannot be read; add key "k1" to the key provider')
    const complete = await run(keysStatusCommand, ['--database', 'weft.sqlite', '--config', 'weft.config.mjs', '--json'], folder.path)
    expect(JSON.parse(complete.lines[0]!)).toMatchObject({ codec: { current: 'k2', known: ['k2', 'k1'] }, missing: [] })
  })

  it('rotate refuses to run without --config (no keys)', async () => {
    const { code } = await run(keysRotateCommand, ['--database', 'weft.sqlite'], folder.path)
    expect((code as Error).message).toContain('needs --config <file> whose codec holds the keys')
  })

  it('rotate re-encrypts in batches, printing a cursor a later rotation resumes from', async () => {
    const first = await run(keysRotateCommand, ['--database', 'weft.sqlite', '--config', 'weft.config.mjs', '--batch-size', '2'], folder.path)
    expect(first.code).toBe(0)
    // Four columns of each run are read (input, error, roles, status_message); two runs a batch.
    expect(first.lines[0]).toBe('weft_runs: 2 re-encrypted of 8 read; cursor {"table":"weft_runs","after":["r-1"]}')
    expect(first.lines.at(-1)).toBe('done: 10 values re-encrypted, 0 changed meanwhile (left as written)')
    expect(await usage()).toEqual({ k2: 10 })
    const store = sqliteStore({ path: join(folder.path, 'weft.sqlite') })
    await store.init()
    const audited = (await store.audit.listAudit({ action: 'keys.rotated' })).entries
    await store.close()
    expect(audited.map((e) => `${e.action} ${e.outcome}`)).toEqual(['keys.rotated succeeded'])
    const resumed = await run(keysRotateCommand, ['--database', 'weft.sqlite', '--config', 'weft.config.mjs', '--resume-from', '{"table":"weft_steps","after":["r-3","load"]}', '--json'], folder.path)
    expect(resumed.code).toBe(0)
    expect(JSON.parse(resumed.lines[0]!)).toEqual({ table: 'weft_steps', after: ['r-4', 'load'], scanned: 3, rewritten: 0, skipped: 0 })
  })

  it('after a rotation, status flags the retired key as recorded only, and a store opening with the new keys records them', async () => {
    const before = await run(keysStatusCommand, ['--database', 'weft.sqlite', '--config', 'k2-only.config.mjs', '--json'], folder.path)
    expect(JSON.parse(before.lines[0]!)).toMatchObject({ missing: [{ keyId: 'k1', values: 0, recorded: true }] })
    const store = sqliteStore({ path: join(folder.path, 'weft.sqlite'), codec: createPayloadCodec(staticKeyProvider([{ id: 'k2', key: k2 }])) })
    await store.init()
    await store.close()
    const after = await run(keysStatusCommand, ['--database', 'weft.sqlite', '--config', 'k2-only.config.mjs'], folder.path)
    expect(after.lines[0]).toMatch(/^key ids recorded: current k2; known k2, k1 /)
    expect(after.lines).toContain('key "k1" is not in the --config\'s key provider: the store records it, but no stored value uses it (retired after a rotation?); add key "k1" to the key provider if values encrypted with it may come back (from a backup)')
  })

  it('rotate refuses a malformed cursor or batch size', async () => {
    const cursor = await run(keysRotateCommand, ['--config', 'weft.config.mjs', '--resume-from', '{"table":"users"}'], folder.path)
    expect((cursor.code as Error).message).toContain('--resume-from must be')
    const size = await run(keysRotateCommand, ['--config', 'weft.config.mjs', '--batch-size', '0'], folder.path)
    expect((size.code as Error).message).toContain('--batch-size "0" is not a positive integer')
  })
})
