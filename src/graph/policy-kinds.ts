import type { OptionCheck } from './option-check.js'
import {
  normalizeBreaker,
  normalizeBulkhead,
  normalizeCache,
  normalizeRateLimit,
  normalizeRetry,
  positiveTimeout,
} from './policy-normalizers.js'
import { normalizeRecover } from './recovery-normalizer.js'
import type { TaskPolicyOptions } from './workflow-draft.js'
import type { TaskPolicies } from './workflow-graph.js'

/**
 * The kinds of task policy, one per key of {@link TaskPolicyOptions}: what
 * `@Task(options)` and `defineWorkflow`'s task options accept, and what each
 * policy decorator sets.
 */
export type PolicyKind = keyof TaskPolicyOptions

/**
 * The field of {@link TaskPolicies} a kind fills: the kind's own name, except
 * `timeout`, whose compiled value is a number of milliseconds (`timeoutMs`).
 */
export type PolicyField<K extends PolicyKind> = K extends 'timeout' ? 'timeoutMs' : K

/** The options an author writes for policy kind `K`. */
export type PolicyOptionsOf<K extends PolicyKind> = NonNullable<TaskPolicyOptions[K]>

/** The compiled, validated policy of kind `K`, as the graph carries it. */
export type PolicyOf<K extends PolicyKind> = NonNullable<TaskPolicies[PolicyField<K>]>

/** Names a policy gets when its options name none. */
export interface PolicyNames {
  /** `'<workflow>.<task>'`: the default name of a circuit, limiter or bulkhead shared across runs. */
  readonly shared: string
  /** `'<workflow>@<version>.<task>'`: for state that must not outlive a version (cached results). */
  readonly versioned: string
}

/** Everything the graph layer knows of one policy kind. */
export interface PolicyKindSpec<K extends PolicyKind> {
  /** The decorator that sets it, as messages name it: `'@Retry'`. */
  readonly decorator: string
  /** The field of {@link TaskPolicies} its compiled policy goes to. */
  readonly field: PolicyField<K>
  /** Validates the authored options and fills in defaults; throws `InvalidOptionsError`. */
  readonly normalize: (check: OptionCheck, options: PolicyOptionsOf<K>, names: PolicyNames) => PolicyOf<K>
  /** A short label for diagrams (`toMermaid`): `'retry ×5'`. */
  readonly label: (policy: PolicyOf<K>) => string
  /**
   * For a policy shared by its `name` across the engine's tasks, the noun
   * messages call it (`'circuit breaker'`); tasks sharing one must configure
   * it alike. Absent for a policy of one task.
   */
  readonly sharedAs?: PolicyOf<K> extends { readonly name: string } ? string : never
}

/**
 * The one table of policy kinds for the authoring and graph layers. A new
 * kind is a key of {@link TaskPolicyOptions} and a field of
 * {@link TaskPolicies}; the compiler then demands its entry here and its
 * runtime wrapper in `resilience/policy-wrappers.ts`. The order of the keys is
 * the order options are validated in and labels are shown in, not the order
 * policies are composed in (that is the runtime's).
 */
export const policyKindTable: { readonly [K in PolicyKind]: PolicyKindSpec<K> } = {
  retry: {
    decorator: '@Retry',
    field: 'retry',
    normalize: (check, options) => normalizeRetry(check, options),
    label: (policy) => `retry ×${policy.maxAttempts}`,
  },
  timeout: {
    decorator: '@Timeout',
    field: 'timeoutMs',
    normalize: (check, timeout) => positiveTimeout(check, timeout),
    label: (ms) => `timeout ${ms} ms`,
  },
  circuitBreaker: {
    decorator: '@CircuitBreaker',
    field: 'circuitBreaker',
    normalize: (check, options, names) => normalizeBreaker(check, options, names.shared),
    label: (policy) => `breaker ${policy.name}`,
    sharedAs: 'circuit breaker',
  },
  rateLimit: {
    decorator: '@RateLimit',
    field: 'rateLimit',
    normalize: (check, options, names) => normalizeRateLimit(check, options, names.shared),
    label: (policy) => `rate ${policy.limit}/${policy.windowMs} ms`,
    sharedAs: 'rate limit',
  },
  cache: {
    decorator: '@Cache',
    field: 'cache',
    // Cached results belong to one version: a new version may compute them differently.
    normalize: (check, options, names) => normalizeCache(check, options, names.versioned),
    label: (policy) => `cache ${policy.ttlMs} ms`,
  },
  bulkhead: {
    decorator: '@Bulkhead',
    field: 'bulkhead',
    normalize: (check, options, names) => normalizeBulkhead(check, options, names.shared),
    label: (policy) => `bulkhead ${policy.maxConcurrent}`,
    sharedAs: 'bulkhead',
  },
  recover: {
    decorator: '@Recover',
    field: 'recover',
    normalize: (check, options, names) => normalizeRecover(check, options, names.shared),
    label: (policy) => `recover ${Object.keys(policy.strategies).join(', ')}`,
  },
}

