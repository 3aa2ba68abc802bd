import { MemoryWorkflowStore } from 'weft'
import { describeWorkflowStore } from './workflow-store-conformance.js'

describeWorkflowStore('memory', { create: async () => new MemoryWorkflowStore() })
