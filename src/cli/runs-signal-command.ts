import { RunFinishedError, RunNotFoundError, type RunId, type RunRecord, type WeftError } from '../index.js'
import { deserialize, finishedRunStatuses, storableNameProblem } from '../store.js'
import { CommandFailedError, UsageError } from './cli-errors.js'
import type { CliCommand } from './command.js'
import { databaseOption, defaultDatabase, describeDatabase, messageOf, withStore } from './database.js'
import { jsonOption, printJson } from './run-json.js'
import { configOption, securedCommand, tokenOption, withSecuredEngine } from './cli-security.js'
import { workflowLabel } from './run-text.js'

/** `weft runs signal <id> <event> <json>`: sends an event to one run through the store, as `engine.emit(event, payload, { runId })` does. */
export const runsSignalCommand: CliCommand = {
  path: ['runs', 'signal'],
  summary: 'send an event to a run',
  details: [
    'Stores the event in the run\'s inbox, as engine.emit(event, payload, { runId }) does: the task waiting',
    'for it (ctx.waitForEvent) takes it, now or when it starts waiting. The payload is JSON; values in',
    'Weft\'s storage encoding (as --json --values prints them, e.g. {"$weft":"date","v":"…"}) are decoded.',
    'Exit code 1 for an unknown run (WEFT_RUN_NOT_FOUND) or one that ended (WEFT_RUN_FINISHED: completed,',
    'failed, cancelled or dead-lettered), as the engine refuses them; nothing is sent then.',
    'A workflow that declares the event with a Schema decodes the payload on receipt: one the schema',
    'refuses is never delivered (the task keeps waiting); run.signal refuses it before storing it.',
  ],
  positionals: [
    { name: 'id', description: 'the run id (see `weft runs list`)' },
    { name: 'event', description: 'the event name the run waits for' },
    { name: 'json', description: 'the payload, as JSON: \'{"approved":true}\', \'"text"\', 42, null' },
  ],
  options: { database: databaseOption, config: configOption, token: tokenOption, json: jsonOption },
  examples: [
    'weft runs signal 01jhkm5100k3m9xq4v0c8n2r approved \'{"by":"ada"}\'',
    'weft runs signal 01jhkm5100k3m9xq4v0c8n2r note \'"call back tomorrow"\'',
  ],
  async run(args, context) {
    const [runId, event, text] = args.positionals as [string, string, string]
    const problem = storableNameProblem(event)
    if (problem !== undefined) throw new UsageError(`the event name cannot be stored: it has ${problem}`)
    const payload = parsePayload(text)
    const database = args.string('database')
    const secured = await securedCommand(args, context)
    // With --config: engine.emit to the run as the caller (the object-level rule, the per-principal emit limit).
    const { run, eventId } = secured !== undefined
      ? await withSecuredEngine(database, context, secured, async (caller, store) => {
          const sent = await caller.emit(event, payload, { runId: runId as RunId })
          // Sent: the run exists (it may have finished since, having taken the event).
          return { run: (await store.getRun(runId))!, eventId: sent.eventId }
        })
      : await withStore(database, context.cwd, 'write', async (store) => {
          const found = sendable(await store.getRun(runId), runId, database)
          return { run: found, eventId: await store.sendEvent({ name: event, runId, payload, sentAt: context.now() }) }
        })
    if (args.flag('json')) printJson(context.out, { eventId, runId, event })
    else context.out.line(`sent event "${event}" (id ${eventId}) to run ${runId} (${workflowLabel(run)}), which is ${run.status}`)
    return 0
  },
}

/**
 * The payload of `<json>`.
 * @throws {@link UsageError} naming the fix when it is not JSON (most often: a string without its JSON quotes).
 */
function parsePayload(text: string): unknown {
  try {
    return deserialize(text)
  } catch (error) {
    const hint = /^[^{["\d\-tfn]/.test(text.trim()) ? `; a string needs JSON quotes inside the shell's: '"${text}"'` : ''
    throw new UsageError(`<json> must be a JSON value such as '{"approved":true}', '"text"', 42 or null, got ${JSON.stringify(text)} (${messageOf(error)})${hint}`)
  }
}

/**
 * The run, when an event may be sent to it.
 * @throws {@link CommandFailedError} caused by the engine's {@link RunNotFoundError} or {@link RunFinishedError}, with its code.
 */
function sendable(run: RunRecord | undefined, runId: string, database: string | undefined): RunRecord {
  if (run === undefined) {
    refuse(new RunNotFoundError(runId), `in ${describeDatabase(database ?? defaultDatabase)}; \`weft runs list\` shows the runs there`)
  }
  if (finishedRunStatuses.includes(run.status)) refuse(new RunFinishedError(runId, run.status), '')
  return run
}

function refuse(error: WeftError, more: string): never {
  throw new CommandFailedError(`${error.message}${more === '' ? '' : ` ${more}`} [${error.code}]`, { cause: error })
}
