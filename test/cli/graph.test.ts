/** `weft graph <module> <Workflow>` on modules that import the built package, as users' built code does. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createModuleFolder, runWeft, type ModuleFolder } from '../support/weft-cli.js'

let folder: ModuleFolder

beforeAll(() => {
  folder = createModuleFolder()
  folder.write(
    'workflows.mjs',
    `import { defineWorkflow, Workflow, Task, DependsOn, Retry } from 'weft-sdk'

export const Orders = defineWorkflow({ name: 'orders', version: 1 })
  .task('load', (input) => input)
  .task('charge', { dependsOn: ['load'], retry: { maxAttempts: 3 }, timeout: '10 s' }, (order) => order)
  .task('ship', { dependsOn: ['load', { task: 'charge', optional: true }] }, (order) => order)
  .build()

// A decorated class, with the decorators applied by hand (plain JavaScript has no decorator syntax here).
export class Billing {
  invoice() { return 1 }
  send(invoice) { return invoice }
}
const method = (name) => Object.getOwnPropertyDescriptor(Billing.prototype, name)
Task()(Billing.prototype, 'invoice', method('invoice'))
Retry({ maxAttempts: 2 })(Billing.prototype, 'send', method('send'))
DependsOn('invoice')(Billing.prototype, 'send', method('send'))
Workflow({ name: 'billing', version: 3 })(Billing)

export class Helper {}
export const limit = 10
`,
  )
  folder.write('broken.mjs', `import { defineWorkflow } from 'weft-sdk'\nexport const Bad = defineWorkflow({ name: 'bad', version: 1 }).task('a', { dependsOn: ['b'] }, () => 1).build()\n`)
})

afterAll(() => folder.remove())

describe('weft graph', () => {
  it("prints a defineWorkflow definition's graph as a Mermaid flowchart", async () => {
    const { code, stdout, stderr } = await runWeft(['graph', 'workflows.mjs', 'Orders'], folder.path)
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toBe(
      [
        'flowchart TD',
        '  t_load["load"]',
        '  t_charge["charge<br/>retry ×3 · timeout 10000 ms"]',
        '  t_ship["ship"]',
        '  t_load --> t_charge',
        '  t_load --> t_ship',
        '  t_charge -.-> t_ship',
        '',
      ].join('\n'),
    )
  })

  it("prints a @Workflow class's graph", async () => {
    const { code, stdout } = await runWeft(['graph', './workflows.mjs', 'Billing'], folder.path)
    expect(code).toBe(0)
    expect(stdout.split('\n')).toEqual(['flowchart TD', '  t_invoice["invoice"]', '  t_send["send<br/>retry ×2"]', '  t_invoice --> t_send', ''])
  })

  it('prints { workflow, version, tasks, mermaid } with --json', async () => {
    const { code, stdout } = await runWeft(['graph', 'workflows.mjs', 'Orders', '--json'], folder.path)
    expect(code).toBe(0)
    const graph = JSON.parse(stdout) as { workflow: string; version: number; tasks: unknown[]; mermaid: string }
    expect(graph).toMatchObject({ workflow: 'orders', version: 1 })
    expect(graph.tasks).toEqual([
      { name: 'load', kind: 'task', dependsOn: [] },
      { name: 'charge', kind: 'task', dependsOn: ['load'] },
      { name: 'ship', kind: 'task', dependsOn: ['load', 'charge'] },
    ])
    expect(graph.mermaid).toBe((await runWeft(['graph', 'workflows.mjs', 'Orders'], folder.path)).stdout.slice(0, -1))
  })

  it("finds a workflow by its own name when no export has the name", async () => {
    const { code, stdout } = await runWeft(['graph', 'workflows.mjs', 'billing'], folder.path)
    expect(code).toBe(0)
    expect(stdout.split('\n')[1]).toBe('  t_invoice["invoice"]')
  })

  it('exits 1 naming the missing file', async () => {
    const { code, stdout, stderr } = await runWeft(['graph', 'dist/missing.js', 'Orders'], folder.path)
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/^weft: module dist\/missing\.js not found \(looked for .+missing\.js\); pass the path of a built \.js file\n$/)
  })

  it("exits 1 listing the module's workflows when the export does not exist", async () => {
    const { code, stderr } = await runWeft(['graph', 'workflows.mjs', 'Order'], folder.path)
    expect(code).toBe(1)
    expect(stderr).toBe('weft: workflows.mjs has no export named "Order"; its workflow exports are Billing (billing@3), Orders (orders@1)\n')
  })

  it('exits 1 when the export is not a workflow', async () => {
    const value = await runWeft(['graph', 'workflows.mjs', 'limit'], folder.path)
    expect(value.code).toBe(1)
    expect(value.stderr).toBe(
      'weft: export "limit" of workflows.mjs is not a workflow: expected a @Workflow class or a defineWorkflow(...).build() result, got number\n',
    )
    const undecorated = await runWeft(['graph', 'workflows.mjs', 'Helper'], folder.path)
    expect(undecorated.code).toBe(1)
    expect(undecorated.stderr).toMatch(/^weft: export "Helper" of workflows\.mjs is not a workflow: class Helper has no @Workflow\(\{ name, version \}\) decorator \(/)
  })

  it('exits 1 with the definition error when importing the module throws', async () => {
    const { code, stderr } = await runWeft(['graph', 'broken.mjs', 'Bad'], folder.path)
    expect(code).toBe(1)
    expect(stderr).toMatch(/^weft: cannot import broken\.mjs: workflow "bad": task "a" depends on unknown task "b"/)
  })

  it('exits 2 when an argument is missing', async () => {
    const { code, stderr } = await runWeft(['graph', 'workflows.mjs'], folder.path)
    expect(code).toBe(2)
    expect(stderr).toBe('weft: weft graph needs <workflow>; usage: weft graph <module> <workflow>\n')
  })
})
