/**
 * The operations of PromQL that compute with native histograms (the float ones are in
 * instant-functions.ts, aggregate.ts, binary.ts, which histogram-eval.ts keeps histograms away
 * from): histogram_count/sum/avg/stddev/stdvar/fraction/quantile (functions.go), sum and avg
 * aggregations (engine.go aggregation), and the arithmetic operators between histograms and
 * scalars or histograms (engine.go vectorElemBinop). Results are Compact(0)ed as Prometheus
 * does, with the annotations Prometheus emits for them (util/annotations/annotations.go).
 */
import {ExecutionError} from '../../errors.js'
import {COUNTER_RESET_COLLISION, FloatHistogram, NHCB_BOUNDS_RECONCILED} from '../../histogram/float-histogram.js'
import {CounterResetHint, HistogramError} from '../../histogram/schema.js'
import {getLabel, labelsKey, METRIC_NAME, type Labels} from '../../labels/labels.js'
import {histogramCounterResetCollisionWarning, incompatibleBucketLayoutInBinOpWarning, incompatibleTypesInBinOpInfo, mismatchedCustomBucketsHistogramsInfo, mixedClassicNativeHistogramsWarning, mixedExponentialCustomHistogramsWarning, mixedFloatsHistogramsAggWarning, mixedFloatsHistogramsWarning, nativeHistogramFractionNaNsInfo, nativeHistogramNotCounterWarning, nativeHistogramNotGaugeWarning, nativeHistogramQuantileNaNResultInfo, nativeHistogramQuantileNaNSkewInfo, type Annotation, type HistogramOperation} from './annotations.js'
import type {AggregateExpr, BinaryExpr, Call, PositionRange} from '../parser/ast.js'
import {parseGoFloat} from '../format-float.js'
import {histogramFraction, histogramQuantile, histogramStdVar, type NanNote} from '../functions/native-histogram.js'
import {HistogramMean} from '../functions/histogram-mean.js'
import type {Evaluator} from './evaluator.js'
import {callInstantFunction, quantileLabel, setLabel} from './instant-functions.js'
import {withoutHistograms} from './histogram-eval.js'
import {isTrimOp, trimHistogram} from './histogram-trim.js'
import type {EvalValue, StepSeries} from './types.js'

type Stat = (h: FloatHistogram) => number

const STATS: Record<string, Stat> = {
  histogram_count: (h) => h.count,
  histogram_sum: (h) => h.sum,
  histogram_avg: (h) => h.sum / h.count,
  histogram_stdvar: (h) => histogramStdVar(h),
  histogram_stddev: (h) => Math.sqrt(histogramStdVar(h)),
}

/** Functions that only move labels or order: histogram steps go through unchanged. */
export const HISTOGRAM_TRANSPARENT_FUNCTIONS = new Set(['label_replace', 'label_join', 'sort_by_label', 'sort_by_label_desc'])

const hasHists = (v: EvalValue | undefined): boolean => v?.type === 'vector' && v.series.some((s) => s.hists)

/** One float per histogram step of each series (simpleHistogramFunc); float steps are dropped. */
function perHistogram(ev: Evaluator, series: StepSeries[], f: (h: FloatHistogram, step: number, s: StepSeries) => number): StepSeries[] {
  const out: StepSeries[] = []
  for (const s of series) {
    const hs = s.hists
    if (!hs) continue
    const n = s.has.length
    const vals = new Float64Array(n)
    const has = new Uint8Array(n)
    let any = false
    for (let i = 0; i < n; i++) {
      const h = hs[i]
      if (!s.has[i] || h === undefined) continue
      vals[i] = f(h, i, s)
      has[i] = 1
      any = true
    }
    if (any) out.push(ev.markDropName({labels: s.labels, vals, has}))
  }
  return out
}

/**
 * The histogram functions, over arguments that may hold histograms; undefined when `c` is not
 * one of them (or its input has no histograms), to evaluate as floats.
 */
