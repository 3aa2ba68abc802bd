import { postgresStore } from '../../src/postgres.js'
import { createTestDatabase, describePostgres } from '../support/postgres.js'
import { describeEventFeed, describeFinalStep, describeRunWithSteps, describeWorkflowStore } from './workflow-store-conformance.js'

describePostgres('PostgreSQL store', () => {
  const fixture = {
    create: async () => {
      const database = await createTestDatabase()
      const store = postgresStore({ connectionString: database.url, maxConnections: 10 })
      const close = store.close.bind(store)
      store.close = async () => {
        await close()
        await database.drop()
      }
      return store
    },
  }
  describeWorkflowStore('PostgreSQL', fixture)
  describeFinalStep('PostgreSQL', fixture)
  describeRunWithSteps('PostgreSQL', fixture)
  describeEventFeed('PostgreSQL', fixture)
})
