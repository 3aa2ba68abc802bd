/**
 * What calls made in a step spent: tokens and their cost. Adapters that meter
 * their calls (the LLM adapter) add it through `ctx.use(adapter)`; it is
 * stored with the step, so a run resumed on another process knows what it
 * already spent (see `CallContext.meter`).
 *
 * @example
 * ```ts
 * import type { StepUsage } from 'weft-sdk'
 * const usage: StepUsage = { tokens: 1_250, costUsd: 0.0031 }
 * ```
 */
export interface StepUsage {
  /** Tokens spent (prompt and completion). */
  readonly tokens: number
  /** Their cost in US dollars (0 when no price is known). */
  readonly costUsd: number
}

/** Nothing spent. */
export const noUsage: StepUsage = Object.freeze({ tokens: 0, costUsd: 0 })

/** The sum of two usages. */
export function addUsage(a: StepUsage, b: StepUsage): StepUsage {
  return { tokens: a.tokens + b.tokens, costUsd: a.costUsd + b.costUsd }
}

/** A stored usage (JSON text) read back; `undefined` for none or for text that is not one. */
export function parseStepUsage(text: string | null): StepUsage | undefined {
  if (text === null) return undefined
  const value = JSON.parse(text) as Partial<StepUsage> | null
  if (typeof value?.tokens !== 'number' || typeof value.costUsd !== 'number') return undefined
  return { tokens: value.tokens, costUsd: value.costUsd }
}
