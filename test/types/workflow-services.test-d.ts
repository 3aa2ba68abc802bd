/**
 * Compile-time checks of a definition's services: declared once with
 * `.services({...})`, each task's `ctx.services` is typed by the tokens
 * (a class gives its instances, `token<T>()` gives `T`), with no cast.
 */
import { describe, expectTypeOf, test } from 'vitest'
import { defineWorkflow, token, type LoopContext, type ServiceToken, type TaskContext } from 'weft-sdk'

class PriceList {
  price(sku: string): number {
    return sku.length
  }
}
abstract class Ledger {
  abstract book(amount: number): void
}
interface Mailer {
  send(to: string): Promise<void>
}
const MailerToken = token<Mailer>(Symbol('Mailer'))

describe('a definition with services', () => {
  test('every kind of task receives ctx.services typed by the tokens', () => {
    defineWorkflow<{ sku: string }>({ name: 'typed-services', version: 1 })
      .services({ prices: PriceList, ledger: Ledger, mailer: MailerToken })
      .task('price', (input, ctx) => {
        expectTypeOf(ctx.services).toEqualTypeOf<{ readonly prices: PriceList; readonly ledger: Ledger; readonly mailer: Mailer }>()
        expectTypeOf(ctx).toExtend<TaskContext<{ sku: string }>>()
        return ctx.services.prices.price(input.sku)
      })
      .task('book', { dependsOn: ['price'] }, (price, ctx) => {
        expectTypeOf(price).toEqualTypeOf<number>()
        ctx.services.ledger.book(price)
        return ctx.services.mailer.send('a@example.com')
      })
      .loop('count', { dependsOn: ['price'], while: (n) => n < 3, maxIterations: 5 }, (n, ctx) => {
        expectTypeOf(ctx).toExtend<LoopContext<{ sku: string }>>()
        expectTypeOf(ctx.services.prices).toEqualTypeOf<PriceList>()
        return n + 1
      })
      .onFailure('onPriceFailed', 'price', (_failure, ctx) => ctx.services.mailer.send('ops@example.com'))
      .always('cleanUp', (_input, ctx) => expectTypeOf(ctx.services.ledger).toEqualTypeOf<Ledger>())
      .build()
  })

  test('token<T>() keeps its key and carries T', () => {
    expectTypeOf(token<Mailer>('Mailer')).toEqualTypeOf<ServiceToken<Mailer>>()
    expectTypeOf(token<Mailer>('Mailer')).toExtend<string | symbol>()
  })

  test('a definition without services has the plain context', () => {
    defineWorkflow<{ sku: string }>({ name: 'no-services', version: 1 }).task('price', (_input, ctx) => {
      expectTypeOf(ctx).toEqualTypeOf<TaskContext<{ sku: string }>>()
    })
  })
})

describe('the wrong program does not compile', () => {
  test('a service that was not declared', () => {
    defineWorkflow({ name: 'undeclared', version: 1 })
      .services({ prices: PriceList })
      // @ts-expect-error mailer is not a declared service
      .task('send', (_input, ctx) => ctx.services.mailer)
  })

  test('a plain string is not a typed token: token<T>() says what it holds', () => {
    // @ts-expect-error a string names no type: wrap it in token<Mailer>('Mailer')
    defineWorkflow({ name: 'untyped', version: 1 }).services({ mailer: 'Mailer' })
  })

  test('a service used as another type', () => {
    defineWorkflow({ name: 'misused', version: 1 })
      .services({ prices: PriceList })
      // @ts-expect-error PriceList has no send method
      .task('send', (_input, ctx) => ctx.services.prices.send())
  })

  test('services declared after a task, or twice', () => {
    // @ts-expect-error services come before the first task
    defineWorkflow({ name: 'late', version: 1 }).task('a', () => 1).services({ prices: PriceList })
    // @ts-expect-error services are declared once
    defineWorkflow({ name: 'twice', version: 1 }).services({ prices: PriceList }).services({ ledger: Ledger })
  })
})
