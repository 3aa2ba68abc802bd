import { describeCause, isWeftError, unprintable } from '../core/errors.js'
import type { ErrorRecord } from '../storage/workflow-store.js'

/**
 * Describes any thrown value as a serializable {@link ErrorRecord}. Never
 * throws, whatever was thrown (an object without a prototype, a throwing
 * `toString`, `name` or `code` getter, a revoked Proxy): recording a failure
 * must not fail.
 */
export function toErrorRecord(error: unknown, task?: string): ErrorRecord {
  const record = { name: nameOf(error), message: describeCause(error), code: codeOf(error) }
  return task === undefined ? record : { ...record, task }
}

function nameOf(error: unknown): string {
  try {
    if (error instanceof Error) return typeof error.name === 'string' ? error.name : 'Error'
  } catch {
    return unprintable(error)
  }
  return error === null ? 'null' : typeof error
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  try {
    const code = isWeftError(error) ? error.code : (error as { code?: unknown }).code
    return typeof code === 'string' ? code : undefined
  } catch {
    return undefined
  }
}
