import 'reflect-metadata'
import { inject, injectable } from 'tsyringe'
import { describe, expect, it } from 'vitest'
import { createEngine, InvalidWorkflowError, MemoryWorkflowStore, Task, Workflow, WorkflowBase } from 'weft-sdk'
import { thrown } from '../support/thrown.js'

interface Payments {
  charge(amount: number): number
}

@Workflow({ name: 'pays-by-interface', version: 1 })
class PaysByInterface extends WorkflowBase {
  constructor(private readonly payments: Payments) {
    super()
  }
  @Task() pay() {
    return this.payments.charge(1)
  }
}

@Workflow({ name: 'pays-by-token', version: 1 })
class PaysByToken extends WorkflowBase {
  constructor(@inject('Payments') private readonly payments: Payments) {
    super()
  }
  @Task() pay() {
    return this.payments.charge(2)
  }
}

/** A class with parameters that nobody marked @injectable() (so the container cannot construct it). */
class Ledger {
  constructor(readonly name: string) {}
  book(amount: number): number {
    return amount
  }
}

@Workflow({ name: 'books', version: 1 })
class Books extends WorkflowBase {
  constructor(private readonly ledger: Ledger) {
    super()
  }
  @Task() book() {
    return this.ledger.book(3)
  }
}

@injectable()
class Audit {
  constructor(@inject('AuditSink') readonly sink: (line: string) => void) {}
}

@Workflow({ name: 'audited', version: 1 })
class Audited extends WorkflowBase {
  constructor(private readonly audit: Audit) {
    super()
  }
  @Task() log() {
    this.audit.sink('done')
    return 'logged'
  }
}

const payments: Payments = { charge: (amount) => amount * 10 }

describe('a workflow whose constructor needs something the container cannot supply', () => {
  it('is refused when registered, naming the workflow, the parameter and the fix, for an interface-typed parameter', () => {
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    const error = thrown(() => engine.register(PaysByInterface))
    expect(error).toBeInstanceOf(InvalidWorkflowError)
    expect((error as Error).message).toMatch(/^workflow "pays-by-interface": parameter 1 of PaysByInterface's constructor is an interface or a type alias \(emitted as Object\), .*@inject\('Payments'\)/)
    void engine.close()
  })

  it('is refused for an @inject token nothing registered, and runs once it is registered', async () => {
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    expect((thrown(() => engine.register(PaysByToken)) as Error).message).toContain('parameter 1 of PaysByToken\'s constructor asks for Payments (@inject), which nothing registered')
    engine.container.register('Payments', { useValue: payments })
    expect((await engine.run(PaysByToken)).output('pay')).toBe(20)
    await engine.close()
  })

  it('is refused for a class the container cannot construct, and accepted once an instance is registered', async () => {
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    expect((thrown(() => engine.register(Books)) as Error).message).toContain('is of class Ledger, which nothing registered and the container cannot construct')
    engine.container.register(Ledger, { useValue: new Ledger('main') })
    expect((await engine.run(Books)).output('book')).toBe(3)
    await engine.close()
  })

  it('looks into an @injectable() dependency: its own missing token is named', async () => {
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    expect((thrown(() => engine.register(Audited)) as Error).message).toContain('parameter 1 of Audited\'s constructor is of class Audit, whose parameter 1 of Audit\'s constructor asks for AuditSink (@inject)')
    const lines: string[] = []
    engine.container.register('AuditSink', { useValue: (line: string) => void lines.push(line) })
    expect((await engine.run(Audited)).output('log')).toBe('logged')
    expect(lines).toEqual(['done'])
    await engine.close()
  })

  it('checks workflows given to createEngine when the engine opens, after dependencies registered right after it', async () => {
    const engine = createEngine({ store: new MemoryWorkflowStore(), workflows: [PaysByToken] })
    engine.container.register('Payments', { useValue: payments })
    await engine.ready
    expect((await engine.run(PaysByToken)).output('pay')).toBe(20)
    await engine.close()
    const missing = createEngine({ store: new MemoryWorkflowStore(), workflows: [PaysByToken] })
    const error = await missing.ready.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidWorkflowError)
    expect((await missing.start(PaysByToken).catch((e: unknown) => e)) as Error).toBeInstanceOf(InvalidWorkflowError)
    await missing.close()
  })
})
