import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { sqliteStore } from '../../src/storage/sqlite/index.js'
import { describeWorkflowStore } from './workflow-store-conformance.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-sqlite-'))
let files = 0
afterAll(() => rmSync(folder, { recursive: true, force: true }))

describeWorkflowStore('SQLite (file, WAL)', { create: async () => sqliteStore({ path: join(folder, `store-${files++}.sqlite`) }) })
