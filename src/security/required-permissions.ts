// A required permission (`@RequiresPermission('refund:payments')`) as the authorization request it makes.
import { InvalidPermissionError } from '../core/security-errors.js'
import { parsePermission } from './permissions.js'
import type { AccessRequest } from './ports.js'

/**
 * The request a required permission makes of the authorizer: `refund:payments`
 * asks for action `refund` on resource `payments`. A requirement names one
 * action on one resource: wildcards are for granting, not for requiring.
 * @throws `InvalidPermissionError` for a malformed permission or one with a wildcard.
 */
export function requiredAccess(permission: string): AccessRequest {
  let request = parsedRequirements.get(permission)
  if (request === undefined) {
    request = parseRequirement(permission)
    parsedRequirements.set(permission, request)
  }
  return request
}

/** Requirements come from workflow definitions: few, and checked before every task that has them. */
const parsedRequirements = new Map<string, AccessRequest>()

function parseRequirement(permission: string): AccessRequest {
  const parsed = parsePermission(permission)
  if (parsed.action.kind !== 'exact' || parsed.resource.kind !== 'exact') {
    throw new InvalidPermissionError(permission, 'a required permission names one action on one resource; wildcards only grant (write e.g. "refund:payments")')
  }
  return Object.freeze({ action: parsed.action.name, resource: parsed.resource.name })
}
