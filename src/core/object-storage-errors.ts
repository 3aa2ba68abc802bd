// Errors of the object-storage adapters: a key that is missing or refused,
// metadata that cannot be stored, bytes whose checksum does not match, a
// server that refuses the credentials, a local folder that fails.
import { WeftError, type WeftErrorOptions } from './weft-error.js'

/**
 * No object is stored under the key (S3 `404 NoSuchKey`, or no file in the
 * folder). Not retryable.
 *
 * @example
 * ```ts
 * import { ObjectNotFoundError } from 'weft-sdk/object-storage'
 * const error: unknown = new ObjectNotFoundError('reports', 'daily/2026-12-01.json')
 * if (error instanceof ObjectNotFoundError) console.log(`no ${error.key} yet`)
 * ```
 */
export class ObjectNotFoundError extends WeftError {
  readonly code = 'WEFT_OBJECT_NOT_FOUND'
  readonly _tag = 'ObjectNotFoundError'
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** The key that was asked for. */
    readonly key: string,
    /** The server's own words, when it said more than "no such key" (e.g. `NoSuchBucket`). */
    readonly detail?: string,
  ) {
    super(`adapter "${adapter}": no object under key ${JSON.stringify(key)}${detail === undefined ? '' : ` (${detail})`}; check the key, or put the object first`)
  }
}

/**
 * A key the adapter refuses before touching anything: empty, longer than
 * 1,024 bytes, with a NUL or backslash, absolute, or with a `.`/`..`
 * segment (which could escape a folder), or a key in the folder's reserved
 * `.weft/` area. Not retryable: the key must change.
 *
 * @example
 * ```ts
 * import { InvalidObjectKeyError } from 'weft-sdk/object-storage'
 * const error = new InvalidObjectKeyError('files', '../etc/passwd', 'a ".." segment would leave the storage root')
 * error.isRetryable // false
 * ```
 */
export class InvalidObjectKeyError extends WeftError {
  readonly code = 'WEFT_OBJECT_KEY_INVALID'
  readonly _tag = 'InvalidObjectKeyError'
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** The refused key. */
    readonly key: string,
    /** Why it was refused. */
    readonly reason: string,
  ) {
    super(`adapter "${adapter}": the key ${JSON.stringify(key)} is refused: ${reason}; use a relative key of "/"-separated names such as "reports/2026/12.json"`)
  }
}

/**
 * Metadata the adapter cannot store as given: a name that is not lower-case
 * letters, digits and `-`, a name starting with the reserved `weft-`, or a
 * value that is not printable ASCII (S3 carries metadata in HTTP headers).
 * Not retryable.
 *
 * @example
 * ```ts
 * import { InvalidObjectMetadataError } from 'weft-sdk/object-storage'
 * new InvalidObjectMetadataError('files', 'Author', 'names are lower-case letters, digits and "-"').message
 * ```
 */
export class InvalidObjectMetadataError extends WeftError {
  readonly code = 'WEFT_OBJECT_METADATA_INVALID'
  readonly _tag = 'InvalidObjectMetadataError'
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** The refused metadata entry's name. */
    readonly entry: string,
    /** Why it was refused. */
    readonly reason: string,
  ) {
    super(`adapter "${adapter}": metadata ${JSON.stringify(entry)} is refused: ${reason}; encode the value (e.g. encodeURIComponent) or rename it`)
  }
}

/**
 * The bytes read do not have the SHA-256 digest recorded when the object was
 * written: the object was changed behind the adapter's back, or damaged at
 * rest or in transit. Raised when the body has been read to its end (the
 * stream errors instead of ending), so a consumer must not commit what it
 * read before the end. Not retryable: the stored object needs attention.
 *
 * @example
 * ```ts
 * import { ObjectChecksumMismatchError } from 'weft-sdk/object-storage'
 * const error = new ObjectChecksumMismatchError('files', 'a.bin', 'e3b0c442...', '5feceb66...')
 * console.log(error.expected, error.actual)
 * ```
 */
