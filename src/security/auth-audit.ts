// The audit entries of sessions and local users, built in one place: what each login, refresh, refusal and
// revocation records. An entry names the principal concerned and a session (`session:<id>`) or a login name
// (`user:<name>`); it never holds a password or a token, only what a reader of the log needs.
import { createHash } from 'node:crypto'
import type { RotationOutcome, SessionRecord } from '../storage/session-store.js'
import type { AuditRecord } from './ports.js'

/** The principal an entry concerns, as far as it is known. */
export interface Concerned {
  readonly subject?: string | undefined
  readonly tenant?: string | undefined
}

/** A refresh the store refused. */
export type RefusedRotation = Exclude<RotationOutcome, { readonly kind: 'rotated' }>

// An audit reason has at most 1000 characters (AuditLog refuses longer); a login name is clipped like a principal's field.
const maxReasonLength = 1000
const maxNameLength = 256
/** The resource of a refresh whose session is not known (an unknown or malformed token). */
const unknownSession = 'session'

/** A login: the session opened for `session`'s principal. */
export function sessionCreated(session: SessionRecord, at: number): AuditRecord {
  return { at, action: 'session.created', outcome: 'succeeded', ...concerned(session), resource: sessionResource(session.id) }
}

/** A refresh that rotated the session's refresh token. */
export function sessionRefreshed(session: SessionRecord, at: number): AuditRecord {
  return { at, action: 'session.refreshed', outcome: 'succeeded', ...concerned(session), resource: sessionResource(session.id) }
}

/** What a refresh did, as the store answered: rotated, or refused (the token's session named when the store read it). */
export function rotationEntry(outcome: RotationOutcome, at: number): AuditRecord {
  if (outcome.kind === 'rotated') return sessionRefreshed(outcome.session, at)
  return refusedRefresh(outcome, outcome.kind === 'unknown' ? undefined : outcome.session, at)
}

/** A refresh token that is not one (not 43 base64url characters). */
export function malformedRefresh(at: number): AuditRecord {
  return { at, action: 'auth.failed', outcome: 'denied', resource: unknownSession, reason: 'malformed refresh token' }
}

/** A refresh the store refused; `session` is the token's session when it could be read. */
export function refusedRefresh(outcome: RefusedRotation, session: Concerned | undefined, at: number): AuditRecord {
  if (outcome.kind === 'unknown') return { at, action: 'auth.failed', outcome: 'denied', resource: unknownSession, reason: 'unknown refresh token' }
  const about = { at, outcome: 'denied', ...concerned(session), resource: sessionResource(outcome.sessionId) } as const
  switch (outcome.kind) {
    case 'reused':
      return { ...about, action: 'session.reuse', reason: 'a spent refresh token was used again: the session and all its refresh tokens are revoked' }
    case 'revoked':
      return { ...about, action: 'auth.failed', reason: 'refresh token of a revoked session' }
    case 'expired':
      return { ...about, action: 'auth.failed', reason: 'refresh token or session expired' }
  }
}

/** A session ended by logout or revocation. */
export function sessionRevoked(sessionId: string, session: Concerned | undefined, reason: string, at: number): AuditRecord {
  return { at, action: 'session.revoked', outcome: 'succeeded', ...concerned(session), resource: sessionResource(sessionId), reason: clipped(reason, maxReasonLength) }
}

/** Every session of a subject ended at once (`count` of them). */
export function subjectRevoked(subject: string, count: number, reason: string, at: number): AuditRecord {
  return { at, action: 'session.revoked', outcome: 'succeeded', subject, resource: 'session:*', reason: clipped(`${reason}: ${count} session${count === 1 ? '' : 's'}`, maxReasonLength) }
}

/** A password that matched: the user's principal is authenticated. */
export function passwordAccepted(name: string, user: Concerned, at: number): AuditRecord {
  return { at, action: 'auth.succeeded', outcome: 'succeeded', ...concerned(user), resource: userResource(name) }
}

/**
 * A password check refused: `wrong password`, `unknown user` or `locked out until <time>`.
 * An unknown name is not recorded as typed (people type passwords into the name field): its resource is
 * `user:?<digest>`, the first 16 hex digits of its SHA-256, so repeated attempts on one name still show.
 */
export function passwordRefused(name: string, user: Concerned | undefined, reason: string, at: number): AuditRecord {
  return { at, action: 'auth.failed', outcome: 'denied', ...concerned(user), resource: user === undefined ? unknownUserResource(name) : userResource(name), reason }
}

function unknownUserResource(name: string): string {
  return `user:?${createHash('sha256').update(name).digest('hex').slice(0, 16)}`
}

/** The reason of a refusal while a name is locked. */
export function lockedOutReason(lockedUntil: number): string {
  return `locked out until ${new Date(lockedUntil).toISOString()}`
}

/** A user created or replaced (its password is never part of it). */
export function userSaved(name: string, user: Concerned, replaced: boolean, at: number): AuditRecord {
  return { at, action: 'user.saved', outcome: 'succeeded', ...concerned(user), resource: userResource(name), reason: replaced ? 'replaced' : 'created' }
}

/** A user removed; `user` is what it was, when it could be read. */
export function userDeleted(name: string, user: Concerned | undefined, at: number): AuditRecord {
  return { at, action: 'user.deleted', outcome: 'succeeded', ...concerned(user), resource: userResource(name) }
}

function concerned(who: Concerned | undefined): Concerned {
  return { subject: who?.subject, tenant: who?.tenant }
}

function sessionResource(id: string): string {
  return `session:${id}`
}

function userResource(name: string): string {
  return `user:${clipped(name, maxNameLength)}`
}

function clipped(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}
