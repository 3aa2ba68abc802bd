/** SqlAdapter on SQLite (better-sqlite3, a temporary file): the shared suite, but the cases that need connections of their own (killed, deadlocked), which an embedded database has not. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe } from 'vitest'
import { sqlAdapterSuite } from './sql-conformance.js'

describe('SqlAdapter on SQLite', () => {
  sqlAdapterSuite(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'weft-sql-'))
    return {
      dialect: 'sqlite',
      options: () => ({ name: 'sql', dialect: 'sqlite', file: join(folder, 'test.sqlite') }),
      unreachable: () => ({ name: 'gone', dialect: 'sqlite', file: join(folder, 'no-such-folder', 'test.sqlite') }),
      cleanup: async () => rmSync(folder, { recursive: true, force: true }),
    }
  }, 'embedded')
})
