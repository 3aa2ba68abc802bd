/** `runWorker`, the API behind `weft worker`, in this process: stopped by an AbortSignal instead of SIGTERM. */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { createEngine, createPayloadCodec, defineWorkflow, InvalidOptionsError, sqliteStore, staticKeyProvider } from 'weft-sdk'
import { CommandFailedError, runWorker } from '../../src/cli/index.js'
import { createModuleFolder, startWeft, type ModuleFolder } from '../support/weft-cli.js'

const hello = defineWorkflow<{ name: string }>({ name: 'hello', version: 1 }).task('greet', (): string => '').build()
let folder: ModuleFolder

beforeAll(() => {
  folder = createModuleFolder()
  folder.write(
    'workflows.mjs',
    `import { defineWorkflow } from 'weft-sdk'\nexport const Hello = defineWorkflow({ name: 'hello', version: 1 }).task('greet', (input) => 'hello ' + input.name).build()\n`,
  )
})

afterAll(() => folder.remove())

describe('runWorker', () => {
  it('executes runs another engine starts, logs them, and resolves with a summary once aborted', async () => {
    const lines: string[] = []
    const stop = new AbortController()
    const database = join(folder.path, 'runs.sqlite')
    let ready!: () => void
    const isReady = new Promise<void>((resolve) => (ready = resolve))
    const log = { info: (line: string) => (lines.push(line), line.includes('ready: ') && ready()), error: (line: string) => lines.push(`error: ${line}`) }
    const worker = runWorker({ database, modules: ['workflows.mjs'], cwd: folder.path, signal: stop.signal, drain: '1 s', log })
    await isReady
    const client = createEngine({ store: sqliteStore({ path: database }), claimRuns: false, pollInterval: '20 ms' })
    const run = await client.start(hello, { name: 'ada' })
    expect((await run.result()).output('greet')).toBe('hello ada')
    await client.close()
    stop.abort('deploying')
    const summary = await worker
    expect(summary).toMatchObject({ workflows: ['hello@1'], runs: { completed: 1, failed: 0, cancelled: 0 }, released: 0 })
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`Z  completed  ${run.id}  hello@1  in `)))
    expect(lines.at(-2)).toMatch(/Z {2}deploying: stopping; no runs to drain$/)
    expect(lines.filter((line) => line.startsWith('error: '))).toEqual([])
  })

  it("withholds errors' messages from its log when the store encrypts values (a message may quote a payload)", async () => {
    const canary = `canary-${randomBytes(6).toString('hex')}`
    folder.write('leaky.mjs', `import { defineWorkflow } from 'weft-sdk'\nexport const Leaky = defineWorkflow({ name: 'leaky', version: 1 }).task('charge', (input) => { throw new Error('card ' + input.card + ' refused') }).build()\n`)
    const leaky = defineWorkflow<{ card: string }>({ name: 'leaky', version: 1 }).task('charge', (): string => '').build()
    const codec = createPayloadCodec(staticKeyProvider([{ id: 'k1', key: randomBytes(32) }]))
    const security = { authorizer: { authorize: () => ({ allowed: true as const }) } }
    const lines: string[] = []
    const stop = new AbortController()
    const database = join(folder.path, 'encrypted.sqlite')
    let ready!: () => void
    const isReady = new Promise<void>((resolve) => (ready = resolve))
    const log = { info: (line: string) => (lines.push(line), line.includes('ready: ') && ready()), error: (line: string) => lines.push(`error: ${line}`) }
    const worker = runWorker({ database, modules: ['leaky.mjs'], cwd: folder.path, signal: stop.signal, drain: '1 s', log, config: { security, codec } })
    await isReady
    const client = createEngine({ store: sqliteStore({ path: database, codec }), claimRuns: false, pollInterval: '20 ms', security })
    const run = await client.as('user:ada').start(leaky, { card: canary })
    expect((await run.outcome()).error?.message).toContain(canary)
    await client.close()
    stop.abort('done')
    await worker
    const failed = lines.find((line) => line.includes(`failed     ${run.id}`))
    expect(failed).toMatch(/in task "charge": Error \(message withheld: the store encrypts values; weft runs show --config reads it\)$/)
    expect(lines.join('\n')).not.toContain(canary)
  })

  it('logs a run it takes over from a dead worker as recovered, then its end', async () => {
    const lines: string[] = []
    const stop = new AbortController()
    const database = join(folder.path, 'orphans.sqlite')
    const store = sqliteStore({ path: database })
    await store.init()
    await store.createRun({ id: 'left-behind', workflow: 'hello', version: 1, input: { name: 'bo' }, createdAt: 1, claimBy: { owner: 'gone-host/1/x', leaseMs: 1 } })
    await store.close()
    let finished!: () => void
    const isFinished = new Promise<void>((resolve) => (finished = resolve))
    const log = { info: (line: string) => (lines.push(line), line.includes('completed  left-behind') && finished()), error: (line: string) => lines.push(`error: ${line}`) }
    const worker = runWorker({ database, modules: ['workflows.mjs'], cwd: folder.path, signal: stop.signal, drain: '1 s', log })
    await isFinished
    stop.abort('done')
    await worker
    expect(lines).toContainEqual(expect.stringMatching(/Z {2}recovered {2}left-behind {2}hello@1 {2}left unfinished by an earlier worker: continues from 0 recorded steps \(claim 2\)$/))
  })

  it('rejects an empty module list and a bad drain time before doing anything', async () => {
    await expect(runWorker({ modules: [] })).rejects.toBeInstanceOf(InvalidOptionsError)
    await expect(runWorker({ modules: ['workflows.mjs'], drain: 'soon' as never })).rejects.toBeInstanceOf(InvalidOptionsError)
  })

  it('rejects a module that cannot be found with CommandFailedError', async () => {
    const error = await runWorker({ modules: ['missing.mjs'], cwd: folder.path, signal: AbortSignal.abort() }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CommandFailedError)
    expect((error as CommandFailedError).code).toBe('WEFT_CLI_FAILED')
  })
})

describe('weft worker --json', () => {
  it('writes its progress to standard error and, once stopped, its summary as JSON on standard output', async () => {
    const worker = startWeft(['worker', '--module', 'workflows.mjs', '--database', 'json.sqlite', '--json'], folder.path)
    await stderrContains(worker, 'ready: claiming runs of hello@1')
    worker.child.kill('SIGTERM')
    const { code, stdout } = await worker.exited
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toEqual({ workerId: expect.any(String), workflows: ['hello@1'], runs: { completed: 0, failed: 0, cancelled: 0 }, released: 0 })
  })
})

/** Resolves once the worker's standard error holds `text` (the listener runs after the one collecting it). */
function stderrContains(worker: ReturnType<typeof startWeft>, text: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => worker.stderr().includes(text) && resolve()
    worker.child.stderr!.on('data', check)
    check()
  })
}
