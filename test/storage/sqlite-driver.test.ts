import { describe, expect, it } from 'vitest'
import { SqliteDriverMissingError } from 'weft-sdk'
import { openSqliteFile } from '../../src/storage/sqlite/sqlite-database.js'

/** An error as Node's loaders make them: a message and a code. */
function loaderError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code })
}

describe('loading the SQLite driver', () => {
  it('turns a missing better-sqlite3 package into SqliteDriverMissingError naming the fix', () => {
    const missing = loaderError("Cannot find module 'better-sqlite3'", 'MODULE_NOT_FOUND')
    const load = () => {
      throw missing
    }
    const error = (() => {
      try {
        openSqliteFile(':memory:', false, load)
      } catch (thrown) {
        return thrown
      }
    })()
    expect(error).toBeInstanceOf(SqliteDriverMissingError)
    expect(error).toMatchObject({ code: 'WEFT_SQLITE_DRIVER_MISSING', reason: "Cannot find module 'better-sqlite3'", cause: missing })
    expect((error as Error).message).toMatch(/npm rebuild better-sqlite3.*postgresStore.*MemoryWorkflowStore/s)
  })

  it.each([
    ['an addon never built', loaderError('Could not locate the bindings file. Tried:\n → build/Release/better_sqlite3.node')],
    ['an addon built for another Node.js', loaderError('was compiled against a different Node.js version using NODE_MODULE_VERSION 127', 'ERR_DLOPEN_FAILED')],
  ])('turns %s (thrown by the first new Database) into SqliteDriverMissingError', (_, failure) => {
    const Database = function () {
      throw failure
    }
    expect(() => openSqliteFile(':memory:', false, () => Database)).toThrow(SqliteDriverMissingError)
  })

  it('lets any other failure through: a file that cannot be opened is not a missing driver', () => {
    const cantOpen = loaderError('unable to open database file', 'SQLITE_CANTOPEN')
    const Database = function () {
      throw cantOpen
    }
    expect(() => openSqliteFile(':memory:', false, () => Database)).toThrow(cantOpen)
    const otherModule = loaderError("Cannot find module 'bindings'", 'MODULE_NOT_FOUND')
    expect(() =>
      openSqliteFile(':memory:', false, () => {
        throw otherModule
      }),
    ).toThrow(otherModule)
  })
})
