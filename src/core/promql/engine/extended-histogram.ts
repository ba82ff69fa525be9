/**
 * Native histograms under Prometheus 3's extended range selectors, `anchored` and `smoothed`
 * (promql/functions.go extendedHistogramRate, interpolateHistograms,
 * pickOrInterpolateLeft/RightHistogram, validateHistogramRange,
 * correctForCounterResetsHistogram). The float forms are in functions/extended-range.ts; as
 * there, a window is the samples [from, to) of the series' arrays (stale markers removed),
 * reaching back by the lookback delta before the range start and, smoothed, as far after its
 * end. No extrapolation: the result is the histogram at the range end minus the one at its
 * start, plus the counter-reset corrections in between.
 */
import {FloatHistogram, NHCB_BOUNDS_RECONCILED} from '../../histogram/float-histogram.js'
import {CounterResetHint, HistogramError} from '../../histogram/schema.js'
import {search} from '../functions/extended-range.js'
import {mismatchedCustomBucketsHistogramsInfo, mixedExponentialCustomHistogramsWarning, mixedFloatsHistogramsWarning, nativeHistogramNotCounterWarning, nativeHistogramNotGaugeWarning, type HistogramOperation} from './annotations.js'
import type {HistogramIssues} from './histogram-ops.js'

/**
 * `into` += `other` (or -=), with the info when custom bounds had to be reconciled; false (after
 * the warning) when exponential and custom buckets meet, as functions.go
 * addHistogramWithAnnotations / subHistogramWithAnnotations.
 */
function combine(into: FloatHistogram, other: FloatHistogram, sub: boolean, issues: HistogramIssues | undefined): boolean {
  let flags: number
  try {
    flags = sub ? into.sub(other) : into.add(other)
  } catch (err) {
    if (!(err instanceof HistogramError)) throw err
    if (err.reason === 'incompatible_schema') issues?.add(mixedExponentialCustomHistogramsWarning(issues.metricName, issues.pos))
    return false
  }
  const op: HistogramOperation = sub ? 'subtraction' : 'addition'
  if (flags & NHCB_BOUNDS_RECONCILED) issues?.add(mismatchedCustomBucketsHistogramsInfo(issues.pos, op))
  return true
}

/**
 * The histogram at t between h1 (at t1) and h2 (at t2), a new object: h1 + (h2 - h1) * fraction.
 * A counter that reset between them is modelled as restarting from zero: h2 * fraction (which
 * keeps h2's CounterReset hint). Undefined when the two cannot be combined (exponential with
 * custom buckets: warned through `issues`).
 */
export function interpolateHistograms(h1: FloatHistogram, t1: number, h2: FloatHistogram, t2: number, t: number, isCounter: boolean, issues?: HistogramIssues): FloatHistogram | undefined {
  if (t === t1) return h1.copy()
  if (t === t2) return h2.copy()
  const fraction = (t - t1) / (t2 - t1)
  if (isCounter && h2.detectReset(h1)) return h2.copy().mul(fraction)
  const r = h2.copy()
  if (!combine(r, h1, true, issues)) return undefined
  r.mul(fraction)
  if (!combine(r, h1, false, issues)) return undefined
  return r
}

/**
 * rate/increase/delta of a window of histograms only under `anchored` (smoothed false) or
 * `smoothed`: the boundary histograms picked (anchored: the last sample at or before the range
 * start) or interpolated (smoothed) and subtracted, counter resets strictly between them added
 * back, rate divided by the range in seconds; a gauge, Compact(0). Undefined for no result:
 * nothing after the range start, mixed exponential and custom buckets.
 */
