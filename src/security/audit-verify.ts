// Verification of the audit log: each chain walked in index order, every hash recomputed, indexes checked for
// gaps, and the signed checkpoints checked against the chains. The first problem of each chain is named with
// its index and what it looks like (an edit, a deletion, an insertion, a reordering, a truncation).
import type { KeyObject } from 'node:crypto'
import { AuditIntegrityError } from '../core/security-errors.js'
import type { AuditEntry, AuditStore } from '../storage/audit-store.js'
import { auditEntryHash, auditGenesisHash } from './audit-chain.js'
import { isCheckpointSigned, type AuditCheckpoint } from './audit-checkpoints.js'

/**
 * What a problem looks like: `edited` (an entry's content no longer
 * matches its hash, or was replaced with a recomputed hash), `deleted` (an
 * index is missing), `inserted` (an entry that is not part of the chain),
 * `reordered` (an entry stands at another entry's place), `truncated` (the
 * chain ends before an index a checkpoint signed), `checkpoint-mismatch`
 * (the entry at a signed index has another hash: the chain was rewritten).
 *
 * @example
 * ```ts
 * import type { AuditProblemKind } from 'weft-sdk/store'
 * const destructive = (kind: AuditProblemKind) => kind === 'deleted' || kind === 'truncated'
 * ```
 */
export type AuditProblemKind = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'truncated' | 'checkpoint-mismatch'

/**
 * The first problem of a chain.
 *
 * @example
 * ```ts
 * import type { AuditProblem } from 'weft-sdk/store'
 * declare const problem: AuditProblem
 * console.log(`${problem.chain}: entry ${problem.index} ${problem.kind}: ${problem.detail}`)
 * ```
 */
export interface AuditProblem {
  /** The chain. */
  readonly chain: string
  /** The index where the chain stops verifying. */
  readonly index: number
  /** What it looks like. */
  readonly kind: AuditProblemKind
  /** One sentence about it. */
  readonly detail: string
}

/**
 * A checkpoint that cannot be trusted: its signature does not verify
 * under the keys given (`bad-signature`), or its line is not a checkpoint
 * (`malformed`). Its heads are not used.
 *
 * @example
 * ```ts
 * import type { CheckpointProblem } from 'weft-sdk/store'
 * declare const problem: CheckpointProblem
 * console.log(`checkpoint line ${problem.line}: ${problem.kind}`)
 * ```
 */
export interface CheckpointProblem {
  /** Its position in the checkpoints given (its line in a file), from 1. */
  readonly line: number
  /** What is wrong. */
  readonly kind: 'bad-signature' | 'malformed'
  /** One sentence about it. */
  readonly detail: string
}

/**
 * How one chain verified.
 *
 * @example
 * ```ts
 * import type { AuditChainReport } from 'weft-sdk/store'
 * declare const chain: AuditChainReport
 * if (chain.problem === undefined) console.log(`${chain.chain}: ${chain.entries} entries verified`)
 * ```
 */
export interface AuditChainReport {
  /** The chain. */
  readonly chain: string
  /** Entries stored in it. */
  readonly entries: number
  /** The last index a valid checkpoint signed; absent when none did (entries after it are verified as a chain, not against a signature). */
  readonly checkpointed?: number
  /** Its first problem; absent when it verifies. */
  readonly problem?: AuditProblem
}

/**
 * The result of {@link verifyAudit}.
 *
 * @example
 * ```ts
 * import type { AuditReport } from 'weft-sdk/store'
 * declare const report: AuditReport
 * if (!report.ok) for (const chain of report.chains) if (chain.problem) console.error(chain.problem)
 * ```
 */
