/**
 * histogram_quantile over classic `le` buckets (Prometheus promql/quantile.go bucketQuantile):
 * sorted by upper bound, duplicate bounds merged, monotonicity enforced, linear interpolation
 * inside the bucket, the first bucket's lower bound 0 when its upper bound is positive.
 */
export interface Bucket {
  upperBound: number
  count: number
}

export interface AnnotationSink {
  infos: string[]
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

/** Float noise that breaks monotonicity is flattened silently (relative delta ≤ 1e-12). */
function correctPrecisionErrors(b: Bucket[]): void {
  let prev = b[0]!.count
  for (let i = 1; i < b.length; i++) {
    const cur = b[i]!.count
    const delta = Math.abs(cur - prev)
    if (delta === 0) continue
    if (delta / cur <= 1e-12) b[i]!.count = prev
    else prev = cur
  }
}

/** The envelope of the counts; true when a real decrease had to be removed. */
function ensureMonotonic(b: Bucket[]): boolean {
  let forced = false
  let max = b[0]!.count
  for (let i = 1; i < b.length; i++) {
    if (b[i]!.count > max) max = b[i]!.count
    else if (b[i]!.count < max) {
      b[i]!.count = max
      forced = true
    }
  }
  return forced
}

const MONOTONICITY_INFO =
  'PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)'

export function histogramQuantile(q: number, buckets: Bucket[], ann?: AnnotationSink): number {
  if (Number.isNaN(q)) return NaN
  if (q < 0) return -Infinity
  if (q > 1) return Infinity
  const b = prepare(buckets)
  if (!b) return NaN
  correctPrecisionErrors(b)
  if (ensureMonotonic(b) && ann) ann.infos.push(MONOTONICITY_INFO)
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
