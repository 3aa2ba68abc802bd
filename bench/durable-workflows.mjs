// Workflows of the durable benchmarks, shared by the measuring process and
// the worker processes (a worker must register the same name and version).
// Tasks are no-ops that count their calls and add 1 to their input, so the
// output of the last task tells whether every task ran in order.

import { defineWorkflow } from '../dist/index.js'

/** A task body: counts the call, returns its input + 1. */
function step(counter) {
  return async (x) => {
    counter.calls++
    return x + 1
  }
}

/** `n` tasks t0 → t1 → … → t(n-1); with input 0 the last task returns n. */
export function chainWorkflow(n, counter, name = `bench durable chain ${n}`) {
  let builder = defineWorkflow({ name, version: 1 }).task('t0', step(counter))
  for (let i = 1; i < n; i++) builder = builder.task(`t${i}`, { dependsOn: [`t${i - 1}`] }, step(counter))
  return { workflow: builder.build(), name, tasks: n, last: `t${n - 1}`, expected: (input) => input + n }
}

/**
 * A source, `width` tasks depending on it (they finish together), and a join
 * of them all; with input 0 the join returns `width` × 2.
 */
export function fanOutWorkflow(width, counter, name = `bench durable fan-out ${width}`) {
  let builder = defineWorkflow({ name, version: 1 }).task('source', step(counter))
  const workers = []
  for (let k = 0; k < width; k++) {
    builder = builder.task(`w${k}`, { dependsOn: ['source'] }, step(counter))
    workers.push(`w${k}`)
  }
  builder = builder.task('join', { dependsOn: workers }, async (...args) => {
    counter.calls++
    let sum = 0
    for (let k = 0; k < width; k++) sum += args[k]
    return sum
  })
  return { workflow: builder.build(), name, tasks: width + 2, last: 'join', expected: (input) => (input + 2) * width }
}
