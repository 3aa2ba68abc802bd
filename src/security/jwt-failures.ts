// What jose's refusals mean for Weft: each one becomes an AuthenticationError with one reason and a detail written
// here, from the error's class and claim name only. jose's own errors carry the token's payload, so neither they
// nor their messages are passed on (no `cause`): the token cannot leak through an error's JSON or inspect output.
import { errors } from 'jose'
import { AuthenticationError, type AuthenticationFailure } from '../core/security-errors.js'
import { KeySourceUnavailable } from './jwt-key-source.js'

/**
 * Turns whatever verifying a token threw into an `AuthenticationError`.
 * @internal
 */
export function toAuthenticationError(error: unknown): AuthenticationError {
  if (error instanceof AuthenticationError) return error
  if (error instanceof KeySourceUnavailable) return new AuthenticationError('key-source-unavailable', `${error.message}; retry later`)
  const [reason, detail] = classify(error)
  return new AuthenticationError(reason, detail)
}

function classify(error: unknown): [AuthenticationFailure, string] {
  if (error instanceof errors.JWTExpired) return ['expired', 'the token has expired (its "exp" is past, beyond the clock skew)']
  if (error instanceof errors.JWTClaimValidationFailed) return claimFailure(error.claim, error.reason)
  if (error instanceof errors.JOSEAlgNotAllowed) return ['algorithm', 'the token\'s "alg" is not one of the configured algorithms']
  if (error instanceof errors.JWSSignatureVerificationFailed) return ['signature', 'the signature does not verify with the key']
  if (error instanceof errors.JWKSNoMatchingKey) return ['unknown-key', 'no key of the key set matches the token\'s "kid" and "alg"']
  if (error instanceof errors.JWKSMultipleMatchingKeys) return ['unknown-key', 'several keys of the key set match the token: give it a "kid"']
  if (error instanceof errors.JOSENotSupported) return ['algorithm', 'the token\'s algorithm or key type is not supported']
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return ['malformed', 'the token is not a well-formed JWS (its header or payload is not valid base64url JSON)']
  if (error instanceof errors.JOSEError) return ['malformed', `the token was refused (${error.code})`]
  return ['malformed', 'the token could not be verified']
}

function claimFailure(claim: string, reason: string): [AuthenticationFailure, string] {
  if (reason === 'missing') return ['claim', `the required claim "${claim}" is missing`]
  if (claim === 'nbf' && reason === 'check_failed') return ['not-yet-valid', 'the token is not valid yet (its "nbf" is in the future, beyond the clock skew)']
  if (claim === 'typ') return ['claim', 'the token\'s "typ" header is not the configured one']
  return ['claim', `the claim "${claim}" is not what this authenticator expects`]
}
