/**
 * `weft runs …` against a SQLite file prepared with a real engine: runs in
 * every status (completed with sub-steps, failed, pending with a status
 * message, running, paused, dead-lettered), read and changed by the built CLI
 * in another process while this process's engine keeps working on them.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, newRunId, RunCancelledError, sqliteStore, type Engine, type WorkflowRun } from 'weft'
import type { WorkflowStore } from 'weft/store'
import { cells, lineStartingWith, runWeft } from '../support/weft-cli.js'

const orders = defineWorkflow<{ items: number[] }>({ name: 'orders', version: 1 })
  .task('load', async (input, ctx) => {
    const customer = await ctx.step('fetch-customer', () => 'ada')
    const prices = await ctx.map(input.items, (item) => item * 10)
    return { customer, total: prices.reduce((sum, price) => sum + price, 0) }
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
const ids = {} as Record<'completed' | 'failed' | 'pending' | 'pendingToCancel' | 'deadLettered' | 'running' | 'runningToCancel' | 'paused', string>
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

  it('exits 1 for a finished run', async () => {
    const { code, stderr } = await weft('runs', 'resume', ids.failed)
    expect(code).toBe(1)
    expect(stderr).toBe(`weft: run ${ids.failed} (payments@1) is failed; only paused or dead-lettered runs can be resumed\n`)
  })
})
