import { toMermaid } from '../index.js'
import type { CliCommand } from './command.js'
import { findWorkflowExport, importWorkflowModule } from './workflow-module.js'

/** `weft graph <module> <Workflow>`: a workflow's task graph as a Mermaid flowchart. */
export const graphCommand: CliCommand = {
  path: ['graph'],
  summary: "print a workflow's task graph as a Mermaid flowchart",
  details: [
    'Imports the module (a built .js file, relative to the working directory) and prints the graph of',
    'the named export: a @Workflow class or a defineWorkflow(...).build() definition. The workflow\'s',
    'own name is accepted too when no export has the given name.',
  ],
  positionals: [
    { name: 'module', description: 'path of a built JavaScript module' },
    { name: 'workflow', description: 'the name of the export holding the workflow' },
  ],
  options: {},
  examples: ['weft graph dist/workflows/orders.js OrderFulfilment', 'weft graph dist/workflows/orders.js OrderFulfilment > orders.mmd'],
  async run(args, context) {
    const [path, name] = args.positionals as [string, string]
    const module = await importWorkflowModule(path, context.cwd)
    context.out.line(toMermaid(findWorkflowExport(module, name).graph))
    return 0
  },
}
