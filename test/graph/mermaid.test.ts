import { describe, expect, it } from 'vitest'
import { defineWorkflow, toMermaid } from 'weft-sdk'

describe('toMermaid', () => {
  it('renders tasks, required and optional edges, failure handlers and policies', () => {
    const workflow = defineWorkflow({ name: 'orders', version: 1 })
      .task('load', () => 1)
      .task('charge', { dependsOn: ['load'], retry: { maxAttempts: 5 }, timeout: '10 s' }, (n) => n)
      .task('ship', { dependsOn: ['load', { task: 'charge', optional: true }], when: () => true }, () => 'x')
      .onFailure('refund', 'charge', () => 'r')
      .build()
    expect(toMermaid(workflow.graph)).toBe(
      [
        'flowchart TD',
        '  t_load["load"]',
        '  t_charge["charge<br/>retry ×5 · timeout 10000 ms"]',
        '  t_ship{"ship<br/>when …"}',
        '  t_refund[/"refund"/]',
        '  t_load --> t_charge',
        '  t_load --> t_ship',
        '  t_charge -.-> t_ship',
        '  t_charge -. on failure .-> t_refund',
      ].join('\n'),
    )
  })
})
