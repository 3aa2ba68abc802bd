import type { RunId } from '../core/ids.js'
import type { CreateRunResult, RunPatch, RunQuery, RunRecord, StepRecord, WorkflowStore } from './workflow-store.js'

/**
 * A {@link WorkflowStore} in process memory: fast, and gone when the process
 * exits. Values are stored by reference, not copied. For tests and for runs
 * that need no durability.
 *
 * @example
 * ```ts
 * import { createEngine, MemoryWorkflowStore } from 'weft'
 * const engine = createEngine({ store: new MemoryWorkflowStore() })
 * ```
 */
export class MemoryWorkflowStore implements WorkflowStore {
  private readonly runs = new Map<RunId, RunRecord>()
  private readonly steps = new Map<RunId, Map<string, StepRecord>>()

  async createRun(run: RunRecord): Promise<CreateRunResult> {
    const existing = this.runs.get(run.id)
    if (existing !== undefined) return { run: existing, created: false }
    this.runs.set(run.id, run)
    return { run, created: true }
  }

  async getRun(runId: RunId): Promise<RunRecord | undefined> {
    return this.runs.get(runId)
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    const limit = query.limit ?? 100
    const matches: RunRecord[] = []
    const all = [...this.runs.values()].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
    for (const run of all) {
      if (matches.length >= limit) break
      if (query.status !== undefined && run.status !== query.status) continue
      if (query.workflow !== undefined && run.workflow !== query.workflow) continue
      matches.push(run)
    }
    return matches
  }

  async updateRun(runId: RunId, patch: RunPatch): Promise<void> {
    const run = this.runs.get(runId)
    if (run !== undefined) this.runs.set(runId, { ...run, ...patch })
  }

  async saveStep(step: StepRecord): Promise<StepRecord> {
    let steps = this.steps.get(step.runId)
    if (steps === undefined) {
      steps = new Map()
      this.steps.set(step.runId, steps)
    }
    const existing = steps.get(step.key)
    if (existing !== undefined) return existing
    steps.set(step.key, step)
    return step
  }

  async loadSteps(runId: RunId): Promise<StepRecord[]> {
    return [...(this.steps.get(runId)?.values() ?? [])]
  }

  async close(): Promise<void> {}
}
