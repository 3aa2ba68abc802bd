// The store conformance suites again, on SQLite and PostgreSQL stores that encrypt every value with the payload
// codec: encryption changes nothing a store's user can observe.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { staticKeyProvider } from '../../src/security/key-provider.js'
import { createPayloadCodec } from '../../src/security/payload-codec.js'
import { postgresStore } from '../../src/storage/postgres/postgres-workflow-store.js'
import { sqliteStore } from '../../src/storage/sqlite/sqlite-workflow-store.js'
import { describePostgres, throwawayPostgresStores } from '../support/postgres.js'
import { describeOutbox } from './outbox-conformance.js'
import { describeEventFeed, describeFinalStep, describeRunWithSteps, describeWorkflowStore } from './workflow-store-conformance.js'

// Strict: a value the store forgot to encrypt would fail to read.
const codec = createPayloadCodec(staticKeyProvider([{ id: 'k1', key: randomBytes(32) }]), { allowClear: false })

const folder = mkdtempSync(join(tmpdir(), 'weft-encrypted-'))
let files = 0
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const sqlite = { create: async () => sqliteStore({ path: join(folder, `store-${files++}.sqlite`), codec }) }
describeWorkflowStore('SQLite, encrypted', sqlite)
describeFinalStep('SQLite, encrypted', sqlite)
describeEventFeed('SQLite, encrypted', sqlite)
describeOutbox('SQLite, encrypted', sqlite)

describePostgres('PostgreSQL store, encrypted', () => {
  const fixture = throwawayPostgresStores((url) => postgresStore({ connectionString: url, maxConnections: 10, codec }))
  describeWorkflowStore('PostgreSQL, encrypted', fixture)
  describeFinalStep('PostgreSQL, encrypted', fixture)
  describeRunWithSteps('PostgreSQL, encrypted', fixture)
  describeEventFeed('PostgreSQL, encrypted', fixture)
  describeOutbox('PostgreSQL, encrypted', fixture)
})
