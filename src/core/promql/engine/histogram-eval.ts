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
import type {AggregateExpr, BinaryExpr, Call, Expr, PositionRange} from '../parser/ast.js'
import {getLabel, METRIC_NAME} from '../../labels/labels.js'
import {unwrapParens} from './step-invariant.js'
import {evalAggregate} from './aggregate.js'
import {histogramIgnoredInAggregationInfo, histogramIgnoredInMixedRangeInfo, mixedFloatsHistogramsWarning, startTimeOverlapWarning} from './annotations.js'
import {resultLabels, signature} from './binary.js'
import type {Evaluator, RangeInput, RangeSource} from './evaluator.js'
import {aggregateHistograms, histogramChangesOrResets, histogramInstantRate, histogramRate, histogramScalar, histogramSumOverTime, histogramVector, type HistogramIssues, type WindowResult} from './histogram-ops.js'
import {KEEP_NAME_FUNCTIONS} from './instant-functions.js'
import {RANGE_KERNELS, type RangeWindow} from '../functions/range-kernels.js'
import {upperBound} from './evaluator.js'
import {sampleWeights} from './sample-stats.js'
import {histogramPointSize} from '../../histogram/size.js'
import type {EvalValue, RawSeries, StepSeries} from './types.js'

/**
 * An aggregation over input that may hold histograms: sum/avg add them (histogram-ops.ts),
 * count/group count them as samples, limitk/limit_ratio and the rest see floats only
 * (min, max, topk, bottomk, quantile, stddev, stdvar ignore histograms, engine.go).
 */
export function evalAggregateWithHistograms(ev: Evaluator, e: AggregateExpr, input: StepSeries[], param: EvalValue | undefined, n: number): EvalValue {
  if (!input.some((s) => s.hists)) return evalAggregate(ev, e, input, param, n)
  if (e.op === 'count' || e.op === 'group') return evalAggregate(ev, e, presenceOnly(ev, input), param, n)
  // limitk/limit_ratio select histograms, count_values counts them by their String()
  if (e.op === 'limitk' || e.op === 'limit_ratio' || e.op === 'count_values') return evalAggregate(ev, e, input, param, n)
  if (e.op === 'sum' || e.op === 'avg') {
    const {hist, floats} = aggregateHistograms(ev, e, input, n)
    const f = evalAggregate(ev, e, floatSeries(ev, floats), param, n)
    return f.type === 'vector' ? {type: 'vector', series: [...f.series, ...hist]} : f
  }
  const out = evalAggregate(ev, e, floatSeries(ev, input), param, n)
  annotateIgnoredHistograms(ev, e, input, param)
  return out
}

/**
 * engine.go aggregation / aggregationK: min, max, stddev, stdvar, quantile and topk, bottomk
 * skip each histogram sample with an info (the former at the aggregated expression, topk and
 * bottomk at the whole aggregation). topk/bottomk look at no sample at a step whose k is
 * below 1, nor at all when the aggregation fails on its parameter (evaluated before).
 */
function annotateIgnoredHistograms(ev: Evaluator, e: AggregateExpr, input: StepSeries[], param: EvalValue | undefined): void {
  if (!IGNORING_AGGREGATIONS.has(e.op)) return
  const k = e.op === 'topk' || e.op === 'bottomk' ? (param?.type === 'scalar' ? param.vals : undefined) : undefined
  const seen = input.some((s) => s.hists?.some((h, i) => h !== undefined && s.has[i] && (k === undefined || k[i]! >= 1)))
  if (!seen) return
  const pos = e.op === 'topk' || e.op === 'bottomk' ? e.posRange : e.expr.posRange
  ev.annotate(histogramIgnoredInAggregationInfo(e.op, pos))
}

const IGNORING_AGGREGATIONS = new Set(['min', 'max', 'stddev', 'stdvar', 'quantile', 'topk', 'bottomk'])