export function extendedHistogramRate(
  ts: Float64Array,
  hs: readonly FloatHistogram[],
  from: number,
  to: number,
  rangeStart: number,
  rangeEnd: number,
  rangeMs: number,
  smoothed: boolean,
  isCounter: boolean,
  isRate: boolean,
  issues?: HistogramIssues,
): FloatHistogram | undefined {
  const lastIdx = to - 1
  const first = Math.max(from, search(ts, from, lastIdx, (t) => t > rangeStart) - 1)
  const last = smoothed ? search(ts, from, lastIdx, (t) => t >= rangeEnd) : lastIdx
  if (ts[last]! <= rangeStart) return undefined
  if (smoothed && ts[first]! > rangeEnd) return undefined
  // validateHistogramRange: the boundary samples and those between, all of one bucket kind
  const custom = hs[first]!.usesCustomBuckets()
  let gaugeSeen = false
  for (let k = first; k <= last; k++) {
    const h = hs[k]!
    if (h.usesCustomBuckets() !== custom) {
      issues?.add(mixedExponentialCustomHistogramsWarning(issues.metricName, issues.pos))
      return undefined
    }
    if (isCounter && h.counterResetHint === CounterResetHint.Gauge) gaugeSeen = true
  }
  if (gaugeSeen) issues?.add(nativeHistogramNotCounterWarning(issues.metricName, issues.pos))
  const left = smoothed && ts[first]! < rangeStart ? interpolateHistograms(hs[first]!, ts[first]!, hs[first + 1]!, ts[first + 1]!, rangeStart, isCounter, issues) : hs[first]!.copy()
  if (left === undefined) return undefined
  const right = smoothed && last > from && ts[last]! > rangeEnd ? interpolateHistograms(hs[last - 1]!, ts[last - 1]!, hs[last]!, ts[last]!, rangeEnd, isCounter, issues) : hs[last]!.copy()
  if (right === undefined) return undefined
  if (!isCounter && (left.counterResetHint !== CounterResetHint.Gauge || right.counterResetHint !== CounterResetHint.Gauge)) {
    issues?.add(nativeHistogramNotGaugeWarning(issues.metricName, issues.pos))
  }
  // right itself stays as it is: the reset check below compares against it
  const result = right.copy()
  if (!combine(result, left, true, issues)) return undefined
  if (isCounter) {
    const correction = resetCorrection(ts, hs, first, last, left, right, rangeStart, smoothed, issues)
    if (correction === false) return undefined
    if (correction !== undefined && !combine(result, correction, false, issues)) return undefined
  }
  if (isRate) result.div(rangeMs / 1000)
  result.counterResetHint = CounterResetHint.Gauge
  return result.compact(0)
}

/**
 * The sum of the histograms before each counter reset strictly between the boundary samples
 * `first` and `last` (which `left` and `right` stand for, their resets accounted for already);
 * undefined when there is none, false when the sum cannot be formed.
 */
function resetCorrection(
  ts: Float64Array,
  hs: readonly FloatHistogram[],
  first: number,
  last: number,
  left: FloatHistogram,
  right: FloatHistogram,
  rangeStart: number,
  smoothed: boolean,
  issues: HistogramIssues | undefined,
): FloatHistogram | undefined | false {
  let k = first + 1
  let prev = left
  // a left interpolation across the reset after `first` counted it: the sample after the
  // reset is where the comparisons start
  if (smoothed && ts[first]! < rangeStart && hs[first + 1]!.detectReset(hs[first]!)) {
    prev = hs[first + 1]!
    k++
  }
  // `right` is hs[last] or interpolated towards it with its hint: comparing hs[last] too would
  // count a reset hint twice. Nothing between the boundaries: nothing to correct.
  if (k > last) return undefined
  let correction: FloatHistogram | undefined
  const add = (h: FloatHistogram): boolean => {
    if (correction === undefined) {
      correction = h.copy()
      return true
    }
    return combine(correction, h, false, issues)
  }
  for (; k < last; k++) {
    const h = hs[k]!
    if (h.detectReset(prev) && !add(prev)) return false
    prev = h
  }
  if (right.detectReset(prev) && !add(prev)) return false
  return correction
}

/** Whether some sample of [from, to) is a histogram. */
export function windowHasHistogram(hs: readonly (FloatHistogram | undefined)[], from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (hs[k] !== undefined) return true
  return false
}

/**
 * rate, increase or delta (`func`) of an anchored or smoothed window that holds histograms
 * (functions.go extrapolatedRate): no result when it holds floats too (a warning), else
 * extendedHistogramRate.
 */
export function extendedRateWithHistograms(
  s: {ts: Float64Array; hs?: readonly (FloatHistogram | undefined)[]},
  from: number,
  to: number,
  rangeStart: number,
  rangeEnd: number,
  rangeMs: number,
  smoothed: boolean,
  func: string,
  issues: HistogramIssues,
): FloatHistogram | undefined {
  const hs = s.hs!
  for (let k = from; k < to; k++) {
    if (hs[k] === undefined) {
      issues.add(mixedFloatsHistogramsWarning(issues.metricName, issues.pos))
      return undefined
    }
  }
  return extendedHistogramRate(s.ts, hs as readonly FloatHistogram[], from, to, rangeStart, rangeEnd, rangeMs, smoothed, func !== 'delta', func === 'rate', issues)
}
