// The secure path's default audit sink: the store's hash-chained audit log, one chain per engine, opened at first
// use. It lives in security/ (sessions and local users default to it too); the engine names it from here.
export { StoreAuditSink, type AuditLogSettings } from '../security/store-audit-sink.js'
