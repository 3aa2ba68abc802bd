import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'

/**
 * A worker's id: `<host>/<pid>/<random>`. Unique per engine, and readable in
 * `weft runs list` (which process holds a run).
 */
export function newOwnerId(): string {
  return `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`
}

/**
 * Whether a lease owner (a worker id, `<host>/<pid>/<random>`) is certainly
 * dead: it ran on this host and its process is gone. Other hosts' owners, and
 * live pids, are not judged (their leases must expire); a reused pid only
 * delays recovery until the lease ends.
 *
 * @example
 * ```ts
 * import type { RunRecord } from 'weft-sdk'
 * import { isDeadOwner } from 'weft-sdk/store'
 * declare const run: RunRecord
 * if (run.status === 'running' && run.leaseOwner !== undefined && isDeadOwner(run.leaseOwner)) console.log(`${run.id}: its worker is gone`)
 * ```
 */
export function isDeadOwner(owner: string): boolean {
  const [host, pidText] = owner.split('/')
  if (host !== hostname()) return false
  const pid = Number(pidText)
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}
