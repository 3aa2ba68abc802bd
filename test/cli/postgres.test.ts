/**
 * The built `weft` CLI on PostgreSQL: `runs` commands against a fresh
 * database, and `weft worker` processes executing runs that this process
 * starts without executing them (`claimRuns: false`), then draining on SIGTERM.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createEngine, defineWorkflow, type Engine } from 'weft-sdk'
import { withoutPassword, type WorkflowStore } from 'weft-sdk/store'
import type { StatusJson } from '../../src/cli/index.js'
import { postgresStore } from '../../src/postgres.js'
import { createTestDatabase, describePostgres, type TestDatabase } from '../support/postgres.js'
import { cells, createModuleFolder, lineStartingWith, runWeft, startWeft, type ModuleFolder, type WeftProcess } from '../support/weft-cli.js'

const hello = defineWorkflow<{ name: string }>({ name: 'hello', version: 1 }).task('greet', (input) => `hello ${input.name}`).build()
const elsewhere = defineWorkflow({ name: 'elsewhere', version: 1 }).task('noop', () => 1).build()

/** The workflows the worker processes import (client-side twins with the same names and versions: `start` only records runs). */
const workerModule = `import { defineWorkflow } from 'weft-sdk'
export const Hello = defineWorkflow({ name: 'hello', version: 1 }).task('greet', (input) => \`hello \${input.name}\`).build()
export const Gate = defineWorkflow({ name: 'gate', version: 1 }).task('wait', (_input, ctx) => ctx.waitForEvent('go')).build()
export const Stuck = defineWorkflow({ name: 'stuck', version: 1 }).task('wait', (_input, ctx) => ctx.waitForEvent('never')).build()
`
const waiter = defineWorkflow({ name: 'waiter', version: 1 }).task('wait', (_input, ctx) => ctx.waitForEvent<{ by: string }>('go')).build()
const gate = defineWorkflow({ name: 'gate', version: 1 }).task('wait', (): unknown => undefined).build()
const stuck = defineWorkflow({ name: 'stuck', version: 1 }).task('wait', (): unknown => undefined).build()

describePostgres('weft runs on PostgreSQL', () => {
  let db: TestDatabase
  let store: WorkflowStore
  let engine: Engine
  let completed: string
  let pending: string

  beforeAll(async () => {
    db = await createTestDatabase()
    store = postgresStore({ connectionString: db.url })
    engine = createEngine({ store, workflows: [hello, waiter] })
    completed = (await engine.run(hello, { name: 'ada' })).runId
    const client = createEngine({ store, claimRuns: false })
    pending = (await client.start(elsewhere)).id
    await client.close()
  })

  afterAll(async () => {
    await engine?.close({ drain: 0 })
    await store?.close()
    await db?.drop()
  })

  it('lists the runs of a postgres:// database', async () => {
    const { code, lines } = await runWeft(['runs', 'list', '--database', db.url], process.cwd())
    expect(code).toBe(0)
    expect(lines.slice(1).map((line) => cells(line).slice(0, 3))).toEqual([
      [pending, 'elsewhere@1', 'pending'],
      [completed, 'hello@1', 'completed'],
    ])
  })

  it('shows a run and its steps', async () => {
    const { code, lines } = await runWeft(['runs', 'show', completed, '--database', db.url], process.cwd())
    expect(code).toBe(0)
    expect(lines.find((line) => line.startsWith('status '))).toBe('status         completed')
    expect(cells(lineStartingWith(lines, 'greet')!).slice(0, 3)).toEqual(['greet', 'completed', '1'])
  })

  it('cancels a pending run', async () => {
    const { code, stdout } = await runWeft(['runs', 'cancel', pending, '--database', db.url], process.cwd())
    expect(code).toBe(0)
    expect(stdout).toBe(`cancelled run ${pending} (elsewhere@1): it was pending\n`)
    expect((await store.getRun(pending))!.status).toBe('cancelled')
  })

  it('exits 1 for an unknown run, naming the database', async () => {
    const { code, stderr } = await runWeft(['runs', 'show', 'nope', '--database', db.url], process.cwd())
    expect(code).toBe(1)
    expect(stderr).toBe(`weft: no run "nope" in ${db.url}; \`weft runs list\` shows the runs there\n`)
  })

  it('sends an event to a waiting run with runs signal, and the run takes it', async () => {
    const run = await engine.start(waiter)
    const { code, stdout } = await runWeft(['runs', 'signal', run.id, 'go', '{"by":"ada"}', '--json', '--database', db.url], process.cwd())
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toEqual({ eventId: expect.any(Number), runId: run.id, event: 'go' })
    expect((await run.result()).output('wait')).toEqual({ by: 'ada' })
  })

  it('exits 1 when the database cannot be reached', async () => {
    const url = new URL(db.url)
    url.pathname = '/weft_no_such_database'
    const { code, stderr } = await runWeft(['runs', 'list', '--database', url.toString()], process.cwd())
    expect(code).toBe(1)
    expect(stderr).toMatch(/^weft: cannot open postgres:\/\/.+\/weft_no_such_database: .*weft_no_such_database.* does not exist\n$/)
  })
})

