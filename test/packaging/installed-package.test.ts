/**
 * Weft as a user gets it: `npm pack` of this repository, installed into a fresh
 * app next to a NEWER `effect` than Weft's own tests use, then a workflow
 * compiled with the app's `tsc` and run with node.
 *
 * It also guards the entry points: the app imports `weft-sdk/store` and
 * `weft-sdk/types` through the exports map, and emits declarations whose types
 * must be nameable through them.
 *
 * It guards the peer dependencies: `effect`, `tsyringe` and `reflect-metadata`
 * must be the app's single copies. Were `effect` a pinned dependency, the app
 * would get a nested second copy, a `Schema` from the app's copy would fail to
 * type-check on `@Workflow({ input })`, and a valid input would be rejected at
 * run time.
 *
 * It packs the `dist/` that `npm test` builds first (`pretest`); run
 * `npm run build` before running it by hand. It does real installs (from the
 * npm cache when it can), so it has a generous timeout and prints how long each
 * phase took. Set `WEFT_KEEP_PACKAGING_APP=1` to keep the app for a look.
 */
import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readmeBlocks } from '../support/readme.js'

/**
 * The `effect` the app installs: newer than Weft's devDependency (4.1.0), so
 * this test fails if Weft ever brings its own copy again. The newest 4.x when
 * this was written; pinned so that CI changes only with a commit.
 */
const appEffectVersion = '4.1.5'

/** Packs and installs for real: seconds from a warm npm cache, minutes from a cold one. */
const setupTimeoutMs = 300_000
/** `tsc` checks effect's own declarations too (no `skipLibCheck`): ~12 s alone on 2 cores, more beside other tests. */
const compileAndRunTimeoutMs = 120_000

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const appSource = fileURLToPath(new URL('./app/main.ts', import.meta.url))
const run = promisify(execFile)

/** How long each phase took, printed at the end. */
const timings: Array<readonly [phase: string, ms: number]> = []

/** Runs `body`, recording how long it took under `phase`. */
async function timed<T>(phase: string, body: () => Promise<T> | T): Promise<T> {
  const startedAt = performance.now()
  try {
    return await body()
  } finally {
    timings.push([phase, performance.now() - startedAt])
  }
}

/** Runs a command; on failure, throws with `what` and everything it printed. */
async function exec(what: string, command: string, args: readonly string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 })
    return stdout
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string }
    throw new Error(
      `${what} failed (exit code ${failed.code}): ${command} ${args.join(' ')}\n--- stdout\n${failed.stdout ?? ''}\n--- stderr\n${failed.stderr ?? ''}`,
    )
  }
}

/** The version of `name` installed in this repository (what Weft's own tests use). */
function repoVersionOf(name: string): string {
  return (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
}

function assertBuilt(): void {
  if (!existsSync(join(repoRoot, 'dist', 'index.js'))) {
    throw new Error(`${join(repoRoot, 'dist')} is missing: run \`npm run build\` first (\`npm test\` does it in pretest)`)
  }
}

/**
 * `npm pack` of the repository into `folder`; returns the tarball's path.
 * Scripts are skipped: the test packs the `dist/` already built.
 */
async function packRepo(folder: string): Promise<string> {
  const stdout = await exec('npm pack', 'npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', folder], repoRoot)
  const [packed] = JSON.parse(stdout) as Array<{ filename: string }>
  if (packed === undefined) throw new Error(`npm pack printed no tarball:\n${stdout}`)
  return join(folder, packed.filename)
}

/** The compiler options of the README's `tsconfig.json` block. */
function readmeCompilerOptions(): Record<string, unknown> {
  const [tsconfig] = readmeBlocks('json')
  if (tsconfig === undefined) throw new Error("the README has no tsconfig.json block in its 'Install' section")
  return (JSON.parse(tsconfig.code) as { compilerOptions: Record<string, unknown> }).compilerOptions
}