export function callHistogramFunction(ev: Evaluator, c: Call, args: EvalValue[], times: Float64Array): EvalValue | undefined {
  const name = c.func.name
  const stat = STATS[name]
  if (stat) return {type: 'vector', series: args[0]?.type === 'vector' ? perHistogram(ev, args[0].series, stat) : []}
  if (name === 'histogram_quantile' && hasHists(args[1])) {
    args = [args[0]!, splitClassicNative(ev, args[1]!, c.args[1]!.posRange)]
    const q = scalarArg(args[0], name)
    // quantile.go annotates NaN observations at the call's first argument
    const pos = c.args[0]!.posRange
    const note: NanNote = {nanResult: false, skewed: false}
    const native = perHistogram(ev, (args[1] as {series: StepSeries[]}).series, (h, i, s) => {
      note.nanResult = note.skewed = false
      const r = histogramQuantile(q[i]!, h, note)
      const metric = getLabel(s.labels, METRIC_NAME)
      if (note.nanResult) ev.annotate(nativeHistogramQuantileNaNResultInfo(metric, pos))
      if (note.skewed) ev.annotate(nativeHistogramQuantileNaNSkewInfo(metric, pos))
      return r
    })
    const classic = callInstantFunction(ev, c, [args[0]!, withoutHistograms(ev, args[1]!)], times)
    return {type: 'vector', series: [...native, ...(classic.type === 'vector' ? classic.series : [])]}
  }
  if (name === 'histogram_quantiles' && hasHists(args[0])) {
    // functions.go funcHistogramQuantiles: per quantile, the native histograms (labelled with
    // it), then the classic buckets; NaN-observation infos at the histogram argument
    const pos = c.args[0]!.posRange
    const input = splitClassicNative(ev, args[0]!, pos)
    const label = args[1]?.type === 'string' ? args[1].v : ''
    const native: StepSeries[] = []
    const note: NanNote = {nanResult: false, skewed: false}
    for (let k = 2; k < args.length; k++) {
      const q = scalarArg(args[k], name)
      const lv = quantileLabel(q[0]!)
      for (const s of perHistogram(ev, (input as {series: StepSeries[]}).series, (h, i, s) => {
        note.nanResult = note.skewed = false
        const r = histogramQuantile(q[i]!, h, note)
        const metric = getLabel(s.labels, METRIC_NAME)
        if (note.nanResult) ev.annotate(nativeHistogramQuantileNaNResultInfo(metric, pos))
        if (note.skewed) ev.annotate(nativeHistogramQuantileNaNSkewInfo(metric, pos))
        return r
      })) native.push(ev.markDropName({...s, labels: setLabel(s.labels, label, lv)}))
    }
    const classic = callInstantFunction(ev, c, [withoutHistograms(ev, input), ...args.slice(1)], times)
    return {type: 'vector', series: [...native, ...(classic.type === 'vector' ? classic.series : [])]}
  }
  if (name === 'histogram_fraction' && hasHists(args[2])) {
    args = [args[0]!, args[1]!, splitClassicNative(ev, args[2]!, c.args[2]!.posRange)]
    const lo = scalarArg(args[0], name)
    const hi = scalarArg(args[1], name)
    const pos = c.args[0]!.posRange
    const note: NanNote = {nanResult: false, skewed: false}
    const native = perHistogram(ev, (args[2] as {series: StepSeries[]}).series, (h, i, s) => {
      note.skewed = false
      const r = histogramFraction(lo[i]!, hi[i]!, h, note)
      if (note.skewed) ev.annotate(nativeHistogramFractionNaNsInfo(getLabel(s.labels, METRIC_NAME), pos))
      return r
    })
    const classic = callInstantFunction(ev, c, [args[0]!, args[1]!, withoutHistograms(ev, args[2]!)], times)
    return {type: 'vector', series: [...native, ...(classic.type === 'vector' ? classic.series : [])]}
  }
  return undefined
}

/**
 * engine.go resetHistograms: at a step where a native histogram has the labels of a classic
 * histogram's buckets (its series without `le`, with a valid `le`), neither is evaluated and a
 * warning names the metric (at the histogram argument). The value without those samples.
 */
