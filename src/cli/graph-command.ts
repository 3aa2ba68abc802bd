import { toMermaid, type WorkflowGraph } from '../index.js'
import type { CliCommand } from './command.js'
import { jsonOption, printJson } from './run-json.js'
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
  options: { json: jsonOption },
  examples: [
    'weft graph dist/workflows/orders.js OrderFulfilment',
    'weft graph dist/workflows/orders.js OrderFulfilment > orders.mmd',
    "weft graph dist/workflows/orders.js OrderFulfilment --json | jq '.tasks'",
  ],
  async run(args, context) {
    const [path, name] = args.positionals as [string, string]
    const module = await importWorkflowModule(path, context.cwd)
    const { graph } = findWorkflowExport(module, name)
    if (args.flag('json')) printJson(context.out, graphJson(graph))
    else context.out.line(toMermaid(graph))
    return 0
  },
}

/** `{ workflow, version, tasks: [{ name, kind, dependsOn }], mermaid }`: tasks in a topological order, dependencies in parameter order. */
function graphJson(graph: WorkflowGraph): object {
  const tasks = graph.tasks.map((task) => ({ name: task.name, kind: task.kind, dependsOn: task.dependencyIds.map((id) => graph.tasks[id]!.name) }))
  return { workflow: graph.name, version: graph.version, tasks, mermaid: toMermaid(graph) }
}
