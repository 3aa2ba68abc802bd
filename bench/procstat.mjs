// CPU accounting from Linux /proc: how busy the machine was during a phase,
// split into this process (and the children it has reaped), live child
// processes (workers, the DBOS process), the PostgreSQL server (postmaster and
// its backends) and everything else. Returns undefined figures where /proc is
// missing.

import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { cpus } from 'node:os'

const ticksPerSecond = (() => {
  try {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()
    const n = Number(out)
    return n > 0 ? n : 100
  } catch {
    return 100
  }
})()
const msPerTick = 1000 / ticksPerSecond

/** The fields of /proc/<pid>/stat after the command name, or undefined when the process is gone. */
function statFields(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return text.slice(text.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/**
 * CPU time of a process in ms (user + system); with `reaped`, also the CPU of
 * its children it has waited for (cutime + cstime). Undefined when it is gone.
 */
export function processCpuMs(pid, { reaped = false } = {}) {
  const f = statFields(pid)
  if (f === undefined) return undefined
  // After "(comm) ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
  const ticks = Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0)
  return ticks * msPerTick
}

/** This process and the children it has reaped (a finished worker's CPU lands here). */
export function selfCpuMs() {
  return processCpuMs('self', { reaped: true }) ?? (process.cpuUsage().user + process.cpuUsage().system) / 1000
}

/**
 * CPU of a PostgreSQL server: the postmaster with the backends it has reaped,
 * plus its live children (backends, walwriter, checkpointer, autovacuum…).
 * Monotonic: a backend that exits moves from "live" into the postmaster's reaped time.
 */
export function postgresCpuMs(postmasterPid) {
  const own = processCpuMs(postmasterPid, { reaped: true })
  if (own === undefined) return undefined
  let total = own
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const f = statFields(name)
    if (f === undefined || Number(f[1]) !== postmasterPid) continue
    total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * msPerTick
  }
  return total
}

/** Busy CPU time of the whole machine in ms (all cores; /proc/stat minus idle and iowait). */
export function machineBusyMs() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number)
    const total = fields.reduce((a, b) => a + b, 0)
    return (total - fields[3] - (fields[4] ?? 0)) * msPerTick
  } catch {
    return undefined
  }
}

/**
 * A meter for one phase: `const stop = cpuMeter({ children, postmasterPid })`,
 * later `stop()` gives the average number of cores used during the phase by
 * the machine, this process, the live `children()` pids, PostgreSQL and others.
 */
export function cpuMeter({ children = () => [], postmasterPid } = {}) {
  const read = () => {
    const kids = new Map()
    for (const pid of children()) kids.set(pid, processCpuMs(pid))
    return {
      t: performance.now(),
      machine: machineBusyMs(),
      self: selfCpuMs(),
      kids,
      pg: postmasterPid === undefined ? 0 : postgresCpuMs(postmasterPid),
    }
  }
  const start = read()
  return () => {
    const end = read()
    const wall = end.t - start.t
    const cores = (ms) => (ms === undefined || !Number.isFinite(ms) ? undefined : ms / wall)
    let kids = 0
    for (const [pid, ms] of end.kids) kids += (ms ?? 0) - (start.kids.get(pid) ?? 0)
    const machine = cores(end.machine - start.machine)
    const self = cores(end.self - start.self)
    const childCores = cores(kids)
    const pg = cores(end.pg - start.pg)
    const others = machine === undefined ? undefined : Math.max(0, machine - (self ?? 0) - (childCores ?? 0) - (pg ?? 0))
    return { wallMs: wall, machine, self, children: childCores, postgres: pg, others, cores: cpus().length }
  }
}
