// The recovery statistics of a recorded history: the steps whose attempt history records what `@Recover` met
// (StepRecovery), summed into the shape `engine.stats().recovery` has, so live and history read alike.

import type { ErrorClassName, RecoveryStrategyKind } from '../graph/recovery-options.js'
import { RecoveryStats, type RecoveryStatsSnapshot } from '../resilience/recovery/recovery-stats.js'
import type { RecoveryStepRow } from '../storage/workflow-store.js'

/**
 * Sums recorded steps into recovery statistics: each step's classified
 * failures count as occurrences of their class and strategy; its last
 * failure's pair counts it as recovered (the step completed, after
 * `finishedAt − firstFailureAt`) or not recovered (it failed).
 */
export function recoveryOfSteps(rows: readonly RecoveryStepRow[]): RecoveryStatsSnapshot {
  const stats = new RecoveryStats()
  for (const { recovery, status, finishedAt } of rows) {
    for (const { errorClass, strategy, count } of recovery.failures) stats.occurred(errorClass, strategy as RecoveryStrategyKind, count)
    const { errorClass, strategy } = recovery.last as { errorClass: ErrorClassName; strategy: RecoveryStrategyKind }
    if (status === 'completed') stats.recovered(errorClass, strategy, Math.max(0, finishedAt - recovery.firstFailureAt))
    else if (status === 'failed') stats.notRecovered(errorClass, strategy)
  }
  return stats.snapshot()
}

/** Recovery statistics with nothing counted: a live monitor that follows no engine's. */
export const noRecovery: RecoveryStatsSnapshot = Object.freeze({ byClass: Object.freeze({}), totals: Object.freeze({ occurrences: 0, recovered: 0, notRecovered: 0 }) })
