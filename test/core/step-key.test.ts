import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, sqliteStore, type WorkflowBuilder } from 'weft-sdk'
import { formatStepKey, InvalidStepPathError, parseStepKey, stepKeyKind, type StepPath, type StepSegment } from 'weft-sdk/store'
import { testSeed } from '../support/seed.js'

const seed = testSeed('test/core/step-key.test.ts')

/** Characters the grammar uses, look-alikes of its keywords, hex digits for escapes, and plain text. */
const alphabet = ['/', '#', '[', ']', '%', ':', '2', '3', '5', 'F', 'f', 'B', '0', '1', 'w', 'a', 'i', 't', 'e', 'v', 'n', 's', 'l', 'p', 'd', 'c', ' ', 'é', '🚀']
const name = fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 10 })
const index = fc.oneof(fc.nat({ max: 12 }), fc.nat())

const child: fc.Arbitrary<StepSegment[]> = fc.oneof(
  fc.constant<StepSegment[]>([]),
  index.map((i): StepSegment[] => [{ kind: 'item', index: i }]),
  fc.tuple(name, index).map(([map, i]): StepSegment[] => [{ kind: 'item', index: i, map }]),
  name.map((n): StepSegment[] => [{ kind: 'step', name: n }]),
  fc.tuple(name, index, fc.constantFrom(undefined, 'since' as const, 'deadline' as const)).map(([n, i, window]): StepSegment[] => [
    { kind: 'wait', name: n, index: i },
    ...(window === undefined ? [] : [{ kind: window }]),
  ]),
  fc.tuple(name, index, fc.oneof(fc.constantFrom(undefined, 'since' as const, 'deadline' as const), index)).map(([n, i, next]): StepSegment[] => [
    { kind: 'events', name: n, index: i },
    ...(next === undefined ? [] : typeof next === 'number' ? [{ kind: 'event' as const, index: next }] : [{ kind: next }]),
  ]),
  index.map((i): StepSegment[] => [{ kind: 'sleep', index: i }]),
)

const path: fc.Arbitrary<StepPath> = fc
  .tuple(name, fc.option(index, { nil: undefined }), child)
  .map(([task, iteration, rest]) => [{ kind: 'task', name: task }, ...(iteration === undefined ? [] : [{ kind: 'iteration' as const, index: iteration }]), ...rest])

describe('step keys', () => {
  it('reads every key back to the path it was written from', () => {
    fc.assert(
      fc.property(path, (p) => {
        expect(parseStepKey(formatStepKey(p))).toEqual(p)
      }),
      { seed, numRuns: 3000 },
    )
  })

  it('never writes two distinct paths as the same key', () => {
    // Pairs of paths over a small alphabet rich in the grammar's characters, so near-collisions are common.
    fc.assert(
      fc.property(path, path, (a, b) => {
        fc.pre(JSON.stringify(normalized(a)) !== JSON.stringify(normalized(b)))
        expect(formatStepKey(a)).not.toBe(formatStepKey(b))
      }),
      { seed, numRuns: 3000 },
    )
  })

  it.each([
    ['a ctx.map item of a task and a ctx.step named like it', [task('t'), { kind: 'item', index: 0, map: 'n' }], [task('t'), { kind: 'step', name: 'n[0]' }]],
    ['a ctx.step named like a wait and the wait', [task('t'), { kind: 'step', name: 'wait:e#0' }], [task('t'), { kind: 'wait', name: 'e', index: 0 }]],
    ['a task "a/x" and task "a"\'s sub-step "x"', [task('a/x')], [task('a'), { kind: 'step', name: 'x' }]],
    ['loop "L" iteration 0 and a task named "L#0"', [task('L'), { kind: 'iteration', index: 0 }], [task('L#0')]],
    ['a map item and a task named like it', [task('t'), { kind: 'item', index: 3 }], [task('t[3]')]],
    ['an escape written by a name and the character it stands for', [task('a%2Fx')], [task('a/x')]],
  ] as [string, StepPath, StepPath][])('keeps apart %s', (_what, a, b) => {
    expect(formatStepKey(a)).not.toBe(formatStepKey(b))
    expect(parseStepKey(formatStepKey(a))).toEqual(a)
    expect(parseStepKey(formatStepKey(b))).toEqual(b)
  })

  it.each([
    ['fetch', 'task'],
    ['refine#2', 'iteration'],
    ['fetch[3]', 'item'],
    ['fetch/pages[3]', 'item'],
    ['refine#2/pages[3]', 'item'],
    ['fetch/download', 'sub-step'],
    ['approve/wait:approved#0', 'event'],
    ['watch/events:tick#0/4', 'event'],
    ['approve/wait:approved#0:since', 'timer'],
    ['wait/sleep#1', 'timer'],
  ])('says key %s names a %s', (key, kind) => {
    expect(stepKeyKind(key)).toBe(kind)
  })

  it.each(['fetch#01', 'fetch[1]/x', 'fetch/a/b', 'fetch/wait:e#0:since/1', 'fetch/x#1', 'fetch/%41', 'fetch/a[1', 'fetch/wait:e#0/1', 'fetch/events:e#0/01'])(
    'refuses %s, which no path writes',
    (key) => {
      expect(parseStepKey(key)).toBeUndefined()
    },
  )

  it('refuses to write a path that breaks the grammar, naming the problem', () => {
    const attempt = () => formatStepKey([task('t'), { kind: 'step', name: 's' }, { kind: 'step', name: 'u' }])
    expect(attempt).toThrow(InvalidStepPathError)
    expect(attempt).toThrow('invalid step path: nothing follows a step segment, got step')
    expect(() => formatStepKey([task('t'), { kind: 'iteration', index: -1 }])).toThrow('invalid step path: a iteration index must be an integer ≥ 0, got -1')
  })
})

