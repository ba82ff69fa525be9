/**
 * What the two histogram chunk encodings share (prometheus/tsdb/chunkenc/histogram.go,
 * histogram_meta.go): the 3-byte header and the bucket layout written once with the first
 * sample.
 *
 * Header: bytes 0-1 the big-endian sample count (as XOR chunks), byte 2 the counter-reset
 * header in its top two bits. Layout: zero threshold (one byte 0 → 0, 1..254 → 2^(b-244),
 * 255 → 64-bit float follows), schema (varbit int), positive and negative spans (varbit uint
 * count, then per span length as varbit uint and offset as varbit int), and for schema -53
 * the custom bounds (count, then each bound: varbit uint round(v·1000)+1 when v·1000 is a
 * whole number in [0, 33554430], else a 0 bit and the 64-bit float).
 */
import {BadDataError} from '../errors.js'
import {pow2} from '../histogram/bounds.js'
import {CounterResetHint, isCustomBucketsSchema} from '../histogram/schema.js'
import {HI, LO, type BitReader, type BitWriter} from './bit-stream.js'

export const HISTOGRAM_HEADER_SIZE = 3
const FLAG_POS = 2

/** Counter-reset header values (top two bits of byte 2). */
export const CounterResetHeader = {
  Unknown: 0b0000_0000,
  CounterReset: 0b1000_0000,
  NotCounterReset: 0b0100_0000,
  Gauge: 0b1100_0000,
} as const
export type CounterResetHeader = (typeof CounterResetHeader)[keyof typeof CounterResetHeader]
const HEADER_MASK = 0b1100_0000

/** The counter-reset header of histogram chunk bytes (count, header byte, stream). */
export function counterResetHeaderOf(data: Uint8Array): CounterResetHeader {
  return (data[FLAG_POS]! & HEADER_MASK) as CounterResetHeader
}

export function setCounterResetHeader(w: BitWriter, h: CounterResetHeader): void {
  w.setByte(FLAG_POS, (w.getByte(FLAG_POS) & ~HEADER_MASK) | h)
}

/**
 * The hint a reader gives the numRead-th sample (1-based) of a chunk, as Prometheus 3
 * (histogram_meta.go counterResetHint): every sample of a gauge chunk is a gauge; in a counter
 * chunk all but the first are NotCounterReset; the first is Unknown whatever the header says,
 * because the chunk before it may not be the one it followed (out-of-order data, backfill).
 */
export function hintForSample(header: CounterResetHeader, numRead: number): CounterResetHint {
  if (header === CounterResetHeader.Gauge) return CounterResetHint.Gauge
  if (numRead > 1) return CounterResetHint.NotCounterReset
  return CounterResetHint.Unknown
}

/** The header an appender writes for a histogram's hint (chunkenc.CounterResetHintToHeader). */
export function headerForHint(hint: CounterResetHint): CounterResetHeader {
  switch (hint) {
    case CounterResetHint.CounterReset:
      return CounterResetHeader.CounterReset
    case CounterResetHint.NotCounterReset:
      return CounterResetHeader.NotCounterReset
    case CounterResetHint.Gauge:
      return CounterResetHeader.Gauge
    default:
      return CounterResetHeader.Unknown
  }
}

export interface ChunkLayout {
  schema: number
  zeroThreshold: number
  positiveSpans: Int32Array
  negativeSpans: Int32Array
  customValues: Float64Array | null
}

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)

export function readLayout(r: BitReader, what: string): ChunkLayout {
  const zeroThreshold = readZeroThreshold(r)
  const schema = r.varbitInt()
  const positiveSpans = readSpans(r, what)
  const negativeSpans = readSpans(r, what)
  let customValues: Float64Array | null = null
  if (isCustomBucketsSchema(schema)) {
    const n = r.varbitUint()
    if (n > r.remainingBits()) throw new BadDataError(`${what}: ${n} custom bounds cannot fit the chunk`)
    customValues = new Float64Array(n)
    for (let i = 0; i < n; i++) customValues[i] = readCustomBound(r)
  }
  return {schema, zeroThreshold, positiveSpans, negativeSpans, customValues}
}

export function writeLayout(
  w: BitWriter,
  schema: number,
  zeroThreshold: number,
  positiveSpans: Int32Array,
  negativeSpans: Int32Array,
  customValues: Float64Array | null,
): void {
  writeZeroThreshold(w, zeroThreshold)
  w.varbitInt(schema)
  writeSpans(w, positiveSpans)
  writeSpans(w, negativeSpans)
  if (isCustomBucketsSchema(schema)) {
    const cv = customValues ?? new Float64Array(0)
    w.varbitUint(cv.length)
    for (let i = 0; i < cv.length; i++) writeCustomBound(w, cv[i]!)
  }
}

function readSpans(r: BitReader, what: string): Int32Array {
  const n = r.varbitUint()
  // Each span takes at least two bits: a count beyond that is corrupt data, not a huge array.
  if (n * 2 > r.remainingBits()) throw new BadDataError(`${what}: ${n} spans cannot fit the chunk`)
  const spans = new Int32Array(n * 2)
  for (let k = 0; k < n; k++) {
    spans[2 * k + 1] = r.varbitUint()
    spans[2 * k] = r.varbitInt()
  }
  return spans
}

function writeSpans(w: BitWriter, spans: Int32Array): void {
  w.varbitUint(spans.length / 2)
  for (let k = 0; k < spans.length; k += 2) {
    w.varbitUint(spans[k + 1]!)
    w.varbitInt(spans[k]!)
  }
}

function readZeroThreshold(r: BitReader): number {
  const b = r.bits(8)
  if (b === 0) return 0
  if (b === 255) {
    u32[HI] = r.bits(32)
    u32[LO] = r.bits(32)
    return f64[0]!
  }
  // 2^(b-244): b-243 is the frexp exponent of a power of two 0.5·2^(b-243).
  return pow2(b - 244)
}

function writeZeroThreshold(w: BitWriter, t: number): void {
  if (t === 0) return w.byte(0)
  f64[0] = t
  const hi = u32[HI]!
  const lo = u32[LO]!
  // A positive power of two: zero mantissa, normal exponent; 2^k with -243 ≤ k ≤ 10 fits one byte.
  const biased = hi >>> 20
  if (lo === 0 && (hi & 0xfffff) === 0 && biased > 0 && biased < 0x7ff) {
    const k = biased - 1023
    if (k >= -243 && k <= 10) return w.byte(k + 244)
  }
  w.byte(255)
  w.bits(hi, 32)
  w.bits(lo, 32)
}

function readCustomBound(r: BitReader): number {
  const v = r.varbitUint()
  if (v !== 0) return (v - 1) / 1000
  u32[HI] = r.bits(32)
  u32[LO] = r.bits(32)
  return f64[0]!
}

function writeCustomBound(w: BitWriter, v: number): void {
  const tf = v * 1000
  // isWholeWhenMultiplied: round(v·1000)/1000 gives v back. (NaN and negatives fail.)
  if (tf >= 0 && tf <= 33554430 && Math.round(tf) / 1000 === v) {
    w.varbitUint(Math.round(tf) + 1)
    return
  }
  w.bit(0)
  f64[0] = v
  w.bits(u32[HI]!, 32)
  w.bits(u32[LO]!, 32)
}
