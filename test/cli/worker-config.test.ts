/**
 * `weft worker --module` with a module that exports a worker configuration
 * (`defineWorkerConfig`, as `weft` or as the default export): its
 * `register(container)` puts services on the worker engine's own container
 * before its workflows are registered. A module without one still works by
 * side effect on tsyringe's root container. Real `weft` processes (dist/).
 */
import 'reflect-metadata'
import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { container as rootContainer } from 'tsyringe'
import { createEngine, defineWorkflow, sqliteStore } from 'weft-sdk'
import { runWorker } from '../../src/cli/index.js'
import { createModuleFolder, startWeft, runWeft, type ModuleFolder, type WeftProcess } from '../support/weft-cli.js'

/** The workflow the worker modules run, as they write it: its task reads a service registered under 'Greeting'. */
const greetSource = `import { defineWorkflow, token } from 'weft-sdk'
export const Greet = defineWorkflow({ name: 'greet', version: 1 })
  .services({ greeting: token('Greeting') })
  .task('say', (input, ctx) => ctx.services.greeting + ' ' + input.name)
  .build()
`

/** The client's twin (same name and version): it only records runs (`claimRuns: false`), so it needs no services. */
const Greet = defineWorkflow<{ name: string }>({ name: 'greet', version: 1 }).task('say', (): string => '').build()

let folder: ModuleFolder
const workers: WeftProcess[] = []

beforeAll(() => {
  folder = createModuleFolder('weft-worker-config-')
  // The modules' tsyringe is the package's own (a link resolves to the same file), as in an application.
  symlinkSync(fileURLToPath(new URL('../../node_modules/tsyringe', import.meta.url)), join(folder.path, 'node_modules', 'tsyringe'), 'dir')
  folder.write('greet.mjs', greetSource)
  folder.write(
    'named.mjs',
    `import { defineWorkerConfig } from 'weft-sdk/cli'
import { Greet } from './greet.mjs'
export const weft = defineWorkerConfig({
  workflows: [Greet],
  register(container) {
    container.register('Greeting', { useValue: 'bonjour' })
  },
})
`,
  )
  folder.write(
    'default.mjs',
    `import { Greet } from './greet.mjs'
export default { workflows: [Greet], register: async (container) => container.register('Greeting', { useValue: 'hej' }) }
`,
  )
  folder.write(
    'resolver.mjs',
    `import { container } from 'tsyringe'
import { TsyringeResolver } from 'weft-sdk'
import { defineWorkerConfig } from 'weft-sdk/cli'
import { Greet } from './greet.mjs'
const scope = container.createChildContainer()
scope.register('Greeting', { useValue: 'salut' })
export default defineWorkerConfig({ workflows: [Greet], resolver: new TsyringeResolver(scope), maxRecoveryAttempts: 3 })
`,
  )
  folder.write('side-effect.mjs', `import { container } from 'tsyringe'\ncontainer.register('Greeting', { useValue: 'hola' })\nexport { Greet } from './greet.mjs'\n`)
  folder.write(
    'adapters.mjs',
    `import { defineWorkflow, token } from 'weft-sdk'
import { defineWorkerConfig } from 'weft-sdk/cli'
const greeter = { name: 'greeter', kind: 'test', health: async () => ({ state: 'up', latencyMs: 0, breakers: [], limiters: [] }), stats: () => ({ adapter: 'greeter', kind: 'test', operations: [] }), close: async () => undefined, greeting: 'ciao' }
const Greet = defineWorkflow({ name: 'greet', version: 1 })
  .services({ greeting: token('Greeter') })
  .task('say', (input, ctx) => ctx.services.greeting.greeting + ' ' + input.name)
  .build()
export const weft = defineWorkerConfig({ workflows: [Greet], adapters: [{ token: 'Greeter', adapter: greeter }] })
`,
  )
  folder.write('missing.mjs', `import { defineWorkerConfig } from 'weft-sdk/cli'\nimport { Greet } from './greet.mjs'\nexport const weft = defineWorkerConfig({ workflows: [Greet] })\n`)
})

afterEach(() => {
  for (const worker of workers.splice(0)) if (worker.child.exitCode === null) worker.child.kill('SIGKILL')
})

afterAll(() => folder.remove())

/** Starts a worker on `module`, runs one greeting through it from another engine, stops it; returns the greeting. */
async function greetThrough(module: string, database: string): Promise<string> {
  const worker = startWeft(['worker', '--module', module, '--database', database], folder.path)
  workers.push(worker)
  await worker.waitForLine(/ready: claiming runs of greet@1$/)
  const client = createEngine({ store: sqliteStore({ path: join(folder.path, database) }), claimRuns: false, pollInterval: '20 ms' })
  try {
    const run = await client.start(Greet, { name: 'ada' })
    return (await run.result()).output('say')
  } finally {
    await client.close()
    worker.child.kill('SIGTERM')
    expect((await worker.exited).code).toBe(0)
  }
}

describe('weft worker --module with a worker configuration', () => {
  it('runs the workflows a `weft` export lists, with the services its register(container) put on the worker engine', async () => {
    expect(await greetThrough('named.mjs', 'named.sqlite')).toBe('bonjour ada')
  })

  it('takes the configuration from a default export too (a plain object, an async register)', async () => {
    expect(await greetThrough('default.mjs', 'default.sqlite')).toBe('hej ada')
  })

  it('resolves through the resolver a configuration gives', async () => {
    expect(await greetThrough('resolver.mjs', 'resolver.sqlite')).toBe('salut ada')
  })

  it('registers the adapters a configuration lists on the worker engine, where its workflows receive them', async () => {
    expect(await greetThrough('adapters.mjs', 'adapters.sqlite')).toBe('ciao ada')
  })

  it('still runs a module that registers on tsyringe’s root container by side effect', async () => {
    expect(await greetThrough('side-effect.mjs', 'side-effect.sqlite')).toBe('hola ada')
  })

  it('leaves tsyringe’s root container alone: what register(container) registers is the worker engine’s', async () => {
    const stop = new AbortController()
    let ready!: () => void
    const isReady = new Promise<void>((resolve) => (ready = resolve))
    const log = { info: (line: string) => void (line.includes('ready: ') && ready()), error: () => undefined }
    const worker = runWorker({ database: 'in-process.sqlite', modules: ['named.mjs'], cwd: folder.path, signal: stop.signal, drain: '1 s', log })
    await isReady
    expect(rootContainer.isRegistered('Greeting', true)).toBe(false)
    stop.abort('done')
    expect((await worker).workflows).toEqual(['greet@1'])
  })

  it('lets weft graph find a workflow the configuration lists (by its name) without exporting it', async () => {
    const result = await runWeft(['graph', 'named.mjs', 'greet'], folder.path)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('say')
  })

  it('refuses to start when a service is registered nowhere, naming the workflow, the service and the token', async () => {
    const result = await runWeft(['worker', '--module', 'missing.mjs', '--database', 'missing.sqlite'], folder.path)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('weft: workflow "greet": service "greeting" asks for Greeting, which nothing registered: register it first (container.register("Greeting", { useValue }))')
    expect(result.stderr).toContain("in the worker configuration's register(container) hook")
    expect(result.stderr).not.toContain('engine.container')
  })
})
