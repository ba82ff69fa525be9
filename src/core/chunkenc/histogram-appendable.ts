/**
 * Layout comparisons of the histogram chunk appenders (prometheus/tsdb/chunkenc/histogram.go
 * expandIntSpansAndBuckets, float_histogram.go expandFloatSpansAndBuckets, histogram_meta.go
 * expandSpansBothWays, insert, adjustForInserts), expressed on bucket index lists instead of
 * insert records: the results (which buckets are added where, and the span lists that come
 * out) are the same.
 */
import {EMPTY_BUCKETS} from '../histogram/layout.js'

export interface LayoutChange {
  /** The new histogram has buckets the chunk's layout lacks: the chunk must be recoded. */
  forward: boolean
  /** The chunk's layout has (empty) buckets the new histogram lacks: it must be widened. */
  backward: boolean
  /** Bucket indices of both, ascending. */
  union: Int32Array
}

/**
 * Compares the chunk's layout `aIdx` (last absolute counts `aAbs`) with a counter
 * histogram's `bIdx`/`bAbs`. Null when that is a counter reset: a bucket decreased, or a
 * populated bucket of the chunk is missing. Missing empty buckets are fine (backward).
 */
export function compareCounterLayouts(aIdx: Int32Array, aAbs: Float64Array, bIdx: Int32Array, bAbs: Float64Array): LayoutChange | null {
  const out = new Int32Array(aIdx.length + bIdx.length)
  let n = 0
  let forward = false
  let backward = false
  let i = 0
  let j = 0
  while (i < aIdx.length || j < bIdx.length) {
    if (j >= bIdx.length || (i < aIdx.length && aIdx[i]! < bIdx[j]!)) {
      if (!(aAbs[i] === 0)) return null
      backward = true
      out[n++] = aIdx[i++]!
    } else if (i >= aIdx.length || bIdx[j]! < aIdx[i]!) {
      forward = true
      out[n++] = bIdx[j++]!
    } else {
      if (aAbs[i]! > bAbs[j]!) return null
      out[n++] = aIdx[i]!
      i++
      j++
    }
  }
  return {forward, backward, union: out.subarray(0, n)}
}

/** For gauges: the union of both layouts, no reset detection. */
export function compareGaugeLayouts(aIdx: Int32Array, bIdx: Int32Array): LayoutChange {
  const out = new Int32Array(aIdx.length + bIdx.length)
  let n = 0
  let forward = false
  let backward = false
  let i = 0
  let j = 0
  while (i < aIdx.length || j < bIdx.length) {
    if (j >= bIdx.length || (i < aIdx.length && aIdx[i]! < bIdx[j]!)) {
      backward = true
      out[n++] = aIdx[i++]!
    } else if (i >= aIdx.length || bIdx[j]! < aIdx[i]!) {
      forward = true
      out[n++] = bIdx[j++]!
    } else {
      out[n++] = aIdx[i]!
      i++
      j++
    }
  }
  return {forward, backward, union: out.subarray(0, n)}
}

/** Spans of the maximal runs of consecutive indices (as Prometheus's adjustForInserts builds them). */
export function spansOfIndices(idx: Int32Array): Int32Array {
  const spans: number[] = []
  let last = 0
  for (let i = 0; i < idx.length; i++) {
    const b = idx[i]!
    if (i > 0 && b === last + 1) spans[spans.length - 1]!++
    else spans.push(i === 0 ? b : b - last - 1, 1)
    last = b
  }
  return Int32Array.from(spans)
}

/**
 * Bucket values of layout `fromIdx` laid out on the wider layout `toIdx` (a superset), the
 * new buckets empty. Delta-encoded values (integer histograms) are re-based so that the
 * absolute counts stay the same, as Prometheus's insert().
 */
export function relayout(fromIdx: Int32Array, values: Float64Array, toIdx: Int32Array, deltas: boolean): Float64Array {
  if (toIdx.length === 0) return EMPTY_BUCKETS
  const out = new Float64Array(toIdx.length)
  let i = 0
  if (!deltas) {
    // Absolute counts are moved as bits (NaN payloads stay).
    const from = new Uint32Array(values.buffer, values.byteOffset, values.length * 2)
    const to = new Uint32Array(out.buffer)
    for (let k = 0; k < toIdx.length; k++) {
      if (i < fromIdx.length && fromIdx[i] === toIdx[k]) {
        to[2 * k] = from[2 * i]!
        to[2 * k + 1] = from[2 * i + 1]!
        i++
      }
    }
    return out
  }
  let abs = 0
  let prevAbs = 0
  for (let k = 0; k < toIdx.length; k++) {
    let v = 0
    if (i < fromIdx.length && fromIdx[i] === toIdx[k]) {
      abs += values[i]!
      v = abs
      i++
    }
    out[k] = v - prevAbs
    prevAbs = v
  }
  return out
}

/** Absolute counts from delta-encoded ones. */
export function absoluteCounts(deltas: Float64Array): Float64Array {
  const out = new Float64Array(deltas.length)
  let cur = 0
  for (let i = 0; i < deltas.length; i++) {
    cur += deltas[i]!
    out[i] = cur
  }
  return out
}

/** Timestamp at which a chunk range of `width` ends (Prometheus's rangeForTimestamp). */
export function rangeForTimestamp(t: number, width: number): number {
  return Math.trunc(t / width) * width + width
}

/**
 * When a chunk should end, given that it covers [start, cur] and is 1/ratioToFull full,
 * so that the rest of the chunk range up to maxT gets equally sized chunks (Prometheus's
 * computeChunkEndTime).
 */
export function computeChunkEndTime(start: number, cur: number, maxT: number, ratioToFull: number): number {
  const n = (maxT - start) / ((cur - start + 1) * ratioToFull)
  if (n <= 1) return maxT
  return Math.trunc(start + (maxT - start) / Math.floor(n))
}
