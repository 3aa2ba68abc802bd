import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { readCheckpointFile, verifyAudit, type AuditChainReport, type AuditReport, type CheckpointProblem } from '../store.js'
import { withAuditStore } from './audit-store-access.js'
import { configOption, securedCommand, tokenOption } from './cli-security.js'
import { CommandFailedError, UsageError } from './cli-errors.js'
import type { CliCommand, CliContext } from './command.js'
import { databaseOption, messageOf } from './database.js'
import { jsonOption, printJson } from './run-json.js'
import { paint } from './terminal.js'

/** `weft audit verify`: recomputes every audit chain and checks it against the signed checkpoints. */
export const auditVerifyCommand: CliCommand = {
  path: ['audit', 'verify'],
  summary: 'check the audit log for edited, deleted, inserted or reordered entries',
  details: [
    'Walks each chain of the audit log (one per writer), recomputes every entry\'s hash, checks that',
    'indexes have no gaps and that each entry links to the one before it, then checks the checkpoint',
    'file: each checkpoint\'s Ed25519 signature under the --public-key given, and that each chain still',
    'holds the entry each checkpoint signed (a chain that ends before it was truncated).',
    'Prints one line per chain; exits 1 when anything does not verify, naming the chain, the index of',
    'its first problem and what it looks like. Without --checkpoints a truncated or wholly rewritten',
    'chain cannot be told from an intact one.',
  ],
  positionals: [],
  options: {
    checkpoints: { type: 'string', valueName: '<file>', description: 'the checkpoint file (JSON lines) the writers signed' },
    'public-key': { type: 'string', multiple: true, valueName: '<pem-file>', description: 'a public key checkpoints may be signed with (give one per key in use)' },
    database: databaseOption,
    config: configOption,
    token: tokenOption,
    json: jsonOption,
  },
  examples: ['weft audit verify --checkpoints /var/lib/weft/audit-checkpoints.jsonl --public-key audit-key.pub.pem', 'weft audit verify --checkpoints audit.jsonl --public-key audit.pub.pem --database postgres://weft@db.internal/weft --json'],
  async run(args, context) {
    const checkpointFile = args.string('checkpoints')
    const keyFiles = args.strings('public-key')
    if (checkpointFile !== undefined && keyFiles.length === 0) throw new UsageError('--checkpoints needs --public-key <pem-file>: the key the checkpoints are signed with')
    const publicKeys = keyFiles.map((file) => readText(context, file, 'public key'))
    const checkpoints = checkpointFile === undefined ? [] : await readCheckpoints(context, checkpointFile)
    const report = await withAuditStore(args.string('database'), context, (audit) => verifyAudit({ store: audit, checkpoints, publicKeys }), await securedCommand(args, context))
    if (args.flag('json')) printJson(context.out, report)
    else printReport(context, report, checkpointFile !== undefined)
    return report.ok ? 0 : 1
  },
}

function readText(context: CliContext, file: string, what: string): string {
  try {
    return readFileSync(resolve(context.cwd, file), 'utf8')
  } catch (error) {
    throw new CommandFailedError(`cannot read the ${what} ${file}: ${messageOf(error)}`, { cause: error })
  }
}

async function readCheckpoints(context: CliContext, file: string) {
  try {
    return await readCheckpointFile(resolve(context.cwd, file))
  } catch (error) {
    throw new CommandFailedError(`cannot read the checkpoint file ${file}: ${messageOf(error)}`, { cause: error })
  }
}

function printReport(context: CliContext, report: AuditReport, withCheckpoints: boolean): void {
  const { out, err } = context
  if (report.chains.length === 0) out.line('the audit log is empty')
  for (const chain of report.chains) out.line(chainLine(context, chain))
  for (const problem of report.checkpoints.problems) out.line(checkpointLine(context, problem))
  if (withCheckpoints) out.line(`${report.checkpoints.valid} of ${report.checkpoints.given} checkpoints verified`)
  else err.line('(no --checkpoints: a truncated or rewritten chain cannot be detected)')
  if (!report.ok) err.line('weft: the audit log does not verify')
}

function chainLine(context: CliContext, chain: AuditChainReport): string {
  const signed = chain.checkpointed === undefined ? '' : `, signed through ${chain.checkpointed}`
  if (chain.problem === undefined) return `${paint(context.out, 'green', 'ok')}        ${chain.chain}: ${chain.entries} entries${signed}`
  const { index, kind, detail } = chain.problem
  return `${paint(context.out, 'red', 'TAMPERED')}  ${chain.chain}: entry ${index} ${kind}: ${detail}`
}

function checkpointLine(context: CliContext, problem: CheckpointProblem): string {
  return `${paint(context.out, 'red', 'BAD')}       checkpoint line ${problem.line}: ${problem.kind}: ${problem.detail}`
}
