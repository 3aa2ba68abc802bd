/**
 * Example 09: example 08's research workflow written with decorators — the
 * same tasks, policies and wiring as the `defineWorkflow` program, so the two
 * authoring styles can be read side by side (the examples' test checks that
 * both report the same thing).
 *
 * Shows, for each `defineWorkflow` call of example 08, its decorator:
 * - `.task('plan', fn)` → `@Task() plan(question)`;
 * - `.task('research', { dependsOn }, fn)` → `@DependsOn('plan')`; `ctx.map`
 *   fans out over the sub-questions, each retried on its own;
 * - `{ when }` → `@When(condition)`, receiving the task's own arguments;
 * - `.loop(...)` → `@Loop({ dependsOn, while, maxIterations })`;
 * - `.events({ approval })` → `WorkflowBase.withEvents(...)`: the editor's
 *   approval, typed in `ctx.waitForEvent` and decoded on receipt;
 * - `.build({ result })` → `static readonly result = { ... } as const`;
 * - `.onFailure(...)` → `@OnFailure('publish')`, `.always(...)` → `@Task() @Always()`;
 * - what `defineWorkflow` closes over becomes constructor injection: the model
 *   and the cleanup log are registered in the engine's container, and every run
 *   gets them in a fresh workflow instance.
 *
 * Run it: `npm run build && npm run build:examples && node examples/dist/09-research-decorators/main.js`.
 */
import 'reflect-metadata'
import { pathToFileURL } from 'node:url'
import { Schema } from 'effect'
import { inject, injectable } from 'tsyringe'
import {
  Always,
  createEngine,
  DependsOn,
  Loop,
  OnFailure,
  sqliteStore,
  Task,
  When,
  Workflow,
  WorkflowBase,
  type LoopContext,
  type LoopResult,
  type TaskContext,
  type TaskFailure,
} from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'
import { approveWhenAsked, ScriptedModel, type Finding, type Question, type ResearchSummary } from '../08-define-workflow/main.js'

/** The editor's decision, as the approval event carries it. */
const Approval = Schema.Struct({ approved: Schema.Boolean, editor: Schema.NonEmptyString })
/** The events the workflow waits for. */
const Events = { approval: Approval }
/** A task's context in this workflow: its input and its events. */
type Ctx = TaskContext<Question, typeof Events>

/** Where the cleanup task records the topics whose budget it released (example 08 closes over an array). */
export class CleanupLog {
  readonly topics: string[] = []
}

/** What `publish` returns. */
export interface Publication {
  readonly sections: number
  readonly refinements: number
  readonly followUps: readonly string[]
  readonly editor: string
}

const lowConfidence = (finding: Finding) => finding.confidence < 0.6

@injectable()
@Workflow({ name: 'research-decorated', version: 1, description: 'plan, research in parallel, refine, approve, publish' })
export class Research extends WorkflowBase.withEvents(Events)<Question> {
  static readonly result = { published: { task: 'publish', optional: true }, rejection: { task: 'explainRejection', optional: true } } as const

  constructor(
    @inject(ScriptedModel) private readonly model: ScriptedModel,
    @inject(CleanupLog) private readonly cleanup: CleanupLog,
  ) {
    super()
  }

  @Task()
  plan(question: Question): string[] {
    return question.subQuestions.map((sub) => `${question.topic}: ${sub}`)
  }

  @DependsOn('plan')
  research(questions: string[], ctx: Ctx): Promise<Finding[]> {
    return ctx.map(questions, (question) => this.model.answer(question), { concurrency: 2, retry: { maxAttempts: 3, backoff: { initial: 1, max: 5 } } })
  }

  @DependsOn('research')
  @When((findings: Finding[]) => findings.some(lowConfidence))
  deepDive(findings: Finding[]): string[] {
    return findings.filter(lowConfidence).map((f) => `${f.question} (needs a second source)`)
  }

  @Loop({ dependsOn: ['research'], while: (draft: Finding[], round) => round < 2 && draft.some((f) => f.confidence < 0.8), maxIterations: 5 })
  refine(draft: Finding[], _ctx: LoopContext<Question, typeof Events>): Finding[] {
    return draft.map((f) => ({ ...f, confidence: Math.min(1, f.confidence + 0.2) }))
  }

  @DependsOn('refine')
  approve(_refined: LoopResult<Finding[]>, ctx: Ctx): Promise<typeof Approval.Type> {
    return ctx.waitForEvent('approval', { timeout: '1 h' })
  }

  @Task({ dependsOn: ['refine', 'approve', { task: 'deepDive', optional: true }] })
  publish(refined: LoopResult<Finding[]>, approval: typeof Approval.Type, followUps: string[] | undefined): Publication {
    if (!approval.approved) throw new Error(`rejected by ${approval.editor}`)
    return { sections: refined.finalState.length, refinements: refined.iterations, followUps: followUps ?? [], editor: approval.editor }
  }

  @OnFailure('publish')
  explainRejection(failure: TaskFailure): string {
    return `not published: ${failure.message}`
  }

  @Task()
  @Always()
  releaseBudget(question: Question): void {
    this.cleanup.topics.push(question.topic)
  }
}

/** Runs one research question, approving it by an event (after a malformed one the schema refuses). */
export async function main(log: (line: string) => void = console.log, store: WorkflowStore = sqliteStore()): Promise<ResearchSummary> {
  const model = new ScriptedModel()
  const cleanup = new CleanupLog()
  const engine = createEngine({ store, workflows: [Research] })
  engine.container.register(ScriptedModel, { useValue: model })
  engine.container.register(CleanupLog, { useValue: cleanup })
  try {
    approveWhenAsked(engine, log)
    const run = await engine.start(Research, { topic: 'durable agents', subQuestions: ['checkpoints', 'retries', 'human approval', 'fan-out'] })
    const { published, rejection } = await run.result()
    if (published === undefined) throw new Error(rejection)
    log(`published ${published.sections} sections after ${published.refinements} refinements, approved by ${published.editor}`)
    log(`follow-ups: ${published.followUps.join('; ') || 'none'}; model calls: ${model.calls} (one item retried alone)`)
    const approval = (await run.details()).output('approve')
    return { published, modelCalls: model.calls, cleaned: cleanup.topics, malformedIgnored: approval.editor === 'ada' }
  } finally {
    await engine.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
