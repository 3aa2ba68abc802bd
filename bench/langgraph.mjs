// LangGraph.js contenders, with the same no-op work and no checkpointer.
// This module must be loaded with a dynamic import() only after Weft and raw
// have been measured: LangGraph uses AsyncLocalStorage, which on Node 20
// slows every later await in the process.

import { setMaxListeners } from 'node:events'
import { createRequire } from 'node:module'
import { Annotation, END, START, StateGraph, entrypoint, task } from '@langchain/langgraph'
import { sinks } from './shapes.mjs'

// LangGraph adds one abort listener per running node to the run's signal;
// without this, wide graphs print a MaxListenersExceededWarning per node.
setMaxListeners(0)

export const version = createRequire(import.meta.url)('@langchain/langgraph/package.json').version

const State = Annotation.Root({
  n: Annotation({ reducer: (a, b) => a + b, default: () => 0 }),
})

// The default recursion limit (25 supersteps) is far below a 1,000-node chain.
const invokeConfig = { recursionLimit: 1_000_000 }

/** StateGraph: a node per task, an edge per dependency (a multi-dependency join waits for all of them). */
export const stateGraph = {
  name: 'LangGraph StateGraph',
  compile(shape, work) {
    const graph = new StateGraph(State)
    const node = async () => {
      await work()
      return {}
    }
    shape.deps.forEach((_, i) => graph.addNode(`n${i}`, node))
    shape.deps.forEach((deps, i) => {
      if (deps.length === 0) graph.addEdge(START, `n${i}`)
      else if (deps.length === 1) graph.addEdge(`n${deps[0]}`, `n${i}`)
      else graph.addEdge(deps.map((d) => `n${d}`), `n${i}`)
    })
    for (const s of sinks(shape)) graph.addEdge(`n${s}`, END)
    return graph.compile()
  },
  prepare(shape, work, app = this.compile(shape, work)) {
    return { run: () => app.invoke({}, invokeConfig), close: async () => {} }
  },
}

/** Functional API: an entrypoint that calls a `task` per node, each once its dependencies' promises resolved. */
export const functional = {
  name: 'LangGraph functional',
  compile(shape, work) {
    const tasks = shape.deps.map((_, i) => task(`n${i}`, work))
    const outputs = sinks(shape)
    const { deps } = shape
    return entrypoint(`bench ${shape.name}`, async () => {
      const promises = new Array(deps.length)
      for (let i = 0; i < deps.length; i++) {
        const ds = deps[i]
        promises[i] = ds.length === 0 ? tasks[i]() : Promise.all(ds.map((d) => promises[d])).then((args) => tasks[i](...args))
      }
      for (const o of outputs) await promises[o]
      return null
    })
  },
  prepare(shape, work, app = this.compile(shape, work)) {
    return { run: () => app.invoke({}, invokeConfig), close: async () => {} }
  },
}