export class ObjectChecksumMismatchError extends WeftError {
  readonly code = 'WEFT_OBJECT_CHECKSUM_MISMATCH'
  readonly _tag = 'ObjectChecksumMismatchError'
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** The object's key. */
    readonly key: string,
    /** The SHA-256 (hex) recorded with the object. */
    readonly expected: string,
    /** The SHA-256 (hex) of the bytes read. */
    readonly actual: string,
  ) {
    super(`adapter "${adapter}": object ${JSON.stringify(key)} is corrupt: its bytes hash to sha256 ${actual}, but ${expected} was recorded when it was written; restore it from a copy or write it again`)
  }
}

/**
 * The server refused the request's credentials or permissions (HTTP 401 or
 * 403: a wrong access key or secret, a clock too far off, a missing
 * permission). Not retryable: the configuration must change. The secret
 * never appears in the message.
 *
 * @example
 * ```ts
 * import { ObjectStorageAccessDeniedError } from 'weft-sdk/object-storage'
 * const error = new ObjectStorageAccessDeniedError('archive', 'PUT', 'a.txt', 403, 'SignatureDoesNotMatch')
 * error.isRetryable // false
 * ```
 */
export class ObjectStorageAccessDeniedError extends WeftError {
  readonly code = 'WEFT_OBJECT_ACCESS_DENIED'
  readonly _tag = 'ObjectStorageAccessDeniedError'
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** The request method. */
    readonly method: string,
    /** The object's key, or `''` for a bucket-level request. */
    readonly key: string,
    /** The response status (401 or 403). */
    readonly status: number,
    /** The server's error code (e.g. `SignatureDoesNotMatch`, `AccessDenied`), when it sent one. */
    readonly s3Code: string | undefined,
  ) {
    super(`adapter "${adapter}": ${method} ${key === '' ? 'on the bucket' : JSON.stringify(key)} was refused (${status}${s3Code === undefined ? '' : ` ${s3Code}`}); check the access key, the secret, the region and the permissions of the credentials`)
  }
}

/**
 * A stored body does not decode as the caller asked: not JSON, or JSON its
 * `Schema` refuses. Not retryable.
 *
 * @example
 * ```ts
 * import { ObjectDecodeError } from 'weft-sdk/object-storage'
 * new ObjectDecodeError('files', 'config.json', 'the body is not JSON').message
 * ```
 */
export class ObjectDecodeError extends WeftError {
  readonly code = 'WEFT_OBJECT_DECODE'
  readonly _tag = 'ObjectDecodeError'
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** The object's key. */
    readonly key: string,
    /** Why the body was refused. */
    readonly issues: string,
  ) {
    super(`adapter "${adapter}": object ${JSON.stringify(key)} does not decode: ${issues}; fix the schema or the stored object`)
  }
}

/** File-system error codes that say the same operation may succeed shortly. */
const transientIoCodes = new Set(['EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'EINTR'])

/**
 * The local folder of a `FileSystemStorage` failed an operation (no
 * permission, disk full, a key whose path crosses a file). Retryable only
 * for transient conditions (`EAGAIN`, `EBUSY`, `EMFILE`, `ENFILE`, `EINTR`).
 *
 * @example
 * ```ts
 * import { ObjectStorageIoError } from 'weft-sdk/object-storage'
 * const error = new ObjectStorageIoError('files', 'write', 'a.txt', 'ENOSPC', 'no space left on device')
 * error.isRetryable // false
 * ```
 */
export class ObjectStorageIoError extends WeftError {
  readonly code = 'WEFT_OBJECT_STORAGE_IO'
  readonly _tag = 'ObjectStorageIoError'
  override readonly isRetryable: boolean
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** What was being done (`write`, `read`, `list`, `delete`). */
    readonly operation: string,
    /** The object's key, or the prefix listed. */
    readonly key: string,
    /** The system error code (`ENOSPC`, `EACCES`, …), when there is one. */
    readonly ioCode: string | undefined,
    /** The system's message. */
    readonly reason: string,
    options: WeftErrorOptions = {},
  ) {
    super(`adapter "${adapter}": could not ${operation} ${JSON.stringify(key)}: ${reason}; check the folder's permissions and free space`, options)
    this.isRetryable = ioCode !== undefined && transientIoCodes.has(ioCode)
  }
}
