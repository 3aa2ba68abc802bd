import { createEngine, MemoryWorkflowStore, type Engine, type EngineConfig } from 'weft-sdk'

/**
 * An engine on a fresh in-memory store (unless the config names a store):
 * tests of the interpreter must not share the default SQLite file.
 */
export function memoryEngine(config: EngineConfig = {}): Engine {
  return createEngine({ store: new MemoryWorkflowStore(), ...config })
}
