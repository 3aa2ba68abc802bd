/**
 * The program of the throwaway app built by `installed-package.test.ts`: a user's
 * code, compiled with the app's own `tsc` against Weft as installed from its
 * tarball, and run with node.
 *
 * `Schema` and `injectable` come from the APP's `effect` and `tsyringe`. If Weft
 * carried its own copies, `@Workflow({ input })` would not type-check and the
 * valid input below would be rejected at run time, and `PriceList`'s
 * `@injectable()` would be unknown to the engine's container.
 *
 * It prints one JSON line, a {@link Report}, and exits with code 1 on anything
 * unexpected. The repository type-checks this file too (against `src/`).
 */
import 'reflect-metadata'
import { Schema } from 'effect'
import { injectable } from 'tsyringe'
import { DependsOn, InputValidationError, Task, Workflow, WorkflowBase, createEngine, sqliteStore } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'
import type { Verdict } from 'weft-sdk/types'

const QuoteInput = Schema.Struct({ customer: Schema.NonEmptyString, skus: Schema.Array(Schema.NonEmptyString) })
type QuoteInput = typeof QuoteInput.Type

/** Registered by value on the engine's container. */
export class Currency {
  constructor(readonly code: string) {}
}

/** Resolved by the engine's container through the app's `@injectable()`, with a `Currency` injected. */
@injectable()
export class PriceList {
  constructor(private readonly currency: Currency) {}

  priceOf(sku: string): number {
    return sku.length * 10
  }

  format(amount: number): string {
    return `${amount} ${this.currency.code}`
  }
}

/** What `price` returns. */
export interface Priced {
  readonly customer: string
  readonly total: number
}

@Workflow({ name: 'quote', version: 1, input: QuoteInput })
export class Quote extends WorkflowBase<QuoteInput> {
  constructor(private readonly prices: PriceList) {
    super()
  }

  @Task()
  price(input: QuoteInput): Priced {
    return { customer: input.customer, total: input.skus.reduce((sum, sku) => sum + this.prices.priceOf(sku), 0) }
  }

  @DependsOn('price')
  label(priced: Priced): string {
    return `${priced.customer}: ${this.prices.format(priced.total)}`
  }
}

/** `true` only when `A` and `B` are the same type (`any` is not `string`). */
type IsExactly<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

/** What the program prints. */
export interface Report {
  readonly total: number
  readonly label: string
  readonly invalid: { readonly isInputValidationError: boolean; readonly code?: string; readonly paths?: readonly string[] }
}

const databasePath = process.argv[2]
if (databasePath === undefined) throw new Error('usage: node dist/main.js <sqlite file>')
const store: WorkflowStore = sqliteStore({ path: databasePath })
const engine = createEngine({ store })
engine.container.register(Currency, { useValue: new Currency('EUR') })
try {
  const result = await engine.run(Quote, { customer: 'ada', skus: ['kettle', 'mug'] })
  const label = result.output('label')
  const total = result.output('price').total
  const labelIsString: IsExactly<typeof label, string> = true
  const totalIsNumber: IsExactly<typeof total, number> = true

  let invalid: Report['invalid']
  try {
    await engine.run(Quote, { customer: '', skus: ['kettle'] })
    invalid = { isInputValidationError: false }
  } catch (error) {
    invalid =
      error instanceof InputValidationError
        ? { isInputValidationError: true, code: error.code, paths: error.issues.map((issue) => issue.path) }
        : { isInputValidationError: false, code: String(error) }
  }

  const report: Report = { total, label, invalid }
  console.log(JSON.stringify(report))
  if (!labelIsString || !totalIsNumber) process.exitCode = 1
} finally {
  await engine.close()
  await store.close()
}

/** Never called: the input type comes from the app's `Schema`, so a wrong input must not compile. */
export async function wrongInput(): Promise<void> {
  // @ts-expect-error `customer` must be a string
  await engine.run(Quote, { customer: 42, skus: [] })
}

/**
 * A decorator kept in an exported constant: its declaration names the type
 * machinery, which the app's `tsc` (declarations on) must reach through
 * `weft/types`, imported above.
 */
export const dependsOnPrice = DependsOn('price')

/** A strict `@Task()` kept in a constant: its declaration names the slots the check compares (`InputSlot`, `ContextSlot`). */
export const rootTask = Task()

/** What a passing check of a decorator resolves to. */
export type Passed = Verdict<true>
