/**
 * The throwaway MariaDB that test support starts where no server answers at
 * the standard port: it starts from the installed binaries, answers as root
 * without a password, takes the statements the SQL adapter tests use (a
 * database of its own, KILL of another connection), and is gone after stop.
 */
import mysql from 'mysql2/promise'
import { afterEach, expect, it } from 'vitest'
import { chooseMysqlServer, mysqlAnswers, type MysqlChoice } from './mariadb-server.js'
import { describeWithServer } from './server-suites.js'
import { existsSync } from 'node:fs'

const binaries = existsSync('/usr/sbin/mariadbd') && existsSync('/usr/bin/mariadb-install-db')

describeWithServer('a throwaway MariaDB for the tests', binaries ? null : 'no /usr/sbin/mariadbd (apt-get install -y mariadb-server)', () => {
  const saved = { url: process.env['WEFT_TEST_MYSQL_URL'], forced: process.env['WEFT_TEST_MYSQL_THROWAWAY'] }
  let choice: MysqlChoice | undefined
  afterEach(async () => {
    if (choice !== undefined && !('skip' in choice)) await choice.stop()
    restore('WEFT_TEST_MYSQL_URL', saved.url)
    restore('WEFT_TEST_MYSQL_THROWAWAY', saved.forced)
  })

  it('starts on a free port, runs statements as root, and stops without leaving a server behind', async () => {
    delete process.env['WEFT_TEST_MYSQL_URL']
    process.env['WEFT_TEST_MYSQL_THROWAWAY'] = '1'
    choice = await chooseMysqlServer()
    if ('skip' in choice) throw new Error(`no throwaway server: ${choice.skip}`)
    expect(choice.source).toBe('throwaway')
    expect(new URL(choice.url).port).not.toBe('3306')
    const admin = await mysql.createConnection({ uri: choice.url })
    const victim = await mysql.createConnection({ uri: choice.url })
    try {
      await admin.query('CREATE DATABASE weft_throwaway_check')
      await admin.query('CREATE TABLE weft_throwaway_check.t (id int primary key)')
      await admin.query('INSERT INTO weft_throwaway_check.t VALUES (1), (2)')
      const [rows] = await admin.query('SELECT count(*) AS n FROM weft_throwaway_check.t')
      expect(rows).toEqual([{ n: 2 }])
      const [ids] = await victim.query('SELECT connection_id() AS id')
      await admin.query(`KILL ${Number((ids as { id: number }[])[0]!.id)}`)
      await expect(victim.query('SELECT 1')).rejects.toThrow()
    } finally {
      await admin.end()
      victim.destroy()
    }
    const url = choice.url
    await choice.stop()
    choice = undefined
    expect(await mysqlAnswers(url)).toBeDefined()
  }, 90_000)
})

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}
