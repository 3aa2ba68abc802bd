// Plain-text tables and number formats for the bench output.

/** Prints a table; numbers-looking cells are right-aligned. */
export function table(headers, rows) {
  const cells = [headers, ...rows].map((row) => row.map((c) => String(c ?? '')))
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i].length)))
  const numeric = headers.map((_, i) => rows.every((row) => /^[\d.,×x%<>≤≥~ µsmkKMB+-]*$|^—$/.test(String(row[i] ?? ''))) && i > 0)
  const line = (row) => '  ' + row.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd()
  console.log(line(cells[0]))
  console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of cells.slice(1)) console.log(line(row))
}

export function heading(text) {
  console.log(`\n== ${text} ${'='.repeat(Math.max(0, 74 - text.length))}`)
}

/** µs with sensible precision. */
export function us(value) {
  if (value === undefined || !Number.isFinite(value)) return '—'
  if (value >= 1000) return Math.round(value).toLocaleString('en-US')
  if (value >= 100) return value.toFixed(0)
  if (value >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

/** A measurement as "median (min–max)". */
export function spread(m) {
  if (m === undefined) return '—'
  return m.reps > 1 ? `${us(m.min)}–${us(m.max)}` : 'one run'
}

export function ratio(a, b) {
  if (a === undefined || b === undefined || !(b > 0)) return '—'
  const r = a / b
  return `${r >= 100 ? Math.round(r).toLocaleString('en-US') : r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`
}

export function bytes(n) {
  const sign = n < 0 ? '-' : ''
  const v = Math.abs(n)
  if (v >= 1024 * 1024) return `${sign}${(v / 1024 / 1024).toFixed(1)} MiB`
  if (v >= 1024) return `${sign}${(v / 1024).toFixed(1)} KiB`
  return `${sign}${Math.round(v)} B`
}

export function ms(value) {
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`
}

/** Cores used on average (a CPU figure), e.g. "0.85". */
export function cores(value) {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(2)
}

/** A rate per second with sensible precision. */
export function perSecond(value) {
  if (value === undefined || !Number.isFinite(value)) return '—'
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1)
}

/** A fraction as a percentage, e.g. "42%". */
export function percent(value) {
  if (value === undefined || !Number.isFinite(value)) return '—'
  return `${value >= 0.1 ? Math.round(value * 100) : (value * 100).toFixed(1)}%`
}
