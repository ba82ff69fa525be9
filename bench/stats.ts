/** The benchmark's summary statistics: medians of repetitions, geomeans of ratios (non-finite values left out). */

export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export function geomean(xs: readonly number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x) && x > 0)
  if (ok.length === 0) return NaN
  return Math.exp(ok.reduce((a, x) => a + Math.log(x), 0) / ok.length)
}
