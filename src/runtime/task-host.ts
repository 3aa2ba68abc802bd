import type { Context } from 'effect'
import type { RunId } from '../core/ids.js'
import type { PolicyServices } from '../resilience/task-policies.js'
import type { EventInbox } from './event-inbox.js'

/** A recorded step output, when the step has one. */
export type Recorded = { readonly output: unknown } | undefined

/** What a task context needs from the run it belongs to. */
export interface TaskHost {
  readonly runId: RunId
  readonly workflow: string
  readonly input: unknown
  readonly services: Context.Context<PolicyServices>
  readonly inbox: EventInbox
  /** The output recorded for a step key, if the step completed before (this run or a previous process). */
  recorded(key: string): Recorded
  /** Records a completed step once; resolves to the output that is stored (the first one written). */
  recordStep(key: string, task: string, output: unknown, startedAt: number): Promise<unknown>
  now(): number
}
