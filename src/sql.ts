/**
 * Weft's SQL adapter: a typed `Kysely<DB>` on PostgreSQL (`pg`), MySQL/MariaDB (`mysql2`) or SQLite (`better-sqlite3`), behind an adapter's resilience, health and counters. A separate entry point so that applications that do not use it never load a driver.
 *
 * @packageDocumentation
 */
export {}