export interface AuditReport {
  /** Whether every chain and every checkpoint verified. */
  readonly ok: boolean
  /** Each chain (those stored, and those a checkpoint names), in chain order. */
  readonly chains: readonly AuditChainReport[]
  /** Checkpoints given, and how many of them verified. */
  readonly checkpoints: {
    /** How many checkpoints were given (malformed lines included). */
    readonly given: number
    /** How many of them are signed by one of the public keys given (only their heads are checked against the chains). */
    readonly valid: number
    /** The others, in order: the malformed ones and those whose signature does not verify. */
    readonly problems: readonly CheckpointProblem[]
  }
}

/**
 * Options of {@link verifyAudit}.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * import { sqliteStore } from 'weft-sdk'
 * import { readCheckpointFile, type VerifyAuditOptions } from 'weft-sdk/store'
 * const store = sqliteStore()
 * const options: VerifyAuditOptions = { store: store.audit, checkpoints: await readCheckpointFile('audit.jsonl'), publicKeys: [readFileSync('audit-key.pub.pem', 'utf8')] }
 * ```
 */
export interface VerifyAuditOptions {
  /** The store's audit log. */
  readonly store: AuditStore
  /** The checkpoints (in order; see {@link readCheckpointFile}). Without them, truncation and a rewritten chain go unseen. */
  readonly checkpoints?: readonly (AuditCheckpoint | CheckpointProblem)[]
  /** The public keys checkpoints may be signed with (PEM or key objects). */
  readonly publicKeys?: readonly (KeyObject | string)[]
  /** How many entries are read per query. @defaultValue `1000` */
  readonly pageSize?: number
}

/** A chain's signed heads: index → the hash signed for it. */
type SignedHeads = Map<number, string>

/**
 * Verifies the audit log: walks each chain, recomputes every hash, checks
 * that indexes have no gaps and that each entry links to the one before,
 * checks every checkpoint's signature, and that each chain still holds the
 * entry each valid checkpoint signed. Reads each chain into memory (a few
 * hundred bytes per entry).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * import { sqliteStore } from 'weft-sdk'
 * import { readCheckpointFile, verifyAudit } from 'weft-sdk/store'
 * const store = sqliteStore()
 * const report = await verifyAudit({ store: store.audit, checkpoints: await readCheckpointFile('audit.jsonl'), publicKeys: [readFileSync('audit-key.pub.pem', 'utf8')] })
 * for (const chain of report.chains) if (chain.problem) console.error(`${chain.chain}: entry ${chain.problem.index} ${chain.problem.kind}`)
 * ```
 */
export async function verifyAudit(options: VerifyAuditOptions): Promise<AuditReport> {
  const { signed, problems, valid } = signedHeads(options.checkpoints ?? [], options.publicKeys ?? [])
  const stored = (await options.store.auditHeads()).map((head) => head.chain)
  const names = [...new Set([...stored, ...signed.keys()])].sort()
  const chains: AuditChainReport[] = []
  for (const chain of names) chains.push(verifyChain(chain, await readChain(options.store, chain, options.pageSize ?? 1000), signed.get(chain)))
  const ok = problems.length === 0 && chains.every((chain) => chain.problem === undefined)
  return { ok, chains, checkpoints: { given: options.checkpoints?.length ?? 0, valid, problems } }
}

/**
 * {@link verifyAudit}, throwing at the first problem.
 * @throws `AuditIntegrityError` naming the first chain that does not verify, its index and the problem (a bad checkpoint's chain is `checkpoint line <n>`).
 *
 * @example
 * ```ts
 * import { sqliteStore } from 'weft-sdk'
 * import { verifyAuditOrThrow } from 'weft-sdk/store'
 * const store = sqliteStore()
 * await verifyAuditOrThrow({ store: store.audit }) // throws AuditIntegrityError when tampered
 * ```
 */
