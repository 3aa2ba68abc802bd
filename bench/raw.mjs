// The baseline: the same graph with plain Promises, one promise per node that
// awaits its dependencies' promises, then calls the task.

import { sinks } from './shapes.mjs'

/** Returns a runner: `run` executes the whole graph once. */
export function prepare(shape, work) {
  const { deps } = shape
  const n = deps.length
  const outputs = sinks(shape)
  return {
    run: async () => {
      const promises = new Array(n)
      for (let i = 0; i < n; i++) promises[i] = node(deps[i], promises, work)
      for (const o of outputs) await promises[o]
    },
    close: async () => {},
  }
}

async function node(deps, promises, work) {
  const args = new Array(deps.length)
  for (let j = 0; j < deps.length; j++) args[j] = await promises[deps[j]]
  return work(...args)
}
