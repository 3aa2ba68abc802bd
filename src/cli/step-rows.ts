import { encodeStepName, isTaskStepKey, type StepRecord } from '../store.js'

/** A line of `weft runs show`'s task table: a task, or one of its sub-steps indented under it. */
export interface StepRow {
  /** The task name, or the sub-step's key without the task name, indented: `  /fetch`, `  [0]`, `  #2`. */
  readonly label: string
  /** The task the row belongs to. */
  readonly task: string
  /** The step's record; `undefined` for a task that has sub-steps but no record of its own yet. */
  readonly step: StepRecord | undefined
}

interface TaskGroup {
  readonly task: string
  own: StepRecord | undefined
  readonly subSteps: StepRecord[]
}


/**
 * Orders a run's steps for display: tasks in the order they started, each
 * followed by its sub-steps (keys with `/`, `#` or `[`: `ctx.step` results,
 * consumed events, loop iterations, `map` items), in the order they started.
 */
export function toStepRows(steps: readonly StepRecord[]): StepRow[] {
  const groups = new Map<string, TaskGroup>()
  for (const step of steps) {
    const group = groups.get(step.task) ?? { task: step.task, own: undefined, subSteps: [] }
    if (isTaskStepKey(step.key, step.task)) group.own = step
    else group.subSteps.push(step)
    groups.set(step.task, group)
  }
  return [...groups.values()].sort(byFirstStart).flatMap((group) => [
    { label: group.task, task: group.task, step: group.own },
    ...group.subSteps.sort(byStart).map((step) => ({ label: `  ${subKey(step)}`, task: group.task, step })),
  ])
}

/** The sub-step's key after its task's part: `#2`, `[3]`, `/fetch`, `/wait:approved#0` (Weft 0.1 wrote the task's name unescaped). */
function subKey(step: StepRecord): string {
  const task = [encodeStepName(step.task), step.task].find((prefix) => step.key.startsWith(prefix))
  return task === undefined ? step.key : step.key.slice(task.length)
}

function startOf(step: StepRecord): number {
  return step.startedAt ?? step.finishedAt
}

function byStart(a: StepRecord, b: StepRecord): number {
  return startOf(a) - startOf(b) || a.finishedAt - b.finishedAt || naturalCompare(a.key, b.key)
}

/** Code point order, but runs of digits compare as numbers: `[2]` before `[10]`. */
function naturalCompare(a: string, b: string): number {
  const left = a.split(/(\d+)/)
  const right = b.split(/(\d+)/)
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const [x, y] = [left[i]!, right[i]!]
    const order = i % 2 === 1 ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0
    if (order !== 0) return order
  }
  return left.length - right.length
}

function firstStart(group: TaskGroup): number {
  return Math.min(...[group.own, ...group.subSteps].filter((s) => s !== undefined).map(startOf))
}

function byFirstStart(a: TaskGroup, b: TaskGroup): number {
  return firstStart(a) - firstStart(b) || naturalCompare(a.task, b.task)
}
