import { describe, expectTypeOf, it } from 'vitest'
import { policyKindTable, type PolicyKind, type PolicyKindSpec } from '../../src/graph/policy-kinds.js'
import { policyWrappers, type PolicyWrapper } from '../../src/resilience/policy-wrappers.js'

describe('the policy-kind tables', () => {
  it('are keyed by exactly the kinds of TaskPolicyOptions', () => {
    expectTypeOf<PolicyKind>().toEqualTypeOf<'retry' | 'timeout' | 'circuitBreaker' | 'rateLimit' | 'cache' | 'bulkhead' | 'recover'>()
    expectTypeOf<keyof typeof policyKindTable>().toEqualTypeOf<PolicyKind>()
    expectTypeOf<keyof typeof policyWrappers>().toEqualTypeOf<PolicyKind>()
  })

  it('refuse a graph table that leaves a kind out', () => {
    const { bulkhead, ...withoutBulkhead } = policyKindTable
    void bulkhead
    // @ts-expect-error the bulkhead entry is missing
    const table: { readonly [K in PolicyKind]: PolicyKindSpec<K> } = withoutBulkhead
    void table
  })

  it('refuse a runtime table that leaves a kind out', () => {
    const { cache, ...withoutCache } = policyWrappers
    void cache
    // @ts-expect-error the cache wrapper is missing
    const wrappers: { readonly [K in PolicyKind]: PolicyWrapper<K> } = withoutCache
    void wrappers
  })

  it('refuse an entry whose label reads the wrong compiled policy', () => {
    const spec: PolicyKindSpec<'timeout'> = {
      ...policyKindTable.timeout,
      // @ts-expect-error a timeout compiles to milliseconds, not a retry policy
      label: (policy: { maxAttempts: number }) => `${policy.maxAttempts}`,
    }
    void spec
  })
})
