import { isWeftError } from '../core/errors.js'
import type { ErrorRecord } from '../storage/workflow-store.js'

/** Describes any thrown value as a serializable {@link ErrorRecord}. */
export function toErrorRecord(error: unknown, task?: string): ErrorRecord {
  const record = {
    name: error instanceof Error ? error.name : typeof error,
    message: error instanceof Error ? error.message : String(error),
    code: isWeftError(error) ? error.code : codeOf(error),
  }
  return task === undefined ? record : { ...record, task }
}

function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : undefined
}