/** Adds the histogram results of a binary operation to `res`, the float results. */
export function withHistogramBinary(ev: Evaluator, e: BinaryExpr, l: EvalValue, r: EvalValue, res: EvalValue, n: number): EvalValue {
  if (res.type !== 'vector') return res
  if (!(l.type === 'vector' && l.series.some((s) => s.hists)) && !(r.type === 'vector' && r.series.some((s) => s.hists))) return res
  if (e.op === 'and' || e.op === 'or' || e.op === 'unless') return res
  let hist: StepSeries[] = []
  if (l.type === 'vector' && r.type === 'scalar') hist = histogramScalar(ev, e, l.series, r.vals, false)
  else if (l.type === 'scalar' && r.type === 'vector') hist = histogramScalar(ev, e, r.series, l.vals, true)
  else if (l.type === 'vector' && r.type === 'vector') {
    const vm = e.vectorMatching ?? {card: 'one-to-one' as const, matchingLabels: [], on: false, include: []}
    hist = histogramVector(ev, e, l.series, r.series, n, (ls) => signature(ls, vm), (a, b) => resultLabels(a, b, vm, e.op))
  }
  return hist.length === 0 ? res : {type: 'vector', series: [...res.series, ...hist]}
}

/** The value without its histogram steps (series left without any step are dropped). */
export function withoutHistograms(ev: Evaluator, v: EvalValue): EvalValue {
  if (v.type !== 'vector' || !v.series.some((s) => s.hists)) return v
  return {type: 'vector', series: floatSeries(ev, v.series)}
}

/** The float steps of each series; series with histograms only are dropped. */
export function floatSeries(ev: Evaluator, series: StepSeries[]): StepSeries[] {
  const out: StepSeries[] = []
  for (const s of series) {
    const f = floatSteps(ev, s)
    if (f) out.push(f)
  }
  return out
}

/** A series' float steps (undefined when it has none); the series itself when it has no histograms. */
export function floatSteps(ev: Evaluator, s: StepSeries): StepSeries | undefined {
  const hs = s.hists
  if (!hs) return s
  const has = s.has.slice()
  let any = false
  for (let i = 0; i < has.length; i++) {
    if (hs[i] !== undefined) has[i] = 0
    else if (has[i]) any = true
  }
  if (!any) return undefined
  return sameName(ev, s, withoutHists(s, has))
}

/** The series with `has` and no histogram array (a new object). */
function withoutHists(s: StepSeries, has: Uint8Array): StepSeries {
  const out: StepSeries = {labels: s.labels, vals: s.vals, has}
  if (s.sampleTs) out.sampleTs = s.sampleTs
  if (s.sampleSt) out.sampleSt = s.sampleSt
  return out
}

/** `to` marked for delayed name removal when `from` is (the mark is per object). */
function sameName(ev: Evaluator, from: StepSeries, to: StepSeries): StepSeries {
  return ev.shouldDropName(from) ? ev.markDropName(to) : to
}

/**
 * The series with histogram steps kept as present but without their histograms: for the
 * operations that only look at presence (count, group: engine.go aggregation counts
 * histogram samples like floats).
 */
export function presenceOnly(ev: Evaluator, series: StepSeries[]): StepSeries[] {
  return series.map((s) => (s.hists ? sameName(ev, s, withoutHists(s, s.has)) : s))
}

/**
 * Range functions that only count or test samples or read their timestamps (functions.go:
 * count_over_time, present_over_time, absent_over_time, ts_of_first_over_time,
 * ts_of_last_over_time read no values): histogram samples stay.
 */
const TYPE_AGNOSTIC_RANGE = new Set(['count_over_time', 'present_over_time', 'absent_over_time', 'ts_of_first_over_time', 'ts_of_last_over_time'])

/**
 * The float-only range functions that say so when a window held floats and histograms
 * (functions.go: HistogramIgnoredInMixedRangeInfo, at the function's first argument).
 */
