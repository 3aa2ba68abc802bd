import { describe, expectTypeOf, it } from 'vitest'
import { CycleError, isWeftError, type WeftError, type WeftErrorCode } from 'weft-sdk'

/** What an application might do per code: every code needs an answer. */
function advice(code: WeftErrorCode): string {
  switch (code) {
    case 'WEFT_CYCLE':
    case 'WEFT_UNKNOWN_DEPENDENCY':
    case 'WEFT_DUPLICATE_TASK':
    case 'WEFT_EMPTY_WORKFLOW':
    case 'WEFT_INVALID_OPTIONS':
    case 'WEFT_INVALID_WORKFLOW':
    case 'WEFT_INVALID_RESULT':
      return 'fix the workflow definition'
    case 'WEFT_INVALID_INPUT':
    case 'WEFT_INVALID_EVENT_PAYLOAD':
      return 'fix the input'
    case 'WEFT_TASK_TIMEOUT':
    case 'WEFT_CIRCUIT_OPEN':
    case 'WEFT_RATE_LIMITED':
    case 'WEFT_BULKHEAD_FULL':
    case 'WEFT_EVENT_TIMEOUT':
      return 'try again later'
    case 'WEFT_UNINSPECTABLE_THROW':
    case 'WEFT_CONTEXT_CLOSED':
    case 'WEFT_MAP_ITEMS_FAILED':
    case 'WEFT_FALLBACK_FAILED':
    case 'WEFT_RUN_CANCELLED':
    case 'WEFT_RUN_FAILED':
    case 'WEFT_WORKFLOW_NOT_REGISTERED':
    case 'WEFT_RUN_NOT_FOUND':
    case 'WEFT_NO_OUTPUT':
    case 'WEFT_ENGINE_CLOSED':
    case 'WEFT_RUN_FINISHED':
    case 'WEFT_WRONG_WORKFLOW':
    case 'WEFT_RUN_CONFLICT':
    case 'WEFT_LEASE_LOST':
    case 'WEFT_RECORDED_PAYLOAD_UNDECODABLE':
      return 'look at the run'
    case 'WEFT_STORAGE':
    case 'WEFT_NOT_A_WEFT_DATABASE':
    case 'WEFT_NEWER_SCHEMA':
    case 'WEFT_SERIALIZATION':
    case 'WEFT_PAYLOAD_TOO_LARGE':
    case 'WEFT_SQLITE_DRIVER_MISSING':
    case 'WEFT_INVALID_STEP_PATH':
      return 'look at the store'
    case 'WEFT_HTTP_STATUS':
    case 'WEFT_HTTP_NETWORK':
    case 'WEFT_HTTP_DECODE':
    case 'WEFT_HTTP_RESPONSE_TOO_LARGE':
    case 'WEFT_ADAPTER_CLOSED':
    case 'WEFT_LLM_RESPONSE':
    case 'WEFT_LLM_OUTPUT':
    case 'WEFT_BUDGET_EXCEEDED':
    case 'WEFT_OBJECT_NOT_FOUND':
    case 'WEFT_OBJECT_KEY_INVALID':
    case 'WEFT_OBJECT_METADATA_INVALID':
    case 'WEFT_OBJECT_CHECKSUM_MISMATCH':
    case 'WEFT_OBJECT_ACCESS_DENIED':
    case 'WEFT_OBJECT_DECODE':
    case 'WEFT_OBJECT_STORAGE_IO':
    case 'WEFT_SQL_CONNECTION':
    case 'WEFT_SQL_TRANSIENT':
    case 'WEFT_SQL_CONSTRAINT':
    case 'WEFT_SQL_STATEMENT':
    case 'WEFT_SQL_DRIVER_MISSING':
    case 'WEFT_AMQP_UNAVAILABLE':
    case 'WEFT_AMQP_PUBLISH':
    case 'WEFT_AMQP_TOPOLOGY':
    case 'WEFT_AMQP_INVALID_MESSAGE':
    case 'WEFT_AMQP_START_EXHAUSTED':
    case 'WEFT_OUTBOX_UNAVAILABLE':
    case 'WEFT_OUTBOX_PAYLOAD':
      return 'look at the adapter and its server'
    case 'WEFT_INVALID_PRINCIPAL':
    case 'WEFT_UNAUTHENTICATED':
    case 'WEFT_FORBIDDEN':
    case 'WEFT_INVALID_PERMISSION':
    case 'WEFT_SECURITY_CONFIG':
    case 'WEFT_DECRYPTION_FAILED':
    case 'WEFT_UNKNOWN_KEY':
    case 'WEFT_AUDIT_TAMPERED':
      return 'look at the credentials, permissions and keys'
    case 'WEFT_CLI_USAGE':
    case 'WEFT_CLI_FAILED':
      return 'read the command line help'
    case 'WEFT_METRICS_UNAVAILABLE':
      return 'enable metrics or use a store with a history'
    case 'WEFT_INVALID_ALERT':
    case 'WEFT_ALERT_DELIVERY':
      return 'fix the alert rules or the sink'
    default:
      return unreachable(code)
  }
}

/** Compiles only when every case above was handled. */
function unreachable(code: never): never {
  throw new Error(`unhandled code ${String(code)}`)
}

/** Forgets the command line's codes: the compiler must notice. */
function adviceMissingCliCodes(code: WeftErrorCode): string {
  switch (code) {
    case 'WEFT_CLI_USAGE':
      return 'read the command line help'
    default:
      // @ts-expect-error every other code falls through here, so `code` is not `never`
      return unreachable(code)
  }
}

describe('WeftErrorCode', () => {
  it('makes a switch over WeftError.code exhaustive', () => {
    expectTypeOf(advice).parameter(0).toEqualTypeOf<WeftErrorCode>()
    expectTypeOf(adviceMissingCliCodes).returns.toBeString()
  })

  it('is the type of every WeftError.code, and each class carries its literal', () => {
    expectTypeOf<WeftError['code']>().toEqualTypeOf<WeftErrorCode>()
    expectTypeOf<CycleError['code']>().toEqualTypeOf<'WEFT_CYCLE'>()
    const error: unknown = undefined
    if (isWeftError(error)) expectTypeOf(error.code).toEqualTypeOf<WeftErrorCode>()
  })

  it('rejects a code that is not in the union', () => {
    // @ts-expect-error 'WEFT_TYPO' is not a WeftErrorCode
    const code: WeftErrorCode = 'WEFT_TYPO'
    void code
  })
})
