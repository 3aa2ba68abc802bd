/**
 * `defineWorkflow(...).services({...})`: a definition's tasks receive
 * services from the engine's container as `ctx.services`, resolved once per
 * run, and a service nobody registered is refused when the workflow is
 * registered, as a class's constructor parameter is.
 */
import 'reflect-metadata'
import { inject, injectable } from 'tsyringe'
import { describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, InvalidOptionsError, InvalidWorkflowError, MemoryWorkflowStore, token } from 'weft-sdk'
import { thrown } from '../support/thrown.js'

interface Mailer {
  send(to: string, text: string): string
}
const MailerToken = token<Mailer>('Mailer')

/** A class with no parameters: the container constructs a new one per resolution. */
class Counter {
  static made = 0
  readonly id = ++Counter.made
}

const quote = () =>
  defineWorkflow<{ email: string }>({ name: 'services-quote', version: 1 })
    .services({ mailer: MailerToken, counter: Counter })
    .task('send', (input, ctx) => ({ sent: ctx.services.mailer.send(input.email, 'hi'), counter: ctx.services.counter.id }))
    .task('again', { dependsOn: ['send'] }, (_sent, ctx) => ctx.services.counter.id)
    .build()
const Quote = quote()

const mailer: Mailer = { send: (to, text) => `${text} ${to}` }

function engineWithMailer() {
  const engine = createEngine({ store: new MemoryWorkflowStore() })
  engine.container.register(MailerToken, { useValue: mailer })
  return engine
}

describe('a definition with services', () => {
  it('gives its tasks the registered services as ctx.services', async () => {
    const engine = engineWithMailer()
    const result = await engine.run(Quote, { email: 'ada@example.com' })
    expect(result.output('send').sent).toBe('hi ada@example.com')
    await engine.close()
  })

  it('resolves them once per run: every task of a run sees the same instance, another run a new one', async () => {
    const engine = engineWithMailer()
    const first = await engine.run(Quote, { email: 'a' })
    const second = await engine.run(Quote, { email: 'b' })
    expect(first.output('again')).toBe(first.output('send').counter)
    expect(second.output('send').counter).not.toBe(first.output('send').counter)
    await engine.close()
  })

  it('is refused when registered if a token is not registered, naming the workflow, the service and the token', async () => {
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    const error = thrown(() => engine.register(Quote))
    expect(error).toBeInstanceOf(InvalidWorkflowError)
    expect((error as Error).message).toBe(
      'workflow "services-quote": service "mailer" asks for Mailer, which nothing registered: register it first (engine.container.register("Mailer", { useValue }), or in the container given to createEngine)',
    )
    await engine.close()
  })

  it('is checked when the engine opens when given to createEngine, after services registered right after it', async () => {
    const engine = createEngine({ store: new MemoryWorkflowStore(), workflows: [Quote] })
    engine.container.register(MailerToken, { useValue: mailer })
    await engine.ready
    expect((await engine.run(Quote, { email: 'x' })).output('send').sent).toBe('hi x')
    await engine.close()
    const missing = createEngine({ store: new MemoryWorkflowStore(), workflows: [Quote] })
    expect(await missing.ready.catch((e: unknown) => e)).toBeInstanceOf(InvalidWorkflowError)
    await missing.close()
  })

  it('looks into a class service the container constructs: its own missing token is named', async () => {
    @injectable()
    class Audit {
      constructor(@inject('AuditSink') readonly sink: (line: string) => void) {}
    }
    const Audited = defineWorkflow({ name: 'services-audited', version: 1 })
      .services({ audit: Audit })
      .task('log', (_input, ctx) => ctx.services.audit.sink('done'))
      .build()
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    expect((thrown(() => engine.register(Audited)) as Error).message).toBe(
      'workflow "services-audited": service "audit" is of class Audit, whose parameter 1 of Audit\'s constructor asks for AuditSink (@inject), which nothing registered: register it first (engine.container.register("AuditSink", { useValue }), or in the container given to createEngine)',
    )
    const lines: string[] = []
    engine.container.register('AuditSink', { useValue: (line: string) => void lines.push(line) })
    await engine.run(Audited)
    expect(lines).toEqual(['done'])
    await engine.close()
  })

  it('built twice by a factory is recognised as the same definition', async () => {
    const engine = engineWithMailer()
    engine.register(Quote)
    expect(() => engine.register(quote())).not.toThrow()
    expect(engine.stats().workflows).toBe(1)
    await engine.close()
  })

  it('with other tokens under the same version is another definition, refused', async () => {
    const engine = engineWithMailer()
    engine.register(Quote)
    const other = defineWorkflow<{ email: string }>({ name: 'services-quote', version: 1 })
      .services({ mailer: token<Mailer>('OtherMailer'), counter: Counter })
      .task('send', (input, ctx) => ({ sent: ctx.services.mailer.send(input.email, 'hi'), counter: ctx.services.counter.id }))
      .task('again', { dependsOn: ['send'] }, (_sent, ctx) => ctx.services.counter.id)
      .build()
    engine.container.register('OtherMailer', { useValue: mailer })
    expect(() => engine.register(other)).toThrow(/already registered by another definition/)
    await engine.close()
  })
})

describe('declaring services', () => {
  it('refuses a value that is not a class, a string or a symbol, naming the service', () => {
    const error = thrown(() => defineWorkflow({ name: 'bad-services', version: 1 }).services({ mailer: 42 as never }))
    expect(error).toBeInstanceOf(InvalidOptionsError)
    expect((error as Error).message).toBe(
      `workflow "bad-services": service "mailer" needs a class, a string or a symbol to be resolved by (token<T>('mailer') types a string), got number`,
    )
  })

  it('refuses services declared after a task (its tasks would not all see them)', () => {
    const builder = defineWorkflow({ name: 'late-services', version: 1 }).task('a', () => 1)
    const error = thrown(() => (builder as unknown as { services(s: object): unknown }).services({ counter: Counter }))
    expect(error).toBeInstanceOf(InvalidOptionsError)
    expect((error as Error).message).toBe('workflow "late-services": declare its services once, before its first task')
  })

  it('refuses an empty token', () => {
    expect(() => token('')).toThrow(InvalidOptionsError)
  })
})
