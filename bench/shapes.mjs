// Graph shapes shared by every contender. A shape is a list of nodes in
// topological order; `deps[i]` holds the indices of the nodes node i waits for.

/** A chain: node i depends on node i - 1. */
export function chain(n) {
  const deps = Array.from({ length: n }, (_, i) => (i === 0 ? [] : [i - 1]))
  return { name: `chain ${n}`, kind: 'chain', deps }
}

/** One source, `width` parallel nodes that depend on it, and a join that depends on them all. */
export function fanOut(width) {
  const workers = Array.from({ length: width }, (_, k) => k + 1)
  const deps = [[], ...workers.map(() => [0]), workers]
  return { name: `fan-out ${width} + join`, kind: 'fan-out', deps }
}

/**
 * `layers` layers of `width` nodes; each node below the first layer depends on
 * 3 distinct nodes of the layer above (offsets 0, 1 and width/2, wrapping).
 */
export function layeredDag(layers, width) {
  const deps = []
  for (let l = 0; l < layers; l++) {
    for (let k = 0; k < width; k++) {
      if (l === 0) deps.push([])
      else {
        const above = (l - 1) * width
        const picks = new Set([k, (k + 1) % width, (k + Math.floor(width / 2)) % width])
        deps.push([...picks].map((j) => above + j))
      }
    }
  }
  return { name: `DAG ${layers}×${width}, 3 deps`, kind: 'dag', deps }
}

/** The nodes nobody depends on (the graph's outputs). */
export function sinks(shape) {
  const used = new Uint8Array(shape.deps.length)
  for (const ds of shape.deps) for (const d of ds) used[d] = 1
  const out = []
  for (let i = 0; i < used.length; i++) if (used[i] === 0) out.push(i)
  return out
}

/** The three shapes compared across contenders. */
export function mainShapes() {
  return [chain(1000), fanOut(1000), layeredDag(100, 100)]
}
