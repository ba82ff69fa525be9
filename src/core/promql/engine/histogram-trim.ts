/**
 * The native histogram trim operators `h </ x` (drop the observations above x) and `h >/ x`
 * (drop those below x), as Prometheus 3.14 computes them (model/histogram/float_histogram.go
 * FloatHistogram.TrimBuckets and its helpers computeBucketTrim, handleInfinityBuckets,
 * computeZeroBucketTrim, computeMidpoint; promql/engine.go vectorElemBinop calls it on a copy).
 *
 * Buckets entirely on the kept side stay, those entirely on the other side are emptied, and
 * the bucket holding x keeps the estimated share of its count on the kept side: interpolated
 * on a log2 scale in exponential buckets, linearly in custom buckets and in the zero bucket
 * (generic.go Bucket.FractionBelow). Only when some count changed, count and sum are
 * recomputed from what is left (each bucket's observations placed at the midpoint of its
 * kept part: arithmetic for custom buckets, geometric for exponential ones) and the
 * histogram is compacted; otherwise it is returned unchanged.
 */
import {ForwardBucketIterator} from '../../histogram/buckets.js'
import type {FloatHistogram} from '../../histogram/float-histogram.js'
import {fractionBelow} from '../functions/native-histogram.js'

export type TrimOp = '</' | '>/'

export function isTrimOp(op: string): op is TrimOp {
  return op === '</' || op === '>/'
}

const it = new ForwardBucketIterator()

/** Totals of the kept observations, accumulated over both sides. */
interface Kept {
  count: number
  sum: number
  trimmed: boolean
  /** Whether the side had a populated bucket (decides which half of the zero bucket is real). */
  populated: boolean
}

/**
 * Trims `h` in place at `x` and returns it: `upper` for `</` (keep what is below x), else `>/`.
 * The caller passes a copy when the original must survive (the bucket arrays are written).
 */
export function trimHistogram(h: FloatHistogram, x: number, upper: boolean): FloatHistogram {
  const custom = h.usesCustomBuckets()
  const kept: Kept = {count: 0, sum: 0, trimmed: false, populated: false}
  trimSide(h, true, x, upper, custom, kept)
  const hasPositive = kept.populated
  kept.populated = false
  trimSide(h, false, x, upper, custom, kept)
  const hasNegative = kept.populated
  if (h.zeroCount > 0) {
    // the zero bucket [-threshold, threshold] counts only on the sides that have buckets
    let lower = -h.zeroThreshold
    let upperBound = h.zeroThreshold
    if (hasNegative && !hasPositive) upperBound = 0
    if (hasPositive && !hasNegative) lower = 0
    const keep = zeroBucketTrim(h.zeroCount, lower, upperBound, x, upper)
    if (keep !== h.zeroCount) {
      h.zeroCount = keep
      kept.trimmed = true
    }
    kept.sum += midpointOut * keep
    kept.count += keep
  }
  if (kept.trimmed) {
    h.count = kept.count
    h.sum = kept.sum
    h.compact(0)
  }
  return h
}

function trimSide(h: FloatHistogram, positive: boolean, x: number, upper: boolean, custom: boolean, kept: Kept): void {
  const buckets = positive ? h.positiveBuckets : h.negativeBuckets
  it.init(h, positive)
  // the iterator visits every stored bucket in order, so i is its position in `buckets`
  for (let i = 0; it.next(); i++) {
    const count = it.count
    if (count === 0) continue
    kept.populated = true
    it.bounds()
    const {lower, upper: hi} = it
    if (upper ? hi <= x : lower >= x) {
      kept.count += count
      kept.sum += midpoint(lower, hi, positive, custom) * count
    } else if (upper ? lower < x : hi > x) {
      const keep = boundaryBucketTrim(count, lower, hi, x, upper, positive, custom)
      kept.count += keep
      kept.sum += midpointOut * keep
      if (buckets[i] !== keep) {
        buckets[i] = keep
        kept.trimmed = true
      }
    } else {
      buckets[i] = 0
      kept.trimmed = true
    }
  }
}

