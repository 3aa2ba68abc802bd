/**
 * Weft's object-storage adapters: a local folder, and S3-compatible servers over `aws4fetch`. A separate entry point so that applications that do not use it never load `aws4fetch`.
 *
 * @packageDocumentation
 */
export {}
