/**
 * Thanos's aggregate chunk (thanos-io/thanos pkg/compact/downsample/aggr.go): the chunk a
 * downsampled block stores for each window run of a series. In the chunk segment file it is an
 * ordinary chunk record with encoding byte 0xFF (`ChunkEncAggr`); its data is five entries in
 * AggrType order count, sum, min, max, counter, each
 *
 *   uvarint(len(sub-chunk bytes)) | [encoding byte | sub-chunk bytes]   (the bracket only if len > 0)
 *
 * A zero length marks an aggregate that is not present (native histogram aggregates carry
 * count, sum and counter, no min or max). The sub-chunks are ordinary Prometheus chunks (XOR,
 * or float histogram for histogram sum/counter); decodeAggr hands them to chunkenc.
 *
 * Reading never copies: sub-chunk data are views into the record. Absent aggregates are a
 * value (`AGGR_ABSENT`), malformed bytes an AggrChunkCorruptError.
 */
import {ChunkEncoding, decodeChunk, type DecodedChunk} from '../chunkenc/decode-chunk.js'
import {BadDataError} from '../errors.js'

/** pkg/compact/downsample `ChunkEncAggr`: the chunk record encoding of an aggregate chunk. */
export const CHUNK_ENC_AGGR = 0xff

/** pkg/compact/downsample `AggrType`: the entry index inside an aggregate chunk. */
export const AggrType = {
  Count: 0,
  Sum: 1,
  Min: 2,
  Max: 3,
  Counter: 4,
} as const
export type AggrType = (typeof AggrType)[keyof typeof AggrType]

/** Entries in an aggregate chunk, one per AggrType. */
export const AGGR_TYPES = 5

const AGGR_NAMES = ['count', 'sum', 'min', 'max', 'counter'] as const

/** The name Thanos prints for an aggregate (AggrType.String). */
export function aggrTypeName(t: AggrType): (typeof AGGR_NAMES)[number] {
  return AGGR_NAMES[t]
}

/** One aggregate's chunk: a Prometheus chunk encoding (XOR 1, histogram 2, float histogram 3) and its bytes. */
export interface AggrSubChunk {
  readonly encoding: number
  readonly data: Uint8Array
}

/** The result of looking up an aggregate that the chunk does not carry. */
export const AGGR_ABSENT = Object.freeze({absent: true as const})
export type AggrAbsent = typeof AGGR_ABSENT

/** Bytes that are not an aggregate chunk: a length running past the end, a cut varint. */
export class AggrChunkCorruptError extends BadDataError {
  constructor(
    readonly aggr: AggrType,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`aggregate chunk: ${aggrTypeName(aggr)} entry at byte ${offset}: ${reason}`)
  }
}

/**
 * Encodes an aggregate chunk's data (without the 0xFF record encoding byte, which the chunk
 * writer adds) from up to five sub-chunks indexed by AggrType; missing or undefined entries are
 * written as absent. An empty `data` is written as absent too, as Thanos can only tell absence
 * by a zero length.
 */
export function encodeAggrChunk(chunks: ReadonlyArray<AggrSubChunk | undefined | null>): Uint8Array {
  if (chunks.length > AGGR_TYPES) throw new RangeError(`an aggregate chunk has ${AGGR_TYPES} entries, got ${chunks.length}`)
  let size = 0
  for (let i = 0; i < AGGR_TYPES; i++) {
    const c = chunks[i]
    const len = c ? c.data.length : 0
    size += uvarintSize(len) + (len > 0 ? 1 + len : 0)
  }
  const out = new Uint8Array(size)
  let at = 0
  for (let i = 0; i < AGGR_TYPES; i++) {
    const c = chunks[i]
    const len = c ? c.data.length : 0
    at = putUvarint(out, at, len)
    if (c && len > 0) {
      if (!Number.isInteger(c.encoding) || c.encoding < 0 || c.encoding > 0xfe) throw new RangeError(`sub-chunk encoding ${c.encoding} is not a byte below 0xFF`)
      out[at++] = c.encoding
      out.set(c.data, at)
      at += len
    }
  }
  return out
}