/** Writes the app's package.json, tsconfig.json and `src/main.ts`. */
function writeApp(dir: string): void {
  mkdirSync(join(dir, 'src'), { recursive: true })
  const manifest = { name: 'weft-packaging-app', version: '1.0.0', private: true, type: 'module' }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  const compilerOptions = {
    // The tsconfig.json the README's "Install" section gives users.
    ...readmeCompilerOptions(),
    rootDir: 'src',
    outDir: 'dist',
    // Emitting declarations proves the app's exported types can be named through Weft's entry points.
    declaration: true,
  }
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify({ compilerOptions, include: ['src'] }, null, 2)}\n`)
  copyFileSync(appSource, join(dir, 'src', 'main.ts'))
}

/**
 * Installs the tarball, the newer `effect`, and the rest at the versions this
 * repository uses. Install scripts are skipped (better-sqlite3 would compile
 * for minutes): see {@link copyNativeAddon}. `better-sqlite3` is named at the
 * repository's version so that the copied addon matches its JavaScript.
 */
async function installApp(dir: string, tarball: string): Promise<void> {
  const packages = [
    tarball,
    `effect@${appEffectVersion}`,
    ...['tsyringe', 'reflect-metadata', 'better-sqlite3', 'typescript', '@types/node'].map((name) => `${name}@${repoVersionOf(name)}`),
  ]
  await exec('npm install in the app', 'npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', ...packages], dir)
}

/** Copies the native addon this repository compiled (same Node, same better-sqlite3 version) into the app. */
function copyNativeAddon(dir: string): void {
  const relative = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')
  mkdirSync(join(dir, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true })
  copyFileSync(join(repoRoot, relative), join(dir, relative))
}

/** Compiles the app with its own `tsc`; type errors throw with tsc's output. */
async function compileApp(dir: string): Promise<void> {
  await exec("the app's tsc", process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], dir)
}

/** Runs the compiled app and returns what it printed last (its JSON report). */
async function runApp(dir: string): Promise<unknown> {
  const stdout = await exec('the app', process.execPath, [join(dir, 'dist', 'main.js'), join(dir, 'runs.sqlite')], dir)
  const lastLine = stdout.trim().split('\n').at(-1) ?? ''
  try {
    return JSON.parse(lastLine)
  } catch {
    throw new Error(`the app did not print a JSON report:\n${stdout}`)
  }
}

/**
 * Every installed copy of `name` in the app, by folder (relative to the app)
 * and version, as `npm ls` sees them. `npm ls` fails on a missing or invalid
 * (peer) dependency, which fails the test too.
 */
async function copiesOf(dir: string, name: string): Promise<string[]> {
  const stdout = await exec(`npm ls ${name}`, 'npm', ['ls', name, '--all', '--long', '--parseable'], dir)
  const copies = stdout
    .trim()
    .split('\n')
    .map((line) => line.split(':'))
    .filter(([path]) => path !== undefined && path !== dir)
    .map(([path, id]) => `${(path ?? '').slice(dir.length + 1)} (${id})`)
  return [...new Set(copies)]
}

describe('weft-sdk installed from its tarball next to a newer effect', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'weft-packaging-'))
  const appDir = join(workDir, 'app')

  beforeAll(async () => {
    assertBuilt()
    const tarball = await timed('npm pack', () => packRepo(workDir))
    await timed('write the app', () => writeApp(appDir))
    await timed('npm install (tarball, effect, tsyringe, ...)', () => installApp(appDir, tarball))
    await timed('copy the better-sqlite3 addon', () => copyNativeAddon(appDir))
  }, setupTimeoutMs)

  afterAll(() => {
    if (process.env.WEFT_KEEP_PACKAGING_APP) console.log(`kept ${workDir}`)
    else rmSync(workDir, { recursive: true, force: true })
    const total = timings.reduce((sum, [, ms]) => sum + ms, 0)
    console.log(
      ['packaging test phases:', ...timings.map(([phase, ms]) => `  ${phase}: ${(ms / 1000).toFixed(1)} s`), `  total: ${(total / 1000).toFixed(1)} s`].join('\n'),
    )
  })

  it('leaves the app one copy of effect (the newer one), tsyringe and reflect-metadata', async () => {
    expect(existsSync(join(appDir, 'node_modules', 'weft-sdk', 'node_modules', 'effect')), 'weft has a nested effect').toBe(false)
    const [effect, tsyringe, reflectMetadata] = await timed('npm ls', () =>
      Promise.all(['effect', 'tsyringe', 'reflect-metadata'].map((name) => copiesOf(appDir, name))),
    )
    expect(effect).toEqual([`node_modules/effect (effect@${appEffectVersion})`])
    expect(tsyringe).toEqual([`node_modules/tsyringe (tsyringe@${repoVersionOf('tsyringe')})`])
    expect(reflectMetadata).toEqual([`node_modules/reflect-metadata (reflect-metadata@${repoVersionOf('reflect-metadata')})`])
  })

  it("compiles and runs a workflow whose input Schema comes from the app's effect", async () => {
    await timed('tsc in the app', () => compileApp(appDir))
    const declarations = readFileSync(join(appDir, 'dist', 'main.d.ts'), 'utf8')
    expect(declarations).toContain('import("weft-sdk/types").DependsOnCheck<T, K, readonly ["price"], M>')
    const report = await timed('run the app', () => runApp(appDir))
    expect(report).toEqual({
      total: 90,
      label: 'ada: 90 EUR',
      invalid: { isInputValidationError: true, code: 'WEFT_INVALID_INPUT', paths: ['customer'] },
    })
  }, compileAndRunTimeoutMs)

  it('without the better-sqlite3 addon (no compiler at install), opening a SQLite store throws SqliteDriverMissingError naming the fix', async () => {
    const addon = join(appDir, 'node_modules', 'better-sqlite3', 'build')
    renameSync(addon, `${addon}.away`)
    try {
      const probe = "import('weft-sdk').then((weft) => { try { weft.sqliteStore({ path: ':memory:' }); console.log('opened') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) } })"
      const stdout = await exec('the driver probe', process.execPath, ['--input-type=module', '-e', probe], appDir)
      const { code, message } = JSON.parse(stdout.trim()) as { code: string; message: string }
      expect(code).toBe('WEFT_SQLITE_DRIVER_MISSING')
      expect(message).toContain('Could not locate the bindings file')
      expect(message).toContain('npm rebuild better-sqlite3')
    } finally {
      renameSync(`${addon}.away`, addon)
    }
  }, compileAndRunTimeoutMs)
})
