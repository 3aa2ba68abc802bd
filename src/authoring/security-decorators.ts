// The task decorator of the security layer: what a run's principal must hold for a task to execute.
import { InvalidWorkflowError } from '../core/errors.js'
import { methodFacts } from './metadata.js'

/**
 * Requires permissions (`action:resource`, see `parsePermission`) of the
 * run's principal for the task to execute. A secured engine checks them when
 * the run is started (a principal that lacks one starts nothing) and again
 * before the task executes, against the principal recorded with the run (a
 * run resumed by another worker, after its starter lost a role, fails the
 * task with `AuthorizationError`). Without security configured it has no
 * effect. Stacks: several decorators add up. `defineWorkflow`'s twin is the
 * task option `requires`.
 *
 * @example
 * ```ts
 * import { RequiresPermission, Task, Workflow, WorkflowBase } from 'weft-sdk'
 *
 * @Workflow({ name: 'refunds', version: 1, requires: ['start:refunds'] })
 * class Refunds extends WorkflowBase<{ orderId: string }> {
 *   @Task() @RequiresPermission('refund:payments')
 *   refund(input: { orderId: string }) { return `refunded ${input.orderId}` }
 * }
 * ```
 * @throws `InvalidWorkflowError` (when the class is defined) for an empty list or a permission that is not a non-empty string.
 */
export function RequiresPermission(...permissions: string[]) {
  return (target: object, key: string, descriptor: PropertyDescriptor): void => {
    void descriptor
    if (permissions.length === 0 || permissions.some((p) => typeof p !== 'string' || p.length === 0)) {
      throw new InvalidWorkflowError(`method "${key}" of ${target.constructor.name}: @RequiresPermission needs one or more permissions such as "charge:payments"`)
    }
    methodFacts(target, key, '@RequiresPermission').requires.push(...permissions)
  }
}