export async function verifyAuditOrThrow(options: VerifyAuditOptions): Promise<AuditReport> {
  const report = await verifyAudit(options)
  const bad = report.checkpoints.problems[0]
  if (bad !== undefined) throw new AuditIntegrityError(`checkpoint line ${bad.line}`, 0, `${bad.kind}: ${bad.detail}`)
  const problem = report.chains.find((chain) => chain.problem !== undefined)?.problem
  if (problem !== undefined) throw new AuditIntegrityError(problem.chain, problem.index, `${problem.kind}: ${problem.detail}`)
  return report
}

async function readChain(store: AuditStore, chain: string, pageSize: number): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = []
  for (;;) {
    const from = entries.length === 0 ? 0 : entries.at(-1)!.index + 1
    const page = await store.readAuditChain(chain, from, pageSize)
    entries.push(...page)
    if (page.length < pageSize) return entries
  }
}

/** The heads of the checkpoints whose signature verifies, by chain; the others as problems. */
function signedHeads(checkpoints: readonly (AuditCheckpoint | CheckpointProblem)[], keys: readonly (KeyObject | string)[]) {
  const signed = new Map<string, SignedHeads>()
  const problems: CheckpointProblem[] = []
  let valid = 0
  checkpoints.forEach((checkpoint, i) => {
    if ('kind' in checkpoint) return void problems.push(checkpoint)
    if (!isCheckpointSigned(checkpoint, keys)) {
      return void problems.push({ line: i + 1, kind: 'bad-signature', detail: `the checkpoint of writer "${checkpoint.writer}" is not signed by any key given (key id ${checkpoint.keyId})` })
    }
    valid++
    for (const [chain, head] of Object.entries(checkpoint.heads)) {
      const heads = signed.get(chain) ?? new Map<number, string>()
      heads.set(head.index, head.hash)
      signed.set(chain, heads)
    }
  })
  return { signed, problems, valid }
}

function verifyChain(chain: string, entries: readonly AuditEntry[], signed: SignedHeads | undefined): AuditChainReport {
  const found = [walkProblem(chain, entries), checkpointProblem(chain, entries, signed)].filter((p) => p !== undefined)
  const problem = found.sort((a, b) => a.index - b.index)[0]
  const checkpointed = signed === undefined ? undefined : Math.max(...signed.keys())
  return { chain, entries: entries.length, ...(checkpointed === undefined ? {} : { checkpointed }), ...(problem === undefined ? {} : { problem }) }
}

/** The first entry that does not follow from the ones before it. */
function walkProblem(chain: string, entries: readonly AuditEntry[]): AuditProblem | undefined {
  const positions = new Map(entries.map((entry, position) => [entry.hash, position]))
  let prevHash = auditGenesisHash
  for (let position = 0; position < entries.length; position++) {
    const found = classify(entries, position, prevHash, positions)
    if (found !== undefined) return { chain, ...found }
    prevHash = entries[position]!.hash
  }
  return undefined
}

type Found = Omit<AuditProblem, 'chain'>

/** What is wrong at `position` (whose index should equal it), if anything. */
function classify(entries: readonly AuditEntry[], position: number, prevHash: string, positions: ReadonlyMap<string, number>): Found | undefined {
  const entry = entries[position]!
  if (entry.index > position) return { index: position, kind: 'deleted', detail: `entry ${position} is missing (the next stored index is ${entry.index})` }
  if (entry.index < position) return { index: entry.index, kind: 'inserted', detail: `index ${entry.index} is stored twice` }
  const intact = auditEntryHash(entry) === entry.hash
  if (intact && entry.prevHash === prevHash) return undefined
  const linkedTo = positions.get(entry.prevHash)
  if (intact) return misLinked(position, entry, linkedTo)
  const original = originalIndex(entry, position, linkedTo)
  if (original !== undefined && original > position) {
    if (linkedTo !== undefined && linkedTo > position) return reordered(position)
    return { index: position, kind: 'deleted', detail: `entry ${position} is missing (later entries were renumbered to close the gap)` }
  }
  if (original !== undefined && original < position) return { index: original, kind: 'inserted', detail: `an entry was inserted at ${original} (later entries were renumbered)` }
  if (entries[position + 1]?.prevHash === prevHash) return { index: position, kind: 'inserted', detail: `entry ${position} is not part of the chain (the next entry links to the one before it)` }
  return { index: position, kind: 'edited', detail: `entry ${position}'s content does not match its hash` }
}

