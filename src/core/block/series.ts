/**
 * Series entries of the index (prometheus/tsdb/docs/format/index.md "Series"):
 * `uvarint len | #labels | {name ref, value ref}* | #chunks | chunk metas | CRC32-C`, where the
 * first chunk is `mint varint | maxt-mint uvarint | ref uvarint` and later ones are deltas
 * (`mint - prev maxt`, `maxt - mint` unsigned, `ref - prev ref` signed). In v2 entries start at
 * 16-byte aligned offsets and a series' ID in the postings is offset / 16.
 */
import type {Label} from '../labels/labels.js'
import {crc32cOf, Decbuf, readBE32, type FileContext} from './decbuf.js'
import type {SymbolTable} from './symbols.js'

export interface SeriesEntry {
  /** The series' ref as in the postings (v2: offset / 16). */
  id: number
  labels: Label[]
  /** Chunk metas as (minTime, maxTime, ref) triples, ascending. */
  chunks: Float64Array
}

/** Bytes a series entry at b[at] needs, or -1 when not even its length varint is complete. */
export function seriesEntrySize(b: Uint8Array, at: number, end: number): number {
  let len = 0
  let mul = 1
  for (let i = 0; i < 10; i++) {
    if (at + i >= end) return -1
    const x = b[at + i]!
    len += (x & 0x7f) * mul
    if (x < 0x80) return i + 1 + len + 4
    mul *= 128
  }
  return Number.MAX_SAFE_INTEGER // too long a varint: the caller reports it
}

/** Decodes the entry at b[at], which must be complete in b[at, end). `base` = file offset of b[0]. */
export function decodeSeriesEntry(b: Uint8Array, at: number, end: number, base: number, id: number, symbols: SymbolTable, ctx: FileContext): SeriesEntry {
  const d = new Decbuf(b, base, ctx, at, end)
  const len = d.uvarint()
  d.need(len + 4, 'series entry')
  const bodyEnd = d.pos + len
  if (crc32cOf(b, d.pos, bodyEnd) !== readBE32(b, bodyEnd)) d.fail('series entry: CRC32-C mismatch', at)
  const body = new Decbuf(b, base, ctx, d.pos, bodyEnd)
  const nl = body.uvarint()
  if (nl * 2 > body.remaining()) body.fail(`series entry: ${nl} labels cannot fit in ${len} bytes`, at)
  const labels = new Array<Label>(nl)
  for (let i = 0; i < nl; i++) {
    const name = symbols.lookup(body.uvarint32())
    const value = symbols.lookup(body.uvarint32())
    labels[i] = {name, value}
  }
  const nc = body.uvarint()
  if (nc * 3 > body.remaining()) body.fail(`series entry: ${nc} chunks cannot fit in ${len} bytes`, at)
  const chunks = new Float64Array(nc * 3)
  let mint = 0
  let maxt = 0
  let ref = 0
  for (let i = 0; i < nc; i++) {
    if (i === 0) {
      mint = body.varint()
      maxt = mint + body.uvarint()
      ref = body.uvarint()
    } else {
      mint = maxt + body.uvarint()
      maxt = mint + body.uvarint()
      ref += body.varint()
    }
    if (!Number.isSafeInteger(maxt) || !Number.isSafeInteger(mint)) body.fail('series entry: chunk time exceeds 2^53', at)
    if (ref < 0 || !Number.isSafeInteger(ref)) body.fail(`series entry: chunk ref ${ref} is negative or exceeds 2^53`, at)
    chunks[3 * i] = mint
    chunks[3 * i + 1] = maxt
    chunks[3 * i + 2] = ref
  }
  return {id, labels, chunks}
}
