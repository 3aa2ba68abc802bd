/** Builds recorded runs by hand: a run record and its task steps, with times in milliseconds from 0. */
import type { ErrorRecord, RecordedRun, RunId } from 'weft-sdk'
import type { AttemptHistory, StepRecord } from 'weft-sdk/store'

export interface StepSpec {
  readonly task: string
  readonly start: number
  readonly ms: number
  readonly status?: StepRecord['status']
  readonly attempts?: number
  readonly history?: AttemptHistory
  readonly output?: unknown
  readonly error?: ErrorRecord
}

export interface RunSpec {
  readonly id: string
  readonly input?: unknown
  readonly version?: number
  readonly status?: RecordedRun['run']['status']
  readonly steps: readonly StepSpec[]
}

export function recordedRun({ id, input = {}, version = 1, status = 'completed', steps }: RunSpec, workflow = 'w'): RecordedRun {
  const end = Math.max(0, ...steps.map((s) => s.start + s.ms))
  return {
    run: { id: id as RunId, workflow, version, input, status, createdAt: 0, startedAt: 0, finishedAt: status === 'running' ? undefined : end, epoch: 1, recoveries: 0 },
    steps: steps.map((s) => stepRecord(id, s)),
  }
}

function stepRecord(runId: string, s: StepSpec): StepRecord {
  const status = s.status ?? 'completed'
  return {
    runId: runId as RunId,
    key: s.task,
    task: s.task,
    status,
    output: status === 'completed' ? (s.output ?? null) : undefined,
    error: s.error,
    attempts: s.attempts ?? 1,
    startedAt: status === 'skipped' ? undefined : s.start,
    finishedAt: s.start + s.ms,
    history: s.history,
  }
}

/** A chain `a → b → ...` of tasks with these durations, one after the other. */
export function chainSteps(durations: Readonly<Record<string, number>>, extra: Partial<Record<string, Partial<StepSpec>>> = {}): StepSpec[] {
  let at = 0
  return Object.entries(durations).map(([task, ms]) => {
    const step = { task, start: at, ms, ...extra[task] }
    at += ms
    return step
  })
}
