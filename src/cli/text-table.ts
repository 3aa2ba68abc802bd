import { paint, type Terminal, type Tone } from './terminal.js'

/** One column of a {@link formatTable} table. */
export interface Column<R> {
  /** The header, printed in capitals. */
  readonly header: string
  /** The cell text of a row (no colour codes: the table measures it). */
  readonly cell: (row: R) => string
  /** The colour of a row's cell on a terminal. */
  readonly tone?: (row: R) => Tone | undefined
}

const gap = '  '
/** Below this many columns left for the last cell, it is left whole for the terminal to wrap: a cut message says too little. */
const minCutWidth = 40

/**
 * Lays rows out as aligned, space-separated columns under a header line. The
 * last column is not padded; on a terminal, it is cut to the terminal's width
 * when at least 40 columns are left for it.
 */
export function formatTable<R>(terminal: Terminal, columns: readonly Column<R>[], rows: readonly R[]): string[] {
  const cells = rows.map((row) => columns.map((column) => column.cell(row)))
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((line) => line[i]!.length)))
  const header = layout(columns.map((column) => column.header.toUpperCase()), widths, terminal.columns)
  const lines = cells.map((line, r) => {
    const texts = layout(line, widths, terminal.columns)
    return texts.map((text, i) => paint(terminal, columns[i]!.tone?.(rows[r]!), text)).join(gap).trimEnd()
  })
  return [paint(terminal, 'bold', header.join(gap).trimEnd()), ...lines]
}

/** Pads each cell but the last to its column's width, and cuts the last one to fit `maxWidth` when there is room enough. */
function layout(cells: readonly string[], widths: readonly number[], maxWidth: number | undefined): string[] {
  const padded = cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
  if (maxWidth === undefined) return padded
  const used = padded.slice(0, -1).reduce((sum, cell) => sum + cell.length + gap.length, 0)
  const room = maxWidth - used
  const last = padded[padded.length - 1]!
  if (last.length > room && room >= minCutWidth) padded[padded.length - 1] = `${last.slice(0, room - 1)}…`
  return padded
}