const MIXED_RANGE_INFO = new Set([
  'min_over_time', 'max_over_time', 'ts_of_min_over_time', 'ts_of_max_over_time', 'stddev_over_time', 'stdvar_over_time',
  'mad_over_time', 'quantile_over_time', 'deriv', 'predict_linear', 'double_exponential_smoothing',
])

/**
 * A range argument as a float-only range function reads it: histogram samples removed, with
 * the mixed-range info for each window of `c` that held both kinds.
 */
export function rangeWithoutHistograms(src: RangeSource, func: string, ev?: Evaluator, times?: Float64Array, c?: Call): RangeSource {
  if (TYPE_AGNOSTIC_RANGE.has(func)) return src
  const check = ev && times && c && MIXED_RANGE_INFO.has(func) ? {ev, times, pos: argPos(c.args[0])} : undefined
  return {...src, series: src.series.map((r) => floatRange(r, check && ((s) => {
    if (windowsMixed(src, check.times, s)) check.ev.annotate(histogramIgnoredInMixedRangeInfo(r.metricName ?? getLabel(r.labels, METRIC_NAME), check.pos))
  })))}
}

/** Prometheus's args[0].PositionRange(); a subquery's is the query's start (see evaluator.ts rangeArgPos). */
function argPos(e: Expr | undefined): PositionRange {
  if (!e) return {start: 0, end: 0}
  const a = unwrapParens(e)
  return a.kind === 'SubqueryExpr' ? {start: 0, end: 0} : e.posRange
}

/** Whether a window of some step (left-open, as the kernels read them) holds floats and histograms. */
function windowsMixed(src: RangeSource, times: Float64Array, s: RawSeries): boolean {
  const hs = s.hs!
  for (let i = 0; i < times.length; i++) {
    const end = (src.at ?? times[i]!) - src.offset
    const from = upperBound(s.ts, end - src.range)
    const to = upperBound(s.ts, end)
    let f = false
    let h = false
    for (let k = from; k < to && !(f && h); k++) {
      if (hs[k] === undefined) f = true
      else h = true
    }
    if (f && h) return true
  }
  return false
}

