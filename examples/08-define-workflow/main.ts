/**
 * Example 08: the main patterns without decorators, with `defineWorkflow` —
 * an agentic research workflow whose tasks are typed from the tasks they
 * depend on, exactly as with decorators.
 *
 * Shows:
 * - a root task (`plan`) receiving the input, and dependent tasks receiving
 *   their dependencies' outputs (`dependsOn`);
 * - fan-out over a list with `ctx.map`, each item checkpointed and retried
 *   on its own (`retry` in the map's options): the model's one failure costs
 *   one more call, not a second pass over every sub-question;
 * - a conditional task (`when`) that runs only when the findings are thin;
 * - a refinement loop (`.loop`), each iteration checkpointed;
 * - a human approval: the workflow declares its events with Effect `Schema`s
 *   (`.events({ approval })`), so `ctx.waitForEvent('approval')` is typed
 *   and decodes the payload on receipt; a malformed decision is refused when
 *   sent to the run, and ignored when it arrives by a broadcast;
 * - an `.onFailure` handler and an `.always` cleanup;
 * - a declared result: `run.result()` gives `{ published, rejection }`, the
 *   outputs of `publish` and of its failure handler, each declared optional
 *   (one of them has no output), and `run.details()` every task's output.
 *
 * Run it: `npm run build && npm run build:examples && node examples/dist/08-define-workflow/main.js`.
 */
import { pathToFileURL } from 'node:url'
import { Schema } from 'effect'
import { createEngine, defineWorkflow, EventPayloadError, sqliteStore, type Engine } from 'weft-sdk'
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
    .events({ approval: Approval })
    .task('plan', (question) => question.subQuestions.map((sub) => `${question.topic}: ${sub}`))
    .task('research', { dependsOn: ['plan'] }, (questions, ctx) =>
      ctx.map(questions, (question) => model.answer(question), { concurrency: 2, retry: { maxAttempts: 3, backoff: { initial: 1, max: 5 } } }),
    )
    .task('deepDive', { dependsOn: ['research'], when: (findings) => findings.some((f) => f.confidence < 0.6) }, (findings) =>
      findings.filter((f) => f.confidence < 0.6).map((f) => `${f.question} (needs a second source)`),
    )
    .loop('refine', { dependsOn: ['research'], while: (draft: Finding[], round) => round < 2 && draft.some((f) => f.confidence < 0.8), maxIterations: 5 }, (draft) =>
      draft.map((f) => ({ ...f, confidence: Math.min(1, f.confidence + 0.2) })),
    )
    .task('approve', { dependsOn: ['refine'] }, (_refined, ctx) => ctx.waitForEvent('approval', { timeout: '1 h' }))
    .task('publish', { dependsOn: ['refine', 'approve', { task: 'deepDive', optional: true }] }, (refined, approval, followUps) => {
      if (!approval.approved) throw new Error(`rejected by ${approval.editor}`)
      return { sections: refined.finalState.length, refinements: refined.iterations, followUps: followUps ?? [], editor: approval.editor }
    })
    .onFailure('explainRejection', 'publish', (failure) => `not published: ${failure.message}`)
    .always('releaseBudget', (question) => void cleaned.push(question.topic))
    .build({ result: { published: { task: 'publish', optional: true }, rejection: { task: 'explainRejection', optional: true } } })
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
    const { published, rejection } = await run.result()
    if (published === undefined) throw new Error(rejection)
    log(`published ${published.sections} sections after ${published.refinements} refinements, approved by ${published.editor}`)
    log(`follow-ups: ${published.followUps.join('; ') || 'none'}; model calls: ${model.calls} (one item retried alone)`)
    const approval = (await run.details()).output('approve')
    return { published, modelCalls: model.calls, cleaned, malformedIgnored: approval.editor === 'ada' }
  } finally {
    await engine.close()
  }
}

/**
 * Plays the editor: a malformed decision sent to the run (refused at once by
 * the declared schema, nothing stored), the same broadcast to every run (which
 * cannot be checked against one workflow when sent: stored, then refused on
 * receipt, so the task keeps waiting), then a real one.
 */
export function approveWhenAsked(engine: Engine, log: (line: string) => void): void {
  engine.on('task.started', (event) => {
    if (event.task !== 'approve') return
    setTimeout(() => void decide(engine, event.runId, log), 5)
  })
}

async function decide(engine: Engine, runId: string, log: (line: string) => void): Promise<void> {
  const malformed = { approved: 'yes' }
  try {
    await engine.emit('approval', malformed, { runId }).then(
      () => log('editor: a malformed decision was accepted (it should not be)'),
      (error: unknown) => log(`editor: a malformed decision was refused when sent (${error instanceof EventPayloadError ? error.code : String(error)})`),
    )
    await engine.emit('approval', malformed)
    await engine.emit('approval', { approved: true, editor: 'ada' }, { runId })
    log('editor: broadcast the malformed decision too (ignored on receipt), then approved')
  } catch (error) {
    log(`could not send the approval: ${String(error)}`)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
