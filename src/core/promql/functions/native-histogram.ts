/**
 * Functions of native histograms, as Prometheus 3 computes them (promql/quantile.go
 * HistogramQuantile and HistogramFraction, model/histogram/generic.go Bucket.FractionBelow,
 * promql/functions.go histogramVariance): exponential buckets interpolate on a log2 scale,
 * custom buckets and the zero bucket linearly. Logarithms and powers of two as Go computes
 * them (go-math.ts), so results equal Prometheus's to the bit.
 */
import {AllBucketIterator, ForwardBucketIterator} from '../../histogram/buckets.js'
import type {FloatHistogram} from '../../histogram/float-histogram.js'
import {formatGoG} from '../format-float.js'
import {goExp2, goLog2} from './go-math.js'
import {kahanOut, kahanSumInc} from './kahan.js'

/** A histogram's buckets in ascending order, as AllBucketIterator yields them. */
interface Buckets {
  lower: number[]
  upper: number[]
  count: number[]
}

const all = new AllBucketIterator()

function bucketsOf(h: FloatHistogram): Buckets {
  const b: Buckets = {lower: [], upper: [], count: []}
  all.init(h)
  while (all.next()) {
    b.lower.push(all.lower)
    b.upper.push(all.upper)
    b.count.push(all.count)
  }
  return b
}

/** What a NaN observation did to a result, for the info annotations (quantile.go). */
export interface NanNote {
  /** the result is NaN because NaN observations took the rank */
  nanResult: boolean
  /** NaN observations were left out: the result is skewed */
  skewed: boolean
}

/**
 * histogram_quantile over a native histogram. The forward walk (φ < 0.5, or NaN sum) or the
 * reverse walk (from the highest bucket) finds the bucket of the rank.
 */
export function histogramQuantile(q: number, h: FloatHistogram, note?: NanNote): number {
  if (q < 0) return -Infinity
  if (q > 1) return Infinity
  if (h.count === 0 || Number.isNaN(q)) return Number.NaN
  const b = bucketsOf(h)
  const n = b.count.length
  const forward = Number.isNaN(h.sum) || q < 0.5
  let rank = forward ? q * h.count : (1 - q) * h.count
  let count = 0
  let lower = 0
  let upper = 0
  let bc = 0
  let k = forward ? 0 : n - 1
  for (; forward ? k < n : k >= 0; forward ? k++ : k--) {
    lower = b.lower[k]!
    upper = b.upper[k]!
    bc = b.count[k]!
    if (bc === 0) continue
    count += bc
    if (count >= rank) break
  }
  const custom = h.usesCustomBuckets()
  if (!custom && lower < 0 && upper > 0) {
    // the zero bucket: bounded by 0 on the side without buckets
    if (h.negativeBuckets.length === 0 && h.positiveBuckets.length > 0) lower = 0
    else if (h.positiveBuckets.length === 0 && h.negativeBuckets.length > 0) upper = 0
  } else if (custom) {
    if (lower === -Infinity) {
      if (upper <= 0) return upper
      lower = 0
    } else if (upper === Infinity) return lower
  }
  if (count > h.count) count = h.count
  if (count < rank) {
    if (Number.isNaN(h.sum)) {
      if (note) note.nanResult = true
      return Number.NaN
    }
    return upper
  }
  if (forward) rank -= count - bc
  else rank = count - rank
  if (Number.isNaN(h.sum)) {
    // NaN observations count in h.count but in no bucket
    let total = count
    for (let j = k + (forward ? 1 : -1); forward ? j < n : j >= 0; forward ? j++ : j--) total += b.count[j]!
    if (total < h.count && note) note.skewed = true
  }
  const fraction = rank / bc
  if (custom || (lower <= 0 && upper >= 0)) return lower + (upper - lower) * fraction
  const logLower = goLog2(Math.abs(lower))
  const logUpper = goLog2(Math.abs(upper))
  if (lower > 0) return goExp2(logLower + (logUpper - logLower) * fraction)
  return -goExp2(logUpper + (logLower - logUpper) * (1 - fraction))
}

/** generic.go Bucket.FractionBelow: how much of the bucket lies below v. */
export function fractionBelow(v: number, lower: number, upper: number, linear: boolean): number {
  if (linear) return (v - lower) / (upper - lower)
  const logLower = goLog2(Math.abs(lower))
  const logUpper = goLog2(Math.abs(upper))
  const logV = goLog2(Math.abs(v))
  if (v > 0) return (logV - logLower) / (logUpper - logLower)
  return 1 - (logV - logUpper) / (logLower - logUpper)
}

