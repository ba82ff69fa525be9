/**
 * Kernels for Prometheus 3's extended range selectors, `anchored` and `smoothed` (the PROM-52
 * proposal; promql/functions.go extendedRate, pickOrInterpolateLeft/Right,
 * correctForCounterResets, pickFirstSampleIndices). Their windows reach back by the lookback
 * delta before the range start (and, smoothed, as far after its end): the samples [from, to)
 * of typed arrays, stale markers already removed.
 */
import type {FloatHistogram} from '../../histogram/float-histogram.js'
import {isStartTimestampReset} from './range-kernels.js'

/** The first index in [lo, hi) whose timestamp satisfies pred (hi when none), as Go's sort.Search. */
export function search(ts: Float64Array, lo: number, hi: number, pred: (t: number) => boolean): number {
  let a = lo
  let b = hi
  while (a < b) {
    const mid = (a + b) >> 1
    if (pred(ts[mid]!)) b = mid
    else a = mid + 1
  }
  return a
}

/** Linear interpolation at t between samples i and j; a counter that dropped restarts from 0. */
function interpolate(ts: Float64Array, vs: Float64Array, i: number, j: number, t: number, isCounter: boolean): number {
  let y1 = vs[i]!
  const y2 = vs[j]!
  if (isCounter && y2 < y1) y1 = 0
  return y1 + ((y2 - y1) * (t - ts[i]!)) / (ts[j]! - ts[i]!)
}

/**
 * rate/increase/delta over an anchored or smoothed window: the value at the range end minus
 * the value at its start (anchored: the last sample at or before the start; smoothed: both
 * ends interpolated), plus counter-reset corrections in between. No extrapolation.
 */
export function extendedRate(
  ts: Float64Array,
  vs: Float64Array,
  from: number,
  to: number,
  rangeStart: number,
  rangeEnd: number,
  smoothed: boolean,
  isCounter: boolean,
): number | undefined {
  const lastIdx = to - 1
  let first = Math.max(from, search(ts, from, lastIdx, (t) => t > rangeStart) - 1)
  let last = smoothed ? search(ts, from, lastIdx, (t) => t >= rangeEnd) : lastIdx
  if (ts[last]! <= rangeStart) return undefined
  if (smoothed && ts[first]! > rangeEnd) return undefined
  const left = smoothed && ts[first]! < rangeStart ? interpolate(ts, vs, first, first + 1, rangeStart, isCounter) : vs[first]!
  const right = smoothed && last > from && ts[last]! > rangeEnd ? interpolate(ts, vs, last - 1, last, rangeEnd, isCounter) : vs[last]!
  let result = right - left
  if (isCounter) {
    // resets at the boundaries are in left/right already: correct only those strictly inside
    if (ts[first]! <= rangeStart) first++
    if (ts[last]! >= rangeEnd) last--
    let prev = left
    for (let i = first; i <= last; i++) {
      if (vs[i]! < prev) result += prev
      prev = vs[i]!
    }
    if (right < prev) result += prev
  }
  return result
}

/**
 * A range vector under `anchored` or `smoothed` as a query's result (engine.go extendFloats): a
 * point at the range start (the anchor's value, or smoothed interpolated there), the samples
 * strictly inside the range, and a point at its end (the last value, or smoothed interpolated
 * there). ts/vs: the samples selected for the window (anchored: up to the range end; smoothed:
 * up to the lookback delta after it). Undefined when no sample lies after the range start. New
 * arrays.
 */
export function extendFloats(ts: Float64Array, vs: Float64Array, rangeStart: number, rangeEnd: number, smoothed: boolean): {ts: Float64Array; vs: Float64Array} | undefined {
  if (ts.length === 0) return undefined
  const lastIdx = ts.length - 1
  let first = Math.max(0, search(ts, 0, lastIdx, (t) => t > rangeStart) - 1)
  let last = smoothed ? search(ts, 0, lastIdx, (t) => t >= rangeEnd) : lastIdx
  if (ts[last]! <= rangeStart) return undefined
  const left = smoothed && ts[first]! < rangeStart ? interpolate(ts, vs, first, first + 1, rangeStart, false) : vs[first]!
  const right = smoothed && last > 0 && ts[last]! > rangeEnd ? interpolate(ts, vs, last - 1, last, rangeEnd, false) : vs[last]!
  // the boundary samples are in left and right
  if (ts[first]! <= rangeStart) first++
  if (ts[last]! >= rangeEnd) last--
  const inner = Math.max(last - first + 1, 0)
  const outTs = new Float64Array(inner + 2)
  const outVs = new Float64Array(inner + 2)
  outTs[0] = rangeStart
  outVs[0] = left
  if (inner > 0) {
    outTs.set(ts.subarray(first, last + 1), 1)
    outVs.set(vs.subarray(first, last + 1), 1)
  }
  outTs[inner + 1] = rangeEnd
  outVs[inner + 1] = right
  return {ts: outTs, vs: outVs}
}

/**
 * changes/resets over an anchored window: from the last sample at or before the range start
 * (or the first one when none is), provided some sample lies after the start (functions.go
 * pickFirstSampleIndices: the anchor is the later of the last float and the last histogram
 * at or before the start, which in one time-ordered series is simply the last sample there).
 * Start timestamps count as resets as for plain windows. With `hs`, samples may be native
 * histograms (funcChanges, funcResets): a switch between a float and a histogram counts as a
 * change and as a reset; between histograms, changes counts what is not equal, resets what
 * DetectReset (or a start timestamp) says reset.
 */
export function anchoredChangesOrResets(
  ts: Float64Array,
  vs: Float64Array,
  st: Float64Array | undefined,
  from: number,
  to: number,
  rangeStart: number,
  resets: boolean,
  hs?: readonly (FloatHistogram | undefined)[],
): number | undefined {
  const lastLE = search(ts, from, to, (t) => t > rangeStart) - 1
  if (lastLE + 1 >= to) return undefined
  const first = lastLE < from ? from : lastLE
  let n = 0
  for (let i = first + 1; i < to; i++) {
    const ha = hs?.[i - 1]
    const hb = hs?.[i]
    const stReset = resets && st !== undefined && isStartTimestampReset(st[i - 1]!, ts[i - 1]!, st[i]!, ts[i]!)
    if (ha !== undefined || hb !== undefined) {
      if (ha === undefined || hb === undefined) n++
      else if (resets ? stReset || hb.detectReset(ha) : !hb.equals(ha)) n++
      continue
    }
    const prev = vs[i - 1]!
    const cur = vs[i]!
    if (resets) {
      if (cur < prev || stReset) n++
    } else if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) n++
  }
  return n
}
