// The one rule for object keys and metadata, shared by every object-storage
// adapter so that a key accepted by the local folder is accepted by S3 too
// (and a workflow can move between them).
import { InvalidObjectKeyError, InvalidObjectMetadataError } from '../../core/object-storage-errors.js'

/** S3's limit on a key's length, in UTF-8 bytes. */
const maxKeyBytes = 1024
/** S3's limit on the user metadata of one object (names and values), in bytes. */
const maxMetadataBytes = 2048
const metadataName = /^[a-z0-9][a-z0-9-]*$/
const printableAscii = /^[\x20-\x7e]*$/

/** Metadata names Weft keeps for itself (the checksum, the idempotency key). */
export const reservedMetadataPrefix = 'weft-'

/**
 * Refuses a key that is empty, too long, has a NUL or a backslash, is
 * absolute, or has an empty, `.` or `..` segment: such keys mean different
 * things to a file system and to S3 (`a//b` and `a/./b` name one file but
 * two S3 objects; `..` could leave a folder).
 * @throws InvalidObjectKeyError naming the rule broken.
 */
export function assertObjectKey(adapter: string, key: string): void {
  const reason = keyProblem(key)
  if (reason !== undefined) throw new InvalidObjectKeyError(adapter, key, reason)
}

function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string' || key === '') return 'a key is a non-empty string'
  if (Buffer.byteLength(key, 'utf8') > maxKeyBytes) return `it is longer than ${maxKeyBytes} bytes`
  if (key.includes('\0')) return 'it contains a NUL character'
  if (key.includes('\\')) return 'it contains a backslash (use "/" between names)'
  if (key.startsWith('/')) return 'it is absolute (starts with "/")'
  for (const segment of key.split('/')) {
    if (segment === '') return 'it has an empty segment ("//" or a trailing "/")'
    if (segment === '..') return 'a ".." segment would leave the storage root'
    if (segment === '.') return 'it has a "." segment'
  }
  return undefined
}

/**
 * Refuses metadata that S3 cannot carry in headers unchanged: names other
 * than lower-case letters, digits and `-`, names in Weft's reserved `weft-`
 * space, values that are not printable ASCII, more than 2 KiB in all.
 * @throws InvalidObjectMetadataError naming the entry.
 */
export function assertObjectMetadata(adapter: string, metadata: Readonly<Record<string, string>>): void {
  let size = 0
  for (const [name, value] of Object.entries(metadata)) {
    if (!metadataName.test(name)) throw new InvalidObjectMetadataError(adapter, name, 'names are lower-case letters, digits and "-", starting with a letter or digit')
    if (name.startsWith(reservedMetadataPrefix)) throw new InvalidObjectMetadataError(adapter, name, `names starting with "${reservedMetadataPrefix}" are Weft's own`)
    if (typeof value !== 'string' || !printableAscii.test(value)) throw new InvalidObjectMetadataError(adapter, name, 'values are strings of printable ASCII characters')
    size += name.length + value.length
  }
  if (size > maxMetadataBytes) throw new InvalidObjectMetadataError(adapter, Object.keys(metadata).join(', '), `the metadata is larger than ${maxMetadataBytes} bytes in all`)
}
