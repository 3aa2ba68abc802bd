import type { TaskNode, WorkflowGraph } from '../graph/workflow-graph.js'
import type { WeftListener } from './event-hub.js'
import type { WeftEvent, WeftEventType } from './run-events.js'

/**
 * The port through which a run reports its tasks' completions to the
 * engine's live metrics monitor as plain numbers: no event object is built
 * for it, and the monitor resolves where a task's numbers go once per
 * workflow graph, not once per event. The monitor gets every other event
 * through the engine's event hub, but for {@link MetricsSink.directEvents}.
 *
 * A task completes once per task of every run: building a `task.completed`
 * (and a `task.started`) object for a listener, and finding the task's
 * numbers by name, cost more per task than the monitor's own counting.
 * Internal: the engine wires its own `LiveMetrics` through it.
 */
export interface MetricsSink {
  /**
   * The event types the sink does not need from the event hub: those it is
   * told of through {@link TaskMetricsRecorder}, and those it ignores.
   */
  readonly directEvents: readonly WeftEventType[]
  /** Records the events of every other type (the engine subscribes it to them). */
  readonly listener: WeftListener<WeftEvent>
  /** Called once per run as it begins executing in this process: the recorder of `graph`'s tasks. */
  tasksOf(graph: WorkflowGraph): TaskMetricsRecorder
}

/**
 * Where a run reports its tasks' completions (see {@link MetricsSink}); the
 * arguments are those of the `task.completed` event it stands for.
 */
export interface TaskMetricsRecorder {
  /**
   * `task` completed at `at` (epoch milliseconds) after `durationMs` (from
   * its first attempt's start to its end); `fromCheckpoint` when it was
   * replayed from its recorded step rather than run.
   */
  completed(task: TaskNode, at: number, durationMs: number, fromCheckpoint: boolean): void
}