describe('keys recorded by Weft 0.1.0', () => {
  const fixture = JSON.parse(readFileSync(new URL('./fixtures/step-keys-0.1.0.json', import.meta.url), 'utf8')) as RecordedKeys

  it('parses every step and timer key it wrote and writes it back byte for byte', () => {
    for (const key of [...fixture.steps.map((s) => s.key), ...fixture.timers]) {
      const parsed = parseStepKey(key)
      expect(parsed, key).toBeDefined()
      expect(formatStepKey(parsed!)).toBe(key)
    }
  })

  it('writes the same step, timer and idempotency keys for the same workflow today', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'weft-keys-'))
    try {
      const recorded = await recordKeys(join(folder, 'keys.sqlite'))
      expect(recorded.steps).toEqual(fixture.steps.map((s) => s.key))
      expect(recorded.timers).toEqual(fixture.timers)
      expect(recorded.idempotencyKeys).toEqual(fixture.idempotencyKeys)
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })
})

interface RecordedKeys {
  readonly steps: readonly { key: string }[]
  readonly timers: readonly string[]
  readonly idempotencyKeys: readonly (readonly [string, number, string])[]
}

function task(name: string): StepSegment {
  return { kind: 'task', name }
}

/** A path with `map: undefined` written as no `map` (the same path). */
function normalized(p: StepPath): StepPath {
  return p.map((s) => (s.kind === 'item' && s.map === undefined ? { kind: 'item', index: s.index } : s))
}

/** The workflow of fixtures/record-step-keys.mjs: every kind of step, under names of every kind. */
async function recordKeys(path: string): Promise<{ steps: string[]; timers: string[]; idempotencyKeys: [string, number, string][] }> {
  const names = ['fetch', 'score card', 'résumé', 'a-b.c', 'x:y', '100%', '50% done', 'wait', 'events', 'sleep', 'a]b', '(x)', '🚀', 'wait:e', 'since', 'n', 'sub step', 'Lx']
  const engine = createEngine({ store: sqliteStore({ path }) })
  const idempotencyKeys: [string, number, string][] = []
  let builder = defineWorkflow({ name: 'keys', version: 1 }) as unknown as WorkflowBuilder<void, Record<string, unknown>>
  for (const [i, taskName] of names.entries()) {
    builder = builder.task(taskName as never, async (_input, ctx) => {
      idempotencyKeys.push([taskName, -1, ctx.idempotencyKey])
      await ctx.step(taskName, () => i)
      await ctx.step('plain', () => i)
      await ctx.map([1, 2], (x) => x * 2)
      await ctx.map([1, 2], (x) => x * 3, { name: taskName })
      await ctx.sleep(1)
      await ctx.sleep(0)
      const first = ctx.waitForEvent(taskName, { timeout: '1 h' })
      const second = ctx.waitForEvent(taskName)
      const stream = ctx.events(taskName, { timeout: '1 h' })
      await engine.emit(taskName, 1, { runId: ctx.runId })
      await engine.emit(taskName, 2, { runId: ctx.runId })
      await first
      await second
      await engine.emit(taskName, 3, { runId: ctx.runId })
      await engine.emit(taskName, 4, { runId: ctx.runId })
      let n = 0
      for await (const _event of stream) if (++n === 2) break
      return i
    }) as never
  }
  for (const loopName of ['L', 'loop x', '🚀loop']) {
    builder = builder.loop(loopName as never, { while: (_s: unknown, iteration: number) => iteration < 2, maxIterations: 3 }, async (state: void, ctx) => {
      idempotencyKeys.push([loopName, ctx.iteration, ctx.idempotencyKey])
      await ctx.step('n', () => 1)
      await ctx.map([1, 2, 3, 4], (x) => x)
      await ctx.map([1, 2, 3, 4], (x) => x, { name: 'n' })
      await ctx.sleep(0)
      const wait = ctx.waitForEvent('e', { timeout: '1 h' })
      await engine.emit('e', 1, { runId: ctx.runId })
      await wait
      const stream = ctx.events('e')
      await engine.emit('e', 2, { runId: ctx.runId })
      for await (const _event of stream) break
      return state
    }) as never
  }
  await (await engine.start(builder.build(), undefined, { runId: 'r1' })).result()
  await engine.close()
  const db = new Database(path, { readonly: true })
  try {
    const steps = (db.prepare('select key from weft_steps where run_id = ? order by key').all('r1') as { key: string }[]).map((r) => r.key)
    const timers = (db.prepare('select key from weft_timers where run_id = ? order by key').all('r1') as { key: string }[]).map((r) => r.key)
    idempotencyKeys.sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1))
    return { steps, timers, idempotencyKeys }
  } finally {
    db.close()
  }
}
