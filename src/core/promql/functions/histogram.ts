/**
 * histogram_quantile over classic `le` buckets (Prometheus promql/quantile.go bucketQuantile):
 * sorted by upper bound, duplicate bounds merged, monotonicity enforced, linear interpolation
 * inside the bucket, the first bucket's lower bound 0 when its upper bound is positive.
 */
export interface Bucket {
  upperBound: number
  count: number
}

/**
 * What histogram_quantile had to change in the counts to make them monotonic (quantile.go
 * ensureMonotonicAndIgnoreSmallDeltas): the caller turns it into an info.
 */
export interface Monotonicity {
  /** the counts were looked at (q in [0, 1] and a +Inf bucket) */
  checked: boolean
  forced: boolean
  /** lowest and highest upper bound whose count was raised */
  minBucket: number
  maxBucket: number
  /** the largest decrease removed */
  maxDiff: number
}

/** Sorted by upper bound, equal bounds merged; NaN unless the last bucket is +Inf. */
function prepare(buckets: Bucket[]): Bucket[] | undefined {
  if (buckets.length === 0) return undefined
  buckets.sort((a, b) => a.upperBound - b.upperBound)
  if (buckets[buckets.length - 1]!.upperBound !== Infinity) return undefined
  const merged: Bucket[] = []
  for (const b of buckets) {
    const last = merged[merged.length - 1]
    if (last && last.upperBound === b.upperBound) last.count += b.count
    else merged.push({...b})
  }
  return merged
}

/** Go's almost.Equal: relative difference below epsilon (absolute near zero). */
function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (a === b) return true
  const absSum = Math.abs(a) + Math.abs(b)
  const diff = Math.abs(a - b)
  const minNormal = 2.2250738585072014e-308
  if (a === 0 || b === 0 || absSum < minNormal) return diff < epsilon * minNormal
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon
}

/**
 * One pass over the cumulative counts: differences within 1e-12 (float noise) are flattened
 * silently, real decreases are removed and recorded; neither moves the reference count.
 */
function ensureMonotonic(b: Bucket[], m: Monotonicity): void {
  m.checked = true
  m.forced = false
  m.minBucket = Infinity
  m.maxBucket = -Infinity
  m.maxDiff = 0
  let prev = b[0]!.count
  for (let i = 1; i < b.length; i++) {
    const cur = b[i]!.count
    if (cur === prev) continue
    if (almostEqual(prev, cur, 1e-12)) {
      b[i]!.count = prev
      continue
    }
    if (cur < prev) {
      b[i]!.count = prev
      m.forced = true
      const ub = b[i]!.upperBound
      if (ub < m.minBucket) m.minBucket = ub
      if (ub > m.maxBucket) m.maxBucket = ub
      if (prev - cur > m.maxDiff) m.maxDiff = prev - cur
      continue
    }
    prev = cur
  }
}

/** The quantile q of classic buckets; `mono` (when given) tells whether counts had to be made monotonic. */
export function histogramQuantile(q: number, buckets: Bucket[], mono?: Monotonicity): number {
  if (mono) mono.forced = mono.checked = false
  if (Number.isNaN(q)) return NaN
  if (q < 0) return -Infinity
  if (q > 1) return Infinity
  const b = prepare(buckets)
  if (!b) return NaN
  ensureMonotonic(b, mono ?? {checked: false, forced: false, minBucket: 0, maxBucket: 0, maxDiff: 0})
  if (b.length < 2) return NaN
  const total = b[b.length - 1]!.count
  if (total === 0) return NaN
  let rank = q * total
  let i = 0
  while (i < b.length - 1 && !(b[i]!.count >= rank)) i++
  if (i === b.length - 1) return b[b.length - 2]!.upperBound
  if (i === 0 && b[0]!.upperBound <= 0) return b[0]!.upperBound
  let start = 0
  let count = b[i]!.count
  if (i > 0) {
    start = b[i - 1]!.upperBound
    count -= b[i - 1]!.count
    rank -= b[i - 1]!.count
  }
  return start + (b[i]!.upperBound - start) * (rank / count)
}

/**
 * histogram_fraction over classic buckets (quantile.go BucketFraction): the share of
 * observations between lower and upper, interpolating linearly inside buckets. The lowest
 * bucket starts at 0 when its bound is positive, else at -Inf; buckets of infinite width are
 * not interpolated (the -Inf one contributes all or nothing, as the +Inf one). Unlike
 * histogram_quantile, the counts are not made monotonic first.
 */
export function histogramFraction(lower: number, upper: number, buckets: Bucket[]): number {
  const b = prepare(buckets)
  if (!b) return NaN
  const count = b[b.length - 1]!.count
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN
  if (lower >= upper) return 0
  let rank = 0
  let lowerRank = 0
  let upperRank = 0
  let lowerSet = false
  let upperSet = false
  let lowerBound = b[0]!.upperBound <= 0 ? -Infinity : 0
  for (let i = 0; i < b.length; i++) {
    if (i > 0) lowerBound = b[i - 1]!.upperBound
    const upperBound = b[i]!.upperBound
    const cum = b[i]!.count
    const interpolate = (v: number): number => (lowerBound === -Infinity ? cum : rank + ((cum - rank) * (v - lowerBound)) / (upperBound - lowerBound))
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank
      lowerSet = true
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank
      upperSet = true
    }
    if (lowerSet && upperSet) break
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interpolate(lower)
      lowerSet = true
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interpolate(upper)
      upperSet = true
    }
    if (lowerSet && upperSet) break
    rank = cum
  }
  if (!lowerSet || lowerRank > count) lowerRank = count
  if (!upperSet || upperRank > count) upperRank = count
  return (upperRank - lowerRank) / count
}
