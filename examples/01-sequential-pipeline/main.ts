/**
 * Example 01: a sequential data pipeline, validate → transform → store.
 *
 * Shows:
 * - a workflow class extending `WorkflowBase<Input>` whose input is an Effect
 *   `Schema` given to `@Workflow({ input })`: the engine checks the input
 *   before it creates a run, and a bad input throws `InputValidationError`
 *   listing every bad path;
 * - a chain of tasks linked by `@Task({ dependsOn })`: each receives the typed output of
 *   the task before it, so the three run one after the other;
 * - `ctx.idempotencyKey` handed to the (simulated) storage layer.
 *
 * Ported from the `data_pipeline` handler of the reference (section 1.3).
 *
 * Run it: `npm run build && npm run build:examples && node examples/dist/01-sequential-pipeline/main.js`.
 */
import { pathToFileURL } from 'node:url'
import { Schema } from 'effect'
import { InputValidationError, Task, Workflow, WorkflowBase, createEngine, type Engine, type TaskContext, sqliteStore } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'

const SensorReading = Schema.Struct({ sensor: Schema.NonEmptyString, celsius: Schema.Finite })
const PipelineInput = Schema.Struct({ source: Schema.NonEmptyString, readings: Schema.Array(SensorReading) })

/** One temperature reading as it arrives. */
type SensorReading = typeof SensorReading.Type
/** The run input: where the readings come from, and the readings. */
type PipelineInput = typeof PipelineInput.Type

/** What `validate` produces: the plausible readings and the sensors of the rejected ones. */
export interface ValidatedReadings {
  readonly readings: readonly SensorReading[]
  readonly rejected: readonly string[]
}

/** One row as it is stored. */
export interface StoredRow {
  readonly sensor: string
  readonly fahrenheit: number
}

/** What `store` produces. */
export interface StorageReceipt {
  readonly storedRows: number
  readonly location: string
  readonly idempotencyKey: string
}

/** Readings outside this range (in °C) are treated as sensor faults. */
const plausibleCelsius = { min: -60, max: 60 } as const

@Workflow({ name: 'data-pipeline', version: 1, input: PipelineInput })
export class DataPipeline extends WorkflowBase<PipelineInput> {
  @Task({ description: 'drop readings a working sensor cannot produce' })
  async validate(input: PipelineInput, ctx: TaskContext<PipelineInput>): Promise<ValidatedReadings> {
    await ctx.sleep('2 ms')
    const plausible = input.readings.filter(isPlausible)
    const rejected = input.readings.filter((reading) => !isPlausible(reading)).map((reading) => reading.sensor)
    return { readings: plausible, rejected }
  }

  @Task({ dependsOn: ['validate'], description: 'convert to the unit the warehouse expects' })
  async transform(validated: ValidatedReadings, ctx: TaskContext<PipelineInput>): Promise<StoredRow[]> {
    await ctx.sleep('3 ms')
    return validated.readings.map((reading) => ({ sensor: reading.sensor, fahrenheit: toFahrenheit(reading.celsius) }))
  }

  @Task({ dependsOn: ['transform'], description: 'write the rows, idempotently' })
  async store(rows: StoredRow[], ctx: TaskContext<PipelineInput>): Promise<StorageReceipt> {
    await ctx.sleep('1 ms')
    return { storedRows: rows.length, location: `warehouse://${ctx.input.source}`, idempotencyKey: ctx.idempotencyKey }
  }
}

function isPlausible(reading: SensorReading): boolean {
  return reading.celsius >= plausibleCelsius.min && reading.celsius <= plausibleCelsius.max
}

function toFahrenheit(celsius: number): number {
  return Math.round((celsius * 9) / 5 + 32)
}

/** What {@link main} reports. */
export interface PipelineSummary {
  readonly completionOrder: readonly string[]
  readonly rejectedSensors: readonly string[]
  readonly rows: readonly StoredRow[]
  readonly receipt: StorageReceipt
  /** The error code and bad paths of a run started with an invalid input. */
  readonly invalidInput: { readonly code: string; readonly paths: readonly string[] }
}

const sampleInput: PipelineInput = {
  source: 'greenhouse-7',
  readings: [
    { sensor: 't-1', celsius: 21.5 },
    { sensor: 't-2', celsius: 19 },
    { sensor: 't-3', celsius: 999 },
    { sensor: 't-4', celsius: 25 },
  ],
}

/** Runs the pipeline on sample readings, then shows an input the schema rejects. */
export async function main(log: (line: string) => void = console.log, store: WorkflowStore = sqliteStore()): Promise<PipelineSummary> {
  const engine = createEngine({ store })
  const completionOrder: string[] = []
  engine.on('task.completed', (event) => completionOrder.push(event.task))
  try {
    const result = await engine.run(DataPipeline, sampleInput)
    const receipt = result.output('store')
    log(`stored ${receipt.storedRows} rows at ${receipt.location} (tasks in order: ${completionOrder.join(' → ')})`)
    const invalidInput = await startWithInvalidInput(engine, log)
    return {
      completionOrder,
      rejectedSensors: result.output('validate').rejected,
      rows: result.output('transform'),
      receipt,
      invalidInput,
    }
  } finally {
    await engine.close()
  }
}

async function startWithInvalidInput(engine: Engine, log: (line: string) => void): Promise<PipelineSummary['invalidInput']> {
  const invalid = { source: '', readings: [{ sensor: 't-1', celsius: 'warm' }] }
  try {
    await engine.start(DataPipeline, invalid as unknown as PipelineInput)
  } catch (error) {
    if (!(error instanceof InputValidationError)) throw error
    log(`rejected before any run was created: ${error.issues.map((issue) => issue.path).join(', ')}`)
    return { code: error.code, paths: error.issues.map((issue) => issue.path) }
  }
  throw new Error('the engine accepted an invalid input')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
