/**
 * `weft runs …` against a SQLite file prepared with a real engine: runs in
 * every status (completed with sub-steps, failed, pending with a status
 * message, running, paused, dead-lettered), read and changed by the built CLI
 * in another process while this process's engine keeps working on them.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Schema } from 'effect'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, newRunId, RunCancelledError, sqliteStore, type Engine, type WeftEventOf, type WorkflowRun } from 'weft-sdk'
import { deserialize, type WorkflowStore } from 'weft-sdk/store'
import { runCli } from '../../src/cli/index.js'
import { logRunEvents } from '../../src/cli/run-event-log.js'
import { cells, lineStartingWith, runWeft, runWeftWithClosedStdout } from '../support/weft-cli.js'

const orders = defineWorkflow<{ items: number[] }>({ name: 'orders', version: 1 })
  .task('load', async (input, ctx) => {
    const customer = await ctx.step('fetch-customer', () => 'ada')
    const prices = await ctx.map(input.items, (item) => item * 10)
    return { customer, total: prices.reduce((sum, price) => sum + price, 0), at: new Date(0) }
  })
  .task('charge', { dependsOn: ['load'] }, (order) => order.total)
  .loop('settle', { dependsOn: ['charge'], while: (left: number) => left > 28, maxIterations: 5 }, (left) => left - 1)
  .build()

const payments = defineWorkflow({ name: 'payments', version: 1 })
  .task('charge', { retry: { maxAttempts: 2, backoff: { initial: '1 ms', max: '1 ms' } } }, (): number => {
    throw new Error('card declined')
  })
  .build()

const approval = defineWorkflow({ name: 'approval', version: 1 })
  .task('prepare', () => 'ready')
  .task('approve', { dependsOn: ['prepare'] }, (_ready, ctx) => ctx.waitForEvent<string>('approved'))
  .build()

/** A version no engine here registers: its runs stay pending, with a status message. */
const legacy = defineWorkflow({ name: 'legacy', version: 2 }).task('noop', () => 1).build()

const folder = mkdtempSync(join(tmpdir(), 'weft-cli-runs-'))
/** The default database of a process whose working directory is `folder`. */
const database = join(folder, '.weft', 'weft.sqlite')
let store: WorkflowStore
let engine: Engine
const ids = {} as Record<'completed' | 'failed' | 'pending' | 'pendingToCancel' | 'deadLettered' | 'orphaned' | 'running' | 'runningToCancel' | 'paused', string>
const runs = {} as Record<'runningToCancel' | 'paused', WorkflowRun>

function weft(...args: string[]) {
  return runWeft([...args, '--database', database], folder)
}

function utcSecond(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
}

function taskCompleted(runId: string, task: string): Promise<void> {
  return new Promise((resolve) => {
    const stop = engine.on('task.completed', (event) => {
      if (event.runId === runId && event.task === task) resolve(stop())
    })
  })
}

beforeAll(async () => {
  mkdirSync(join(folder, '.weft'))
  store = sqliteStore({ path: database })
  await store.init()
  // A client that only starts runs: two wait for a worker with legacy@2, one was held by a worker that crashed.
  const client = createEngine({ store, claimRuns: false })
  ids.pending = (await client.start(legacy)).id
  ids.pendingToCancel = (await client.start(legacy)).id
  await client.close()
  ids.deadLettered = newRunId()
  await store.createRun({ id: ids.deadLettered, workflow: 'orders', version: 1, input: { items: [1] }, createdAt: Date.now(), claimBy: { owner: 'crashed-host/1/gone', leaseMs: 0 } })
  // Held by a worker that crashed; no worker here has its workflow, so nobody has taken it over yet.
  ids.orphaned = newRunId()
  await store.createRun({ id: ids.orphaned, workflow: 'ghost', version: 1, input: null, createdAt: Date.now(), claimBy: { owner: 'crashed-host/2/gone', leaseMs: 0 } })

  // The worker: its first claim pass notes why legacy runs wait and dead-letters the crashed run (no recovery allowed).
  engine = createEngine({
    store: sqliteStore({ path: database }),
    workflows: [orders, payments, approval],
    maxRecoveryAttempts: 0,
    leaseDuration: '5 s',
    heartbeatInterval: '50 ms',
    claimInterval: '50 ms',
    pollInterval: '50 ms',
  })
  await engine.ready
  ids.completed = (await engine.run(orders, { items: [1, 2] })).runId
  const failed = await engine.start(payments)
  ids.failed = failed.id
  await expect(failed.result()).rejects.toThrow('card declined')
  const running = await engine.start(approval, undefined, { principal: 'alice' })
  ids.running = running.id
  await taskCompleted(running.id, 'prepare')
  runs.runningToCancel = await engine.start(approval)
  ids.runningToCancel = runs.runningToCancel.id
  runs.paused = await engine.start(approval)
  ids.paused = runs.paused.id
  await runs.paused.pause()
})

