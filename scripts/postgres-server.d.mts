/**
 * Types of `postgres-server.mjs`: a real, throwaway PostgreSQL server for
 * tests and benchmarks (see that file).
 */

/** The message naming the Debian package to install when PostgreSQL is missing. */
export declare const POSTGRES_INSTALL_HINT: string

export interface PostgresServerOptions {
  /** `fsync`; on by default (benchmarks need real durability). */
  readonly fsync?: boolean
  /** `synchronous_commit`; on by default. */
  readonly synchronousCommit?: boolean | 'on' | 'off' | 'local' | 'remote_write' | 'remote_apply'
  /** `max_connections`; 200 by default. */
  readonly maxConnections?: number
  /** Name of the database created at start; `weft` by default. */
  readonly database?: string
  /** Further `postgresql.conf` settings, written verbatim (strings are quoted). */
  readonly settings?: Readonly<Record<string, string | number | boolean>>
  /**
   * Stop the server and delete its folder if this process dies without
   * calling `stop()`, even by SIGKILL (a detached shell polls this pid).
   * On by default.
   */
  readonly watchdog?: boolean
}

export interface PostgresServer {
  /** `postgres://<user>@127.0.0.1:<port>/<database>` (trust authentication). */
  readonly url: string
  readonly host: string
  readonly port: number
  readonly database: string
  /** The database superuser: `postgres` when running as root, else the current OS user. */
  readonly user: string
  /** Server version as reported by `initdb --version`. */
  readonly version: string
  /** The server's data folder (deleted by `stop()`). */
  readonly dataDir: string
  /** The server's log file (deleted by `stop()`). */
  readonly logFile: string
  /** Milliseconds spent in each phase of `startPostgres()`. */
  readonly timings: { readonly initdb: number; readonly start: number; readonly createDatabase: number; readonly total: number }
  /** Stops the server (`pg_ctl -m immediate`) and deletes its temporary folder. Idempotent. */
  stop(): Promise<void>
}

/** Where `initdb` and `pg_ctl` were found. */
export interface PostgresBinaries {
  readonly dir: string
  readonly initdb: string
  readonly pgCtl: string
}

/** PostgreSQL's server binaries are missing (the message names the package to install). */
export declare class PostgresUnavailableError extends Error {
  readonly name: 'PostgresUnavailableError'
}

/**
 * Locates `initdb` and `pg_ctl`: `$WEFT_POSTGRES_BINDIR`, then `pg_config
 * --bindir`, then the newest `/usr/lib/postgresql/<version>/bin`.
 * @throws `PostgresUnavailableError` naming the package to install.
 */
export declare function findPostgresBinaries(): PostgresBinaries

/** A TCP port free on 127.0.0.1 right now. */
export declare function freePort(): Promise<number>

/**
 * Starts a throwaway PostgreSQL server on 127.0.0.1 and creates one database
 * (`weft`). Never skips: throws `PostgresUnavailableError` naming the package
 * to install when the binaries are missing.
 */
export declare function startPostgres(options?: PostgresServerOptions): Promise<PostgresServer>
