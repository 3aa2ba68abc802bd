/**
 * Limiter and breaker state shared across worker processes through Redis (`ioredis`). A separate entry point so that applications that do not use it never load `ioredis`.
 *
 * @packageDocumentation
 */
export {}
