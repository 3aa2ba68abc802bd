import { OptionCheck } from './option-check.js'
import { policyKindTable, policyKinds, type PolicyKind, type PolicyKindSpec, type PolicyNames, type PolicyOf } from './policy-kinds.js'
import type { TaskPolicyOptions } from './workflow-draft.js'
import type { TaskPolicies } from './workflow-graph.js'

/**
 * Validates a task's policy options and fills in defaults, kind by kind in the
 * order of the policy-kind table.
 *
 * @throws {@link InvalidOptionsError} naming the workflow, task and option, e.g.
 * `workflow "orders" task "charge": @Retry maxAttempts must be an integer ≥ 1, got 0`.
 */
export function normalizePolicies(workflow: string, task: string, options: TaskPolicyOptions, version = 1): TaskPolicies {
  const names: PolicyNames = { shared: `${workflow}.${task}`, versioned: `${workflow}@${version}.${task}` }
  return normalizePolicyOptions(`workflow "${workflow}" task "${task}"`, names, options)
}

/**
 * Validates policy options for whatever owns them (`where` starts each
 * refusal, e.g. `adapter "payments" operation "charge"`), with `names` as the
 * default names of shared policies: the one validation tasks and adapters share.
 */
export function normalizePolicyOptions(where: string, names: PolicyNames, options: TaskPolicyOptions): TaskPolicies {
  const check = new OptionCheck(where)
  const policies: Record<string, unknown> = {}
  for (const kind of policyKinds) policies[policyKindTable[kind].field] = normalizeKind(kind, check, options, names)
  return Object.freeze(policies) as unknown as TaskPolicies
}

function normalizeKind<K extends PolicyKind>(kind: K, check: OptionCheck, options: TaskPolicyOptions, names: PolicyNames): PolicyOf<K> | undefined {
  const authored = options[kind]
  if (authored === undefined) return undefined
  const spec: PolicyKindSpec<K> = policyKindTable[kind]
  return spec.normalize(check, authored, names)
}

/** Validates a loop's cap. */
export function checkLoopOptions(workflow: string, task: string, options: { while: unknown; maxIterations: unknown }): void {
  const check = new OptionCheck(`workflow "${workflow}" task "${task}"`)
  check.fn('@Loop while', options.while)
  check.integer('@Loop maxIterations', options.maxIterations, 1)
}
