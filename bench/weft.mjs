// Weft: the shape built with `defineWorkflow`, run by an engine with an
// in-memory store (`MemoryWorkflowStore`, set explicitly: the default store is
// a SQLite file). A fresh engine per runner keeps the store from growing
// across repetitions. The store keeps values by reference (`serialization:
// 'off'`): these figures measure the engine itself, and stay comparable with
// those taken before the memory store serialized values by default.

import { MemoryWorkflowStore, createEngine, defineWorkflow } from '../dist/index.js'

/** Builds the workflow definition of a shape; tasks are named t0, t1, … */
export function define(shape, work, label = shape.name) {
  let builder = defineWorkflow({ name: `bench ${label}`, version: 1 })
  shape.deps.forEach((deps, i) => {
    builder = deps.length === 0 ? builder.task(`t${i}`, work) : builder.task(`t${i}`, { dependsOn: deps.map((d) => `t${d}`) }, work)
  })
  return builder.build()
}

/** Returns a runner: `run` executes one run of the workflow (it throws unless the run completed). */
export function prepare(shape, work, workflow = define(shape, work)) {
  const engine = createEngine({ store: new MemoryWorkflowStore({ serialization: 'off' }) })
  engine.register(workflow)
  return {
    run: () => engine.run(workflow),
    close: () => engine.close(),
  }
}
