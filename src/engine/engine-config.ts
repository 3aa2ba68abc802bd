import type { Clock } from 'effect'
import type { DependencyContainer } from 'tsyringe'
import type { AnyWorkflow } from '../authoring/workflow-ref.js'
import type { ListenerErrorHandler } from '../runtime/event-hub.js'
import type { WorkflowStore } from '../storage/workflow-store.js'

/** Options of {@link createEngine}. */
export interface EngineConfig {
  /** Where runs and step results are recorded. @defaultValue a new `MemoryWorkflowStore` */
  readonly store?: WorkflowStore
  /**
   * The container the engine's child container is created from; workflow
   * classes, adapters and policies are resolved from that child.
   * @defaultValue tsyringe's root container
   */
  readonly container?: DependencyContainer
  /** Workflows to register at once. */
  readonly workflows?: readonly AnyWorkflow[]
  /** Tasks running at once across every run of the engine. @defaultValue `Infinity` */
  readonly maxConcurrentTasks?: number
  /** Tasks of one run running at once. @defaultValue `Infinity` */
  readonly maxConcurrentTasksPerRun?: number
  /**
   * The Effect `Clock` policies, sleeps and event timeouts use; pass a
   * `TestClock` to drive time in tests. @defaultValue the system clock
   */
  readonly clock?: Clock.Clock
  /** Called when an event listener throws. @defaultValue logs to `console.error` */
  readonly onListenerError?: ListenerErrorHandler
}