function splitClassicNative(ev: Evaluator, v: EvalValue, pos: PositionRange): EvalValue {
  if (v.type !== 'vector') return v
  const classic = new Map<string, StepSeries[]>()
  for (const s of v.series) {
    const le = s.labels.find((l) => l.name === 'le')
    if (!le || parseGoFloat(le.value) === undefined) continue
    const k = labelsKey(s.labels.filter((l) => l.name !== 'le'))
    const g = classic.get(k)
    if (g) g.push(s)
    else classic.set(k, [s])
  }
  if (classic.size === 0) return v
  const masks = new Map<StepSeries, Uint8Array>()
  const mask = (s: StepSeries, i: number): void => {
    let m = masks.get(s)
    if (!m) masks.set(s, (m = s.has.slice()))
    m[i] = 0
  }
  for (const s of v.series) {
    if (!s.hists) continue
    const g = classic.get(labelsKey(s.labels))
    if (!g) continue
    for (let i = 0; i < s.has.length; i++) {
      if (!s.has[i] || s.hists[i] === undefined) continue
      const buckets = g.filter((b) => b.has[i] && b.hists?.[i] === undefined)
      if (buckets.length === 0) continue
      ev.annotate(mixedClassicNativeHistogramsWarning(getLabel(s.labels, METRIC_NAME), pos))
      mask(s, i)
      for (const b of buckets) mask(b, i)
    }
  }
  if (masks.size === 0) return v
  return {
    type: 'vector',
    series: v.series.map((s) => {
      const m = masks.get(s)
      if (!m) return s
      const out: StepSeries = {...s, has: m}
      return ev.shouldDropName(s) ? ev.markDropName(out) : out
    }),
  }
}

function scalarArg(v: EvalValue | undefined, name: string): Float64Array {
  if (v?.type !== 'scalar') throw new ExecutionError(`expected a scalar argument to ${name}`)
  return v.vals
}

function groupLabels(ls: Labels, grouping: string[], without: boolean): Labels {
  if (without) {
    const drop = new Set([...grouping, METRIC_NAME])
    return ls.filter((l) => !drop.has(l.name))
  }
  const keep = new Set(grouping)
  return ls.filter((l) => keep.has(l.name))
}

/**
 * sum and avg over input with histograms: per group and step, the histograms added with Kahan
 * compensation (HistogramMean: kahanAdd reconciles schemas and zero buckets and merges hints),
 * avg as a direct mean until the sum would overflow, then incrementally. A step of a group with floats and histograms has no result
 * (engine.go: "cannot aggregate histogram sample with a float64 sample"), nor one where the
 * histograms cannot be added (exponential with custom buckets). Returns the histogram results
 * and the input for the float aggregation, without those mixed steps.
 */
export function aggregateHistograms(ev: Evaluator, e: AggregateExpr, input: StepSeries[], n: number): {hist: StepSeries[]; floats: StepSeries[]} {
  const groups = new Map<string, {labels: Labels; members: StepSeries[]}>()
  for (const s of input) {
    const labels = groupLabels(s.labels, e.grouping, e.without)
    const k = labelsKey(labels)
    let g = groups.get(k)
    if (!g) groups.set(k, (g = {labels, members: []}))
    g.members.push(s)
  }
  const hist: StepSeries[] = []
  const masked = new Map<StepSeries, Uint8Array>()
  for (const g of groups.values()) {
    if (!g.members.some((s) => s.hists)) continue
    const vals = new Float64Array(n)
    const has = new Uint8Array(n)
    const hists = new Array<FloatHistogram | undefined>(n)
    let any = false
    for (let i = 0; i < n; i++) {
      let acc: HistogramMean | undefined
      let floats = false
      let bad = false
      let resetSeen = false
      let notResetSeen = false
      for (const s of g.members) {
        if (!s.has[i]) continue
        const h = s.hists?.[i]
        if (h === undefined) {
          floats = true
          continue
        }
        if (bad) continue
        if (h.counterResetHint === CounterResetHint.CounterReset) resetSeen = true
        else if (h.counterResetHint === CounterResetHint.NotCounterReset) notResetSeen = true
        if (acc === undefined) acc = new HistogramMean(h, e.op === 'avg')
        else {
          try {
            if (acc.add(h) & NHCB_BOUNDS_RECONCILED) ev.annotate(mismatchedCustomBucketsHistogramsInfo(e.expr.posRange, 'aggregation'))
          } catch (err) {
            if (!(err instanceof HistogramError)) throw err
            // handleAggregationError: named for the member that could not be added
            ev.annotate(mixedExponentialCustomHistogramsWarning(getLabel(s.labels, METRIC_NAME), e.expr.posRange))
            bad = true
          }
        }
      }
      if (acc === undefined) continue
      if (floats) {
        ev.annotate(mixedFloatsHistogramsAggWarning(e.expr.posRange))
        // a mix: no result at this step, for the float aggregation neither
        for (const s of g.members) {
          if (!s.has[i] || s.hists?.[i] !== undefined) continue
          let m = masked.get(s)
          if (!m) masked.set(s, (m = s.has.slice()))
          m[i] = 0
        }
        continue
      }
      if (bad) continue
      // engine.go: checked on the groups that have a result
      if (resetSeen && notResetSeen) ev.annotate(histogramCounterResetCollisionWarning(e.expr.posRange, 'aggregation'))
      hists[i] = acc.result().compact(0)
      vals[i] = Number.NaN
      has[i] = 1
      any = true
    }
    // the name goes when a member's goes (delayed name removal, as the float aggregation)
    if (any) hist.push(g.members.some((s) => ev.shouldDropName(s)) ? ev.markDropName({labels: g.labels, vals, has, hists}) : {labels: g.labels, vals, has, hists})
  }
  const floats = masked.size === 0 ? input : input.map((s) => {
    const m = masked.get(s)
    if (!m) return s
    const out: StepSeries = {...s, has: m}
    return ev.shouldDropName(s) ? ev.markDropName(out) : out
  })
  return {hist, floats}
}

