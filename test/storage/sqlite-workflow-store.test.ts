import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { sqliteStore } from '../../src/storage/sqlite/sqlite-workflow-store.js'
import { describeEventFeed, describeFinalStep, describeWorkflowStore } from './workflow-store-conformance.js'
import { describeOutbox } from './outbox-conformance.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-sqlite-'))
let files = 0
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const fixture = { create: async () => sqliteStore({ path: join(folder, `store-${files++}.sqlite`) }) }
describeWorkflowStore('SQLite (file, WAL)', fixture)
describeFinalStep('SQLite (file, WAL)', fixture)
describeEventFeed('SQLite (file, WAL)', fixture)
describeOutbox('SQLite (file, WAL)', fixture)
