// The two S3 answers Weft reads as XML: a ListObjects result and an error.
// Both are flat (one level of elements, text values, no attributes used), so
// a few regular expressions read them; an XML parser would be a new
// dependency for every user of this entry point.
import type { ObjectSummary } from './object-types.js'

const entities: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** Text with XML's entities and character references replaced. */
export function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16))
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10))
    return entities[name] ?? whole
  })
}

/** The decoded text of every `<tag>` element in `xml` (elements of that name do not nest in S3's answers). */
export function xmlValues(xml: string, tag: string): string[] {
  const values: string[] = []
  for (const match of xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))) values.push(decodeXml(match[1]!))
  return values
}

/** The first `<tag>` value, if any. */
export function xmlValue(xml: string, tag: string): string | undefined {
  return xmlValues(xml, tag)[0]
}

/** A ListObjects (v1 or v2) answer: the objects, and whether the listing goes on after them. */
export function parseListResult(xml: string): { objects: ObjectSummary[]; truncated: boolean } {
  const objects = xmlValues(xml, 'Contents').map((entry) => ({
    key: xmlValue(entry, 'Key') ?? '',
    size: Number(xmlValue(entry, 'Size') ?? 0),
    etag: xmlValue(entry, 'ETag'),
    lastModified: new Date(xmlValue(entry, 'LastModified') ?? 0),
  }))
  return { objects, truncated: xmlValue(xml, 'IsTruncated') === 'true' }
}

/** The `<Code>` of an S3 error answer (`NoSuchKey`, `SignatureDoesNotMatch`, …). */
export function s3ErrorCode(xml: string): string | undefined {
  return xmlValue(xml, 'Code')
}
