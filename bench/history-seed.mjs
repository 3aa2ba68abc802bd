// A recorded history of N runs written straight into Weft's tables with SQL (not through the engine), the same rows
// on SQLite and PostgreSQL: every value comes from a hash of the run's number, so both databases hold identical data
// and must answer identical reports.
//
// Shape: four workflows (40 / 25 / 20 / 15% of the runs) of 5, 3, 4 and 3 tasks in a chain (4.0 steps per run on
// average), created evenly over the 30 days before `now`. Runs: 93% completed, 4.5% failed, 1.5% cancelled, 1%
// dead-lettered, and those of the last 10 minutes still running. A failed or dead-lettered run stops at a failed
// step, a cancelled or running one after its completed steps. Steps: a duration of 0.5–1.5× its task's typical time,
// 1% of them up to 20× longer (the tail p99 sees); 4% retried once or twice; two tasks skipped in 10% of the runs;
// the agent's LLM tasks record tokens and cost. Queue waits: 5–205 ms, 1% up to a minute. A run's duration is the sum
// of its steps' plus a few milliseconds, each step starts where the one before it ended. Run ids sort by creation
// time, as Weft's own do.

/** The workflows and their tasks in chain order: [name, share of runs in %, [task, typical ms, skippable, llm]]. */
export const seedWorkflows = [
  ['order-fulfilment', 40, [['load', 40, false, false], ['reserve', 120, false, false], ['charge', 450, false, false], ['ship', 900, false, false], ['notify', 60, true, false]]],
  ['report-digest', 25, [['collect', 2_000, false, false], ['render', 700, false, false], ['mail', 150, true, false]]],
  ['agent-research', 20, [['plan', 1_500, false, true], ['search', 3_000, false, false], ['read', 4_000, false, true], ['summarize', 2_500, false, true]]],
  ['invoice-sync', 15, [['fetch', 300, false, false], ['match', 80, false, false], ['post', 250, false, false]]],
]

const dayMs = 86_400_000
/** How far back the history reaches. */
export const seedSpanMs = 30 * dayMs

/**
 * A pseudo-random non-negative integer below 2^31 − 1 from a non-negative integer SQL expression and a salt, the same in
 * both dialects (64-bit integer arithmetic that cannot overflow for x below ~10^9): a square of the salted value, so
 * hashes of different salts are not affine in each other, scrambled by a MINSTD multiplier.
 */
const hash = (x, salt) => `((((${x}) + ${salt * 7919}) * ((${x}) + ${salt * 7919}) + (${x})) % 2147483647 * 48271 % 2147483647)`

/** SQL dialect differences the seed needs. */
const dialects = {
  sqlite: {
    numbers: (n) => `with recursive numbers(i) as (select 0 union all select i + 1 from numbers where i < ${n - 1})`,
    id: (createdAt, i) => `printf('%012x%012x', ${createdAt}, ${i})`,
    temp: 'create temp table',
  },
  postgres: {
    numbers: (n) => `with numbers(i) as (select generate_series(0::bigint, ${n - 1}::bigint))`,
    id: (createdAt, i) => `lpad(to_hex(${createdAt}), 12, '0') || lpad(to_hex(${i}), 12, '0')`,
    temp: 'create temp table',
  },
}

/** The tasks as a VALUES list: (no, pos, task, llm). */
function tasksValues() {
  return seedWorkflows.flatMap(([, , tasks], no) => tasks.map(([task, , , llm], pos) => `(${no}, ${pos}, '${task}', ${llm ? 1 : 0})`)).join(', ')
}

/** The workflows as a VALUES list: (no, name, tasks). */
function workflowsValues() {
  return seedWorkflows.map(([name, , tasks], no) => `(${no}, '${name}', ${tasks.length})`).join(', ')
}

/** The workflow number of run `i`, by the shares. */
function workflowOf(i) {
  let upTo = 0
  const arms = seedWorkflows.map(([, share], no) => `when ${hash(i, 1)} % 100 < ${(upTo += share)} then ${no}`)
  return `case ${arms.join(' ')} else ${seedWorkflows.length - 1} end`
}

/** The most tasks a workflow has. */
const maxTasks = Math.max(...seedWorkflows.map(([, , tasks]) => tasks.length))
/** A per-task property of step `pos` of workflow `no` (0 when the workflow has no such step), as a CASE. */
const taskProperty = (pos, pick) => `case no ${seedWorkflows.map(([, , tasks], no) => `when ${no} then ${tasks[pos] === undefined ? 0 : Number(pick(tasks[pos]))}`).join(' ')} end`
/** Whether step `pos` of run `i` is skipped (its task skippable, 10% of runs), as a SQL condition. */
const skipped = (i, pos, skippable) => `(${skippable} = 1 and ${hash(`${i} * 8 + ${pos}`, 10)} % 10 = 0)`
/** The duration of step `pos` of run `i` (0 when skipped). */
const stepDuration = (i, pos, base, skippable) =>
  `(case when ${skipped(i, pos, skippable)} then 0 else ${base} * (50 + ${hash(`${i} * 8 + ${pos}`, 6)} % 100) / 100 + (case when ${hash(`${i} * 8 + ${pos}`, 7)} % 100 = 0 then ${base} * (${hash(`${i} * 8 + ${pos}`, 8)} % 20) else 0 end) end)`
