/**
 * The password forms of a connection URL that adapters redact: as written
 * (percent-encoded) and decoded, for every adapter that takes a URL (SQL,
 * AMQP), and none for a URL without one.
 */
import { describe, expect, it } from 'vitest'
import { passwordsOf, withoutPassword } from '../../src/core/connection-url.js'

describe('passwordsOf', () => {
  it('gives a percent-encoded password both as written and decoded', () => {
    expect(passwordsOf('postgres://app:p%40ss%2Fw%3Ard%25@db.internal:5432/app')).toEqual(['p%40ss%2Fw%3Ard%25', 'p@ss/w:rd%'])
  })

  it('gives a password that needs no encoding once', () => {
    expect(passwordsOf('amqp://guest:guest@127.0.0.1:5672')).toEqual(['guest'])
  })

  it('keeps the written form of a password whose stray % decodes to nothing', () => {
    expect(passwordsOf('mysql://root:50%off@127.0.0.1/shop')).toEqual(['50%off'])
  })

  it('gives none for a URL without a password or text that is not a URL', () => {
    expect(passwordsOf('postgres://app@db.internal/app')).toEqual([])
    expect(passwordsOf('not a url')).toEqual([])
  })
})

describe('withoutPassword', () => {
  it('masks the password of a URL', () => {
    expect(withoutPassword('postgres://weft:s3cret@db.internal/weft')).toBe('postgres://weft:***@db.internal/weft')
  })
})