/** Every policy kind, in the table's order. */
export const policyKinds = Object.freeze(Object.keys(policyKindTable)) as readonly PolicyKind[]

/** The compiled policy of kind `kind` a task carries, if any. */
export function policyOf<K extends PolicyKind>(policies: TaskPolicies, kind: K): PolicyOf<K> | undefined {
  return policies[policyKindTable[kind].field as PolicyField<K>] as PolicyOf<K> | undefined
}

/**
 * Whether a task carries any policy at all. Asked twice on every task's
 * start, so it reads each field by name (about 2 ns a call) instead of looping
 * over the table's fields (about 46 ns: keyed reads of six names go
 * megamorphic). A test asks it about a task with each kind of the table
 * alone, so a kind missing here fails that test.
 */
export function hasAnyPolicy(p: TaskPolicies): boolean {
  return (
    p.retry !== undefined ||
    p.timeoutMs !== undefined ||
    p.circuitBreaker !== undefined ||
    p.rateLimit !== undefined ||
    p.cache !== undefined ||
    p.bulkhead !== undefined ||
    p.recover !== undefined
  )
}

/** A policy of a task that is shared by name across the engine (see {@link PolicyKindSpec.sharedAs}). */
export interface SharedPolicy {
  /** What messages call it: `'circuit breaker'`. */
  readonly noun: string
  /** The name tasks share it by. */
  readonly name: string
  /** Its compiled settings, which every task sharing it must repeat. */
  readonly policy: object
}

/** The policies of a task shared by name across the engine, in the table's order. */
export function sharedPoliciesOf(policies: TaskPolicies): SharedPolicy[] {
  return policyKinds.flatMap((kind) => {
    const noun = policyKindTable[kind].sharedAs
    const policy = policyOf(policies, kind)
    // A kind with `sharedAs` compiles to an object with a `name` (the spec's type says so).
    return noun === undefined || policy === undefined ? [] : [{ noun, name: (policy as { readonly name: string }).name, policy: policy as object }]
  })
}

/**
 * Each field of {@link TaskPolicies} is filled by exactly one kind: a field
 * added without a kind (or the reverse) fails to compile here, naming it.
 */
type UnfilledField = Exclude<keyof TaskPolicies, PolicyField<PolicyKind>>
type FieldOfNoPolicy = Exclude<PolicyField<PolicyKind>, keyof TaskPolicies>
const everyPolicyFieldHasAKind: [UnfilledField, FieldOfNoPolicy] extends [never, never] ? true : [UnfilledField, FieldOfNoPolicy] = true
void everyPolicyFieldHasAKind

/** Policy options, each kind's writable (what decorators record as they run). */
export type PolicyOptionSlots = { -readonly [K in PolicyKind]: TaskPolicyOptions[K] | undefined }

/** Every kind's slot, empty. */
export function emptyPolicyOptions(): PolicyOptionSlots {
  const slots = {} as PolicyOptionSlots
  for (const kind of policyKinds) slots[kind] = undefined
  return slots
}

/**
 * The policy options `source` carries, one per kind and nothing else (a
 * task's options also hold its dependencies and description).
 *
 * @example
 * ```ts
 * pickPolicyOptions({ retry: { maxAttempts: 3 }, dependsOn: ['load'] }) // { retry: { maxAttempts: 3 } }
 * ```
 */
export function pickPolicyOptions(source: TaskPolicyOptions): TaskPolicyOptions {
  const picked: Partial<PolicyOptionSlots> = {}
  for (const kind of policyKinds) if (source[kind] !== undefined) picked[kind] = source[kind] as never
  return picked
}