/**
 * The histogram steps of `h * s`, `s * h`, `h / s` (Mul/Div, Compact(0); a negative factor
 * makes a gauge, as Mul does) and of the trims `h </ s`, `h >/ s` (histogram-trim.ts; they keep
 * the series' name) for a vector and a scalar. Other operators with a histogram
 * give no result (engine.go: incompatible sample types).
 */
export function histogramScalar(ev: Evaluator, e: BinaryExpr, vs: StepSeries[], sc: Float64Array, scalarLeft: boolean): StepSeries[] {
  const op = e.op
  const out: StepSeries[] = []
  const trim = isTrimOp(op) && !scalarLeft
  if (op !== '*' && !(op === '/' && !scalarLeft) && !trim) {
    // VectorscalarBinop: every histogram sample is an incompatible pair, without result
    if (vs.some((s) => s.hists?.some((h, i) => h !== undefined && s.has[i]))) {
      ev.annotate(scalarLeft ? incompatibleTypesInBinOpInfo('float', op, 'histogram', e.posRange) : incompatibleTypesInBinOpInfo('histogram', op, 'float', e.posRange))
    }
    return out
  }
  for (const s of vs) {
    const hs = s.hists
    if (!hs) continue
    const n = s.has.length
    const hists = new Array<FloatHistogram | undefined>(n)
    const has = new Uint8Array(n)
    let any = false
    for (let i = 0; i < n; i++) {
      const h = hs[i]
      if (!s.has[i] || h === undefined) continue
      const r = h.copy()
      if (trim) hists[i] = trimHistogram(r, sc[i]!, op === '</')
      else hists[i] = (op === '*' ? r.mul(sc[i]!) : r.div(sc[i]!)).compact(0)
      has[i] = 1
      any = true
    }
    if (!any) continue
    const res: StepSeries = {labels: s.labels, vals: new Float64Array(n).fill(Number.NaN), has, hists}
    // trimming keeps what the series measures: its name stays (engine.go changesMetricSchema)
    out.push(!trim || ev.shouldDropName(s) ? ev.markDropName(res) : res)
  }
  return out
}

/**
 * The histogram steps of a vector/vector operation, one-to-one or with group_left/group_right
 * (engine.go VectorBinop, vectorElemBinop):
 * h + h, h - h (a gauge), h * f, f * h, h / f, h </ f, h >/ f (histogram-trim.ts), and h == h, h != h (Equals; with bool a float
 * 1 or 0, without it the lhs histogram where true). A step that cannot be computed has no
 * result; other combinations have none (incompatible sample types).
 */
