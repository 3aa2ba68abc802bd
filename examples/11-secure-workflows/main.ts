/**
 * Example 11: workflows behind the secure path — the reference's exercise 3
 * (an admin, a normal user, an invalid user; authorized, limited, rejected;
 * the audit log printed and verified), done with Weft's security layer.
 * (Numbered 11: 09 and 10 were taken when it arrived.)
 *
 * Shows:
 * - local users with scrypt password hashes in the store, sessions whose
 *   refresh tokens are kept hashed, and JWT access tokens (`JwtIssuer`,
 *   verified by `JwtAuthenticator`, which also checks the token's session);
 * - RBAC (`Rbac`): roles → `action:resource` permissions with wildcards and
 *   a deny rule; a task that requires a permission (`requires`);
 * - the object-level rule: a user cannot cancel another user's run;
 * - a per-principal limit on starts (`PrincipalLimits`), refused with the
 *   time until the next permit;
 * - encryption at rest (AES-256-GCM, a key id in every value, bound to its row);
 * - the audit log: every decision, hash-chained per engine with a signed
 *   checkpoint in a file, listed and verified at the end.
 *
 * Run it: `npm run build && npm run build:examples && node examples/dist/11-secure-workflows/main.js`.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Redacted } from 'effect'
import {
  AuditSigner,
  FileCheckpointSink,
  JwtAuthenticator,
  JwtIssuer,
  LocalUsers,
  PrincipalLimits,
  RateLimitedError,
  Rbac,
  SessionManager,
  createEngine,
  createPayloadCodec,
  defineWorkflow,
  generateAuditKeys,
  generateJwtKeys,
  sqliteStore,
  staticKeyProvider,
  isWeftError,
  type RunId,
} from 'weft-sdk'
import { readCheckpointFile, verifyAudit, type WorkflowStore } from 'weft-sdk/store'

/** The run input: a payout to approve and send. */
export interface PayoutRequest {
  readonly account: string
  readonly amount: number
}

/** What the example reports, for its test. */
export interface SecureSummary {
  /** Each scenario and how it ended. */
  readonly outcomes: Readonly<Record<string, string>>
  /** The audit log's entries as `action outcome subject`, oldest first. */
  readonly audit: readonly string[]
  /** Whether the audit log and its checkpoint verified. */
  readonly auditVerified: boolean
  /** Whether the stored payout input is encrypted (no account number in clear). */
  readonly inputEncrypted: boolean
}

/** The payout workflow: checking is for anyone allowed to start it, sending money needs `send:payouts`. */
const Payout = defineWorkflow<PayoutRequest>({ name: 'payout', version: 1 })
  .task('check', (input) => ({ ...input, approved: input.amount <= 1_000 }))
  .task('send', { dependsOn: ['check'], requires: ['send:payouts'] }, (checked) => (checked.approved ? `sent ${checked.amount} to ${checked.account}` : 'held for review'))
  .build()

const rbac = new Rbac({
  roles: {
    admin: ['*'],
    clerk: ['start:payout', 'read:payout', 'cancel:payout', 'send:payouts', '!cancel:audit'],
  },
})

