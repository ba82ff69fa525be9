/**
 * Range-vector → float kernels: rate & friends, *_over_time, deriv, predict_linear, changes,
 * resets. A window is the samples [from, to) of typed arrays, stale markers already removed,
 * for the left-open range (rangeStart, rangeEnd]. rate, increase, irate and resets also read
 * the samples' start timestamps when the series has them (Prometheus 3's ST support).
 */
import {kahanOut, kahanSumInc} from './kahan.js'
import {quantileOfSorted, sortNaNFirst} from './quantile.js'

export interface RangeWindow {
  ts: Float64Array
  vs: Float64Array
  /** start timestamps (ms, 0 = unknown) parallel to ts, when the series carries them */
  st: Float64Array | undefined
  from: number
  to: number
  /** exclusive, ms */
  rangeStart: number
  /** inclusive, ms */
  rangeEnd: number
  /** evaluation time (ms), before offset */
  evalTime: number
  /** the selector's range in ms */
  range: number
  /**
   * Set by rate/increase when a sample's start time lies before the previous sample (an
   * overlap, functions.go checkStartTimeOverlap): the caller warns about it.
   */
  stOverlap: boolean
}

export type RangeKernel = (w: RangeWindow, params: readonly number[]) => number | undefined

/**
 * Whether the start timestamps of two consecutive samples say the counter was reset between
 * them (promql/functions.go isStartTimestampReset): an ST after the previous sample starts a
 * new count; an ST equal to the previous sample's time is a delta sample (a reset) only when
 * the previous sample had a known, valid ST of its own (else it is OTel's cumulative with an
 * unknown start). ST 0 is unknown; ST >= T is invalid or OTel's unknown start: no reset.
 */
export function isStartTimestampReset(prevST: number, prevT: number, curST: number, curT: number): boolean {
  if (curST === 0 || curST >= curT) return false
  if (curST < prevT) return false
  if (curST > prevT) return true
  if (prevST > prevT) return false
  return prevST !== 0 && prevST !== prevT
}

/** A known start time before the previous sample, and not the previous sample's own start. */
export function startTimeOverlaps(prevST: number, prevT: number, curST: number): boolean {
  return curST !== 0 && curST < prevT && curST !== prevST
}

/**
 * Prometheus's extrapolatedRate (rate, increase, delta). For counters, start timestamps add
 * resets, and a first sample whose ST lies inside the range stands for a zero at that ST:
 * the increase then starts there instead of being extrapolated to the range start (which
 * also lets a single sample give a result).
 */
function extrapolatedRate(w: RangeWindow, isCounter: boolean, isRate: boolean): number | undefined {
  const n = w.to - w.from
  if (n < 1) return undefined
  const {ts, vs, from} = w
  const st = isCounter ? w.st : undefined
  const last = w.to - 1
  let result = vs[last]! - vs[from]!
  if (isCounter) {
    let prev = vs[from]!
    for (let i = from + 1; i <= last; i++) {
      const cur = vs[i]!
      if (st !== undefined && !w.stOverlap && startTimeOverlaps(st[i - 1]!, ts[i - 1]!, st[i]!)) w.stOverlap = true
      if (cur < prev || (st !== undefined && isStartTimestampReset(st[i - 1]!, ts[i - 1]!, st[i]!, ts[i]!))) result += prev
      prev = cur
    }
  }
  const firstT = ts[from]!
  const lastT = ts[last]!
  let durationToStart = (firstT - w.rangeStart) / 1000
  let durationToEnd = (w.rangeEnd - lastT) / 1000
  let sampledInterval = (lastT - firstT) / 1000
  const avgBetween = n > 1 ? sampledInterval / (n - 1) : 0
  const threshold = avgBetween * 1.1
  const firstST = st !== undefined ? st[from]! : 0
  if (firstST !== 0 && firstST > w.rangeStart && firstST < firstT) {
    // a zero at the first sample's ST, inside the (left-open) range: count from there
    durationToStart = 0
    sampledInterval = (lastT - firstST) / 1000
    result += vs[from]!
  } else if (n === 1) {
    return undefined
  } else {
    if (durationToStart >= threshold) durationToStart = avgBetween / 2
    if (isCounter && result > 0 && vs[from]! >= 0) {
      // a counter can't go below zero: don't extrapolate past the point it would hit zero
      const durationToZero = sampledInterval * (vs[from]! / result)
      if (durationToZero < durationToStart) durationToStart = durationToZero
    }
  }
  if (durationToEnd >= threshold) durationToEnd = avgBetween / 2
  let factor = sampledInterval !== 0 ? (sampledInterval + durationToStart + durationToEnd) / sampledInterval : 1
  if (isRate) factor /= w.range / 1000
  return result * factor
}