export function histogramVector(ev: Evaluator, e: BinaryExpr, lhs: StepSeries[], rhs: StepSeries[], n: number, signature: (ls: Labels) => string, resultLabels: (l: Labels, r: Labels) => Labels): StepSeries[] {
  const op = e.op
  const card = e.vectorMatching?.card ?? 'one-to-one'
  // group_right: the "many" side is the rhs (VectorBinop swaps the sides, and back for the
  // operation itself); each series of the many side meets the one-side series of its signature
  const swap = card === 'one-to-many'
  const many = swap ? rhs : lhs
  const right = new Map<string, StepSeries[]>()
  for (const s of swap ? lhs : rhs) {
    const k = signature(s.labels)
    const l = right.get(k)
    if (l) l.push(s)
    else right.set(k, [s])
  }
  const cmp = op === '==' || op === '!='
  const out: StepSeries[] = []
  // VectorBinop keeps the last annotation of each step (lastErr)
  const last = new Array<Annotation | undefined>(n)
  for (const m of many) {
    const os = right.get(signature(m.labels))
    if (!os) continue
    for (const o of os) {
      const [l, r] = swap ? [o, m] : [m, o]
      if (!l.hists && !r.hists) continue
      const vals = new Float64Array(n).fill(Number.NaN)
      const hists = new Array<FloatHistogram | undefined>(n)
      const has = new Uint8Array(n)
      let anyHist = false
      let any = false
      for (let i = 0; i < n; i++) {
        if (!l.has[i] || !r.has[i]) continue
        const a = l.hists?.[i]
        const b = r.hists?.[i]
        if (a === undefined && b === undefined) continue
        const bad = incompatiblePair(e, a !== undefined, b !== undefined)
        if (bad) {
          last[i] = bad
          continue
        }
        let res: FloatHistogram | undefined
        if (cmp) {
          if (a === undefined || b === undefined) continue
          const truth = a.equals(b) === (op === '==')
          if (e.returnBool) {
            vals[i] = truth ? 1 : 0
            has[i] = 1
            any = true
            continue
          }
          if (!truth) continue
          res = a
        } else {
          try {
            if ((op === '+' || op === '-') && a && b) {
              res = a.copy()
              const flags = op === '+' ? res.add(b) : res.sub(b)
              if (op === '-') res.counterResetHint = CounterResetHint.Gauge
              const what = op === '+' ? 'addition' : 'subtraction'
              if (flags & NHCB_BOUNDS_RECONCILED) last[i] = mismatchedCustomBucketsHistogramsInfo(e.posRange, what)
              if (flags & COUNTER_RESET_COLLISION) {
                // vectorElemBinop returns the collision as its error: the pair has no result
                last[i] = histogramCounterResetCollisionWarning(e.posRange, what)
                continue
              }
            } else if (op === '*' && a && !b) res = a.copy().mul(r.vals[i]!)
            else if (op === '*' && !a && b) res = b.copy().mul(l.vals[i]!)
            else if (op === '/' && a && !b) res = a.copy().div(r.vals[i]!)
            else if (isTrimOp(op) && a && !b) res = trimHistogram(a.copy(), r.vals[i]!, op === '</')
            else continue
          } catch (err) {
            if (!(err instanceof HistogramError)) throw err
            last[i] = incompatibleBucketLayoutInBinOpWarning(op, e.posRange)
            continue
          }
          // a trim compacts only when it changed something (TrimBuckets), as vectorElemBinop returns it
          if (!isTrimOp(op)) res = res.compact(0)
        }
        hists[i] = res
        has[i] = 1
        anyHist = true
        any = true
      }
      if (!any) continue
      const labels = resultLabels(m.labels, o.labels)
      const res: StepSeries = anyHist ? {labels, vals, has, hists} : {labels, vals, has}
      // comparisons without bool and trims keep the name (and its delayed removal mark); the rest drop it
      if ((!cmp && !isTrimOp(op)) || e.returnBool || ev.shouldDropName(l)) ev.markDropName(res)
      out.push(res)
    }
  }
  for (const a of last) if (a) ev.annotate(a)
  return out
}

/**
 * vectorElemBinop's incompatible sample types: the info for a pair (a, b: which side is a
 * histogram) the operator has no result for, undefined when it has one.
 */
function incompatiblePair(e: BinaryExpr, a: boolean, b: boolean): Annotation | undefined {
  const op = e.op
  let ok: boolean
  if (a && b) ok = op === '+' || op === '-' || op === '==' || op === '!='
  else if (a) ok = op === '*' || op === '/' || isTrimOp(op)
  else if (b) ok = op === '*'
  else return undefined
  return ok ? undefined : incompatibleTypesInBinOpInfo(a ? 'histogram' : 'float', op, b ? 'histogram' : 'float', e.posRange)
}

/**
 * The range functions with a histogram form here (functions.go extrapolatedRate, instantValue,
 * funcSumOverTime, funcAvgOverTime, funcLastOverTime, funcFirstOverTime, funcChanges,
 * funcResets).
 */
/**
 * Where a range function over histograms reports what it met (functions.go annotates at the
 * function's first argument, named for the series).
 */
export interface HistogramIssues {
  readonly metricName: string
  readonly pos: PositionRange
  add(a: Annotation): void
}