afterAll(async () => {
  await engine?.close({ drain: 0 })
  await store?.close()
  rmSync(folder, { recursive: true, force: true })
})

describe('weft runs list', () => {
  it('lists every run newest first, with workflow@version, status, creation time, duration and message', async () => {
    const { code, lines } = await weft('runs', 'list')
    expect(code).toBe(0)
    expect(cells(lines[0]!)).toEqual(['ID', 'WORKFLOW', 'STATUS', 'CREATED (UTC)', 'DURATION', 'MESSAGE'])
    const newestFirst = (await store.listRuns()).map((run) => run.id)
    expect(lines.slice(1).map((line) => cells(line)[0])).toEqual(newestFirst)
    const completed = (await store.getRun(ids.completed))!
    expect(cells(lineStartingWith(lines, ids.completed)!)).toEqual([ids.completed, 'orders@1', 'completed', utcSecond(completed.createdAt), expect.stringMatching(/^\d+ ms$/)])
    expect(cells(lineStartingWith(lines, ids.failed)!).slice(1, 3)).toEqual(['payments@1', 'failed'])
    expect(cells(lineStartingWith(lines, ids.failed)!)[5]).toBe('failed in task "charge": card declined')
    expect(cells(lineStartingWith(lines, ids.pending)!).slice(1)).toEqual([
      'legacy@2',
      'pending',
      expect.any(String),
      '-',
      'waiting for a worker with workflow "legacy" version 2 registered',
    ])
    expect(cells(lineStartingWith(lines, ids.running)!).slice(1, 3)).toEqual(['approval@1', 'running'])
    expect(cells(lineStartingWith(lines, ids.paused)!).slice(1, 3)).toEqual(['approval@1', 'paused'])
    expect(cells(lineStartingWith(lines, ids.deadLettered)!).slice(1, 3)).toEqual(['orders@1', 'dead-lettered'])
  })

  it('shows a run whose worker stopped renewing its lease as orphaned, not running or pending', async () => {
    const stored = (await store.getRun(ids.orphaned))!
    expect(['running', 'pending']).toContain(stored.status)
    expect(stored.leaseOwner).toBe('crashed-host/2/gone')
    const { lines } = await weft('runs', 'list')
    expect(cells(lineStartingWith(lines, ids.orphaned)!).slice(1, 3)).toEqual(['ghost@1', 'orphaned'])
    expect(cells(lineStartingWith(lines, ids.running)!)[2]).toBe('running')
  })

  it('prints { runs, nextBefore } with --json: stored fields, times in epoch ms, the shown state', async () => {
    const { code, stdout, stderr } = await weft('runs', 'list', '--json')
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    const { runs, nextBefore } = JSON.parse(stdout) as { runs: Record<string, unknown>[]; nextBefore: string | null }
    expect(runs.map((run) => run.id)).toEqual((await store.listRuns()).map((run) => run.id))
    expect(nextBefore).toBeNull()
    const completed = (await store.getRun(ids.completed))!
    expect(runs.find((run) => run.id === ids.completed)).toEqual({
      id: ids.completed,
      workflow: 'orders',
      version: 1,
      status: 'completed',
      state: 'completed',
      statusMessage: null,
      principal: null,
      createdAt: completed.createdAt,
      startedAt: completed.startedAt,
      finishedAt: completed.finishedAt,
      error: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      epoch: 1,
      recoveries: 0,
      requestedAction: null,
    })
    expect(runs.find((run) => run.id === ids.orphaned)).toMatchObject({ state: 'orphaned', leaseOwner: 'crashed-host/2/gone' })
    expect(runs.find((run) => run.id === ids.failed)!.error).toMatchObject({ task: 'charge', message: 'card declined' })
    const page = JSON.parse((await weft('runs', 'list', '--json', '--limit', '2')).stdout) as { runs: { id: string }[]; nextBefore: string }
    expect(page.nextBefore).toBe(page.runs[1]!.id)
  })

  it('filters by status and by workflow', async () => {
    const failed = await weft('runs', 'list', '--status', 'failed')
    expect(failed.lines.slice(1).map((line) => cells(line)[0])).toEqual([ids.failed])
    const approvals = await weft('runs', 'list', '--workflow', 'approval')
    expect(approvals.lines.slice(1).map((line) => cells(line)[1])).toEqual(['approval@1', 'approval@1', 'approval@1'])
  })

  it('shows at most --limit runs and says how to see the next page, which --before shows', async () => {
    const newestFirst = (await store.listRuns()).map((run) => run.id)
    const first = await weft('runs', 'list', '--limit', '2')
    expect(first.lines.slice(1).map((line) => cells(line)[0])).toEqual(newestFirst.slice(0, 2))
    expect(first.stderr).toBe(`(the 2 newest runs; --before ${newestFirst[1]} shows the next 2)\n`)
    const second = await weft('runs', 'list', '--limit', '2', '--before', newestFirst[1]!)
    expect(second.lines.slice(1).map((line) => cells(line)[0])).toEqual(newestFirst.slice(2, 4))
    expect(second.stderr).toBe(`(the 2 runs before ${newestFirst[1]}; --before ${newestFirst[3]} shows the next 2)\n`)
  })

  it('exits 1 when --before names no run', async () => {
    const { code, stderr } = await weft('runs', 'list', '--before', 'nope')
    expect(code).toBe(1)
    expect(stderr).toBe(`weft: no run "nope" in ${database}; \`weft runs list\` shows the runs there\n`)
  })

  it('says so when no run matches', async () => {
    const { code, stdout } = await weft('runs', 'list', '--status', 'cancelled', '--workflow', 'payments')
    expect(code).toBe(0)
    expect(stdout).toBe('no runs with status cancelled of workflow "payments"\n')
  })

  it('prints an empty list as JSON too', async () => {
    const { code, stdout } = await weft('runs', 'list', '--status', 'cancelled', '--workflow', 'payments', '--json')
    expect({ code, stdout }).toEqual({ code: 0, stdout: '{"runs":[],"nextBefore":null}\n' })
  })

  it('reads .weft/weft.sqlite in the working directory without --database', async () => {
    const { code, lines } = await runWeft(['runs', 'list', '--status', 'failed'], folder)
    expect(code).toBe(0)
    expect(cells(lines[1]!)[0]).toBe(ids.failed)
  })

  it('exits 1 naming the fix when the database file does not exist, and creates nothing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'weft-cli-empty-'))
    const { code, stdout, stderr } = await runWeft(['runs', 'list'], empty)
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/^weft: no Weft database at \.weft\/weft\.sqlite \(.+\); pass --database <path\|url> to name another SQLite file or a postgres:\/\/ URL\n$/)
    expect(existsSync(join(empty, '.weft'))).toBe(false)
    rmSync(empty, { recursive: true, force: true })
  })
})

