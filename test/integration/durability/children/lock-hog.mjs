// Holds SQLite's write lock on WEFT_STORE_LOCATION for HOLD_MS at a time (longer than the
// store's busy timeout), with GAP_MS between, until `stop` on stdin; prints how often.
import Database from 'better-sqlite3'
import { marker, nextLine, sleep } from './common.mjs'

const env = process.env
const db = new Database(env.WEFT_STORE_LOCATION)
db.pragma('busy_timeout = 10000')
db.exec('create table if not exists hog (n integer)')
let stop = false
let held = 0
nextLine().then(() => (stop = true))
marker('ready')
while (!stop) {
  db.exec('begin immediate')
  db.prepare('insert into hog values (?)').run(held++)
  const until = Date.now() + Number(env.HOLD_MS)
  while (Date.now() < until) {}
  db.exec('commit')
  if (held === 1) marker('holding')
  await sleep(Number(env.GAP_MS))
}
db.close()
marker('stopped', { held })