export const HISTOGRAM_RANGE_FUNCTIONS = new Set(['rate', 'increase', 'delta', 'irate', 'idelta', 'sum_over_time', 'avg_over_time', 'last_over_time', 'first_over_time', 'changes', 'resets'])

/** A window's result: a histogram or a float; undefined for none. */
export type WindowResult = FloatHistogram | number | undefined

/**
 * sum_over_time / avg_over_time of a window of histograms only: the compensated sum or mean
 * (HistogramMean, as functions.go funcSumOverTime / funcAvgOverTime); Compact(0). A window that also holds floats,
 * or histograms that cannot be added, has no result (functions.go: mixed floats and
 * histograms).
 */
export function histogramSumOverTime(hs: readonly (FloatHistogram | undefined)[], from: number, to: number, avg: boolean, issues?: HistogramIssues): FloatHistogram | undefined {
  let acc: HistogramMean | undefined
  let resetSeen = false
  let notResetSeen = false
  let reconciled = false
  for (let k = from; k < to; k++) {
    const h = hs[k]
    if (h === undefined) {
      issues?.add(mixedFloatsHistogramsWarning(issues.metricName, issues.pos))
      return undefined
    }
    if (h.counterResetHint === CounterResetHint.CounterReset) resetSeen = true
    else if (h.counterResetHint === CounterResetHint.NotCounterReset) notResetSeen = true
    if (acc === undefined) acc = new HistogramMean(h, avg)
    else {
      try {
        if (acc.add(h) & NHCB_BOUNDS_RECONCILED) reconciled = true
      } catch (err) {
        if (!(err instanceof HistogramError)) throw err
        // funcSumOverTime/funcAvgOverTime: this warning alone, the others are dropped
        issues?.add(mixedExponentialCustomHistogramsWarning(issues.metricName, issues.pos))
        return undefined
      }
    }
  }
  if (acc === undefined) return undefined
  if (issues && resetSeen && notResetSeen) issues.add(histogramCounterResetCollisionWarning(issues.pos, 'aggregation'))
  if (issues && reconciled) issues.add(mismatchedCustomBucketsHistogramsInfo(issues.pos, 'aggregation'))
  return acc.result().compact(0)
}

/**
 * changes / resets over a window that may mix floats and histograms: a switch between a float
 * and a histogram counts; between histograms, changes counts !equals (hints ignored), resets
 * counts DetectReset; between floats, as for floats.
 */
export function histogramChangesOrResets(vs: Float64Array, hs: readonly (FloatHistogram | undefined)[], from: number, to: number, resets: boolean): number {
  let n = 0
  for (let k = from + 1; k < to; k++) {
    const a = hs[k - 1]
    const b = hs[k]
    if ((a === undefined) !== (b === undefined)) n++
    else if (a !== undefined && b !== undefined) {
      if (resets ? b.detectReset(a) : !b.equals(a)) n++
    } else {
      const x = vs[k - 1]!
      const y = vs[k]!
      if (resets ? y < x : x !== y && !(Number.isNaN(x) && Number.isNaN(y))) n++
    }
  }
  return n
}

/**
 * rate/increase/delta over a window of histograms only (functions.go extrapolatedRate with
 * histogramRate): the last sample, reduced to the lowest schema of the window, minus the
 * first, plus each sample before a counter reset (DetectReset); a reset between the first two
 * samples replaces the first by an empty histogram. Extrapolated to the window's edges as for
 * floats, the zero point estimated from the counts. The result is a gauge, Compact(0).
 * Undefined when there is no result (fewer than two samples, mixed exponential and custom
 * buckets).
 */
