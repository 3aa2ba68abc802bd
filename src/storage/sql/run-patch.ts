import { isFinished } from '../run-rules.js'
import type { RunPatch } from '../workflow-store.js'
import { errorText } from './rows.js'

/**
 * The `set` clause of a run update, for both dialects: `placeholder(i)` writes
 * the i-th parameter (0-based) as the dialect wants it (`?` or `$n`).
 * Finishing a run also frees its lease and clears requested actions.
 */
export function runPatchSql(patch: RunPatch, placeholder: (index: number) => string): { sql: string; params: unknown[] } {
  const sets: string[] = []
  const params: unknown[] = []
  const set = (column: string, value: unknown) => {
    sets.push(`${column} = ${placeholder(params.length)}`)
    params.push(value)
  }
  if (patch.status !== undefined) set('status', patch.status)
  if ('statusMessage' in patch) set('status_message', patch.statusMessage ?? null)
  if ('finishedAt' in patch) set('finished_at', patch.finishedAt ?? null)
  if ('error' in patch) set('error', errorText(patch.error))
  if (patch.status !== undefined && isFinished(patch.status)) sets.push('lease_owner = null', 'lease_expires_at = null', 'requested_action = null')
  return { sql: sets.join(', '), params }
}