/** irate/idelta over the last two samples; irate treats a drop or an ST reset as a counter reset. */
function instantValue(w: RangeWindow, isRate: boolean): number | undefined {
  if (w.to - w.from < 2) return undefined
  const last = w.to - 1
  const prev = last - 1
  const dt = w.ts[last]! - w.ts[prev]!
  if (dt === 0) return undefined
  const lv = w.vs[last]!
  const pv = w.vs[prev]!
  const st = w.st
  const reset = isRate && (lv < pv || (st !== undefined && isStartTimestampReset(st[prev]!, w.ts[prev]!, st[last]!, w.ts[last]!)))
  let result = reset ? lv : lv - pv
  if (isRate) result /= dt / 1000
  return result
}

/** Prometheus's linearRegression with Kahan sums, x in seconds relative to interceptTime. */
export function linearRegression(ts: Float64Array, vs: Float64Array, from: number, to: number, interceptTime: number): [number, number] {
  let n = 0
  let sumX = 0, cX = 0, sumY = 0, cY = 0, sumXY = 0, cXY = 0, sumX2 = 0, cX2 = 0
  const initY = vs[from]!
  let constY = true
  for (let i = from; i < to; i++) {
    const y = vs[i]!
    if (constY && i > from && y !== initY) constY = false
    n++
    const x = (ts[i]! - interceptTime) / 1000
    sumX = kahanSumInc(x, sumX, cX); cX = kahanOut.c
    sumY = kahanSumInc(y, sumY, cY); cY = kahanOut.c
    sumXY = kahanSumInc(x * y, sumXY, cXY); cXY = kahanOut.c
    sumX2 = kahanSumInc(x * x, sumX2, cX2); cX2 = kahanOut.c
  }
  if (constY) return Number.isFinite(initY) ? [0, initY] : [NaN, NaN]
  sumX += cX
  sumY += cY
  sumXY += cXY
  sumX2 += cX2
  const covXY = sumXY - (sumX * sumY) / n
  const varX = sumX2 - (sumX * sumX) / n
  const slope = covXY / varX
  return [slope, sumY / n - (slope * sumX) / n]
}

/**
 * Mean as Prometheus computes it for avg and avg_over_time: Kahan-compensated sum starting from
 * the first value, switching to an incremental mean if the sum overflows to ±Inf.
 */
export function kahanMean(vs: ArrayLike<number>, from: number, to: number): number {
  if (to - from === 1) return vs[from]!
  let sum = vs[from]!, c = 0, count = 1, mean = 0, kc = 0
  let incremental = false
  for (let i = from + 1; i < to; i++) {
    const f = vs[i]!
    count++
    if (!incremental) {
      const ns = kahanSumInc(f, sum, c)
      if (!(ns === Infinity || ns === -Infinity)) {
        sum = ns
        c = kahanOut.c
        continue
      }
      incremental = true
      mean = sum / (count - 1)
      kc = c / (count - 1)
    }
    const q = (count - 1) / count
    mean = kahanSumInc(f / count, q * mean, q * kc)
    kc = kahanOut.c
  }
  return incremental ? mean + kc : sum / count + c / count
}

function avg(w: RangeWindow): number {
  return kahanMean(w.vs, w.from, w.to)
}

function variance(w: RangeWindow): number {
  let count = 0, mean = 0, cMean = 0, aux = 0, cAux = 0
  for (let i = w.from; i < w.to; i++) {
    const f = w.vs[i]!
    count++
    const delta = f - (mean + cMean)
    mean = kahanSumInc(delta / count, mean, cMean)
    cMean = kahanOut.c
    const newDelta = f - (mean + cMean)
    aux = kahanSumInc(delta * newDelta, aux, cAux)
    cAux = kahanOut.c
  }
  return (aux + cAux) / count
}

let scratch = new Float64Array(256)
function sortedWindow(w: RangeWindow): Float64Array {
  const n = w.to - w.from
  if (scratch.length < n) scratch = new Float64Array(n * 2)
  const s = scratch.subarray(0, n)
  s.set(w.vs.subarray(w.from, w.to))
  return sortNaNFirst(s)
}