describe('weft runs show', () => {
  function field(lines: readonly string[], label: string): string | undefined {
    const line = lines.find((l) => l.startsWith(`${label} `))
    return line?.slice(label.length).trim()
  }

  it('shows a failed run: status, times, error, and the failed step with its attempts and error', async () => {
    const { code, lines } = await weft('runs', 'show', ids.failed)
    expect(code).toBe(0)
    const run = (await store.getRun(ids.failed))!
    expect(field(lines, 'run')).toBe(ids.failed)
    expect(field(lines, 'workflow')).toBe('payments@1')
    expect(field(lines, 'status')).toBe('failed')
    expect(field(lines, 'error')).toBe('in task "charge": Error: card declined')
    expect(field(lines, 'created')).toBe(new Date(run.createdAt).toISOString())
    expect(field(lines, 'finished')).toBe(new Date(run.finishedAt!).toISOString())
    expect(field(lines, 'epoch')).toBe('1')
    expect(field(lines, 'recoveries')).toBe('0')
    const charge = cells(lineStartingWith(lines, 'charge')!)
    expect([charge[1], charge[2], charge[5]]).toEqual(['failed', '2', 'Error: card declined'])
  })

  it('groups sub-steps (ctx.step, map items, loop iterations) under their task', async () => {
    const { lines } = await weft('runs', 'show', ids.completed)
    const table = lines.slice(lines.findIndex((line) => line.startsWith('TASK')) + 1)
    expect(table.map((line) => line.slice(0, line.indexOf('  ', 2)).trimEnd())).toEqual([
      'load',
      expect.any(String),
      expect.any(String),
      expect.any(String),
      'charge',
      'settle',
      '  #0',
      '  #1',
    ])
    expect(new Set(table.slice(1, 4).map((line) => cells(line)[0]))).toEqual(new Set(['/fetch-customer', '[0]', '[1]']))
    expect(table.slice(1, 4).every((line) => line.startsWith('  ') && cells(line)[1] === 'completed')).toBe(true)
  })

  it('shows the principal, lease owner, lease expiry and epoch of a running run, and its finished steps', async () => {
    const { lines } = await weft('runs', 'show', ids.running)
    expect(field(lines, 'status')).toBe('running')
    expect(field(lines, 'principal')).toBe('alice')
    expect(field(lines, 'lease owner')).toBe(engine.workerId)
    expect(field(lines, 'lease expires')).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \(in .+\)$/)
    expect(field(lines, 'epoch')).toBe('1')
    expect(field(lines, 'finished')).toBe('-')
    expect(lines.filter((line) => /^\S/.test(line)).slice(-2).map((line) => cells(line).slice(0, 3))).toEqual([
      ['TASK', 'STATUS', 'ATTEMPTS'],
      ['prepare', 'completed', '1'],
    ])
  })

  it('shows why a pending run waits', async () => {
    const { lines } = await weft('runs', 'show', ids.pending)
    expect(field(lines, 'status')).toBe('pending')
    expect(field(lines, 'message')).toBe('waiting for a worker with workflow "legacy" version 2 registered')
    expect(lines.at(-1)).toBe('no steps: no worker has started the run yet')
  })

  it('prints { run, steps } with --json, and inputs and outputs in storage encoding with --values', async () => {
    const plain = JSON.parse((await weft('runs', 'show', ids.completed, '--json')).stdout) as { run: object; steps: object[] }
    expect(plain.run).not.toHaveProperty('input')
    expect(plain.steps.every((step) => !('output' in step))).toBe(true)
    const { code, stdout } = await weft('runs', 'show', ids.completed, '--json', '--values')
    expect(code).toBe(0)
    const { run, steps } = JSON.parse(stdout) as { run: { id: string; input: unknown }; steps: { key: string; status: string; attempts: number; output: unknown }[] }
    expect(run).toMatchObject({ id: ids.completed, status: 'completed', input: { items: [1, 2] } })
    expect(steps).toHaveLength((await store.loadSteps(ids.completed)).length)
    expect(steps.map((step) => step.key)).toEqual(expect.arrayContaining(['load', 'charge', 'settle']))
    const load = steps.find((step) => step.key === 'load')!
    expect(load).toMatchObject({ status: 'completed', attempts: 1 })
    expect(deserialize(JSON.stringify(load.output))).toEqual({ customer: 'ada', total: 30, at: new Date(0) })
  })

  it("prints a failed step's error with --json", async () => {
    const { steps } = JSON.parse((await weft('runs', 'show', ids.failed, '--json', '--values')).stdout) as { steps: { key: string; error: unknown; output: unknown }[] }
    expect(steps).toEqual([expect.objectContaining({ key: 'charge', output: null, error: expect.objectContaining({ name: 'Error', message: 'card declined' }) })])
  })

  it('prints the input and each output as JSON with --values', async () => {
    const { lines } = await weft('runs', 'show', ids.completed, '--values')
    expect(field(lines, 'input')).toBe('{"items":[1,2]}')
    const outputs = lines.slice(lines.indexOf('OUTPUTS') + 1)
    expect(cells(outputs[0]!)).toEqual(['load', '{"customer":"ada","total":30,"at":{"$weft":"date","v":"1970-01-01T00:00:00.000Z"}}'])
    expect(outputs.map((line) => cells(line)[0])).toEqual(['load', '/fetch-customer', '[0]', '[1]', 'charge', 'settle', '#0', '#1'].map((label) => expect.stringContaining(label)))
  })

  it('ends quietly, exit 0 and no stack trace, when its reader has gone (weft runs show … | head)', async () => {
    const { code, stderr } = await runWeftWithClosedStdout(['runs', 'show', ids.completed, '--database', database], folder)
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
  })

  it('exits 1 with a clear message when there is no such run', async () => {
    const { code, stdout, stderr } = await weft('runs', 'show', '01nosuchrun0000000000000')
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toBe(`weft: no run "01nosuchrun0000000000000" in ${database}; \`weft runs list\` shows the runs there\n`)
  })
})

