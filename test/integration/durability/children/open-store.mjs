// Opens the store and runs its migrations after `go` on stdin, then exits: the
// test starts several at once on a new SQLite file.
import { describe, failOnUncaught, marker, nextLine, openStore } from './common.mjs'

failOnUncaught()
marker('loaded')
await nextLine()
try {
  const store = await openStore()
  await store.init()
  await store.close()
  marker('opened')
} catch (error) {
  marker('failed', { error: describe(error) })
}