/**
 * The sub-chunk of aggregate `type` in an aggregate chunk's data (a view, not a copy), or
 * AGGR_ABSENT. Throws AggrChunkCorruptError when an entry up to `type` does not fit.
 *
 * Thanos's AggrChunk.Get also demands one byte after a zero length, so it reports a trailing
 * absent counter as "invalid size"; Thanos's own encoder can write that (a 1h batch without
 * counter samples), and we read it as absent instead.
 */
export function getAggr(data: Uint8Array, type: AggrType): AggrSubChunk | AggrAbsent {
  let at = 0
  for (let i = 0; i <= type; i++) {
    const entry = at
    // uvarint length (encoding/binary.Uvarint): at most 10 bytes.
    let len = 0
    let mul = 1
    for (let k = 0; ; k++) {
      if (at >= data.length) throw new AggrChunkCorruptError(i as AggrType, entry, 'length varint cut short')
      if (k === 10) throw new AggrChunkCorruptError(i as AggrType, entry, 'length varint longer than 10 bytes')
      const x = data[at++]!
      len += (x & 0x7f) * mul
      if (x < 0x80) break
      mul *= 128
    }
    if (len === 0) {
      if (i === type) return AGGR_ABSENT
      continue
    }
    if (at + 1 + len > data.length) throw new AggrChunkCorruptError(i as AggrType, entry, `sub-chunk of ${len} bytes runs past the chunk's ${data.length} bytes`)
    if (i === type) return {encoding: data[at]!, data: data.subarray(at + 1, at + 1 + len)}
    at += 1 + len
  }
  /* c8 ignore next */
  throw new RangeError(`aggregate type ${type} is not 0..4`)
}

/** True when `r` is the absent result of getAggr/decodeAggr. */
export function isAggrAbsent<T extends object>(r: T | AggrAbsent): r is AggrAbsent {
  return r === AGGR_ABSENT
}

/**
 * An iterator over aggregate `type` (through chunkenc's decodeChunk, which throws
 * UnsupportedChunkEncodingError for a sub-chunk encoding it does not know), or AGGR_ABSENT.
 */
export function decodeAggr(data: Uint8Array, type: AggrType): DecodedChunk | AggrAbsent {
  const sub = getAggr(data, type)
  if (isAggrAbsent(sub)) return sub
  return decodeChunk(sub.encoding, sub.data)
}

/**
 * Samples in the count aggregate, as AggrChunk.NumSamples (0 when count is absent or the chunk
 * is malformed). XOR and histogram chunks all start with a big-endian uint16 sample count
 * (tsdb/chunkenc/xor.go, histogram.go).
 */
export function aggrChunkNumSamples(data: Uint8Array): number {
  let sub: AggrSubChunk | AggrAbsent
  try {
    sub = getAggr(data, AggrType.Count)
  } catch (e) {
    if (e instanceof AggrChunkCorruptError) return 0
    throw e
  }
  if (isAggrAbsent(sub) || sub.data.length < 2) return 0
  return (sub.data[0]! << 8) | sub.data[1]!
}

/**
 * True when the counter aggregate is a (float) histogram chunk, as downsample.go
 * isHistogramAggrChunk: such chunks come from native histogram series and are downsampled
 * with histogram arithmetic. An absent or malformed counter is a float chunk, as there.
 */
export function isHistogramAggrChunk(data: Uint8Array): boolean {
  let sub: AggrSubChunk | AggrAbsent
  try {
    sub = getAggr(data, AggrType.Counter)
  } catch (e) {
    if (e instanceof AggrChunkCorruptError) return false
    throw e
  }
  return !isAggrAbsent(sub) && (sub.encoding === ChunkEncoding.Histogram || sub.encoding === ChunkEncoding.FloatHistogram)
}

function uvarintSize(x: number): number {
  let n = 1
  while (x >= 0x80) {
    x = Math.floor(x / 128)
    n++
  }
  return n
}

function putUvarint(b: Uint8Array, at: number, x: number): number {
  while (x >= 0x80) {
    b[at++] = (x % 128) | 0x80
    x = Math.floor(x / 128)
  }
  b[at++] = x
  return at
}