export function histogramRate(ts: Float64Array, hs: readonly FloatHistogram[], from: number, to: number, rangeStart: number, rangeEnd: number, rangeMs: number, isCounter: boolean, isRate: boolean, issues?: HistogramIssues): FloatHistogram | undefined {
  const count = to - from
  if (count < 2) return undefined
  let prev = hs[from]!
  const last = hs[to - 1]!
  let custom = prev.usesCustomBuckets()
  const notCounter = () => issues?.add(nativeHistogramNotCounterWarning(issues.metricName, issues.pos))
  const mixedSchemas = () => issues?.add(mixedExponentialCustomHistogramsWarning(issues.metricName, issues.pos))
  const reconciled = (op: HistogramOperation) => issues?.add(mismatchedCustomBucketsHistogramsInfo(issues.pos, op))
  if (isCounter && (prev.counterResetHint === CounterResetHint.Gauge || last.counterResetHint === CounterResetHint.Gauge)) notCounter()
  if (isCounter) {
    const second = hs[from + 1]!
    if (second.detectReset(prev)) {
      const empty = new FloatHistogram()
      empty.schema = second.schema
      empty.customValues = second.customValues
      prev = empty
      custom = second.usesCustomBuckets()
    }
  }
  if (last.usesCustomBuckets() !== custom) {
    mixedSchemas()
    return undefined
  }
  let minSchema = Math.min(last.schema, prev.schema)
  for (let k = from + 1; k < to - 1; k++) {
    const c = hs[k]!
    if (!isCounter) continue
    if (c.counterResetHint === CounterResetHint.Gauge) notCounter()
    if (c.schema < minSchema) minSchema = c.schema
    if (c.usesCustomBuckets() !== custom) {
      mixedSchemas()
      return undefined
    }
  }
  const h = last.copyToSchema(minSchema)
  try {
    if (h.sub(prev) & NHCB_BOUNDS_RECONCILED) reconciled('subtraction')
    if (isCounter) {
      let p = prev
      for (let k = from + 1; k < to; k++) {
        const c = hs[k]!
        if (c.detectReset(p) && h.add(p) & NHCB_BOUNDS_RECONCILED) reconciled('addition')
        p = c
      }
    } else if (hs[from]!.counterResetHint !== CounterResetHint.Gauge || last.counterResetHint !== CounterResetHint.Gauge) {
      issues?.add(nativeHistogramNotGaugeWarning(issues.metricName, issues.pos))
    }
  } catch (err) {
    if (!(err instanceof HistogramError)) throw err
    mixedSchemas()
    return undefined
  }
  const firstT = ts[from]!
  const lastT = ts[to - 1]!
  let durationToStart = (firstT - rangeStart) / 1000
  let durationToEnd = (rangeEnd - lastT) / 1000
  const sampledInterval = (lastT - firstT) / 1000
  const avg = sampledInterval / (count - 1)
  const threshold = avg * 1.1
  if (durationToStart >= threshold) durationToStart = avg / 2
  if (isCounter) {
    let durationToZero = durationToStart
    if (h.count > 0 && hs[from]!.count >= 0) durationToZero = sampledInterval * (hs[from]!.count / h.count)
    if (durationToZero < durationToStart) durationToStart = durationToZero
  }
  if (durationToEnd >= threshold) durationToEnd = avg / 2
  let factor = sampledInterval !== 0 ? (sampledInterval + durationToStart + durationToEnd) / sampledInterval : 1
  if (isRate) factor /= rangeMs / 1000
  h.mul(factor)
  h.counterResetHint = CounterResetHint.Gauge
  return h.compact(0)
}

/**
 * irate/idelta over the last two histograms of a window (functions.go instantValue): their
 * difference (irate: the last one alone when DetectReset says it reset), irate divided by
 * their distance in seconds. A gauge, Compact(0).
 */
export function histogramInstantRate(ts: Float64Array, hs: readonly FloatHistogram[], to: number, isRate: boolean, issues?: HistogramIssues): FloatHistogram | undefined {
  const a = hs[to - 2]!
  const b = hs[to - 1]!
  const dt = ts[to - 1]! - ts[to - 2]!
  if (dt === 0) return undefined
  const aGauge = a.counterResetHint === CounterResetHint.Gauge
  const bGauge = b.counterResetHint === CounterResetHint.Gauge
  // irate is for counters, idelta for gauges
  if (issues && isRate && (aGauge || bGauge)) issues.add(nativeHistogramNotCounterWarning(issues.metricName, issues.pos))
  if (issues && !isRate && !(aGauge && bGauge)) issues.add(nativeHistogramNotGaugeWarning(issues.metricName, issues.pos))
  const r = b.copy()
  if (!isRate || !b.detectReset(a)) {
    try {
      if (r.sub(a) & NHCB_BOUNDS_RECONCILED) issues?.add(mismatchedCustomBucketsHistogramsInfo(issues.pos, 'subtraction'))
    } catch (err) {
      if (!(err instanceof HistogramError)) throw err
      issues?.add(mixedExponentialCustomHistogramsWarning(issues.metricName, issues.pos))
      return undefined
    }
  }
  r.counterResetHint = CounterResetHint.Gauge
  r.compact(0)
  if (isRate) r.div(dt / 1000)
  return r
}
