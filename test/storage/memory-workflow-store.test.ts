import { MemoryWorkflowStore } from 'weft'
import { describeEventFeed, describeWorkflowStore } from './workflow-store-conformance.js'

const fixture = { create: async () => new MemoryWorkflowStore() }
describeWorkflowStore('memory', fixture)
describeEventFeed('memory', fixture)
