/**
 * Checks shared by both histogram flavours (prometheus/model/histogram/generic.go
 * checkHistogramSpans, checkHistogramCustomBounds) and bit-level float comparison.
 */
import {HistogramError} from './schema.js'

export function checkSpans(spans: Int32Array, numBuckets: number, prefix: string): void {
  let n = 0
  for (let k = 0; k < spans.length; k += 2) {
    if (k > 0 && spans[k]! < 0) throw new HistogramError('span_negative_offset', `${prefix}span number ${k / 2 + 1} with offset ${spans[k]}: `)
    n += spans[k + 1]!
  }
  if (n !== numBuckets) throw new HistogramError('spans_buckets_mismatch', `${prefix}spans need ${n} buckets, have ${numBuckets} buckets: `)
}

export function checkCustomBounds(bounds: Float64Array | null, spans: Int32Array, numBuckets: number): void {
  const p = 'custom buckets: '
  let prev = -Infinity
  const b = bounds ?? new Float64Array(0)
  for (let i = 0; i < b.length; i++) {
    const curr = b[i]!
    if (Number.isNaN(curr)) throw new HistogramError('custom_buckets_nan', p)
    if (i > 0 && curr <= prev) throw new HistogramError('custom_buckets_invalid', `${p}previous bound is ${goFixed6(prev)} and current is ${goFixed6(curr)}: `)
    prev = curr
  }
  if (prev === Infinity) throw new HistogramError('custom_buckets_infinite', `${p}last +Inf bound must not be explicitly defined: `)
  let n = 0
  let total = 0
  for (let k = 0; k < spans.length; k += 2) {
    if (spans[k]! < 0) throw new HistogramError('span_negative_offset', `${p}span number ${k / 2 + 1} with offset ${spans[k]}: `)
    n += spans[k + 1]!
    total += spans[k + 1]! + spans[k]!
  }
  if (n !== numBuckets) throw new HistogramError('spans_buckets_mismatch', `${p}spans need ${n} buckets, have ${numBuckets} buckets: `)
  if (b.length + 1 < total) {
    throw new HistogramError(
      'custom_buckets_mismatch',
      `${p}only ${b.length} custom bounds defined which is insufficient to cover total span length of ${total}: `,
    )
  }
}

/** Go's %f (6 decimals), as Prometheus formats bounds in the ordering error. */
function goFixed6(v: number): string {
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return v.toFixed(6)
}

const f64 = new Float64Array(2)
const u32 = new Uint32Array(f64.buffer)

/** Equal bit patterns (as math.Float64bits ==): NaNs with the same payload are equal, 0 and -0 are not. */
export function sameBits(a: number, b: number): boolean {
  f64[0] = a
  f64[1] = b
  return u32[0] === u32[2] && u32[1] === u32[3]
}

export function sameBucketBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false
  if (a === b) return true
  const wa = new Uint32Array(a.buffer, a.byteOffset, a.length * 2)
  const wb = new Uint32Array(b.buffer, b.byteOffset, b.length * 2)
  for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false
  return true
}
