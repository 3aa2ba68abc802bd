import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Each entry point of the package, by its name, to its source (as the exports map does for dist/).
  resolve: {
    alias: [
      { find: /^weft-sdk$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
      { find: /^weft-sdk\/(store|types|postgres|sql|redis|amqp|object-storage|llm|otel|nestjs)$/, replacement: fileURLToPath(new URL('./src/$1.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // One throwaway PostgreSQL server for the whole run (see test/support/postgres.ts); the MariaDB server
    // found or started for the whole run (see test/support/mariadb-server.ts).
    globalSetup: ['./test/support/postgres-global-setup.ts', './test/support/mariadb-global-setup.ts'],
    typecheck: { include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
