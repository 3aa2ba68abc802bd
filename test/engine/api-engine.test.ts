/**
 * An API process (`claimRuns: false`) starts and reads runs of a workflow
 * whose services only the workers register: dependencies are checked and
 * instantiated only where runs execute. `getRun(W, id)` does not make an
 * engine a worker of W. Real SQLite file, two engines (API + worker).
 */
import 'reflect-metadata'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Schema } from 'effect'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, EventPayloadError, InvalidWorkflowError, RunResult, sqliteStore, token } from 'weft-sdk'
import { thrown } from '../support/thrown.js'

interface Mailer {
  send(to: string): string
}
const MailerToken = token<Mailer>('Mailer')

const Welcome = defineWorkflow<{ email: string }>({ name: 'api-welcome', version: 1 })
  .services({ mailer: MailerToken })
  .task('send', (input, ctx) => ctx.services.mailer.send(input.email))
  .build({ result: 'send' })

const folders: string[] = []
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
})

function storeFile(): string {
  const folder = mkdtempSync(join(tmpdir(), 'weft-api-'))
  folders.push(folder)
  return join(folder, 'weft.db')
}

function worker(file: string) {
  const engine = createEngine({ store: sqliteStore({ path: file }), claimInterval: '20 ms', pollInterval: '20 ms' })
  engine.container.register(MailerToken, { useValue: { send: (to) => `welcome ${to}` } })
  return engine.register(Welcome)
}

describe('an API engine (claimRuns: false) and a worker sharing a SQLite file', () => {
  it('the API starts a run of a workflow whose services only the worker registers, and reads its declared result', async () => {
    const file = storeFile()
    const api = createEngine({ store: sqliteStore({ path: file }), claimRuns: false, pollInterval: '20 ms' })
    const run = await api.start(Welcome, { email: 'ada@example.com' })
    const work = worker(file)
    expect(await run.result()).toBe('welcome ada@example.com')
    const again = await api.getRun(Welcome, run.id)
    expect(await again!.result()).toBe('welcome ada@example.com')
    // Untyped, a handle gives the RunResult, the same on either engine (whatever each registered).
    for (const engine of [api, work]) {
      const untyped = await (await engine.getRun(run.id))!.result()
      expect(untyped).toBeInstanceOf(RunResult)
      expect(untyped.output('send')).toBe('welcome ada@example.com')
    }
    await work.close()
    await api.close()
  })

  it('an API engine given the workflow in its config opens without the services', async () => {
    const file = storeFile()
    const api = createEngine({ store: sqliteStore({ path: file }), claimRuns: false, workflows: [Welcome] })
    await api.ready
    const run = await api.start(Welcome, { email: 'bo@example.com' })
    expect(run.workflow).toBe('api-welcome')
    await api.close()
  })
})

describe('getRun(W, id) does not make an engine a worker of W', () => {
  it('a claiming engine without the services reads a pending run without checking, registering or claiming W', async () => {
    const file = storeFile()
    const api = createEngine({ store: sqliteStore({ path: file }), claimRuns: false })
    const run = await api.start(Welcome, { email: 'cy@example.com' })
    const reader = createEngine({ store: sqliteStore({ path: file }), claimInterval: '20 ms' })
    const read = await reader.getRun(Welcome, run.id)
    expect(read!.status()).toBe('pending')
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect((await api.getRun(run.id))!.status()).toBe('pending')
    expect(reader.stats().workflows).toBe(0)
    // The engine that executes it still refuses the workflow without its services, when it registers it.
    expect(thrown(() => reader.register(Welcome))).toBeInstanceOf(InvalidWorkflowError)
    await reader.close()
    const work = worker(file)
    expect(await read!.result()).toBe('welcome cy@example.com')
    await work.close()
    await api.close()
  })
})

describe('a handle typed by a workflow this engine did not register', () => {
  it('still checks a signal against the declared events before storing it', async () => {
    const Approval = defineWorkflow({ name: 'api-approval', version: 1 })
      .events({ approved: Schema.Struct({ by: Schema.NonEmptyString }) })
      .task('wait', async (_input, ctx) => (await ctx.waitForEvent('approved')).by)
      .build({ result: 'wait' })
    const file = storeFile()
    const api = createEngine({ store: sqliteStore({ path: file }), claimRuns: false })
    const run = await api.start(Approval)
    const reader = createEngine({ store: sqliteStore({ path: file }), claimRuns: false })
    const read = await reader.getRun(Approval, run.id)
    await expect(read!.signal('approved', { by: '' })).rejects.toBeInstanceOf(EventPayloadError)
    await reader.close()
    await api.close()
  })
})