/** `case <selector> when 0 then <of(0)> … end` over the step positions. */
const byPosition = (selector, of) => `case ${selector} ${Array.from({ length: maxTasks + 1 }, (_, pos) => `when ${pos} then ${of(pos)}`).join(' ')} end`

/**
 * The statements that seed `runs` runs ending before `now` into a migrated, empty database, in order (run them in
 * one transaction). Two temporary tables: seed_tasks, and seed_runs with each run's step durations (d0…) and the
 * offsets of its steps from its start (o0…); the last statements drop them. Row by row, no correlated subquery.
 */
export function seedStatements(dialect, { runs, now }) {
  const d = dialects[dialect]
  const start = Math.floor(now) - seedSpanMs
  const runningSince = Math.floor(now) - 10 * 60_000
  const positions = Array.from({ length: maxTasks }, (_, pos) => pos)
  const durations = positions.map((pos) => `${stepDuration('i', pos, taskProperty(pos, (task) => task[1]), taskProperty(pos, (task) => task[2]))} as d${pos}`)
  const offsets = [...positions, maxTasks].map((pos) => `${positions.slice(0, pos).map((j) => `d${j} + 2`).join(' + ') || '0'} as o${pos}`)
  const stepHash = (salt) => hash('g.i * 8 + t.pos', salt)
  const tokens = `(200 + ${stepHash(15)} % 4000)`
  return [
    `${d.temp} seed_tasks (no integer, pos integer, task text, llm integer, primary key (no, pos))`,
    `insert into seed_tasks values ${tasksValues()}`,
    `${d.temp} seed_workflows (no integer primary key, name text, tasks integer)`,
    `insert into seed_workflows values ${workflowsValues()}`,
    `${d.temp} seed_durations as ${d.numbers(runs)}
      select x.*, ${durations.join(', ')}
      from (select i, no, tasks, ${start} + (i * ${seedSpanMs}) / ${runs} as created_at, ${hash('i', 5)} % 1000 as s
            from (select i, ${workflowOf('i')} as no from numbers) n join seed_workflows using (no)) x`,
    `${d.temp} seed_runs as
      select i, no, created_at, started_at, status, ${positions.map((pos) => `d${pos}`).join(', ')}, ${[...positions, maxTasks].map((pos) => `o${pos}`).join(', ')},
        case when status = 'completed' then tasks when status in ('failed', 'dead-lettered') then stop + 1 else stop end as k
      from (select y.*, ${offsets.join(', ')},
              created_at + case when ${hash('i', 3)} % 100 = 0 then ${hash('i', 4)} % 60000 else 5 + ${hash('i', 2)} % 200 end as started_at,
              case when created_at >= ${runningSince} then 'running' when s < 45 then 'failed' when s < 60 then 'cancelled' when s < 70 then 'dead-lettered' else 'completed' end as status,
              ${hash('i', 9)} % tasks as stop
            from seed_durations y) z`,
    'drop table seed_durations',
    `insert into weft_runs (id, workflow, version, input, status, created_at, started_at, finished_at, error, epoch, recoveries)
      select ${d.id('g.created_at', 'g.i')}, w.name, 1, ('{"ref":"r-' || g.i || '"}'), g.status, g.created_at, g.started_at,
        case when g.status <> 'running' then g.started_at + ${byPosition('g.k', (pos) => `g.o${pos}`)} + 3 end,
        case when g.status in ('failed', 'dead-lettered') then '{"name":"Error","message":"upstream answered 503"}' end,
        1, case when ${hash('g.i', 11)} % 200 = 0 then 1 else 0 end
      from seed_runs g join seed_workflows w on w.no = g.no
      order by g.i`,
    `insert into weft_steps (run_id, key, task, kind, status, output, error, attempts, started_at, finished_at, usage)
      select ${d.id('created_at', 'i')}, task, task, 'task', status,
        case when status = 'completed' then ('{"ok":true,"ref":"r-' || i || '","n":' || n || '}') end,
        case when status = 'failed' then '{"name":"Error","message":"upstream answered 503"}' end,
        case when status = 'skipped' then 0 when status = 'failed' then 3 else attempts end,
        case when status <> 'skipped' then started_at end, started_at + duration,
        case when llm = 1 and status <> 'skipped' then ('{"tokens":' || tokens || ',"costUsd":' || (tokens * 2) || 'e-6}') end
      from (select g.i, g.created_at, t.task, t.llm, g.started_at + ${byPosition('t.pos', (pos) => `g.o${pos}`)} as started_at,
              ${byPosition('t.pos', (pos) => (pos < maxTasks ? `g.d${pos}` : '0'))} as duration,
              case when t.pos = g.k - 1 and g.status in ('failed', 'dead-lettered') then 'failed'
                   when ${byPosition('t.pos', (pos) => (pos < maxTasks ? `g.d${pos}` : '0'))} = 0 then 'skipped' else 'completed' end as status,
              case when ${stepHash(13)} % 100 < 4 then 2 + ${stepHash(14)} % 2 else 1 end as attempts,
              ${hash('g.i', 12)} % 1000 as n, ${tokens} as tokens
            from seed_runs g join seed_tasks t on t.no = g.no and t.pos < g.k) steps
      order by i, task`,
    'drop table seed_runs',
    'drop table seed_workflows',
    'drop table seed_tasks',
  ]
}