export const RANGE_KERNELS: Record<string, RangeKernel> = {
  rate: (w) => extrapolatedRate(w, true, true),
  increase: (w) => extrapolatedRate(w, true, false),
  delta: (w) => extrapolatedRate(w, false, false),
  irate: (w) => instantValue(w, true),
  idelta: (w) => instantValue(w, false),
  avg_over_time: (w) => avg(w),
  sum_over_time: (w) => {
    let sum = 0, c = 0
    for (let i = w.from; i < w.to; i++) {
      sum = kahanSumInc(w.vs[i]!, sum, c)
      c = kahanOut.c
    }
    return Number.isFinite(sum + c) ? sum + c : sum
  },
  count_over_time: (w) => w.to - w.from,
  min_over_time: (w) => {
    let m = w.vs[w.from]!
    for (let i = w.from + 1; i < w.to; i++) if (w.vs[i]! < m || Number.isNaN(m)) m = w.vs[i]!
    return m
  },
  max_over_time: (w) => {
    let m = w.vs[w.from]!
    for (let i = w.from + 1; i < w.to; i++) if (w.vs[i]! > m || Number.isNaN(m)) m = w.vs[i]!
    return m
  },
  last_over_time: (w) => w.vs[w.to - 1],
  first_over_time: (w) => w.vs[w.from],
  present_over_time: () => 1,
  ts_of_last_over_time: (w) => w.ts[w.to - 1]! / 1000,
  ts_of_first_over_time: (w) => w.ts[w.from]! / 1000,
  ts_of_max_over_time: (w) => {
    let m = w.vs[w.from]!
    let t = w.ts[w.from]!
    for (let i = w.from + 1; i < w.to; i++) if (w.vs[i]! >= m || Number.isNaN(m)) { m = w.vs[i]!; t = w.ts[i]! }
    return t / 1000
  },
  ts_of_min_over_time: (w) => {
    let m = w.vs[w.from]!
    let t = w.ts[w.from]!
    for (let i = w.from + 1; i < w.to; i++) if (w.vs[i]! <= m || Number.isNaN(m)) { m = w.vs[i]!; t = w.ts[i]! }
    return t / 1000
  },
  stdvar_over_time: (w) => variance(w),
  stddev_over_time: (w) => Math.sqrt(variance(w)),
  quantile_over_time: (w, p) => quantileOfSorted(p[0]!, sortedWindow(w)),
  mad_over_time: (w) => {
    // a NaN makes the median, and so the deviation, undefined (functions.go funcMadOverTime)
    for (let i = w.from; i < w.to; i++) if (Number.isNaN(w.vs[i]!)) return NaN
    const s = sortedWindow(w)
    const median = quantileOfSorted(0.5, s)
    const dev = new Float64Array(s.length)
    for (let i = 0; i < s.length; i++) dev[i] = Math.abs(s[i]! - median)
    return quantileOfSorted(0.5, sortNaNFirst(dev))
  },
  changes: (w) => {
    let changes = 0
    let prev = w.vs[w.from]!
    for (let i = w.from + 1; i < w.to; i++) {
      const cur = w.vs[i]!
      if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) changes++
      prev = cur
    }
    return changes
  },
  resets: (w) => {
    let resets = 0
    let prev = w.vs[w.from]!
    const st = w.st
    for (let i = w.from + 1; i < w.to; i++) {
      const cur = w.vs[i]!
      if (cur < prev || (st !== undefined && isStartTimestampReset(st[i - 1]!, w.ts[i - 1]!, st[i]!, w.ts[i]!))) resets++
      prev = cur
    }
    return resets
  },
  deriv: (w) => (w.to - w.from < 2 ? undefined : linearRegression(w.ts, w.vs, w.from, w.to, w.ts[w.from]!)[0]),
  predict_linear: (w, p) => {
    if (w.to - w.from < 2) return undefined
    const [slope, intercept] = linearRegression(w.ts, w.vs, w.from, w.to, w.evalTime)
    return slope * p[0]! + intercept
  },
  double_exponential_smoothing: (w, p) => {
    const sf = p[0]!
    const tf = p[1]!
    const n = w.to - w.from
    if (n < 2) return undefined
    let s0 = 0
    let s1 = w.vs[w.from]!
    let b = w.vs[w.from + 1]! - w.vs[w.from]!
    for (let i = 1; i < n; i++) {
      const x = sf * w.vs[w.from + i]!
      if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b
      const y = (1 - sf) * (s1 + b)
      s0 = s1
      s1 = x + y
    }
    return s1
  },
}
