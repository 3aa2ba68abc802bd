// A `pg` pool that counts the queries (round trips) sent through it, handed
// to Weft as `postgresStore({ pool })`. Uses the `pg` Weft itself would load
// (the repository's, not the copy DBOS brings into bench/node_modules).

import { createRequire } from 'node:module'
import { forceGenericPlans } from '../dist/postgres.js'

const require = createRequire(new URL('../package.json', import.meta.url))

/** The repository's `pg` module. */
export function rootPg() {
  return require('pg')
}

/**
 * A pool of `max` connections (Weft's default is 10), configured as Weft's own
 * pool is (`forceGenericPlans`), whose `counts.queries`
 * counts every query: through the pool and through checked-out clients (the
 * LISTEN connection, migrations). One `pg` query is one round trip.
 */
export function countingPool(connectionString, max = 10) {
  const pg = rootPg()
  // As the pool postgresStore({ connectionString }) creates: prepared statements run their generic plans.
  const pool = new pg.Pool({ connectionString, max, options: forceGenericPlans })
  pool.on('error', () => undefined)
  const counts = { queries: 0 }
  return {
    counts,
    query(text, values) {
      counts.queries++
      return pool.query(text, values)
    },
    async connect() {
      const client = await pool.connect()
      return {
        query(text, values) {
          counts.queries++
          return client.query(text, values)
        },
        release: (error) => client.release(error),
        on(event, listener) {
          client.on(event, listener)
          return this
        },
      }
    },
    end: () => pool.end(),
  }
}
