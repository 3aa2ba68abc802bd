import { expectTypeOf, test } from 'vitest'
import { defineWorkflow } from 'weft-sdk'

test('builder infers dependency types', () => {
  defineWorkflow<{ n: number }>({ name: 'p', version: 1 })
    .task('a', (input) => input.n + 1)
    .task('b', { dependsOn: ['a'] }, (a) => {
      expectTypeOf(a).toEqualTypeOf<number>()
      return String(a)
    })
})