describe('weft runs cancel', () => {
  it('cancels a pending run at once', async () => {
    const { code, stdout } = await weft('runs', 'cancel', ids.pendingToCancel)
    expect(code).toBe(0)
    expect(stdout).toBe(`cancelled run ${ids.pendingToCancel} (legacy@2): it was pending\n`)
    expect((await store.getRun(ids.pendingToCancel))!.status).toBe('cancelled')
  })

  it('asks the worker of a running run to cancel it, and the worker does', async () => {
    const { code, stdout } = await weft('runs', 'cancel', ids.runningToCancel)
    expect(code).toBe(0)
    expect(stdout).toBe(
      `requested cancellation of run ${ids.runningToCancel} (approval@1), which is running; its worker ${engine.workerId} cancels it at its next heartbeat; should that worker be gone, the next worker to claim it does\n`,
    )
    await expect(runs.runningToCancel.result()).rejects.toBeInstanceOf(RunCancelledError)
    expect((await store.getRun(ids.runningToCancel))!.status).toBe('cancelled')
  })

  it('prints { action, outcome, message, run } with --json, and still exits 1 when it refuses', async () => {
    const { code, stdout, stderr } = await weft('runs', 'cancel', ids.completed, '--json')
    expect({ code, stderr }).toEqual({ code: 1, stderr: '' })
    expect(JSON.parse(stdout)).toMatchObject({
      action: 'cancel',
      outcome: 'refused',
      message: `run ${ids.completed} (orders@1) is completed; only pending, dead-lettered, running or paused runs can be cancelled`,
      run: { id: ids.completed, status: 'completed' },
    })
  })

  it('exits 1 for a run that already finished, and changes nothing', async () => {
    const { code, stdout, stderr } = await weft('runs', 'cancel', ids.completed)
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toBe(`weft: run ${ids.completed} (orders@1) is completed; only pending, dead-lettered, running or paused runs can be cancelled\n`)
    expect((await store.getRun(ids.completed))!.status).toBe('completed')
  })

  it('exits 1 when there is no such run', async () => {
    const { code, stderr } = await weft('runs', 'cancel', 'nope')
    expect(code).toBe(1)
    expect(stderr).toBe(`weft: no run "nope" in ${database}; \`weft runs list\` shows the runs there\n`)
  })
})

