/** How `weft worker` merges the configurations of several modules into one engine's set-up. */
import 'reflect-metadata'
import { container as rootContainer } from 'tsyringe'
import { describe, expect, it } from 'vitest'
import { defineWorkflow, HttpAdapter, TsyringeResolver } from 'weft-sdk'
import { CommandFailedError, defineWorkerConfig } from '../../src/cli/index.js'
import { mergeWorkerConfigs } from '../../src/cli/worker-setup.js'
import type { WorkerConfigExport } from '../../src/cli/workflow-module.js'
import { thrown } from '../support/thrown.js'

const Hello = defineWorkflow({ name: 'hello', version: 1 }).task('greet', () => 'hi').build()

function fromModule(path: string, config: WorkerConfigExport['config']): WorkerConfigExport {
  return { path, exportName: 'weft', config }
}

describe('merging worker configurations', () => {
  it('adds up register hooks in module order and takes each engine setting from the module that gives it', () => {
    const register = () => undefined
    const setup = mergeWorkerConfigs([
      fromModule('a.js', defineWorkerConfig({ workflows: [Hello], register, leaseDuration: '1 m' })),
      fromModule('b.js', defineWorkerConfig({ workflows: [Hello], register, maxRecoveryAttempts: 2, leaseDuration: '1 m' })),
    ])
    expect(setup.hooks).toHaveLength(2)
    expect(setup.engine).toEqual({ leaseDuration: '1 m', maxRecoveryAttempts: 2 })
  })

  it('adds up the adapters of every module, in module order', () => {
    const search = new HttpAdapter({ name: 'search', baseUrl: 'http://127.0.0.1:1' })
    const payments = new HttpAdapter({ name: 'payments', baseUrl: 'http://127.0.0.1:2' })
    const setup = mergeWorkerConfigs([
      fromModule('a.js', defineWorkerConfig({ workflows: [Hello], adapters: [search] })),
      fromModule('b.js', defineWorkerConfig({ workflows: [Hello] })),
      fromModule('c.js', defineWorkerConfig({ workflows: [Hello], adapters: [{ token: 'Payments', adapter: payments }] })),
    ])
    expect(setup.engine.adapters).toEqual([search, { token: 'Payments', adapter: payments }])
  })

  it('refuses two modules that both choose the container, naming both', () => {
    const error = thrown(() =>
      mergeWorkerConfigs([
        fromModule('a.js', defineWorkerConfig({ workflows: [Hello], container: rootContainer })),
        fromModule('b.js', defineWorkerConfig({ workflows: [Hello], resolver: new TsyringeResolver(rootContainer) })),
      ]),
    )
    expect(error).toBeInstanceOf(CommandFailedError)
    expect((error as Error).message).toBe('the weft export of b.js sets resolver, which the weft export of a.js sets too (one module at most chooses the container): keep it in one module')
  })

  it('refuses an engine setting two modules give differently', () => {
    const error = thrown(() =>
      mergeWorkerConfigs([
        fromModule('a.js', defineWorkerConfig({ workflows: [Hello], leaseDuration: '1 m' })),
        fromModule('b.js', defineWorkerConfig({ workflows: [Hello], leaseDuration: '2 m' })),
      ]),
    )
    expect((error as Error).message).toBe('the weft export of b.js sets leaseDuration, which the weft export of a.js sets too to another value: keep it in one module')
  })
})
