/**
 * The index file's fixed parts (prometheus/tsdb/docs/format/index.md): the 5-byte header
 * (magic 0xBAAAD700, format version) and the table of contents in the last 52 bytes (six
 * big-endian uint64 section offsets, then a CRC32-C over those 48 bytes).
 */
import {crc32cOf, Decbuf, readBE32, type FileContext} from './decbuf.js'
import {BlockCorruptionError, UnsupportedBlockFormatError} from './errors.js'

export const INDEX_MAGIC = 0xbaaad700
export const INDEX_HEADER_LEN = 5
export const INDEX_TOC_LEN = 6 * 8 + 4
export const INDEX_FORMAT_V1 = 1
export const INDEX_FORMAT_V2 = 2

export interface IndexToc {
  symbols: number
  series: number
  labelIndices: number
  labelIndicesTable: number
  postings: number
  postingsTable: number
}

/**
 * Checks the header and returns the format version. Like Thanos's index-header
 * (pkg/block/indexheader/binary_reader.go), only v1 and v2 are read: v3 (Prometheus's
 * variant with a different postings encoding) is refused by name rather than misread.
 */
export function parseIndexHeader(b: Uint8Array, ctx: FileContext): number {
  if (b.length < INDEX_HEADER_LEN) throw new BlockCorruptionError(ctx.block, ctx.file, 0, `index shorter than its ${INDEX_HEADER_LEN}-byte header`)
  const magic = readBE32(b, 0)
  if (magic !== INDEX_MAGIC) throw new BlockCorruptionError(ctx.block, ctx.file, 0, `invalid magic number ${magic.toString(16)}, want baaad700`)
  const v = b[4]!
  if (v !== INDEX_FORMAT_V1 && v !== INDEX_FORMAT_V2) {
    throw new UnsupportedBlockFormatError(ctx.block, ctx.file, `index format version ${v} is not supported (only 1 and 2, as Thanos's index-header)`)
  }
  return v
}

/** Parses the TOC from the last 52 bytes of a file of `fileSize` bytes and checks the offsets fit. */
export function parseToc(b: Uint8Array, fileSize: number, ctx: FileContext): IndexToc {
  const base = fileSize - INDEX_TOC_LEN
  if (b.length !== INDEX_TOC_LEN || base < INDEX_HEADER_LEN) throw new BlockCorruptionError(ctx.block, ctx.file, Math.max(0, base), 'index too short for its table of contents')
  const d = new Decbuf(b, base, ctx)
  const want = readBE32(b, 48)
  if (crc32cOf(b, 0, 48) !== want) d.fail('table of contents: CRC32-C mismatch')
  const toc: IndexToc = {
    symbols: d.be64(),
    series: d.be64(),
    labelIndices: d.be64(),
    labelIndicesTable: d.be64(),
    postings: d.be64(),
    postingsTable: d.be64(),
  }
  for (const [k, v] of Object.entries(toc)) {
    if (v !== 0 && (v < INDEX_HEADER_LEN || v >= base)) d.fail(`table of contents: ${k} offset ${v} outside the file`, 0)
  }
  if (toc.symbols === 0 || toc.series === 0 || toc.postings === 0 || toc.postingsTable === 0) d.fail('table of contents: a required section is missing', 0)
  if (!(toc.symbols < toc.series && toc.series <= toc.postings && toc.postings <= toc.postingsTable)) d.fail('table of contents: sections out of order', 0)
  return toc
}

/**
 * The end of the section starting at `start`: the next section's start or the TOC. Prometheus
 * 2.x (2.42's promtool here) still writes label indices between series and postings and the
 * label offset table between postings and the postings offset table; Prometheus 3 leaves them
 * empty (equal offsets), so "the next larger offset" is right for both.
 */
export function sectionEnd(toc: IndexToc, start: number, fileSize: number): number {
  let end = fileSize - INDEX_TOC_LEN
  for (const v of [toc.symbols, toc.series, toc.labelIndices, toc.labelIndicesTable, toc.postings, toc.postingsTable]) {
    if (v > start && v < end) end = v
  }
  return end
}
