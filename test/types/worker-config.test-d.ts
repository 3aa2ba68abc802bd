/** Compile-time checks of `defineWorkerConfig`: register(container) gets the tsyringe container; a resolver excludes it. */
import { describe, expectTypeOf, test } from 'vitest'
import { defineWorkflow, type Engine, type WorkflowResolver } from 'weft-sdk'
import { defineWorkerConfig } from '../../src/cli/index.js'

const Hello = defineWorkflow({ name: 'hello', version: 1 }).task('greet', () => 'hi').build()
declare const resolver: WorkflowResolver

describe('defineWorkerConfig', () => {
  test('register receives the engine container', () => {
    defineWorkerConfig({
      workflows: [Hello],
      register(container) {
        expectTypeOf(container).toEqualTypeOf<Engine['container']>()
      },
      leaseDuration: '1 m',
    })
  })

  test('a resolver without register compiles', () => {
    defineWorkerConfig({ workflows: [Hello], resolver })
  })

  test('wrong configurations do not compile', () => {
    // @ts-expect-error register puts services in the tsyringe container, which a custom resolver replaces
    defineWorkerConfig({ workflows: [Hello], resolver, register: () => undefined })
    // @ts-expect-error workflows are required
    defineWorkerConfig({ register: () => undefined })
    // @ts-expect-error not a workflow
    defineWorkerConfig({ workflows: [42] })
    // @ts-expect-error the store is the command line's (--database)
    defineWorkerConfig({ workflows: [Hello], store: undefined })
  })
})
