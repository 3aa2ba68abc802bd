import { CycleError } from '../core/errors.js'

/**
 * Orders nodes so that every node comes after the nodes it depends on,
 * keeping declaration order among independent nodes (Kahn's algorithm).
 *
 * @param edges - `edges[i]` lists the indices node `i` depends on.
 * @throws {@link CycleError} naming the full cycle, e.g. `fetch → score → fetch`.
 */
export function topologicalOrder(workflow: string, names: readonly string[], edges: readonly (readonly number[])[]): number[] {
  const indegree = edges.map((dependencies) => dependencies.length)
  const dependents: number[][] = names.map(() => [])
  edges.forEach((dependencies, node) => dependencies.forEach((dependency) => dependents[dependency]!.push(node)))
  const order: number[] = []
  const ready = indegree.flatMap((degree, node) => (degree === 0 ? [node] : []))
  for (let head = 0; head < ready.length; head++) {
    const node = ready[head]!
    order.push(node)
    for (const dependent of dependents[node]!) if (--indegree[dependent]! === 0) ready.push(dependent)
  }
  if (order.length < names.length) throw new CycleError(workflow, findCycle(names, edges))
  return order
}

/** Finds one cycle by iterative depth-first search; returns its names, first repeated at the end. */
function findCycle(names: readonly string[], edges: readonly (readonly number[])[]): string[] {
  const state = new Uint8Array(names.length) // 0 unvisited, 1 on the stack, 2 done
  for (let root = 0; root < names.length; root++) {
    if (state[root] !== 0) continue
    const stack = [root]
    const nextEdge = [0]
    state[root] = 1
    while (stack.length > 0) {
      const node = stack[stack.length - 1]!
      const edge = nextEdge[nextEdge.length - 1]!
      if (edge === edges[node]!.length) {
        state[node] = 2
        stack.pop()
        nextEdge.pop()
        continue
      }
      nextEdge[nextEdge.length - 1] = edge + 1
      const next = edges[node]![edge]!
      if (state[next] === 1) {
        // Edges point from a task to what it depends on: reverse for execution order.
        const cycle = stack.slice(stack.indexOf(next)).concat(next).reverse()
        return cycle.map((index) => names[index]!)
      }
      if (state[next] === 0) {
        state[next] = 1
        stack.push(next)
        nextEdge.push(0)
      }
    }
  }
  return []
}