/** An intact entry that links to another entry than the one before it. */
function misLinked(position: number, entry: AuditEntry, linkedTo: number | undefined): Found {
  if (position === 0) return { index: 0, kind: 'deleted', detail: `the chain's first entries are missing (entry 0 links to ${entry.prevHash.slice(0, 12)}…)` }
  if (linkedTo !== undefined && linkedTo > position) return reordered(position)
  if (linkedTo !== undefined && linkedTo < position - 1) return { index: linkedTo + 1, kind: 'inserted', detail: `entries ${linkedTo + 1}..${position - 1} are not part of the chain` }
  return { index: position - 1, kind: 'edited', detail: `entry ${position - 1} was replaced (entry ${position} links to another hash)` }
}

function reordered(position: number): Found {
  return { index: position, kind: 'reordered', detail: `entry ${position} holds an entry of a later position` }
}

/** The index an entry whose hash fails at `position` verifies with, among the likely ones (it was moved, or renumbered). */
function originalIndex(entry: AuditEntry, position: number, linkedTo: number | undefined): number | undefined {
  const candidates = [position - 1, position + 1, position + 2, ...(linkedTo === undefined ? [] : [linkedTo + 1]), ...(entry.prevHash === auditGenesisHash ? [0] : [])]
  return candidates.find((index) => index >= 0 && index !== position && auditEntryHash({ ...entry, index }) === entry.hash)
}

/** The first signed head the chain no longer holds. */
function checkpointProblem(chain: string, entries: readonly AuditEntry[], signed: SignedHeads | undefined): AuditProblem | undefined {
  if (signed === undefined) return undefined
  for (const [index, hash] of [...signed].sort((a, b) => a[0] - b[0])) {
    if (index >= entries.length) {
      return { chain, index: entries.length, kind: 'truncated', detail: `a checkpoint signed entry ${index}, the chain ends at ${entries.length - 1}` }
    }
    const entry = entries[index]!
    if (entry.index === index && entry.hash !== hash) return { chain, index, kind: 'checkpoint-mismatch', detail: `entry ${index}'s hash is not the one a checkpoint signed (the chain was rewritten)` }
  }
  return undefined
}

/**
 * Reads a checkpoint file (JSON lines, as `FileCheckpointSink` from `weft-sdk`
 * writes it): each line a checkpoint, or a `malformed` problem naming the line.
 * @throws the file system's error when the file cannot be read.
 *
 * @example
 * ```ts
 * import { readCheckpointFile } from 'weft-sdk/store'
 * const checkpoints = await readCheckpointFile('/var/lib/weft/audit-checkpoints.jsonl')
 * ```
 */
export async function readCheckpointFile(path: string): Promise<(AuditCheckpoint | CheckpointProblem)[]> {
  const { readFile } = await import('node:fs/promises')
  const lines = (await readFile(path, 'utf8')).split('\n')
  return lines.flatMap((line, i) => (line.trim() === '' ? [] : [parseCheckpointLine(line, i + 1)]))
}

function parseCheckpointLine(line: string, number: number): AuditCheckpoint | CheckpointProblem {
  try {
    const value = JSON.parse(line) as Partial<AuditCheckpoint>
    if (value.version === 1 && typeof value.writer === 'string' && typeof value.at === 'number' && typeof value.heads === 'object' && value.heads !== null && typeof value.keyId === 'string' && typeof value.signature === 'string') {
      return value as AuditCheckpoint
    }
  } catch {
    // reported below
  }
  return { line: number, kind: 'malformed', detail: `line ${number} is not an audit checkpoint` }
}
