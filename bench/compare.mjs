// A/B of two builds of Weft, interleaved in one process so that a noisy
// machine's drifts hit both alike: in-memory µs per task (the three main
// shapes), SQLite µs per run (chain and fan-out of 100) and in-process
// PostgreSQL workflows/s (a chain of 10, sequential and 100 in flight).
//
//   git worktree add ../weft-base <commit>
//   (cd ../weft-base && ln -s ../<this checkout>/node_modules node_modules && npm run build)
//   npm run build && node --expose-gc bench/compare.mjs ../weft-base .
//
// Each root needs a built dist/ and its bench/ folder. Rounds alternate the
// order of the builds; figures are medians of the rounds. Benchmarks only:
// nothing passes or fails here.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import { mainShapes } from './shapes.mjs'
import { countingWork, measure, median } from './timing.mjs'

const roots = process.argv.slice(2).map((root) => resolve(root))
if (roots.length !== 2) throw new Error('usage: node --expose-gc bench/compare.mjs <base-root> <new-root>')
const rounds = 6
const load = (root, file) => import(pathToFileURL(join(root, file)).href)
const builds = await Promise.all(
  roots.map(async (root, i) => ({
    label: i === 0 ? 'base' : 'new',
    root,
    weft: await load(root, 'dist/index.js'),
    postgres: await load(root, 'dist/postgres.js'),
    shapes: await load(root, 'bench/weft.mjs'),
    durable: await load(root, 'bench/durable-workflows.mjs'),
  })),
)
const results = new Map()
const record = (name, build, value) => {
  if (!results.has(name)) results.set(name, { base: [], new: [] })
  results.get(name)[build.label].push(value)
}
const inOrder = (round) => (round % 2 === 0 ? builds : [...builds].reverse())

async function inMemory(build, shape, work) {
  const workflow = build.shapes.define(shape, work)
  const { us } = await measure({ prepare: () => build.shapes.prepare(shape, work, workflow), work, tasks: shape.deps.length, reps: 5 })
  record(`in-memory ${shape.name}, µs/task`, build, us)
}

async function sqlite(build, shape) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-compare-'))
  const make = shape === 'chain' ? build.durable.chainWorkflow : build.durable.fanOutWorkflow
  const { workflow } = make(100, { calls: 0 })
  const engine = build.weft.createEngine({ store: build.weft.sqliteStore({ path: join(dir, 'runs.sqlite') }) })
  engine.register(workflow)
  await engine.ready
  for (let i = 0; i < 20; i++) await engine.run(workflow, 0)
  const runs = shape === 'chain' ? 80 : 300
  const started = performance.now()
  for (let i = 0; i < runs; i++) await engine.run(workflow, 0)
  record(`SQLite ${shape} 100, µs/run`, build, ((performance.now() - started) * 1000) / runs)
  await engine.close()
  rmSync(dir, { recursive: true, force: true })
}

async function throughput(engine, workflow, loops, ms) {
  let done = 0
  const end = performance.now() + ms
  const loop = async () => {
    while (performance.now() < end) {
      await engine.run(workflow, 0)
      done++
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: loops }, loop))
  return done / ((performance.now() - started) / 1000)
}

async function postgresEngines() {
  const { startPostgres, PostgresUnavailableError } = await import('../scripts/postgres-server.mjs')
  let server
  try {
    server = await startPostgres()
  } catch (error) {
    if (error instanceof PostgresUnavailableError) return undefined
    throw error
  }
  const admin = new pg.Client({ connectionString: server.url })
  await admin.connect()
  const engines = []
  for (const build of builds) {
    const url = server.url.replace(/\/[^/]*$/, `/compare_${build.label}`)
    await admin.query(`create database compare_${build.label}`)
    const { workflow } = build.durable.chainWorkflow(10, { calls: 0 }, 'compare chain 10')
    const engine = build.weft.createEngine({ store: build.postgres.postgresStore({ connectionString: url }) })
    engine.register(workflow)
    await engine.ready
    await throughput(engine, workflow, 100, 1000)
    engines.push({ build, engine, workflow })
  }
  await admin.end()
  return { server, engines }
}

console.log(`Comparing base ${roots[0]} with new ${roots[1]}: ${rounds} interleaved rounds…`)
const work = countingWork()
for (let round = 0; round < rounds; round++) {
  for (const shape of mainShapes()) for (const build of inOrder(round)) await inMemory(build, shape, work)
  for (const shape of ['chain', 'fan-out']) for (const build of inOrder(round)) await sqlite(build, shape)
}
const postgres = await postgresEngines()
if (postgres === undefined) console.log('PostgreSQL is not installed here: its figures are left out.')
else {
  for (let round = 0; round < rounds; round++) {
    for (const { build, engine, workflow } of round % 2 === 0 ? postgres.engines : [...postgres.engines].reverse()) {
      record('PostgreSQL in-process sequential, wf/s', build, await throughput(engine, workflow, 1, 1500))
      record('PostgreSQL in-process 100 in flight, wf/s', build, await throughput(engine, workflow, 100, 2000))
    }
  }
  for (const { engine } of postgres.engines) await engine.close()
  await postgres.server.stop()
}

console.log('\n  figure                                       base       new   new/base')
for (const [name, { base, new: next }] of results) {
  const [b, n] = [median(base), median(next)]
  console.log(`  ${name.padEnd(42)} ${b.toFixed(2).padStart(9)} ${n.toFixed(2).padStart(9)} ${(n / b).toFixed(3).padStart(9)}`)
}
console.log('\n  Medians of the rounds. For µs, below 1 is faster; for wf/s, above 1 is faster.')