describePostgres('weft worker on PostgreSQL', () => {
  let db: TestDatabase
  let store: WorkflowStore
  let client: Engine
  let folder: ModuleFolder
  const workers: WeftProcess[] = []

  function startWorker(...extra: string[]): WeftProcess {
    const worker = startWeft(['worker', '--database', db.url, '--module', 'workflows.mjs', ...extra], folder.path)
    workers.push(worker)
    return worker
  }

  beforeAll(async () => {
    db = await createTestDatabase()
    store = postgresStore({ connectionString: db.url })
    client = createEngine({ store, claimRuns: false })
    folder = createModuleFolder()
    folder.write('workflows.mjs', workerModule)
  })

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL')
    await Promise.all(workers.map((worker) => worker.exited))
    await client?.close()
    await store?.close()
    await db?.drop()
    folder?.remove()
  })

  it('prints its workflows and a ready line, completes runs another process starts with a line per run, and exits 0 on SIGTERM', async () => {
    const worker = startWorker('--drain', '5 s', '--max-tasks', '8')
    await worker.waitForLine(/ready: claiming runs of gate@1, hello@1, stuck@1$/)
    expect(worker.stdout()).toContain('\n  max tasks  8\n')
    const started = await Promise.all(['ada', 'grace', 'alan'].map((name) => client.start(hello, { name })))
    const results = await Promise.all(started.map((run) => run.result()))
    expect(results.map((result) => result.output('greet'))).toEqual(['hello ada', 'hello grace', 'hello alan'])
    for (const run of started) {
      await worker.waitForLine(new RegExp(`^\\S+Z  started +${run.id}  hello@1$`))
      await worker.waitForLine(new RegExp(`^\\S+Z  completed +${run.id}  hello@1  in \\d`))
    }
    worker.child.kill('SIGTERM')
    const { code, signal, lines } = await worker.exited
    expect({ code, signal }).toEqual({ code: 0, signal: null })
    expect(lines.at(-2)).toMatch(/^\S+Z  SIGTERM: stopping; no runs to drain$/)
    expect(lines.at(-1)).toMatch(/^\S+Z  stopped: 3 completed, 0 failed, 0 cancelled, 0 released to other workers$/)
  })

  it('on SIGTERM lets a running task finish before it exits 0, and no work is lost', async () => {
    const worker = startWorker('--drain', '20 s')
    await worker.waitForLine(/ready/)
    const run = await client.start(gate)
    await worker.waitForLine(new RegExp(`started +${run.id}  gate@1$`))
    worker.child.kill('SIGTERM')
    await worker.waitForLine(/SIGTERM: stopping; draining 1 run \(up to 20\.0 s\)$/)
    await client.emit('go', 'approved', { runId: run.id })
    const { code, lines } = await worker.exited
    expect(code).toBe(0)
    // The task finished within the drain time, so the draining worker completed the run itself.
    expect(lines.at(-1)).toMatch(/stopped: 1 completed, 0 failed, 0 cancelled, 0 released to other workers$/)
    const steps = await store.loadSteps(run.id)
    expect(steps.find((step) => step.key === 'wait')).toMatchObject({ status: 'completed', output: 'approved', attempts: 1 })
    expect((await run.result()).output('wait')).toBe('approved')
  })

  it('releases a run whose task outlasts the drain time to other workers, and exits 0', async () => {
    const worker = startWorker('--drain', '200 ms')
    await worker.waitForLine(/ready/)
    const run = await client.start(stuck)
    await worker.waitForLine(new RegExp(`started +${run.id}  stuck@1$`))
    worker.child.kill('SIGTERM')
    const { code, lines } = await worker.exited
    expect(code).toBe(0)
    expect(lines.at(-1)).toMatch(/stopped: 0 completed, 0 failed, 0 cancelled, 1 released to other workers$/)
    const stored = (await store.getRun(run.id))!
    expect({ status: stored.status, leaseOwner: stored.leaseOwner }).toEqual({ status: 'running', leaseOwner: undefined })
  })

  it('exits 1 when a module exports no workflow', async () => {
    folder.write('empty.mjs', 'export const answer = 42\n')
    const { code, stderr } = await runWeft(['worker', '--database', db.url, '--module', 'empty.mjs'], folder.path)
    expect(code).toBe(1)
    expect(stderr).toBe('weft: empty.mjs has no workflow to run: it exports no workflows\n')
  })

  it('weft status reports a postgres:// database up, named without its password, and exits 0', async () => {
    const { code, stdout } = await runWeft(['status', '--database', db.url, '--json'], process.cwd())
    expect(code).toBe(0)
    const status = JSON.parse(stdout) as StatusJson
    expect(status.store).toMatchObject({ state: 'up', database: withoutPassword(db.url), detail: null })
    expect(status.adapters).toEqual([])
  })
})