/** The midpoint of the kept part of the last bucket trimmed (a second result, without an object). */
let midpointOut = 0

/** computeBucketTrim: the kept count of the bucket holding x; its kept part's midpoint in midpointOut. */
function boundaryBucketTrim(count: number, lower: number, upper: number, x: number, upperTrim: boolean, positive: boolean, custom: boolean): number {
  if (lower === -Infinity || upper === Infinity) return infiniteBucketTrim(count, lower, upper, x, upperTrim)
  let below: number
  if (x <= lower) below = 0
  else if (x >= upper) below = count
  else below = count * fractionBelow(x, lower, upper, custom)
  if (upperTrim) {
    midpointOut = midpoint(lower, x, positive, custom)
    return below
  }
  midpointOut = midpoint(x, upper, positive, custom)
  return count - below
}

const finiteOr0 = (v: number): number => (Number.isFinite(v) ? v : 0)

/**
 * handleInfinityBuckets: a bucket with an infinite bound (only custom buckets have them, the
 * first from -Inf and the last to +Inf). Where its observations could lie is unknown, so it
 * is kept whole or dropped whole, except that a first bucket with a positive upper bound is
 * taken to start at 0 and interpolated linearly.
 */
function infiniteBucketTrim(count: number, lower: number, upper: number, x: number, upperTrim: boolean): number {
  if (lower === -Infinity) {
    if (upperTrim) {
      if (x >= upper) {
        midpointOut = 0
        return count
      }
      if (x > 0 && upper > 0 && upper !== Infinity) {
        midpointOut = x / 2
        return (count * x) / upper
      }
      if (upper <= 0) {
        midpointOut = x
        return count
      }
      midpointOut = finiteOr0(upper)
      return 0
    }
    if (x <= lower) {
      midpointOut = 0
      return count
    }
    if (x >= 0 && upper > x && upper !== Infinity) {
      midpointOut = (x + upper) / 2
      return count * (1 - x / upper)
    }
    midpointOut = finiteOr0(upper)
    return 0
  }
  // upper === +Inf
  if (upperTrim) {
    midpointOut = finiteOr0(lower)
    return 0
  }
  if (x >= lower) {
    midpointOut = x
    return count
  }
  midpointOut = finiteOr0(lower)
  return 0
}

/** computeZeroBucketTrim: the zero bucket's kept count, interpolated linearly; midpoint in midpointOut. */
function zeroBucketTrim(count: number, lower: number, upper: number, x: number, upperTrim: boolean): number {
  if (upperTrim) {
    if (x <= lower) {
      midpointOut = 0
      return 0
    }
    if (x >= upper) {
      midpointOut = (lower + upper) / 2
      return count
    }
    midpointOut = (lower + x) / 2
    return count * ((x - lower) / (upper - lower))
  }
  if (x <= lower) {
    midpointOut = (lower + upper) / 2
    return count
  }
  if (x >= upper) {
    midpointOut = 0
    return 0
  }
  midpointOut = (x + upper) / 2
  return count * ((upper - x) / (upper - lower))
}

/**
 * computeMidpoint: where the observations of [lower, upper] are taken to be. Infinite bounds
 * fall back to the finite one (halved when it is a positive upper bound); exponential buckets
 * use the geometric mean, with the side's sign.
 */
function midpoint(lower: number, upper: number, positive: boolean, linear: boolean): number {
  if (lower === Infinity || lower === -Infinity) {
    if (upper === Infinity || upper === -Infinity) return 0
    return upper > 0 ? upper / 2 : upper
  }
  if (upper === Infinity || upper === -Infinity) return lower
  if (linear) return (lower + upper) / 2
  const geo = Math.sqrt(Math.abs(lower * upper))
  return positive ? geo : -geo
}
