/**
 * Graceful shutdown of a Nest application with WeftModule, in a child
 * process (Nest's shutdown hooks end the process after closing the
 * application): SIGTERM lets the task in flight finish within the drain time
 * and records it, then the adapters and the store are closed; a task longer
 * than the drain time has its run released for another worker. Runs the
 * built package (npm run build first).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore, type RunId } from 'weft-sdk'
import { sqliteFolder } from './nest-app.js'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const child = fileURLToPath(new URL('./children/shutdown-app.mjs', import.meta.url))
const files = sqliteFolder()
afterAll(() => files.remove())

interface Marker {
  readonly marker: string
  readonly at: number
  readonly runId?: string
}

interface Shutdown {
  readonly markers: Marker[]
  readonly sigtermAt: number
  readonly exit: { code: number | null; signal: NodeJS.Signals | null }
}

/** Runs the application, sends SIGTERM once its task started, and collects what it printed until it exited. */
function shutDown(env: { DATABASE: string; TASK_MS: string; DRAIN: string }): Promise<Shutdown> {
  const app = spawn(process.execPath, [child], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const markers: Marker[] = []
  let sigtermAt = 0
  let buffered = ''
  let errors = ''
  app.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()))
  app.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop()!
    for (const line of lines) {
      const marker = JSON.parse(line) as Marker
      markers.push(marker)
      if (marker.marker === 'task-started') {
        sigtermAt = Date.now()
        app.kill('SIGTERM')
      }
    }
  })
  return new Promise((resolve, reject) => {
    app.once('error', reject)
    app.once('exit', (code, signal) => {
      if (sigtermAt === 0) reject(new Error(`the application exited before its task started (code ${code}): ${errors}`))
      else resolve({ markers, sigtermAt, exit: { code, signal } })
    })
  })
}

/** The markers of the task and of the shutdown, in order ('started', printed when start returns, may come after the task's). */
function lifecycleOf(markers: readonly Marker[]): string[] {
  return markers.map((m) => m.marker).filter((marker) => marker !== 'started')
}

async function storedRun(path: string, runId: string) {
  const store = sqliteStore({ path })
  try {
    return { run: await store.getRun(runId as RunId), steps: (await store.loadSteps(runId as RunId)).map((step) => step.key) }
  } finally {
    await store.close()
  }
}

describe('a Nest application with WeftModule on SIGTERM (enableShutdownHooks)', () => {
  it('lets the task in flight finish within the drain time, records it, then closes the adapters and the store', async () => {
    const path = files.path('drained')
    const { markers, exit } = await shutDown({ DATABASE: path, TASK_MS: '700', DRAIN: '10 s' })
    expect(lifecycleOf(markers)).toEqual(['task-started', 'task-done', 'adapter-closed', 'store-closed'])
    expect(exit.signal ?? exit.code).toBe('SIGTERM')
    const runId = markers.find((m) => m.marker === 'task-started')!.runId!
    const { run, steps } = await storedRun(path, runId)
    expect(run?.status).toBe('completed')
    expect(steps).toEqual(['work'])
  }, 30_000)

  it('releases a run whose task outlasts the drain time, at the drain time, for another worker to resume', async () => {
    const path = files.path('released')
    const { markers, sigtermAt } = await shutDown({ DATABASE: path, TASK_MS: '60000', DRAIN: '500 ms' })
    const closed = markers.find((m) => m.marker === 'store-closed')
    expect(lifecycleOf(markers)).toEqual(['task-started', 'adapter-closed', 'store-closed'])
    expect(closed!.at - sigtermAt).toBeGreaterThanOrEqual(500)
    expect(closed!.at - sigtermAt).toBeLessThan(5_000)
    const { run, steps } = await storedRun(path, markers.find((m) => m.marker === 'task-started')!.runId!)
    expect(run).toMatchObject({ status: 'running', leaseOwner: undefined })
    expect(steps).toEqual([])
  }, 30_000)
})
