import { describe, expect, it } from 'vitest'
import type { RunRecord, RunStatus } from 'weft-sdk'
import type { RequestedAction } from 'weft-sdk/store'
import { decideAction, type ActionDecision } from '../../src/storage/run-rules.js'

/** A run in `status`, as a store would read it (leased while a worker holds it). */
function runIn(status: RunStatus): RunRecord {
  const leased = status === 'running' || status === 'paused'
  return {
    id: 'r1',
    workflow: 'orders',
    version: 1,
    input: { orderId: 'r1' },
    status,
    createdAt: 1_000,
    startedAt: status === 'pending' ? undefined : 1_500,
    finishedAt: ['completed', 'failed', 'cancelled', 'dead-lettered'].includes(status) ? 1_900 : undefined,
    epoch: status === 'pending' ? 0 : 1,
    recoveries: status === 'dead-lettered' ? 6 : 0,
    leaseOwner: leased ? 'w1' : undefined,
    leaseExpiresAt: leased ? 31_500 : undefined,
  }
}

const now = 2_000

function cancelledAtOnce(why: string): ActionDecision {
  return {
    kind: 'cancel-now',
    patch: {
      status: 'cancelled',
      finishedAt: now,
      error: { name: 'RunCancelledError', message: `run r1 was cancelled ${why}`, code: 'WEFT_RUN_CANCELLED' },
    },
  }
}

const nothing: ActionDecision = { kind: 'nothing' }
const askWorker: ActionDecision = { kind: 'ask-worker' }
const revive: ActionDecision = { kind: 'revive' }

const said: Record<ActionDecision['kind'], string> = {
  'cancel-now': 'cancelled at once, with the cancellation recorded',
  revive: 'made pending again (revived)',
  'ask-worker': 'the request is recorded for its worker',
  nothing: 'nothing changes',
}

/** Every run status × every operator action, with the exact decision. */
const table: readonly [RunStatus, RequestedAction, ActionDecision][] = [
  ['pending', 'cancel', cancelledAtOnce('before a worker started it')],
  ['pending', 'pause', nothing],
  ['pending', 'resume', nothing],
  ['running', 'cancel', askWorker],
  ['running', 'pause', askWorker],
  ['running', 'resume', askWorker],
  ['paused', 'cancel', askWorker],
  ['paused', 'pause', askWorker],
  ['paused', 'resume', askWorker],
  ['completed', 'cancel', nothing],
  ['completed', 'pause', nothing],
  ['completed', 'resume', nothing],
  ['failed', 'cancel', nothing],
  ['failed', 'pause', nothing],
  ['failed', 'resume', nothing],
  ['cancelled', 'cancel', nothing],
  ['cancelled', 'pause', nothing],
  ['cancelled', 'resume', nothing],
  ['dead-lettered', 'cancel', cancelledAtOnce('while it was dead-lettered')],
  ['dead-lettered', 'pause', nothing],
  ['dead-lettered', 'resume', revive],
]

describe('decideAction: what an operator request does to a run', () => {
  it('covers every run status and every action exactly once', () => {
    const statuses: RunStatus[] = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled', 'dead-lettered']
    const actions: RequestedAction[] = ['cancel', 'pause', 'resume']
    expect(table.map(([status, action]) => `${status}/${action}`).sort()).toEqual(statuses.flatMap((s) => actions.map((a) => `${s}/${a}`)).sort())
  })

  for (const [status, action, decision] of table) {
    it(`a ${status} run asked to ${action}: ${said[decision.kind]}`, () => {
      expect(decideAction(runIn(status), action, now)).toEqual(decision)
    })
  }

  it('names the run and stamps the time of the request in the cancellation it records', () => {
    const decision = decideAction({ ...runIn('pending'), id: 'order-42' }, 'cancel', 7_777)
    expect(decision).toEqual({
      kind: 'cancel-now',
      patch: {
        status: 'cancelled',
        finishedAt: 7_777,
        error: { name: 'RunCancelledError', message: 'run order-42 was cancelled before a worker started it', code: 'WEFT_RUN_CANCELLED' },
      },
    })
  })

  it('decides from the status alone: a pending run that a dead worker still leases is cancelled at once', () => {
    // A run made pending again by noteUnclaimable keeps its old lease owner until a worker claims it.
    const stale = { ...runIn('pending'), leaseOwner: 'gone', leaseExpiresAt: 500, epoch: 1 }
    expect(decideAction(stale, 'cancel', now)).toEqual(cancelledAtOnce('before a worker started it'))
    expect(decideAction(stale, 'pause', now)).toEqual(nothing)
  })
})
