/**
 * Example 08: the main patterns without decorators, with `defineWorkflow` —
 * an agentic research workflow whose tasks are typed from the tasks they
 * depend on, exactly as with decorators.
 *
 * Shows:
 * - a root task (`plan`) receiving the input, and dependent tasks receiving
 *   their dependencies' outputs (`dependsOn`);
 * - fan-out over a list with `ctx.map`, each item checkpointed, under a
 *   retry policy (`retry`) for a flaky model;
 * - a conditional task (`when`) that runs only when the findings are thin;
 * - a refinement loop (`.loop`), each iteration checkpointed;
 * - a human approval with `ctx.waitForEvent(name, { schema })`: the payload
 *   is decoded by an Effect `Schema` on receipt (a malformed one is ignored);
 * - an `.onFailure` handler and an `.always` cleanup.
 *
 * Run it: `npm run build && npm run build:examples && node examples/dist/08-define-workflow/main.js`.
 */
import { pathToFileURL } from 'node:url'
import { Schema } from 'effect'
import { createEngine, defineWorkflow, sqliteStore, type Engine } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'

/** The run input: what to research and how deep. */
export interface Question {
  readonly topic: string
  readonly subQuestions: readonly string[]
}

/** One answered sub-question. */
export interface Finding {
  readonly question: string
  readonly answer: string
  readonly confidence: number
}

/** The editor's decision, as the approval event carries it. */
const Approval = Schema.Struct({ approved: Schema.Boolean, editor: Schema.NonEmptyString })

/** A scripted model: deterministic answers, and one transient failure to show the retry. */
export class ScriptedModel {
  calls = 0
  private failuresLeft = 1

  async answer(question: string): Promise<Finding> {
    this.calls++
    if (this.failuresLeft-- > 0) throw new Error('429: rate limited by the model provider')
    return { question, answer: `notes on ${question}`, confidence: question.length % 2 === 0 ? 0.9 : 0.5 }
  }
}

/** Builds the workflow around a model (a definition is a value: build it once and reuse it). */
export function researchWorkflow(model: ScriptedModel, cleaned: string[]) {
  return defineWorkflow<Question>({ name: 'research', version: 1, description: 'plan, research in parallel, refine, approve, publish' })
    .task('plan', (question) => question.subQuestions.map((sub) => `${question.topic}: ${sub}`))
    .task('research', { dependsOn: ['plan'], retry: { maxAttempts: 3, backoff: { initial: 1, max: 5 } } }, (questions, ctx) =>
      ctx.map(questions, (question) => model.answer(question), { concurrency: 2 }),
    )
    .task('deepDive', { dependsOn: ['research'], when: (findings) => findings.some((f) => f.confidence < 0.6) }, (findings) =>
      findings.filter((f) => f.confidence < 0.6).map((f) => `${f.question} (needs a second source)`),
    )
    .loop('refine', { dependsOn: ['research'], while: (draft: Finding[], round) => round < 2 && draft.some((f) => f.confidence < 0.8), maxIterations: 5 }, (draft) =>
      draft.map((f) => ({ ...f, confidence: Math.min(1, f.confidence + 0.2) })),
    )
    .task('approve', { dependsOn: ['refine'] }, (_refined, ctx) => ctx.waitForEvent('approval', { schema: Approval, timeout: '1 h' }))
    .task('publish', { dependsOn: ['refine', 'approve', { task: 'deepDive', optional: true }] }, (refined, approval, followUps) => {
      if (!approval.approved) throw new Error(`rejected by ${approval.editor}`)
      return { sections: refined.finalState.length, refinements: refined.iterations, followUps: followUps ?? [], editor: approval.editor }
    })
    .onFailure('explainRejection', 'publish', (failure) => `not published: ${failure.message}`)
    .always('releaseBudget', (question) => void cleaned.push(question.topic))
    .build()
}

/** What {@link main} reports. */
export interface ResearchSummary {
  readonly published: { readonly sections: number; readonly refinements: number; readonly followUps: readonly string[]; readonly editor: string }
  readonly modelCalls: number
  readonly cleaned: readonly string[]
  readonly malformedIgnored: boolean
}

/** Runs one research question, approving it by an event (after a malformed one the schema refuses). */
export async function main(log: (line: string) => void = console.log, store: WorkflowStore = sqliteStore()): Promise<ResearchSummary> {
  const model = new ScriptedModel()
  const cleaned: string[] = []
  const workflow = researchWorkflow(model, cleaned)
  const engine = createEngine({ store })
  try {
    approveWhenAsked(engine, log)
    const run = await engine.start(workflow, { topic: 'durable agents', subQuestions: ['checkpoints', 'retries', 'human approval', 'fan-out'] })
    const result = await run.result()
    const published = result.output('publish')
    log(`published ${published.sections} sections after ${published.refinements} refinements, approved by ${published.editor}`)
    log(`follow-ups: ${published.followUps.join('; ') || 'none'}; model calls: ${model.calls} (one retried)`)
    return { published, modelCalls: model.calls, cleaned, malformedIgnored: result.output('approve').editor === 'ada' }
  } finally {
    await engine.close()
  }
}

/** Plays the editor: a malformed decision first (refused by the schema), then a real one. */
export function approveWhenAsked(engine: Engine, log: (line: string) => void): void {
  engine.on('task.started', (event) => {
    if (event.task !== 'approve') return
    setTimeout(() => {
      const send = (payload: unknown) => engine.emit('approval', payload, { runId: event.runId })
      send({ approved: 'yes' })
        .then(() => send({ approved: true, editor: 'ada' }))
        .then(() => log('editor: sent a malformed decision, then an approval'))
        .catch((error: unknown) => log(`could not send the approval: ${String(error)}`))
    }, 5)
  })
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
