/**
 * Native histograms in the step-batched evaluator (types.ts: the optional `hists` / `hs` side
 * arrays). The float code of the engine never sees a histogram: at every operator and
 * function this module either evaluates the histogram case (as Prometheus's engine.go and
 * functions.go do for the cases they define) or removes the histogram samples first, which is
 * what Prometheus does for the functions and operators that only take floats
 * (functions.go simpleFloatFunc / filterFloats, the *_over_time functions that skip
 * histograms).
 */
import type {FloatHistogram} from '../../histogram/float-histogram.js'
import {CounterResetHint} from '../../histogram/schema.js'
import type {RangeInput, RangeSource} from './evaluator.js'
import type {EvalValue, RawSeries, StepSeries} from './types.js'

/** The value without its histogram steps (series left without any step are dropped). */
export function withoutHistograms(v: EvalValue): EvalValue {
  if (v.type !== 'vector' || !v.series.some((s) => s.hists)) return v
  return {type: 'vector', series: floatSeries(v.series)}
}

/** The float steps of each series; series with histograms only are dropped. */
export function floatSeries(series: StepSeries[]): StepSeries[] {
  const out: StepSeries[] = []
  for (const s of series) {
    const f = floatSteps(s)
    if (f) out.push(f)
  }
  return out
}

/** A series' float steps (undefined when it has none); the series itself when it has no histograms. */
export function floatSteps(s: StepSeries): StepSeries | undefined {
  const hs = s.hists
  if (!hs) return s
  const has = s.has.slice()
  let any = false
  for (let i = 0; i < has.length; i++) {
    if (hs[i] !== undefined) has[i] = 0
    else if (has[i]) any = true
  }
  if (!any) return undefined
  const {hists: _drop, ...rest} = s
  return {...rest, has}
}

/**
 * Range functions that only count or test samples (functions.go: count_over_time,
 * present_over_time, absent_over_time read no values): histogram samples stay.
 */
const TYPE_AGNOSTIC_RANGE = new Set(['count_over_time', 'present_over_time', 'absent_over_time'])

/** A range argument as a float-only range function reads it: histogram samples removed. */
export function rangeWithoutHistograms(src: RangeSource, func: string): RangeSource {
  if (TYPE_AGNOSTIC_RANGE.has(func)) return src
  return {...src, series: src.series.map(floatRange)}
}

function floatRange(r: RangeInput): RangeInput {
  return {
    labels: r.labels,
    // a subquery's series keep the name their annotations print, and its pending drop
    metricName: r.metricName,
    dropName: r.dropName,
    read: () => {
      const s = r.read()
      return s.hs ? floatSamples(s) : s
    },
  }
}

/** The float samples of a raw series (new arrays: the input's may be shared). */
export function floatSamples(s: RawSeries): RawSeries {
  const hs = s.hs!
  let n = 0
  for (let i = 0; i < s.ts.length; i++) if (hs[i] === undefined) n++
  const ts = new Float64Array(n)
  const vs = new Float64Array(n)
  const st = s.st ? new Float64Array(n) : undefined
  let j = 0
  for (let i = 0; i < s.ts.length; i++) {
    if (hs[i] !== undefined) continue
    ts[j] = s.ts[i]!
    vs[j] = s.vs[i]!
    if (st) st[j] = s.st![i]!
    j++
  }
  const out: RawSeries = {labels: s.labels, ts, vs}
  if (st) out.st = st
  return out
}

/**
 * Unary minus (engine.go UnaryExpr): each histogram times -1, which makes it a gauge
 * histogram (float_histogram.go Mul with a negative factor).
 */
export function negateHistograms(from: StepSeries, to: StepSeries): StepSeries {
  if (!from.hists) return to
  to.hists = from.hists.map((h) => (h === undefined ? undefined : h.copy().mul(-1)))
  return to
}

/**
 * A histogram as a subquery returns it: counter-reset hints other than gauge become Unknown
 * (engine.go evalSubquery), as the points no longer follow each other in a chunk.
 */
export function subqueryHistogram(h: FloatHistogram | undefined): FloatHistogram | undefined {
  if (h === undefined) return undefined
  if (h.counterResetHint !== CounterResetHint.CounterReset && h.counterResetHint !== CounterResetHint.NotCounterReset) return h
  const c = h.copy()
  c.counterResetHint = CounterResetHint.Unknown
  return c
}