describe('weft runs resume', () => {
  it('makes a dead-lettered run pending again, and a worker then finishes it', async () => {
    const before = (await store.getRun(ids.deadLettered))!
    expect(before.status).toBe('dead-lettered')
    expect(before.statusMessage).toContain(`weft runs resume ${ids.deadLettered}`)
    const { code, stdout } = await weft('runs', 'resume', ids.deadLettered)
    expect(code).toBe(0)
    expect(stdout).toBe(`resumed run ${ids.deadLettered} (orders@1): it was dead-lettered and is pending again; a worker with orders@1 registered will claim it\n`)
    const result = await (await engine.getRun(ids.deadLettered))!.result()
    expect(result.output('charge')).toBe(10)
  })

  it('asks the worker of a paused run to resume it, and the worker does', async () => {
    expect((await store.getRun(ids.paused))!.status).toBe('paused')
    const resumed = new Promise<void>((resolve) => {
      const stop = engine.on('run.resumed', (event) => event.runId === ids.paused && resolve(stop()))
    })
    const { code, stdout } = await weft('runs', 'resume', ids.paused)
    expect(code).toBe(0)
    expect(stdout).toBe(`requested resumption of run ${ids.paused} (approval@1), which is paused; its worker ${engine.workerId} resumes it at its next heartbeat\n`)
    await resumed
    expect(runs.paused.status()).toBe('running')
  })

  it('changes nothing for a running run', async () => {
    const { code, stdout } = await weft('runs', 'resume', ids.running)
    expect(code).toBe(0)
    expect(stdout).toBe(`run ${ids.running} (approval@1) is running, not paused; nothing to resume\n`)
    expect((await store.getRun(ids.running))!.requestedAction).toBeUndefined()
  })

  it('prints what it did as JSON with --json', async () => {
    const { code, stdout } = await weft('runs', 'resume', ids.running, '--json')
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ action: 'resume', outcome: 'unchanged', run: { id: ids.running, status: 'running' } })
  })

  it('exits 1 for a finished run', async () => {
    const { code, stderr } = await weft('runs', 'resume', ids.failed)
    expect(code).toBe(1)
    expect(stderr).toBe(`weft: run ${ids.failed} (payments@1) is failed; only paused or dead-lettered runs can be resumed\n`)
  })
})

