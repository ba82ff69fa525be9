/**
 * An instant-vector selector with the `smoothed` modifier (Prometheus 3 extended range
 * selectors; promql/engine.go smoothSeries): at each step t, the samples of
 * (t - lookback, t + lookback], stale markers left out, give the value at t, interpolated
 * linearly between the samples around t, or the sample at t, or the last one before t when
 * none follows. A window holding floats and histograms has no value (a warning), nor does an
 * interpolation between exponential and custom buckets.
 */
import type {FloatHistogram} from '../../histogram/float-histogram.js'
import {CounterResetHint} from '../../histogram/schema.js'
import type {SampleBlock} from '../queryable.js'
import type {Labels} from '../../labels/labels.js'
import {mixedExponentialCustomHistogramsWarning, mixedFloatsHistogramsWarning} from './annotations.js'
import {interpolateHistograms} from './extended-histogram.js'
import type {HistogramIssues} from './histogram-ops.js'
import type {StepSeries} from './types.js'

/** The first index whose timestamp is >= x (`orEqual` false: > x); a.length when none. */
function firstFrom(a: Float64Array, x: number, orEqual: boolean): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (a[mid]! < x || (!orEqual && a[mid] === x)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Whether the live samples of [lo, hi) hold both floats and histograms. */
function mixedKinds(stale: Uint8Array, hs: readonly (FloatHistogram | undefined)[], lo: number, hi: number): boolean {
  let f = false
  let h = false
  for (let k = lo; k < hi; k++) {
    if (stale[k]) continue
    if (hs[k] === undefined) f = true
    else h = true
    if (f && h) return true
  }
  return false
}

/**
 * One series under `smoothed` at the steps `eff` (evaluation times, offset applied); undefined
 * when no step has a value. `s` holds the series' samples of every step's window.
 */
export function smoothedSeries(s: SampleBlock, labels: Labels, eff: Float64Array, lookback: number, issues: HistogramIssues): StepSeries | undefined {
  const {ts, vs, stale, hs} = s
  const sts = s.st
  const n = eff.length
  const vals = new Float64Array(n)
  const has = new Uint8Array(n)
  const sampleTs = new Float64Array(n)
  const sampleSt = sts ? new Float64Array(n) : undefined
  const hists = hs ? new Array<FloatHistogram | undefined>(n) : undefined
  let any = false
  for (let i = 0; i < n; i++) {
    const t = eff[i]!
    const lo = firstFrom(ts, t - lookback, false)
    const hi = firstFrom(ts, t + lookback, false)
    const at = firstFrom(ts, t, true)
    // the live samples around t: the first at or after it, the last before it
    let next = at
    while (next < hi && stale[next]) next++
    if (next >= hi) next = -1
    let prev = at - 1
    while (prev >= lo && stale[prev]) prev--
    if (prev < lo) prev = -1
    if (prev < 0 && next < 0) continue
    if (hs && mixedKinds(stale, hs, lo, hi)) {
      issues.add(mixedFloatsHistogramsWarning(issues.metricName, issues.pos))
      continue
    }
    const exact = next >= 0 && ts[next] === t
    if (!exact && prev < 0) continue
    const src = exact ? next : prev
    const h1 = hs?.[src]
    if (h1 !== undefined) {
      let h: FloatHistogram | undefined = h1
      if (!exact && next >= 0) {
        const h2 = hs![next]!
        if (h1.usesCustomBuckets() !== h2.usesCustomBuckets()) {
          issues.add(mixedExponentialCustomHistogramsWarning(issues.metricName, issues.pos))
          continue
        }
        // a counter unless both samples say gauge
        const isCounter = h1.counterResetHint !== CounterResetHint.Gauge || h2.counterResetHint !== CounterResetHint.Gauge
        h = interpolateHistograms(h1, ts[prev]!, h2, ts[next]!, t, isCounter, issues)
        if (h === undefined) continue
      } else if (!exact) {
        // carried forward: the hint said how this sample followed the one before it, not t
        h = h1.copy()
        h.counterResetHint = CounterResetHint.Unknown
      }
      hists![i] = h
      vals[i] = Number.NaN
    } else if (!exact && next >= 0) {
      vals[i] = vs[prev]! + ((vs[next]! - vs[prev]!) * (t - ts[prev]!)) / (ts[next]! - ts[prev]!)
    } else vals[i] = vs[src]!
    has[i] = 1
    sampleTs[i] = ts[src]!
    if (sampleSt) sampleSt[i] = sts![src]!
    any = true
  }
  if (!any) return undefined
  const out: StepSeries = {labels, vals, has, sampleTs}
  if (sampleSt) out.sampleSt = sampleSt
  if (hists && hists.some((h) => h !== undefined)) out.hists = hists
  return out
}