/**
 * histogram_fraction(lower, upper, h): the estimated share of observations in [lower, upper].
 * `note.skewed` is set when NaN observations were excluded (they are in no bucket).
 */
export function histogramFraction(lo: number, hi: number, h: FloatHistogram, note?: NanNote): number {
  if (h.count === 0 || Number.isNaN(lo) || Number.isNaN(hi)) return Number.NaN
  if (lo >= hi) return 0
  const b = bucketsOf(h)
  const n = b.count.length
  let count = 0
  let rank = 0
  let lowerRank = 0
  let upperRank = 0
  let lowerSet = false
  let upperSet = false
  const custom = h.usesCustomBuckets()
  let k = 0
  for (; k < n; k++) {
    let lower = b.lower[k]!
    let upper = b.upper[k]!
    const bc = b.count[k]!
    count += bc
    let zero = false
    if (lower <= 0 && upper >= 0) {
      zero = true
      if (h.negativeBuckets.length === 0 && h.positiveBuckets.length > 0) lower = 0
      else if (h.positiveBuckets.length === 0 && h.negativeBuckets.length > 0) upper = 0
    }
    const interpolate = (v: number): number => {
      if (custom || zero) return lower === -Infinity ? bc : rank + bc * fractionBelow(v, lower, upper, true)
      return rank + bc * fractionBelow(v, lower, upper, false)
    }
    if (!lowerSet && lower >= lo) {
      lowerRank = rank
      lowerSet = true
    }
    if (!upperSet && lower >= hi) {
      upperRank = rank
      upperSet = true
    }
    if (lowerSet && upperSet) break
    if (!lowerSet && lower < lo && upper > lo) {
      lowerRank = interpolate(lo)
      lowerSet = true
    }
    if (!upperSet && lower < hi && upper > hi) {
      upperRank = interpolate(hi)
      upperSet = true
    }
    if (lowerSet && upperSet) break
    rank += bc
  }
  if (Number.isNaN(h.sum)) {
    for (let j = k + 1; j < n; j++) count += b.count[j]!
    if (count < h.count && note) note.skewed = true
  } else count = h.count
  if (!lowerSet || lowerRank > count) lowerRank = count
  if (!upperSet || upperRank > count) upperRank = count
  return (upperRank - lowerRank) / h.count
}

/**
 * histogram_stdvar: the variance of the observations, each bucket's observations taken at
 * one representative value (custom buckets: the midpoint; the zero bucket: 0; exponential
 * buckets: the geometric mean, negated for negative buckets), Kahan-summed.
 */
export function histogramStdVar(h: FloatHistogram): number {
  const mean = h.sum / h.count
  let variance = 0
  let c = 0
  const custom = h.usesCustomBuckets()
  all.init(h)
  while (all.next()) {
    if (all.count === 0) continue
    let val: number
    if (custom) val = (all.upper + all.lower) / 2
    else if (all.lower <= 0 && all.upper >= 0) val = 0
    else {
      val = Math.sqrt(all.upper * all.lower)
      if (all.upper < 0) val = -val
    }
    const delta = val - mean
    variance = kahanSumInc(all.count * delta * delta, variance, c)
    c = kahanOut.c
  }
  variance += c
  return variance / h.count
}

const sideIt = new ForwardBucketIterator()

/**
 * A histogram as Prometheus prints it (model/histogram FloatHistogram.String, the label value
 * count_values makes of a histogram sample): count and sum, then every populated bucket from
 * the lowest to the highest, the zero bucket between the negative and positive ones, each as
 * its bounds (Bucket.String: `[` / `(` by inclusiveness) and count; numbers as Go's %g.
 */
export function histogramString(h: FloatHistogram): string {
  const parts = [`{count:${formatGoG(h.count)}, sum:${formatGoG(h.sum)}`]
  const bucket = (b: ForwardBucketIterator): string =>
    `${b.lowerInclusive ? '[' : '('}${formatGoG(b.lower)},${formatGoG(b.upper)}${b.upperInclusive ? ']' : ')'}:${formatGoG(b.count)}`
  const negative: string[] = []
  sideIt.init(h, false)
  while (sideIt.next()) if (sideIt.count !== 0) negative.push(bucket(sideIt.bounds()))
  for (let i = negative.length - 1; i >= 0; i--) parts.push(negative[i]!)
  if (h.zeroCount !== 0) parts.push(`[${formatGoG(-h.zeroThreshold)},${formatGoG(h.zeroThreshold)}]:${formatGoG(h.zeroCount)}`)
  sideIt.init(h, true)
  while (sideIt.next()) if (sideIt.count !== 0) parts.push(bucket(sideIt.bounds()))
  return parts.join(', ') + '}'
}
