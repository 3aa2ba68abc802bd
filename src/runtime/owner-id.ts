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
 * Whether an owner is certainly dead: it ran on this host and its process
 * is gone. Other hosts' owners, and live pids, are not judged (their leases
 * must expire); a reused pid only delays recovery until the lease ends.
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
