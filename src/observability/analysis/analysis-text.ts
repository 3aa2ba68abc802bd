// A WorkflowAnalysis as lines of text, for a terminal or a log.
import type { WorkflowAnalysis } from './analyze-workflow.js'
import { ms, percent } from './bottlenecks.js'
import type { TaskProfile } from './task-profile.js'

/**
 * The analysis as lines of plain text: the sample, a table of the tasks,
 * the critical path, the bottlenecks, the cache candidates, and the
 * suggestions with their evidence and estimated savings.
 *
 * @example
 * ```ts
 * import { formatAnalysis, type WorkflowAnalysis } from 'weft-sdk'
 * declare const analysis: WorkflowAnalysis
 * console.log(formatAnalysis(analysis).join('\n'))
 * ```
 */
export function formatAnalysis(analysis: WorkflowAnalysis): string[] {
  return [
    ...sampleLines(analysis),
    '',
    ...taskTable(analysis.tasks),
    '',
    ...pathLines(analysis),
    '',
    ...bottleneckLines(analysis),
    '',
    ...cacheLines(analysis),
    '',
    ...suggestionLines(analysis),
  ]
}

function sampleLines({ workflow, version, sample, observedConcurrency }: WorkflowAnalysis): string[] {
  const ignored = sample.ignored === 0 ? '' : `; ${sample.ignored} ignored (unfinished, or another version)`
  return [
    `workflow ${workflow}@${version}: ${sample.analyzed} runs analyzed (${sample.completed} completed, ${sample.notCompleted} not)${ignored}`,
    `${sample.replayed} runs with a step for every task are replayed for savings; at most ${observedConcurrency} task(s) of a run ran at once`,
  ]
}

const columns: readonly [string, (t: TaskProfile) => string][] = [
  ['task', (t) => t.task],
  ['steps', (t) => String(t.steps)],
  ['median', (t) => ms(t.duration.medianMs)],
  ['p95', (t) => ms(t.duration.p95Ms)],
  ['mean', (t) => ms(t.duration.meanMs)],
  ['cv', (t) => t.duration.cv.toFixed(2)],
  ['failed attempts', (t) => `${percent(t.failureRate)} (${t.failedAttempts}/${t.attempts})`],
  ['retried', (t) => percent(t.retryRate)],
  ['blocked', (t) => (t.blockedSteps === 0 ? '-' : `${t.blockedSteps} (${ms(t.blockedMs)})`)],
]

function taskTable(tasks: readonly TaskProfile[]): string[] {
  const rows = [columns.map(([header]) => header), ...tasks.map((t) => columns.map(([, cell]) => cell(t)))]
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd())
}

function pathLines({ criticalPath }: WorkflowAnalysis): string[] {
  if (criticalPath.steps.length === 0) return ['critical path: none (no task ran)']
  return [
    `critical path (by median duration): ${ms(criticalPath.lengthMs)}`,
    ...criticalPath.steps.map((step) => `  ${step.task}  ${ms(step.weightMs)}  ${percent(step.share)}`),
  ]
}

function bottleneckLines({ bottlenecks }: WorkflowAnalysis): string[] {
  if (bottlenecks.length === 0) return ['bottlenecks: none']
  return ['bottlenecks:', ...bottlenecks.map((b) => `  ${b.task}  ${b.kind}: ${b.evidence}`)]
}

function cacheLines({ cacheCandidates }: WorkflowAnalysis): string[] {
  if (cacheCandidates.length === 0) return ['cache candidates: none']
  return ['cache candidates:', ...cacheCandidates.map((c) => `  ${c.task}: ${c.repeats} of ${c.calls} calls repeated earlier arguments (${c.distinctInputs} distinct), ${c.sameOutput} with the same output`)]
}

function suggestionLines({ suggestions }: WorkflowAnalysis): string[] {
  if (suggestions.length === 0) return ['suggestions: none']
  return [
    'suggestions (savings estimated by replaying the recorded runs through the graph with the change):',
    ...suggestions.flatMap((s, i) => [
      `  ${i + 1}. ${s.action}`,
      `     saves ~${ms(s.estimatedSavingMs)} per run (${percent(s.estimatedSavingShare)} of the replayed time, ${s.replayedRuns} runs)`,
      ...s.evidence.map((line) => `     evidence: ${line}`),
      `     replay: ${s.replay}`,
    ]),
  ]
}
