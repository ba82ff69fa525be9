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

const SMALL_DELTA_TOLERANCE = 1e-12

export function histogramQuantile(q: number, buckets: Bucket[], ann?: AnnotationSink): number {
  if (Number.isNaN(q)) return NaN
  if (q < 0) return -Infinity
  if (q > 1) return Infinity
  buckets.sort((a, b) => a.upperBound - b.upperBound)
  if (buckets.length === 0 || buckets[buckets.length - 1]!.upperBound !== Infinity) return NaN
  // merge buckets with the same upper bound (e.g. from series that differ only in label order)
  const merged: Bucket[] = []
  for (const b of buckets) {
    const last = merged[merged.length - 1]
    if (last && last.upperBound === b.upperBound) last.count += b.count
    else merged.push({...b})
  }
  if (merged.length < 2) return NaN
  // monotonicity: counts must not decrease; ignore tiny float noise (3.x behaviour)
  let fixed = false
  for (let i = 1; i < merged.length; i++) {
    const prev = merged[i - 1]!.count
    const cur = merged[i]!.count
    if (cur < prev) {
      if (prev - cur > SMALL_DELTA_TOLERANCE * Math.max(Math.abs(prev), 1)) fixed = true
      merged[i]!.count = prev
    }
  }
  if (fixed && ann) ann.infos.push('PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)')
  const total = merged[merged.length - 1]!.count
  if (total === 0 || Number.isNaN(total)) return NaN
  const rank = q * total
  let b = 0
  while (b < merged.length - 1 && merged[b]!.count < rank) b++
  if (b === merged.length - 1) return merged[merged.length - 2]!.upperBound
  if (b === 0 && merged[0]!.upperBound <= 0) return merged[0]!.upperBound
  let bucketStart = 0
  let bucketEnd = merged[b]!.upperBound
  let count = merged[b]!.count
  let r = rank
  if (b > 0) {
    bucketStart = merged[b - 1]!.upperBound
    count -= merged[b - 1]!.count
    r -= merged[b - 1]!.count
  }
  return bucketStart + (bucketEnd - bucketStart) * (r / count)
}