describe('weft runs signal', () => {
  it('sends the event to a waiting run through the store, and the run takes it', async () => {
    const { code, stdout, stderr } = await weft('runs', 'signal', ids.running, 'approved', '"by ada"')
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(stdout).toMatch(new RegExp(`^sent event "approved" \\(id \\d+\\) to run ${ids.running} \\(approval@1\\), which is running\n$`))
    const result = await (await engine.getRun(ids.running))!.result()
    expect(result.output('approve')).toBe('by ada')
  })

  it('prints { eventId, runId, event } with --json and decodes storage-encoded values', async () => {
    const run = await engine.start(approval)
    await taskCompleted(run.id, 'prepare')
    const { code, stdout } = await weft('runs', 'signal', run.id, 'approved', '{"at":{"$weft":"date","v":"2026-01-02T00:00:00.000Z"}}', '--json')
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toEqual({ eventId: expect.any(Number), runId: run.id, event: 'approved' })
    expect((await run.result()).output('approve')).toEqual({ at: new Date('2026-01-02T00:00:00.000Z') })
  })

  it('a payload the workflow\'s declared schema refuses is stored but never delivered: the task keeps waiting for a valid one', async () => {
    const declared = defineWorkflow({ name: 'declared-approval', version: 1 })
      .events({ approved: Schema.Struct({ by: Schema.NonEmptyString }) })
      .task('approve', async (_input, ctx) => (await ctx.waitForEvent('approved')).by)
      .build({ result: 'approve' })
    const refusedEvents: WeftEventOf<'event.refused'>[] = []
    const stopListening = engine.on('event.refused', (event) => refusedEvents.push(event))
    const errors: string[] = []
    const stopLogging = logRunEvents(engine, { info: () => undefined, error: (line) => errors.push(line) })
    const run = await engine.start(declared)
    expect((await weft('runs', 'signal', run.id, 'approved', '{"by":""}')).code).toBe(0)
    expect((await weft('runs', 'signal', run.id, 'approved', '{"who":"ada"}')).code).toBe(0)
    expect((await weft('runs', 'signal', run.id, 'approved', '{"by":"ada"}')).code).toBe(0)
    expect(await run.result()).toBe('ada')
    stopListening()
    stopLogging()
    // Each refused payload is reported once, to listeners, in the run's events and on the worker's error log.
    expect(refusedEvents.map(({ runId, task, event }) => ({ runId, task, event }))).toEqual([
      { runId: run.id, task: 'approve', event: 'approved' },
      { runId: run.id, task: 'approve', event: 'approved' },
    ])
    expect(refusedEvents[0]!.message).toMatch(/at by: .*length of at least 1/)
    expect(refusedEvents[1]!.message).toMatch(/by/)
    const logged: string[] = []
    for await (const event of run.events()) if (event.type === 'event.refused') logged.push(event.message)
    expect(logged).toEqual(refusedEvents.map((event) => event.message))
    expect(errors).toHaveLength(2)
    expect(errors[0]).toContain(`refused    ${run.id}  declared-approval@1  event "approved" (#${refusedEvents[0]!.eventId}) for task 'approve': its payload does not decode`)
  })

  it('exits 2 naming the fix when the payload is not JSON, and sends nothing', async () => {
    const before = await store.latestEventId()
    const { code, stdout, stderr } = await weft('runs', 'signal', ids.paused, 'approved', 'yes')
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' })
    expect(stderr).toMatch(/^weft: <json> must be a JSON value such as '\{"approved":true\}', '"text"', 42 or null, got "yes" \(.+\); a string needs JSON quotes inside the shell's: '"yes"'\n$/)
    expect(await store.latestEventId()).toBe(before)
  })

  it('refuses a finished run with the engine\'s code, and sends nothing', async () => {
    const before = await store.latestEventId()
    const { code, stderr } = await weft('runs', 'signal', ids.completed, 'approved', 'true')
    expect(code).toBe(1)
    expect(stderr).toBe(`weft: run ${ids.completed} has already ended (completed); events can only be sent to pending, running or paused runs [WEFT_RUN_FINISHED]\n`)
    expect(await store.latestEventId()).toBe(before)
  })

  it('exits 2 for an event name a store cannot keep (through runCli: a process argument cannot hold a NUL)', async () => {
    const err: string[] = []
    const terminal = (lines: string[]) => ({ line: (text = '') => void lines.push(text), color: false, columns: undefined })
    const code = await runCli(['runs', 'signal', ids.paused, 'go\u0000', 'true', '--database', database], { out: terminal([]), err: terminal(err), cwd: folder, now: Date.now })
    expect(code).toBe(2)
    expect(err).toEqual(['weft: the event name cannot be stored: it has a NUL character (\\u0000 at index 2), which PostgreSQL cannot store in text'])
  })

  it('refuses an unknown run with the engine\'s code', async () => {
    const { code, stderr } = await weft('runs', 'signal', 'nope', 'approved', 'true')
    expect(code).toBe(1)
    expect(stderr).toBe(`weft: no run has id "nope" in ${database}; \`weft runs list\` shows the runs there [WEFT_RUN_NOT_FOUND]\n`)
  })
})
