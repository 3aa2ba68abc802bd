/**
 * Weft in NestJS: `WeftModule` (forRoot, forRootAsync, forFeature), workflows
 * whose constructors Nest's injector serves, the engine and a client to
 * inject, a guard deriving the caller from the request, a terminus health
 * indicator and an exception filter mapping Weft's errors to HTTP. A separate
 * entry point (`weft-sdk/nestjs`): only applications that import it load
 * `@nestjs/common` and `@nestjs/core` (optional peer dependencies: NestJS 12,
 * tested; NestJS 11, best-effort, checked by hand: a CommonJS application
 * loads this ES module with `require()`, which needs Node `^20.19 || >=22.12`,
 * and compiles with TypeScript's `module: nodenext` or `commonjs`, not
 * `node16`, which refuses the import with TS1479).
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common'
 * import { sqliteStore } from 'weft-sdk'
 * import { WeftModule } from 'weft-sdk/nestjs'
 *
 * @Module({ imports: [WeftModule.forRoot({ store: () => sqliteStore({ path: '.weft/app.sqlite' }), role: 'worker', drain: '20 s' })] })
 * export class AppModule {}
 * ```
 *
 * @packageDocumentation
 */
export { WeftModule } from './nestjs/weft-module.js'
export type { WeftAdapterRegistration, WeftModuleOptions, WeftModuleAsyncOptions, WeftModuleDeclarations, WeftRole } from './nestjs/weft-module-options.js'
export { WeftLifecycle } from './nestjs/weft-lifecycle.js'
export { NestWorkflowResolver, type WorkflowConstruction } from './nestjs/nest-workflow-resolver.js'
export { InjectEngine } from './nestjs/weft-tokens.js'
export { WeftClient, type RunView } from './nestjs/weft-client.js'
export { WeftCallerGuard, WeftAccess, bearerCredentials } from './nestjs/weft-caller-guard.js'
export { WeftHealthIndicator, type WeftHealth } from './nestjs/weft-health-indicator.js'
export { WeftExceptionFilter, weftHttpStatus } from './nestjs/weft-exception-filter.js'
