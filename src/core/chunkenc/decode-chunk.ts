/**
 * Chunk encodings and the one place that turns (encoding, bytes) into an iterator. Numbers
 * are Prometheus's chunkenc.Encoding, which prompb.Chunk.Encoding and remote read use (XOR 1,
 * Histogram 2, FloatHistogram 3); Thanos's StoreAPI numbers them one lower (XOR 0,
 * HISTOGRAM 1, FLOAT_HISTOGRAM 2): storeEncodingToChunkEncoding converts. Anything else,
 * including Prometheus 3's opt-in XOR2 (4) and start-timestamp histogram encodings (5, 6),
 * is refused with UnsupportedChunkEncodingError: their bytes have other headers and must never
 * be read as one of these.
 */
import {BadDataError} from '../errors.js'
import {FloatHistogramDecodeIterator} from './float-histogram-decoder.js'
import {HistogramDecodeIterator} from './histogram-decoder.js'
import {XorDecodeIterator} from './xor-decoder.js'

export const ChunkEncoding = {
  XOR: 1,
  Histogram: 2,
  FloatHistogram: 3,
} as const
export type ChunkEncoding = (typeof ChunkEncoding)[keyof typeof ChunkEncoding]

const NAMES: Record<number, string> = {0: 'none', 4: 'XOR2', 5: 'histogram with start timestamps', 6: 'float histogram with start timestamps'}

export class UnsupportedChunkEncodingError extends BadDataError {
  constructor(readonly encoding: number) {
    super(`unsupported chunk encoding ${encoding}${NAMES[encoding] ? ` (${NAMES[encoding]})` : ''}`)
  }
}

export type DecodedChunk =
  | {encoding: typeof ChunkEncoding.XOR; iterator: XorDecodeIterator}
  | {encoding: typeof ChunkEncoding.Histogram; iterator: HistogramDecodeIterator}
  | {encoding: typeof ChunkEncoding.FloatHistogram; iterator: FloatHistogramDecodeIterator}

/** An iterator over chunk bytes of a Prometheus chunk encoding; throws for any other encoding. */
export function decodeChunk(encoding: number, data: Uint8Array): DecodedChunk {
  switch (encoding) {
    case ChunkEncoding.XOR:
      return {encoding, iterator: new XorDecodeIterator(data)}
    case ChunkEncoding.Histogram:
      return {encoding, iterator: new HistogramDecodeIterator(data)}
    case ChunkEncoding.FloatHistogram:
      return {encoding, iterator: new FloatHistogramDecodeIterator(data)}
    default:
      throw new UnsupportedChunkEncodingError(encoding)
  }
}

/** Thanos StoreAPI Chunk.Encoding (XOR 0, HISTOGRAM 1, FLOAT_HISTOGRAM 2) to the chunkenc numbering; throws for others. */
export function storeEncodingToChunkEncoding(e: number): ChunkEncoding {
  if (e === 0 || e === 1 || e === 2) return (e + 1) as ChunkEncoding
  throw new UnsupportedChunkEncodingError(e + 1)
}

/** The chunkenc numbering to the StoreAPI's; throws for encodings the StoreAPI cannot carry. */
export function chunkEncodingToStoreEncoding(e: number): number {
  if (e === 1 || e === 2 || e === 3) return e - 1
  throw new UnsupportedChunkEncodingError(e)
}