function floatRange(r: RangeInput, onHists?: (s: RawSeries) => void): RangeInput {
  return {
    labels: r.labels,
    // a subquery's series keep the name their annotations print, and its pending drop
    metricName: r.metricName,
    dropName: r.dropName,
    read: () => {
      const s = r.read()
      if (!s.hs) return s
      onHists?.(s)
      return floatSamples(s)
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
  // Prometheus holds and counts the histograms of each window all the same (engine.go matrixIterSlice)
  out.held = {ts: s.ts, weights: sampleWeights(hs, s.ts.length)!}
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

/**
 * rate/increase/delta/irate/idelta over a range that may hold histograms: series without
 * histograms go to the float kernel as always (read once: a series with histograms is handed
 * to the kernel empty and kept aside), those with histograms are evaluated here per step: a
 * window of floats only by the float kernel, one with histograms by the histogram form (for
 * rate and friends and sum/avg_over_time a window holding both has no result, functions.go:
 * "encountered a mix of histograms and floats").
 */
export function applyRangeWithHistograms(ev: Evaluator, src: RangeSource, times: Float64Array, name: string, params: Float64Array[], call?: Call): StepSeries[] {
  const held: RawSeries[] = []
  const names = new Map<RawSeries, string>()
  const pos = argPos(call?.args[0])
  const series = src.series.map((r): RangeInput => ({
    labels: r.labels,
    metricName: r.metricName,
    dropName: r.dropName,
    read: () => {
      const s = r.read()
      if (!s.hs) return s
      // the arrays may be scratch reused by the next read: copy what is kept
      const kept: RawSeries = {labels: s.labels, ts: s.ts.slice(), vs: s.vs.slice(), hs: s.hs.slice()}
      if (s.st) kept.st = s.st.slice()
      held.push(kept)
      names.set(kept, r.metricName ?? getLabel(r.labels, METRIC_NAME))
      return {labels: s.labels, ts: new Float64Array(0), vs: new Float64Array(0)}
    },
  }))
  // the call gives the float kernel's annotations their position
  const out = ev.applyRangeKernel({...src, series}, times, name, params, call)
  const isCounter = name === 'rate' || name === 'increase' || name === 'irate'
  const isRate = name === 'rate' || name === 'irate'
  const instant = name === 'irate' || name === 'idelta'
  const kernel = RANGE_KERNELS[name]!
  const w: RangeWindow = {ts: new Float64Array(0), vs: new Float64Array(0), st: undefined, from: 0, to: 0, rangeStart: 0, rangeEnd: 0, evalTime: 0, range: src.range, stOverlap: false}
  for (const s of held) {
    const issues: HistogramIssues = {metricName: names.get(s)!, pos, add: (a) => ev.annotate(a)}
    const mixed = () => ev.annotate(mixedFloatsHistogramsWarning(issues.metricName, pos))
    const n = times.length
    const vals = new Float64Array(n)
    const hists = new Array<FloatHistogram | undefined>(n)
    const has = new Uint8Array(n)
    let anyHist = false
    let any = false
    const hs = s.hs!
    // counted and held as any series' windows, histograms by size (the kernel saw this one empty)
    const windows = ev.countRangeWindows(src, times, s, src.subqueryPoints === undefined)
    let points = 0
    for (let i = 0; i < n; i++) {
      const end = (src.at ?? times[i]!) - src.offset
      const start = end - src.range
      const from = upperBound(s.ts, start)
      const to = upperBound(s.ts, end)
      if (to <= from) continue
      let r: WindowResult
      let floatsOnly = true
      for (let k = from; k < to; k++) if (hs[k] !== undefined) floatsOnly = false
      if (floatsOnly) {
        // a window of floats only: the float kernel, as for any float series
        w.ts = s.ts
        w.vs = s.vs
        w.st = s.st
        w.from = from
        w.to = to
        w.rangeStart = start
        w.rangeEnd = end
        w.evalTime = times[i]!
        w.stOverlap = false
        r = kernel(w, [])
        if (w.stOverlap) ev.annotate(startTimeOverlapWarning(issues.metricName, pos))
      } else switch (name) {
        case 'last_over_time':
          r = hs[to - 1] ?? s.vs[to - 1]!
          break
        case 'first_over_time':
          r = hs[from] ?? s.vs[from]!
          break
        case 'changes':
        case 'resets':
          r = histogramChangesOrResets(s.ts, s.st, s.vs, hs, from, to, name === 'resets')
          break
        case 'sum_over_time':
        case 'avg_over_time':
          r = histogramSumOverTime(hs, from, to, name === 'avg_over_time', issues)
          break
        default: {
          // a window with floats and histograms has no result (mixed samples): extrapolatedRate
          // looks at the whole window first, instantValue at its last two samples
          if (instant && to - from < 2) continue
          let floats = false
          for (let k = instant ? to - 2 : from; k < to; k++) if (hs[k] === undefined) floats = true
          if (floats) {
            mixed()
            continue
          }
          // (one histogram is enough for rate and increase when its ST lies in the range)
          r = instant ? histogramInstantRate(s.ts, s.st, hs as FloatHistogram[], to, isRate, issues) : histogramRate(s.ts, s.st, hs as FloatHistogram[], from, to, start, end, src.range, isCounter, isRate, issues)
        }
      }
      if (r === undefined) continue
      if (typeof r === 'number') {
        vals[i] = r
        points++
      } else {
        vals[i] = Number.NaN
        hists[i] = r
        anyHist = true
        points += histogramPointSize(r)
      }
      has[i] = 1
      any = true
    }
    ev.holdRangeResults(windows, points)
    if (!any) continue
    const res: StepSeries = anyHist ? {labels: s.labels, vals, has, hists} : {labels: s.labels, vals, has}
    out.push(KEEP_NAME_FUNCTIONS.has(name) ? res : ev.markDropName(res))
  }
  return out
}
