import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/** The repository's compiler options (its tsconfig.json), without emitting: what the docs' examples are checked with. */
export function repoCompilerOptions(): ts.CompilerOptions {
  const configPath = join(fileURLToPath(new URL('../..', import.meta.url)), 'tsconfig.json')
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile)
  if (error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath))
  return { ...parsed.options, noEmit: true }
}

/** A module that exists only in memory (a README block, a TSDoc example), and how to name a line of it where it really lives. */
export interface VirtualModule {
  readonly code: string
  /** Where the module's 0-based `line` is, for an error message: `README.md:42`. */
  readonly locate: (line: number) => string
}

/**
 * Type-checks in-memory modules, keyed by the path each pretends to have
 * (inside the repository, so that node_modules and tsconfig paths resolve),
 * and returns their own errors, each at the place `locate` names. The sources
 * they import are not reported: `npm run typecheck` checks those. Passing the
 * program of an earlier check (`oldProgram`) reuses its parsed files.
 */
export function typeCheckModules(modules: ReadonlyMap<string, VirtualModule>, options: ts.CompilerOptions, oldProgram?: ts.Program): string[] {
  const host = ts.createCompilerHost(options)
  const fileExists = host.fileExists.bind(host)
  const readFile = host.readFile.bind(host)
  const getSourceFile = host.getSourceFile.bind(host)
  const directoryExists = host.directoryExists?.bind(host)
  const virtualDirs = new Set([...modules.keys()].map((path) => dirname(path)))
  host.fileExists = (path) => modules.has(path) || fileExists(path)
  host.directoryExists = (path) => virtualDirs.has(path) || (directoryExists?.(path) ?? true)
  host.readFile = (path) => modules.get(path)?.code ?? readFile(path)
  host.getSourceFile = (path, language, onError) => {
    const module = modules.get(path)
    if (module !== undefined) return ts.createSourceFile(path, module.code, language, true)
    return oldProgram?.getSourceFile(path) ?? getSourceFile(path, language, onError)
  }
  const program = ts.createProgram([...modules.keys()], options, host)
  const diagnostics = [...modules.keys()].flatMap((path) => {
    const source = program.getSourceFile(path)
    return source === undefined ? [] : [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
  })
  return [...program.getOptionsDiagnostics(), ...diagnostics].map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    const module = diagnostic.file === undefined ? undefined : modules.get(diagnostic.file.fileName)
    if (diagnostic.file === undefined || module === undefined) return `${diagnostic.file?.fileName ?? '(no file)'}: ${message}`
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
    return `${module.locate(line)}: ${message}`
  })
}