/** Runs the scenarios on `store` (a SQLite file by default, in a temporary directory). */
export async function main(log: (line: string) => void = console.log, store?: WorkflowStore): Promise<SecureSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-secure-example-'))
  try {
    return await scenarios(log, dir, store)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function scenarios(log: (line: string) => void, dir: string, given: WorkflowStore | undefined): Promise<SecureSummary> {
  // Keys: one for tokens, one for the audit checkpoints, one for the data (in production: a KMS or a key file).
  const jwtKeys = await generateJwtKeys('EdDSA')
  const auditKeys = generateAuditKeys()
  const codec = createPayloadCodec(staticKeyProvider([{ id: 'k1', key: randomBytes(32) }]))
  const store = given ?? sqliteStore({ path: join(dir, 'weft.sqlite'), codec })
  await store.init()

  // Every chain of the audit log (the engine's, the sessions', the users') is covered by signed checkpoints in one file.
  const checkpoints = join(dir, 'audit-checkpoints.jsonl')
  const auditLog = { signer: new AuditSigner(auditKeys.privateKey), checkpoints: new FileCheckpointSink(checkpoints) }
  const issuer = new JwtIssuer({ privateKey: jwtKeys.privateKey, kid: jwtKeys.kid, algorithm: 'EdDSA', issuer: 'https://auth.example', audience: 'weft', lifetime: '5 m' })
  const sessions = new SessionManager({ store, signer: issuer.sessionSigner(), auditLog })
  // Lighter scrypt than the default (2^15) so the example stays quick; keep the default in production.
  const users = new LocalUsers({ store, scrypt: { logN: 12, r: 8, p: 1 }, auditLog })
  await users.saveUser({ name: 'root', roles: ['admin'], password: Redacted.make('root-password-long-enough') })
  await users.saveUser({ name: 'ada', roles: ['clerk'], tenant: 'north', password: Redacted.make('ada-password-long-enough') })
  await users.saveUser({ name: 'bob', roles: ['clerk'], tenant: 'south', password: Redacted.make('bob-password-long-enough') })

  const engine = createEngine({
    store,
    workflows: [Payout],
    security: {
      authorizer: rbac,
      authenticator: new JwtAuthenticator({ algorithms: ['EdDSA'], issuer: 'https://auth.example', audience: 'weft', keys: jwtKeys.publicJwks, sessions }),
      limits: new PrincipalLimits({ limits: { start: { limit: 2, window: '1 m' } }, roles: { admin: { start: 'unlimited' } } }),
      auditLog,
    },
  })
  const outcomes: Record<string, string> = {}
  const attempt = async (name: string, work: () => Promise<string>) => {
    try {
      outcomes[name] = await work()
    } catch (error) {
      outcomes[name] = isWeftError(error) ? `refused: ${error.code}` : `failed: ${String(error)}`
      if (error instanceof RateLimitedError) outcomes[name] += ` (next permit in ${Math.ceil(error.retryAfterMs / 1000)} s)`
    }
    log(`${name}: ${outcomes[name]}`)
  }
  /** Logs a user in with a password: a session, and its access token as credentials. */
  const login = async (name: string, password: string) => {
    const who = await users.verifyPassword(name, Redacted.make(password))
    const tokens = await sessions.login(who)
    return { token: tokens.accessToken, refreshToken: tokens.refreshToken }
  }

  try {
    const root = await login('root', 'root-password-long-enough')
    const ada = await login('ada', 'ada-password-long-enough')
    const bob = await login('bob', 'bob-password-long-enough')

    await attempt('an invalid user logs in', async () => {
      await login('mallory', 'guessed-password-123')
      return 'logged in (it should not be)'
    })
    await attempt('a forged token starts a payout', async () => {
      const forged = Redacted.value(ada.token).slice(0, -4) + 'AAAA'
      await engine.as({ token: forged }).start(Payout, { account: 'DE00 1111', amount: 10 })
      return 'started (it should not be)'
    })
    let adasRun = ''
    await attempt('ada (clerk) starts a payout', async () => {
      const run = await engine.as({ token: ada.token }).start(Payout, { account: 'DE89 3704 0044 0532 0130 00', amount: 250 })
      adasRun = run.id
      return String((await run.result()).output('send'))
    })
    await attempt("bob (clerk, another tenant) opens ada's run to cancel it", async () => {
      const run = await engine.as({ token: bob.token }).getRun(adasRun as RunId)
      await run?.cancel()
      return 'cancelled it (it should not)'
    })
    await attempt("root (admin) opens ada's run", async () => `${(await engine.as({ token: root.token }).getRun(adasRun as RunId))?.status()}`)
    await attempt('ada starts a second payout', async () => `${(await engine.as({ token: ada.token }).start(Payout, { account: 'DE02 1203', amount: 40 })).id.length > 0 ? 'started' : ''}`)
    await attempt('ada starts a third payout within the minute', async () => {
      await engine.as({ token: ada.token }).start(Payout, { account: 'DE02 1204', amount: 41 })
      return 'started (it should be limited)'
    })
    await attempt('root (admin) lists every run', async () => `${(await engine.as({ token: root.token }).listRuns()).length} runs`)
    await attempt('ada logs out, then uses her old token', async () => {
      await sessions.logout({ refreshToken: ada.refreshToken })
      await engine.as({ token: ada.token }).listRuns()
      return 'listed (it should not)'
    })
  } finally {
    await engine.close()
    await sessions.close()
    await users.close()
  }

  // The audit log: every decision, in a hash chain per writer (the engine, the sessions, the users), each with a
  // signed checkpoint written at close.
  const page = await store.audit!.listAudit({ limit: 100 })
  const audit = [...page.entries].reverse().map((e) => `${writerOf(e.chain)}: ${e.action} ${e.outcome} ${e.subject ?? '-'}`)
  log('audit log:')
  for (const line of audit) log(`  ${line}`)
  const report = await verifyAudit({ store: store.audit!, checkpoints: await readCheckpointFile(checkpoints), publicKeys: [auditKeys.publicKey] })
  log(`audit log verified: ${report.ok} (${report.chains.length} chains, ${report.checkpoints.valid} signed checkpoints)`)
  const inputEncrypted = given === undefined && (await inputsUnreadableWithoutKeys(join(dir, 'weft.sqlite')))
  log(`payout inputs encrypted at rest: ${inputEncrypted}`)
  if (given === undefined) await store.close()
  return { outcomes, audit, auditVerified: report.ok, inputEncrypted }
}

/** Who wrote a chain of the audit log: the sessions, the local users, or the engine (its chains are named after its id). */
function writerOf(chain: string): string {
  if (chain.startsWith('sessions:')) return 'sessions'
  if (chain.startsWith('local-users:')) return 'users'
  return 'engine'
}

/** Whether the runs of the file cannot be read without the keys (their inputs are ciphertexts). */
async function inputsUnreadableWithoutKeys(path: string): Promise<boolean> {
  const plain = sqliteStore({ path })
  await plain.init()
  try {
    return await plain.listRuns().then(
      (runs) => runs.length === 0,
      (error: unknown) => isWeftError(error) && error.code === 'WEFT_SECURITY_CONFIG',
    )
  } finally {
    await plain.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
