/** Prometheus's quantile() over sorted values (linear interpolation; q outside [0,1] → ±Inf). */
export function quantileOfSorted(q: number, sorted: ArrayLike<number>): number {
  const n = sorted.length
  if (n === 0 || Number.isNaN(q)) return NaN
  if (q < 0) return -Infinity
  if (q > 1) return Infinity
  if (n === 1) return sorted[0]!
  const rank = q * (n - 1)
  const lower = Math.max(0, Math.floor(rank))
  const upper = Math.min(n - 1, lower + 1)
  const weight = rank - Math.floor(rank)
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight
}

/** Sorts ascending with NaNs first, as Go's sort.Float64s (which Prometheus's quantile uses). */
export function sortNaNFirst(a: Float64Array): Float64Array {
  a.sort()
  // typed-array sort puts NaN last; rotate them to the front
  let n = 0
  for (let i = a.length - 1; i >= 0 && Number.isNaN(a[i]!); i--) n++
  if (n > 0) {
    a.copyWithin(n, 0, a.length - n)
    a.fill(NaN, 0, n)
  }
  return a
}
