// A closed-loop load driver: `concurrency` loops, each starting a workflow,
// awaiting its result and starting the next, until `durationMs` has passed
// (or `count` workflows were started). Sequential = concurrency 1.

/**
 * `once()` runs one workflow and resolves whether its output was right.
 * Returns completed (right output), wrong (wrong output or an error, the
 * first error kept), the elapsed ms (until the last in-flight workflow ended) and the
 * mean latency of a workflow (start → result) in ms.
 */
export async function drive({ once, concurrency = 1, durationMs, count }) {
  let completed = 0
  let wrong = 0
  let issued = 0
  let latencyMs = 0
  let error
  const t0 = performance.now()
  const deadline = durationMs === undefined ? Infinity : t0 + durationMs
  const more = () => (count === undefined ? performance.now() < deadline : issued < count)
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (more()) {
        issued++
        const t = performance.now()
        try {
          if (await once()) completed++
          else wrong++
        } catch (e) {
          wrong++
          error ??= e
        }
        latencyMs += performance.now() - t
      }
    }),
  )
  return { completed, wrong, ms: performance.now() - t0, latencyMs: latencyMs / Math.max(1, completed + wrong), error: error === undefined ? undefined : String(error?.stack ?? error) }
}
