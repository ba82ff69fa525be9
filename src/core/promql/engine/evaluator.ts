/**
 * Step-batched evaluation of the AST. Each node evaluates for an array of step timestamps at
 * once. Selectors read their series once per evaluation through the Querier, into typed
 * arrays, with stale markers recorded out of band (see chunkenc/value.ts on why).
 */
import {ExecutionError, TimeoutError} from '../../errors.js'
import {inStrictLabelOrder, labelsKey, METRIC_NAME, sortLabels, type Label, type Labels} from '../../labels/labels.js'
import {MatchType} from '../../labels/matcher.js'
import {children, type Call, type Expr, type MatrixSelector, type PositionRange, type SubqueryExpr, type VectorSelector} from '../parser/ast.js'
import {iteratorToBlock} from '../block-iterator.js'
import type {Querier, Queryable, SampleBlock, Series, SeriesSet} from '../queryable.js'
import {anchoredChangesOrResets, extendFloats, extendedRate} from '../functions/extended-range.js'
import {RANGE_KERNELS, type RangeWindow} from '../functions/range-kernels.js'
import {Annotations, possibleNonCounterInfo, sortInRangeQueryWarning, startTimeOverlapWarning, storageWarning, invalidQuantileWarning, type Annotation} from './annotations.js'
import {evalBinary} from './binary.js'
import {evalInfo} from './info.js'
import {statsHistograms} from './histogram-stats.js'
import {callInstantFunction, KEEP_NAME_FUNCTIONS} from './instant-functions.js'
import {unwrapParens} from './step-invariant.js'
import {SampleLevel, sampleWeights, windowCount} from './sample-stats.js'
import {smoothedSeries} from './smoothed-selector.js'
import {extendedRateWithHistograms, windowHasHistogram} from './extended-histogram.js'
import {applyRangeWithHistograms, evalAggregateWithHistograms, presenceOnly, negateHistograms, rangeWithoutHistograms, subqueryHistogram, withHistogramBinary, withoutHistograms} from './histogram-eval.js'
import {callHistogramFunction, HISTOGRAM_RANGE_FUNCTIONS, HISTOGRAM_TRANSPARENT_FUNCTIONS, type HistogramIssues} from './histogram-ops.js'
import type {EvalValue, RawSeries, StepSeries} from './types.js'
import type {FloatHistogram} from '../../histogram/float-histogram.js'
import {histogramPointSize, histogramSampleSize} from '../../histogram/size.js'

/** A selection started by Evaluator.prefetch, waiting for evaluation to ask for it. */
interface Prefetched {
  mint: number
  maxt: number
  range: number | undefined
  func: string | undefined
  set: Promise<SeriesSet>
}

export interface EvalContext {
  queryable: Queryable
  querier: Querier
  start: number
  end: number
  step: number
  lookbackDelta: number
  maxSamples: number
  subqueryStep: number
  signal: AbortSignal
  /** the nodes Prometheus evaluates once for all steps (step-invariant.ts) */
  invariant?: Set<Expr>
  /** the selectors read as histogram statistics (histogram-stats.ts) */
  statsSelectors?: Set<VectorSelector>
  /** per-step sample stats (Prometheus's promql-per-step-stats with stats=all) */
  perStepStats?: boolean
  /**
   * Prometheus 3's --enable-feature=promql-delayed-name-removal (EngineOpts.EnableDelayedNameRemoval):
   * a dropped __name__ is only marked and removed at the end of the query. Off, it goes where
   * the function or operator drops it (DropMetricName/DropReserved in promql/functions.go, engine.go).
   */
  delayedNameRemoval?: boolean
  /**
   * performance.now() past which evaluation stops (the query timeout): checked between series,
   * as a long synchronous loop never lets the timeout's timer fire.
   */
  deadline?: number
}

/**
 * What one typed array may hold, whatever --query.max-samples says: the samples of one decoded
 * series (Prometheus holds one window at a time; a range query here decodes a series' whole
 * range at once) and the steps of a subquery or range query (one slot per step for every
 * series). 50e6 samples are ~850 MB of typed arrays. Beyond it a query is refused before
 * anything is allocated, with Prometheus's too-many-samples error (Prometheus 3.14 itself
 * allocates its per-step stats for every subquery step, and runs out of memory on x[1y:1ms]).
 */
export const ALLOCATION_CAP = 50_000_000

/** Raw samples per series for a range-vector argument, plus how to window them. */
export interface RangeSource {
  /**
   * The series, read one at a time: a matrix selector decodes each series only when its
   * read() is called, into arrays reused by the next read() (copy what must outlive it).
   * Streaming per series keeps a 24 h range query from holding every sample at once.
   */
  series: RangeInput[]
  range: number
  offset: number
  at?: number
  /** the selector, for absent_over_time labels */
  selector?: VectorSelector
  /** Prometheus 3 extended range selectors: `anchored` / `smoothed` windows */
  mode?: 'anchored' | 'smoothed'
  /** a subquery's points, held until the function over them is done (its samples read are counted already) */
  subqueryPoints?: number
}

/** One series of a RangeSource; see there. */
export interface RangeInput {
  readonly labels: Labels
  /**
   * The metric name the series had before a pending __name__ drop was applied (subquery
   * results), for annotations: Prometheus keeps it on the series until the query's end.
   */
  readonly metricName?: string
  /**
   * A subquery's series whose name is due to be dropped (delayed name removal keeps it until the
   * end of the query: engine.go's StorageSeries carry DropName into the range function).
   */
  readonly dropName?: boolean
  /** Samples without stale markers (range functions never see them). */
  read(): RawSeries
}

/** A range source series over arrays that are already there (subqueries). */
function materialized(s: RawSeries, metricName?: string, dropName = false): RangeInput {
  return {labels: s.labels, metricName, dropName, read: () => s}
}

function metricNameOf(rs: RangeInput): string {
  return rs.metricName ?? rs.labels.find((l) => l.name === METRIC_NAME)?.value ?? ''
}

const SORT_FUNCTIONS = new Set(['sort', 'sort_desc', 'sort_by_label', 'sort_by_label_desc'])
const COUNTER_SUFFIXES = ['_total', '_sum', '_count', '_bucket']

/**
 * The position Prometheus reports for a range function's argument: a subquery's is replaced by
 * a matrix selector without a position while evaluating (engine.go evalSubquery), so it is the
 * query's start.
 */
function rangeArgPos(e: Expr | undefined): PositionRange {
  const a = e && unwrapParens(e)
  if (!a || a.kind === 'SubqueryExpr') return {start: 0, end: 0}
  return a.posRange
}

/**
 * Growable arrays one selector decodes its series into, one series after another: no
 * per-series allocation on the hot path. A block read from it is valid until the next read.
 */
class SampleScratch {
  private block: SampleBlock = {ts: new Float64Array(0), vs: new Float64Array(0), stale: new Uint8Array(0)}

  read(s: Series, mint: number, maxt: number, limit: number): SampleBlock {
    if (!s.samples) return iteratorToBlock(s.iterator(), mint, maxt, 64, limit)
    const b = s.samples(mint, maxt, this.block)
    // keep the larger arrays for the next series
    if (b.ts.buffer !== this.block.ts.buffer && b.ts.buffer.byteLength > this.block.ts.buffer.byteLength) {
      const cap = b.ts.buffer.byteLength / 8
      this.block = {ts: new Float64Array(b.ts.buffer, 0, cap), vs: new Float64Array(b.vs.buffer, 0, cap), stale: new Uint8Array(b.stale.buffer, 0, cap)}
    }
    return b
  }
}

/** Drops stale markers in place (the block's arrays are scratch). */
function withoutStale(b: SampleBlock): {ts: Float64Array; vs: Float64Array; st?: Float64Array; hs?: (FloatHistogram | undefined)[]} {
  const st = b.stale
  let j = st.indexOf(1)
  if (j < 0) return b
  const sts = b.st
  const hs = b.hs
  for (let i = j + 1; i < st.length; i++) {
    if (st[i]) continue
    b.ts[j] = b.ts[i]!
    b.vs[j] = b.vs[i]!
    if (sts) sts[j] = sts[i]!
    if (hs) hs[j] = hs[i]
    j++
  }
  if (hs) hs.length = j
  const out: {ts: Float64Array; vs: Float64Array; st?: Float64Array; hs?: (FloatHistogram | undefined)[]} = {ts: b.ts.subarray(0, j), vs: b.vs.subarray(0, j)}
  if (sts) out.st = sts.subarray(0, j)
  if (hs) out.hs = hs
  return out
}

export class Evaluator {
  /** Warnings and infos of the query (see annotations.ts), storage's warnings included. */
  readonly annotations = new Annotations()
  /**
   * Per evaluation-times array: whether its evaluator's start and end differ (engine.go's
   * ev.startTimestamp != ev.endTimestamp, which a one-step range query can have too).
   */
  private readonly spans = new WeakMap<Float64Array, boolean>()
  /**
   * Samples the query holds now: Prometheus's currentSamples (promql/engine.go), checked against
   * --query.max-samples and moved exactly as upstream moves it. Each node is evaluated for all
   * its steps at once here, as there (rangeEval evaluates its operands whole, then walks the
   * steps), so each node's accounting is replayed from its operands' and result's presence per
   * step: operands held, each step's gathered operand samples and the results so far.
   */
  private cur = 0
  /** the highest `cur` seen: stats peakSamples */
  peak = 0
  /** the stats of the evaluator level being run (the query, a subquery, a step-invariant child) */
  level: SampleLevel
  /** series whose metric name must be dropped at the end (Prometheus 3 delayed name removal) */
  private readonly dropName = new WeakSet<StepSeries>()
  /** selectors under timestamp()/start_timestamp(), whose histograms count one each (engine.go rangeEvalTimestampFunctionOverVectorSelector) */
  private readonly countedAsOne = new WeakSet<VectorSelector>()

  constructor(readonly ctx: EvalContext) {
    const steps = ctx.step > 0 ? Math.floor((ctx.end - ctx.start) / ctx.step) + 1 : 1
    this.level = new SampleLevel(ctx.start, ctx.step > 0 ? ctx.step : 1, steps, ctx.perStepStats ?? false)
  }

  annotate(a: Annotation): void {
    this.annotations.add(a)
  }

  /** Records that `times` are evaluated by an evaluator whose start and end differ (or not). */
  setSpan(times: Float64Array, isRange: boolean): void {
    this.spans.set(times, isRange)
  }

  private isRangeSpan(times: Float64Array): boolean {
    return this.spans.get(times) ?? times.length > 1
  }

  /** Whether __name__ drops are delayed to the end of the query (EvalContext.delayedNameRemoval). */
  get delayedNameRemoval(): boolean {
    return this.ctx.delayedNameRemoval ?? false
  }

  /**
   * `s` loses its metric name: marked for the end of the query with delayed name removal, or
   * now, in place (s is always the node's own new result series). `nameOnly`: without delayed
   * removal only __name__ goes, not the type-and-unit labels (functions.go simpleHistogramFunc);
   * the end of the query drops all three (cleanupMetricLabels, schema.IsMetadataLabel).
   */
  markDropName(s: StepSeries, nameOnly = false): StepSeries {
    if (this.delayedNameRemoval) this.dropName.add(s)
    else {
      const before = s.labels.length
      s.labels = s.labels.filter((l) => l.name !== METRIC_NAME && (nameOnly || (l.name !== '__type__' && l.name !== '__unit__')))
      if (s.labels.length !== before) this.namesDropped++
    }
    return s
  }

  /** How many series lost a label in markDropName without delayed name removal (see sameLabelset). */
  private namesDropped = 0

  /**
   * Without delayed name removal, the per-step check of engine.go rangeEval (a series that a
   * dropped name makes equal to another, at the same step, is an error; at other steps they are
   * one series), run only when the node dropped a name since `mark` (namesDropped). `strict`:
   * a range function's result, where any two equal label sets are an error (eval Call's
   * `mat.ContainsSameLabelset()`), whatever their steps.
   */
  sameLabelset(series: StepSeries[], mark: number, strict = false): StepSeries[] {
    if (this.delayedNameRemoval || this.namesDropped === mark || series.length < 2) return series
    return mergeSameLabelset(series, strict)
  }

  /** A mark for sameLabelset. */
  dropMark(): number {
    return this.namesDropped
  }

  shouldDropName(s: StepSeries): boolean {
    return this.dropName.has(s)
  }

  checkAbort(): void {
    if (this.ctx.signal.aborted) throw this.ctx.signal.reason instanceof Error ? this.ctx.signal.reason : new ExecutionError('query aborted')
  }

  /** Applies delayed __name__ removal to the final result. */
  finish(series: StepSeries[]): StepSeries[] {
    // with the name go Prometheus 3's type-and-unit labels, which describe it
    const out = series.map((s) => (this.dropName.has(s) ? {...s, labels: s.labels.filter((l) => l.name !== METRIC_NAME && l.name !== '__type__' && l.name !== '__unit__')} : s))
    // in label order and apart (the usual case, see mergeSameLabelset): no two can collide
    if (inStrictLabelOrder(out)) return out
    const seen = new Map<string, StepSeries>()
    for (const s of out) {
      const k = labelsKey(s.labels)
      const prev = seen.get(k)
      if (prev) {
        for (let i = 0; i < s.has.length; i++) if (s.has[i] && prev.has[i]) throw new ExecutionError('vector cannot contain metrics with the same labelset')
        // merge presence so a third duplicate is caught too
        const has = prev.has.map((h, i) => h | s.has[i]!)
        seen.set(k, {...prev, has})
      } else seen.set(k, s)
    }
    return out
  }

  /** Adds n samples the query now holds; over max samples is an error (HTTP 422, as Prometheus). */
  hold(n: number): void {
    this.setHeld(this.cur + n)
  }

  /** Sets what the query holds (a peak, then checked, as Prometheus's UpdatePeak and check). */
  private setHeld(n: number): void {
    this.cur = n
    if (n > this.peak) this.peak = n
    if (n > this.ctx.maxSamples) throw tooManySamples()
  }

  /** Checks that n more samples, held only for a while, fit beside what the query holds. */
  private checkHeldWith(n: number): void {
    const v = this.cur + n
    if (v > this.peak) this.peak = v
    if (v > this.ctx.maxSamples) throw tooManySamples()
  }

  /**
   * rangeEval's accounting (engine.go): entered holding `before`, with the operands evaluated
   * (and held); at each step the operands' samples at that step are gathered (plus `extra`,
   * what the step's function call counts itself), then the step's result is added and stays;
   * at the end the operands are released: the node holds `before` + its result.
   */
  rangeEvalHeld(before: number, operands: EvalValue[], result: EvalValue, steps: number, extra?: Int32Array): void {
    // gathered operands count one each, histograms too (gatherVector copies a pointer); a step's
    // result its Vector.TotalSamples; the assembled result its Matrix.TotalSamples
    const gathered = new Int32Array(steps)
    for (const v of operands) addPresence(gathered, v)
    const out = new Int32Array(steps)
    addPresence(out, result, true)
    let held = this.cur
    let high = held
    for (let i = 0; i < steps; i++) {
      const r = out[i]!
      const atStep = held + gathered[i]! + (extra ? extra[i]! : 0) + r
      if (atStep > high) high = atStep
      held += r
    }
    this.checkHeldWith(high - this.cur)
    this.cur = before + presenceTotal(result)
  }

  /**
   * The windows of one series of a range function (engine.go, the matrix argument loop of a
   * Call): each step's window counts in the level's totals, what is new in it in the reads
   * (`countRead`: not for a subquery's points, counted by the subquery); histograms by their
   * size. `lookback` widens the windows as anchored/smoothed selectors do. Returns the largest
   * window and the last step's, which are held beside the rest while the series is worked on.
   */
  countRangeWindows(src: RangeSource, times: Float64Array, s: RawSeries, countRead: boolean, lookback = 0, smoothed = false): {max: number; last: number} {
    const ts = s.held?.ts ?? s.ts
    const weights = s.held?.weights ?? sampleWeights(s.hs, ts.length)
    const level = this.level
    let max = 0
    let last = 0
    for (let i = 0; i < times.length; i++) {
      const end = (src.at ?? times[i]!) - src.offset
      const start = end - src.range - lookback
      const to = upperBound(ts, smoothed ? end + lookback : end)
      const from = upperBound(ts, start)
      last = to > from ? windowCount(weights, from, to) : 0
      if (to <= from) continue
      if (last > max) max = last
      level.addTotal(i, last)
      if (countRead && (i === 0 || src.at === undefined)) {
        level.addRead(i, i === 0 ? last : windowCount(weights, upperBound(ts, Math.max(start, (smoothed ? end + lookback : end) - level.interval)), to))
      }
    }
    return {max, last}
  }

  /**
   * After a series' windows: the largest held beside everything else, the last one still while
   * the series' results (`results`, histograms by size) are added, which then stay held.
   */
  holdRangeResults(windows: {max: number; last: number}, results: number): void {
    this.checkHeldWith(windows.max)
    this.checkHeldWith(windows.last + results)
    if (results > 0) this.hold(results)
  }

  /**
   * Refuses a step count beyond ALLOCATION_CAP (or max samples, if higher) before allocating for
   * it. Fewer steps than that are evaluated even above max samples: over sparse data they may
   * hold few samples, and Prometheus answers them (x[1y:1h] over an hour of data).
   */
  checkSteps(n: number): void {
    if (n > Math.max(this.ctx.maxSamples, ALLOCATION_CAP)) throw tooManySamples()
  }

  /** Stops at the query's deadline (see EvalContext.deadline). */
  checkDeadline(): void {
    if (this.ctx.deadline !== undefined && performance.now() > this.ctx.deadline) throw new TimeoutError('query timed out in expression evaluation')
  }

  /** The series of a selector, not yet decoded (a prefetched selection when prefetch() started it). */
  async selectSeries(vs: VectorSelector, mint: number, maxt: number, hints: {range?: number; func?: string}): Promise<Series[]> {
    this.checkAbort()
    const set = await (this.takePrefetched(vs, mint, maxt, hints) ?? this.startSelect(vs, mint, maxt, hints))
    for (const w of set.warnings) this.annotate(storageWarning(w))
    return set.series
  }

  private startSelect(vs: VectorSelector, mint: number, maxt: number, hints: {range?: number; func?: string}): Promise<SeriesSet> {
    return this.ctx.querier.select(vs.labelMatchers, {start: mint, end: maxt, step: this.ctx.step, range: hints.range, func: hints.func}, this.ctx.signal)
  }

  private readonly prefetched = new Map<VectorSelector, Prefetched[]>()
  /**
   * Smoothed selectors read as plain ones: timestamp()'s and start_timestamp()'s argument, which
   * Prometheus reads sample by sample (engine.go rangeEvalTimestampFunctionOverVectorSelector).
   */
  private readonly unsmoothed = new Set<VectorSelector>()

  private takePrefetched(vs: VectorSelector, mint: number, maxt: number, hints: {range?: number; func?: string}): Promise<SeriesSet> | undefined {
    const list = this.prefetched.get(vs)
    const i = list?.findIndex((p) => p.mint === mint && p.maxt === maxt && p.range === hints.range && p.func === hints.func) ?? -1
    if (i < 0) return undefined
    return list!.splice(i, 1)[0]!.set
  }

  /**
   * Starts the selections of every selector that evaluating `e` over `times` will make, all at
   * once, before evaluation walks the expression one operand after the other. Against stores
   * each selection is a network round trip (querier → sidecar → Prometheus): `a / b` then
   * waits for one round trip instead of two, as Prometheus selects all series up front. The
   * ranges come from the same helpers evaluation uses; a selection evaluation does not ask
   * for in the end costs a store call, never a wrong answer. Selectors under a subquery (other
   * evaluation times) and info() (its selector is built while evaluating) are left to
   * evaluation.
   */
  prefetch(e: Expr, times: Float64Array): void {
    const visit = (n: Expr, func: string | undefined): void => {
      switch (n.kind) {
        case 'VectorSelector': {
          const r = this.vectorSelectorRange(n, times)
          this.addPrefetch(n, r.lo, r.hi, {})
          return
        }
        case 'MatrixSelector': {
          const r = this.matrixSelectorRange(n, times)
          this.addPrefetch(n.vectorSelector, r.lo, r.hi, {range: r.range, func})
          return
        }
        case 'SubqueryExpr':
          return
        case 'ParenExpr':
          visit(n.expr, func) // rate((x[5m])): the range function still applies to the selector
          return
        case 'Call':
          if (n.func.name === 'info') return
          for (const a of n.args) visit(a, n.func.name)
          return
        default:
          for (const c of children(n)) visit(c, undefined)
      }
    }
    visit(e, undefined)
  }

  private addPrefetch(vs: VectorSelector, mint: number, maxt: number, hints: {range?: number; func?: string}): void {
    const set = this.startSelect(vs, mint, maxt, hints)
    // evaluation may stop before it asks for this one (an error elsewhere): no unhandled rejection
    set.catch(() => undefined)
    let list = this.prefetched.get(vs)
    if (!list) this.prefetched.set(vs, (list = []))
    list.push({mint, maxt, range: hints.range, func: hints.func, set})
  }

  /** What evalVectorSelector selects: its evaluation times and [lo, hi]. */
  private vectorSelectorRange(vs: VectorSelector, times: Float64Array): {eff: Float64Array; lo: number; hi: number} {
    const eff = this.effectiveTimes(times, vs.timestamp, vs.startOrEnd, this.dur(vs.originalOffset, vs.originalOffsetExpr))
    const [mint, maxt] = span(eff)
    const lookback = this.ctx.lookbackDelta
    return {eff, lo: mint - lookback + 1, hi: maxt + (vs.smoothed ? lookback : 0)}
  }

  /** What evalMatrixSelector selects. */
  private matrixSelectorRange(m: MatrixSelector, times: Float64Array): {lo: number; hi: number; range: number; offset: number; mode: 'anchored' | 'smoothed' | undefined} {
    const vs = m.vectorSelector
    const offset = this.dur(vs.originalOffset, vs.originalOffsetExpr)
    const range = this.dur(m.range, m.rangeExpr)
    const eff = this.effectiveTimes(times, vs.timestamp, vs.startOrEnd, offset)
    const [mint, maxt] = span(eff)
    const mode = vs.anchored ? ('anchored' as const) : vs.smoothed ? ('smoothed' as const) : undefined
    // anchored/smoothed windows also look at the sample before the window (within the lookback)
    // and, smoothed, at the one after its end
    const lookback = this.ctx.lookbackDelta
    return {lo: mint - range - (mode ? lookback : 0) + 1, hi: maxt + (mode === 'smoothed' ? lookback : 0), range, offset, mode}
  }

  /**
   * Decodes one series' samples in [mint, maxt] into `scratch`. `window` says they are all one
   * range function window (one evaluation time), which Prometheus holds beside the rest: then no
   * more than fit are decoded. Otherwise the decoded samples are not what Prometheus counts
   * (it walks them one window or step at a time) and only RAW_DECODE_CAP bounds them.
   */
  private readSeries(scratch: SampleScratch, s: Series, mint: number, maxt: number, window = false): SampleBlock {
    const cap = Math.max(this.ctx.maxSamples, ALLOCATION_CAP)
    const limit = window ? Math.min(this.ctx.maxSamples - this.cur, cap) : cap
    const b = scratch.read(s, mint, maxt, limit)
    if (b.ts.length > limit) {
      // stale markers were decoded with the rest but are not samples: refused only if the others do not fit either
      let n = 0
      for (let i = 0; i < b.stale.length; i++) n += b.stale[i]! ^ 1
      if (n > limit || b.ts.length > cap) throw tooManySamples()
      return scratch.read(s, mint, maxt, cap)
    }
    return b
  }

  /** A range/offset/step that may be a query-dependent duration expression (step(), range()). */
  dur(ms: number, expr: {dynamic?: (stepMs: number, rangeMs: number) => number} | undefined): number {
    return expr?.dynamic ? expr.dynamic(this.ctx.step, this.ctx.end - this.ctx.start) : ms
  }

  /** Effective evaluation times of a selector/subquery with @ and offset. */
  private effectiveTimes(times: Float64Array, at: number | undefined, startOrEnd: 'start' | 'end' | undefined, offset: number): Float64Array {
    const fixed = at ?? (startOrEnd === 'start' ? this.ctx.start : startOrEnd === 'end' ? this.ctx.end : undefined)
    const out = new Float64Array(times.length)
    for (let i = 0; i < times.length; i++) out[i] = (fixed ?? times[i]!) - offset
    return out
  }

  async eval(e: Expr, times: Float64Array): Promise<EvalValue> {
    this.checkAbort()
    if (this.ctx.invariant?.has(e)) return this.evalStepInvariant(e, times)
    return this.evalNode(e, times)
  }

  /**
   * A step-invariant subtree (engine.go StepInvariantExpr): evaluated at the first step only, in
   * a child level whose samples count at every step, then repeated at every further step, each
   * repetition one more sample held.
   */
  private async evalStepInvariant(e: Expr, times: Float64Array): Promise<EvalValue> {
    const n = times.length
    const parent = this.level
    const child = new SampleLevel(times[0]!, parent.interval, 1, false)
    this.level = child
    let v: EvalValue
    try {
      v = await this.evalNode(e, times.subarray(0, 1))
    } finally {
      this.level = parent
    }
    for (let i = 0; i < n; i++) parent.addTotal(i, child.total)
    parent.addRead(0, child.read)
    if (n === 1 || v.type === 'string') return v
    if (v.type === 'scalar') {
      this.hold(n - 1)
      return {type: 'scalar', vals: new Float64Array(n).fill(v.vals[0]!)}
    }
    const series = v.series
      .filter((s) => s.has[0])
      .map((s): StepSeries => {
        const out: StepSeries = {labels: s.labels, vals: new Float64Array(n).fill(s.vals[0]!), has: new Uint8Array(n).fill(1)}
        if (s.sampleTs) out.sampleTs = new Float64Array(n).fill(s.sampleTs[0]!)
        if (s.sampleSt) out.sampleSt = new Float64Array(n).fill(s.sampleSt[0]!)
        // a histogram is repeated too (histograms in step series are never changed in place)
        if (s.hists) out.hists = new Array<FloatHistogram | undefined>(n).fill(s.hists[0])
        return this.dropName.has(s) ? this.markDropName(out) : out
      })
    let repeated = 0
    for (const s of series) repeated += s.hists?.[0] ? histogramPointSize(s.hists[0]) : 1
    this.hold(repeated * (n - 1))
    return {type: 'vector', series}
  }

  private async evalNode(e: Expr, times: Float64Array): Promise<EvalValue> {
    switch (e.kind) {
      case 'NumberLiteral': {
        const v: EvalValue = {type: 'scalar', vals: new Float64Array(times.length).fill(e.val)}
        this.rangeEvalHeld(this.cur, [], v, times.length)
        return v
      }
      case 'StringLiteral':
        return {type: 'string', v: e.val}
      case 'ParenExpr':
      case 'StepInvariantExpr':
        return this.eval(e.expr, times)
      case 'UnaryExpr': {
        const v = await this.eval(e.expr, times)
        if (e.op === '+') return v
        if (v.type === 'scalar') return {type: 'scalar', vals: v.vals.map((x) => -x)}
        if (v.type === 'vector') {
          // engine.go UnaryExpr: without delayed name removal, series the name drop makes equal are merged
          const mark = this.dropMark()
          return {type: 'vector', series: this.sameLabelset(v.series.map((s) => this.markDropName(negateHistograms(s, {labels: s.labels, vals: s.vals.map((x) => -x), has: s.has}))), mark)}
        }
        return v
      }
      case 'VectorSelector':
        return this.evalVectorSelector(e, times)
      case 'BinaryExpr': {
        const before = this.cur
        const [l, r] = [await this.eval(e.lhs, times), await this.eval(e.rhs, times)]
        const mark = this.dropMark()
        // and/or/unless only test presence: histograms go through them (engine.go VectorAnd/Or/Unless)
        const setOp = e.op === 'and' || e.op === 'or' || e.op === 'unless'
        const res = setOp ? evalBinary(this, e, l, r, times.length) : evalBinary(this, e, withoutHistograms(this, l), withoutHistograms(this, r), times.length)
        const v = sameLabelsetOf(this, withHistogramBinary(this, e, l, r, res, times.length), mark)
        this.rangeEvalHeld(before, [l, r], v, times.length)
        return v
      }
      case 'AggregateExpr': {
        const before = this.cur
        // the parameter first, as engine.go evaluates it (newFParams) before the aggregated expression
        const param = e.param ? await this.eval(e.param, times) : undefined
        const inner = await this.eval(e.expr, times)
        if (inner.type !== 'vector') throw new ExecutionError('aggregation over a non-vector')
        const v = evalAggregateWithHistograms(this, e, inner.series, param, times.length)
        // count_values runs through rangeEval; the others hold their operands until their result replaces them
        if (e.op === 'count_values') this.rangeEvalHeld(before, [inner], v, times.length)
        else this.setHeld(before + presenceTotal(v))
        return v
      }
      case 'Call':
        return this.evalCall(e, times)
      case 'MatrixSelector':
      case 'SubqueryExpr':
        throw new ExecutionError('range vector in an instant-vector context')
      case 'DurationExpr':
        throw new ExecutionError('duration expression outside a range or offset')
    }
  }

  private async evalVectorSelector(vs: VectorSelector, times: Float64Array): Promise<EvalValue> {
    const stats = this.ctx.statsSelectors?.has(vs) === true
    const range = this.vectorSelectorRange(vs, times)
    const {eff, hi} = range
    // statistics compare with the sample at the lookback's start too
    const lo = stats ? range.lo - 1 : range.lo
    const lookback = this.ctx.lookbackDelta
    const selected = await this.selectSeries(vs, lo, hi, {})
    const scratch = new SampleScratch()
    const out: StepSeries[] = []
    const level = this.level
    const perStep = level.totalPerStep !== undefined || level.readPerStep !== undefined
    // statistics as smoothSeries's iterator reads them: up to t + lookback, buffering the query's
    // span and twice the lookback (engine.go), so it seeks only past a longer gap
    const smoothedStats = stats && vs.smoothed ? {ends: eff.map((t) => t + lookback), delta: times[times.length - 1]! - times[0]! + 2 * lookback} : undefined
    for (const sel of selected) {
      this.checkDeadline()
      const s = this.readSeries(scratch, sel, lo, hi)
      if (vs.smoothed && !this.unsmoothed.has(vs)) {
        const name = sel.labels.find((l) => l.name === METRIC_NAME)?.value ?? ''
        const b = smoothedStats && s.hs ? {...s, hs: statsHistograms(s, smoothedStats.ends, smoothedStats.delta)} : s
        const r = smoothedSeries(b, sel.labels, eff, lookback, {metricName: name, pos: vs.posRange, add: (a) => this.annotate(a)})
        if (r) out.push(r)
        this.holdSmoothedWindows(s, eff)
        continue
      }
      const st = s.stale
      const n = eff.length
      const vals = new Float64Array(n)
      const has = new Uint8Array(n)
      const sampleTs = new Float64Array(n)
      const sts = s.st
      const sampleSt = sts ? new Float64Array(n) : undefined
      const shs = stats ? statsHistograms(s, eff, lookback) : s.hs
      const hists: (FloatHistogram | undefined)[] | undefined = shs ? new Array<FloatHistogram | undefined>(n) : undefined
      let any = false
      for (let i = 0; i < n; i++) {
        const t = eff[i]!
        // last sample with ts <= t (binary search: eff may not be monotonic with @)
        let lo = 0
        let hi = s.ts.length - 1
        let idx = -1
        while (lo <= hi) {
          const mid = (lo + hi) >> 1
          if (s.ts[mid]! <= t) {
            idx = mid
            lo = mid + 1
          } else hi = mid - 1
        }
        // Prometheus 3: the lookback window is left-open, (t - lookback, t]
        if (idx < 0 || s.ts[idx]! <= t - lookback || st[idx]) continue
        vals[i] = s.vs[idx]!
        if (shs) hists![i] = shs[idx]
        has[i] = 1
        sampleTs[i] = s.ts[idx]!
        if (sampleSt) sampleSt[i] = sts![idx]!
        any = true
      }
      if (any) {
        let points = 0
        for (let i = 0; i < n; i++) {
          if (!has[i]) continue
          // a histogram counts its size (engine.go evalSeries), but one under timestamp() (see evalCall)
          const h = hists?.[i]
          const k = h === undefined || this.countedAsOne.has(vs) ? 1 : histogramPointSize(h)
          points += k
          if (perStep) level.addBoth(i, k)
        }
        // Prometheus's evalSeries counts each sample it finds (smoothSeries, for `smoothed`, counts none)
        if (!perStep) level.addBoth(0, points)
        this.hold(points)
        const res: StepSeries = {labels: sel.labels, vals, has, sampleTs, sampleSt}
        if (hists) res.hists = hists
        out.push(res)
      }
    }
    return {type: 'vector', series: out}
  }

  /**
   * engine.go smoothSeries reads each step's window (t - lookback, t + lookback] through
   * matrixIterSlice, which counts the window's samples as held, and never lets them go: each
   * series' last window stays counted.
   */
  private holdSmoothedWindows(s: SampleBlock, eff: Float64Array): void {
    const lookback = this.ctx.lookbackDelta
    const live = (from: number, to: number): number => {
      let n = 0
      for (let j = from; j < to; j++) n += s.stale[j]! ^ 1
      return n
    }
    let last = 0
    for (let i = 0; i < eff.length; i++) {
      last = live(upperBound(s.ts, eff[i]! - lookback), upperBound(s.ts, eff[i]! + lookback))
      this.checkHeldWith(last)
    }
    this.hold(last)
  }

  /** Raw samples of a range-vector argument of a function (matrix selector or subquery). */
  async evalRange(e: Expr, times: Float64Array, func?: string): Promise<RangeSource> {
    if (e.kind === 'ParenExpr') return this.evalRange(e.expr, times, func)
    if (e.kind === 'MatrixSelector') return this.evalMatrixSelector(e, times, func)
    if (e.kind === 'SubqueryExpr') return this.evalSubquery(e, times, true)
    throw new ExecutionError(`expected a range vector, got ${e.kind}`)
  }

  /**
   * A range vector as an instant query's result, copied out: a matrix selector's samples all
   * held and counted at the query's step (engine.go matrixSelector), or a subquery's points
   * (which its evaluation holds and counts already).
   */
  async evalMatrixResult(e: Expr, times: Float64Array): Promise<RawSeries[]> {
    if (e.kind === 'ParenExpr' || e.kind === 'StepInvariantExpr') return this.evalMatrixResult(e.expr, times)
    if (e.kind !== 'MatrixSelector' && e.kind !== 'SubqueryExpr') throw new ExecutionError(`expected a range vector, got ${e.kind}`)
    const src = e.kind === 'MatrixSelector' ? await this.evalMatrixSelector(e, times) : await this.evalSubquery(e, times, false)
    const out: RawSeries[] = []
    for (const rs of src.series) {
      // read() may reuse its arrays: copy each series out
      let s = rs.read()
      // held as selected (matrixIterSlice), histograms by size; an extended window counts its extended points
      if (e.kind === 'MatrixSelector') this.hold(windowCount(sampleWeights(s.hs, s.ts.length), 0, s.ts.length))
      if (src.mode) {
        // engine.go matrixSelector: the window extended to the range's edges (extendFloats)
        if (s.hs && windowHasHistogram(s.hs, 0, s.ts.length)) throw new ExecutionError(`${src.mode} modifier is not supported with histograms`)
        const end = (src.at ?? times[0]!) - src.offset
        const x = extendFloats(s.ts, s.vs, end - src.range, end, src.mode === 'smoothed')
        if (!x) continue
        s = {labels: s.labels, ...x}
      }
      if (e.kind === 'MatrixSelector') this.level.addBoth(0, windowCount(sampleWeights(s.hs, s.ts.length), 0, s.ts.length))
      // the end of the query: a pending name drop is applied (cleanupMetricLabels)
      const r: RawSeries = {labels: rs.dropName ? withoutMetadata(s.labels) : s.labels, ts: s.ts.slice(), vs: s.vs.slice()}
      if (s.hs) r.hs = s.hs.slice()
      out.push(r)
    }
    return src.series.some((rs) => rs.dropName) ? mergeRawSameLabelset(out) : out
  }

  private async evalMatrixSelector(m: MatrixSelector, times: Float64Array, func?: string): Promise<RangeSource> {
    const vs = m.vectorSelector
    const sel0 = this.matrixSelectorRange(m, times)
    const {hi, range, offset, mode} = sel0
    // histogram statistics compare with the sample at the window's start too (histogram-stats.ts)
    let stats = this.ctx.statsSelectors?.has(vs) === true ? this.effectiveTimes(times, vs.timestamp, vs.startOrEnd, offset) : undefined
    // anchored/smoothed windows reach back the lookback delta further (smoothed: past the end too)
    const lookback = mode ? this.ctx.lookbackDelta : 0
    if (stats && mode === 'smoothed') stats = stats.map((t) => t + lookback)
    const statsDelta = range + (mode === 'smoothed' ? 2 : 1) * lookback
    const lo = stats ? sel0.lo - 1 : sel0.lo
    const selected = await this.selectSeries(vs, lo, hi, {range, func})
    const scratch = new SampleScratch()
    const at = this.fixedAt(vs.timestamp, vs.startOrEnd)
    // one evaluation time (or one fixed by @): what is decoded is the one window Prometheus holds
    const window = !mode && (times.length === 1 || at !== undefined)
    const decode = (sel: Series): SampleBlock => {
      const b = this.readSeries(scratch, sel, lo, hi, window)
      if (stats && b.hs) b.hs = statsHistograms(b, stats, statsDelta)
      return b
    }
    const series = selected.map((sel): RangeInput => ({
      labels: sel.labels,
      // range functions never see stale markers
      read: () => ({labels: sel.labels, ...withoutStale(decode(sel))}),
    }))
    return {series, range, offset, at, selector: vs, mode}
  }

  private fixedAt(ts: number | undefined, startOrEnd: 'start' | 'end' | undefined): number | undefined {
    return ts ?? (startOrEnd === 'start' ? this.ctx.start : startOrEnd === 'end' ? this.ctx.end : undefined)
  }

  /**
   * A subquery: its expression evaluated over its own steps in a child level (engine.go
   * runSubquery), whose samples read are merged into this level's steps; as a function's
   * argument (`asArgument`) its points are held until the function is done, and its total is
   * not merged (the function counts its windows); a bare subquery's total counts at the last step.
   */
  private async evalSubquery(sq: SubqueryExpr, times: Float64Array, asArgument: boolean): Promise<RangeSource> {
    const sqStep = this.dur(sq.step, sq.stepExpr)
    const step = sqStep > 0 ? sqStep : this.ctx.subqueryStep
    const offset = this.dur(sq.originalOffset, sq.originalOffsetExpr)
    const sqRange = this.dur(sq.range, sq.rangeExpr)
    const eff = this.effectiveTimes(times, sq.timestamp, sq.startOrEnd, offset)
    const [mint, maxt] = span(eff)
    // inner steps at absolute multiples of the step, left-open at the range start (as Prometheus)
    const lowest = mint - sqRange
    let first = step * Math.trunc(lowest / step)
    if (first <= lowest) first += step
    const n = first > maxt ? 0 : Math.floor((maxt - first) / step) + 1
    // a[1y:1ms] would be 3e10 steps: refused before anything is allocated for them
    this.checkSteps(n)
    const inner = new Float64Array(n)
    for (let i = 0; i < n; i++) inner[i] = first + i * step
    // the inner evaluator runs from `first` to the (outer) end: engine.go runSubquery
    this.setSpan(inner, first !== maxt)
    const parent = this.level
    // its reads per step only matter when they are spread over this level's steps
    const child = new SampleLevel(first, step, Math.max(n, 1), false, parent.steps > 1)
    this.level = child
    let v: EvalValue
    try {
      v = n > 0 ? await this.eval(sq.expr, inner) : {type: 'vector' as const, series: []}
    } finally {
      this.level = parent
    }
    if (asArgument) parent.mergeReadFrom(child, offset, sqRange)
    else {
      parent.addTotal(parent.steps - 1, child.total)
      parent.mergeReadFrom(child, 0, 0)
    }
    const series: RangeInput[] = []
    let points = 0
    if (v.type === 'scalar') {
      series.push(materialized({labels: [], ts: inner, vs: v.vals}))
      points += n
    } else if (v.type === 'vector') {
      // with delayed name removal the names stay, marked (runSubquery does not clean up)
      const delayed = this.delayedNameRemoval
      const finished = delayed ? v.series : this.finish(v.series)
      for (let k = 0; k < finished.length; k++) {
        const s = finished[k]!
        const name = v.series[k]!.labels.find((l) => l.name === METRIC_NAME)?.value
        const ts: number[] = []
        const vals: number[] = []
        const hs: (FloatHistogram | undefined)[] | undefined = s.hists ? [] : undefined
        for (let i = 0; i < n; i++) {
          if (!s.has[i]) continue
          ts.push(inner[i]!)
          vals.push(s.vals[i]!)
          if (hs) hs.push(subqueryHistogram(s.hists![i]))
        }
        // held as the subquery's result (Matrix.TotalSamples), histograms by size
        points += hs ? windowCount(sampleWeights(hs, hs.length), 0, hs.length) : ts.length
        const raw: RawSeries = {labels: s.labels, ts: Float64Array.from(ts), vs: Float64Array.from(vals)}
        if (hs) raw.hs = hs
        series.push(materialized(raw, name ?? '', delayed && this.dropName.has(s)))
      }
    }
    // the points are held already: the evaluation of the subquery's expression left them held
    return {series, range: sqRange, offset, at: this.fixedAt(sq.timestamp, sq.startOrEnd), subqueryPoints: points}
  }

  /** Applies a range kernel over every step's window. */
  applyRangeKernel(src: RangeSource, times: Float64Array, name: string, params: Float64Array[], call?: Call): StepSeries[] {
    if (src.mode) return this.applyExtendedKernel(src, times, name, call)
    const argPos = rangeArgPos(call?.args[0])
    const checkQuantile = name === 'quantile_over_time' && call !== undefined
    const kernel = RANGE_KERNELS[name]
    if (!kernel) throw new ExecutionError(`function "${name}" is not supported yet`)
    const out: StepSeries[] = []
    const p: number[] = new Array<number>(params.length).fill(0)
    const w: RangeWindow = {ts: new Float64Array(0), vs: new Float64Array(0), st: undefined, from: 0, to: 0, rangeStart: 0, rangeEnd: 0, evalTime: 0, range: src.range, stOverlap: false}
    // samples read: a window's samples once (later steps read only what is new), not for a subquery's points
    const countRead = src.subqueryPoints === undefined
    for (const rs of src.series) {
      this.checkDeadline()
      const s = rs.read()
      const n = times.length
      const vals = new Float64Array(n)
      const has = new Uint8Array(n)
      let points = 0
      // Floats only (no sample weighs more than one): the windows are counted in the loop
      // below, from the bounds it finds anyway, instead of by a pass of their own.
      const fused = s.held === undefined && s.hs === undefined
      const windows = fused ? {max: 0, last: 0} : this.countRangeWindows(src, times, s, countRead)
      const level = this.level
      w.ts = s.ts
      w.vs = s.vs
      w.st = s.st
      for (let i = 0; i < n; i++) {
        const evalT = src.at ?? times[i]!
        const end = evalT - src.offset
        const start = end - src.range
        // window (start, end]: binary searches keep this O(log n) per step even with @
        const from = upperBound(s.ts, start)
        const to = upperBound(s.ts, end)
        if (fused) {
          // countRangeWindows, step for step
          const c = to > from ? to - from : 0
          windows.last = c
          if (c > 0) {
            if (c > windows.max) windows.max = c
            level.addTotal(i, c)
            if (countRead && (i === 0 || src.at === undefined)) level.addRead(i, i === 0 ? c : to - upperBound(s.ts, Math.max(start, end - level.interval)))
          }
        }
        if (to <= from) continue
        w.from = from
        w.to = to
        w.rangeStart = start
        w.rangeEnd = end
        w.evalTime = times[i]!
        for (let j = 0; j < params.length; j++) p[j] = params[j]![i]!
        w.stOverlap = false
        const v = kernel(w, p)
        // functions.go: once per series and step window, where the kernel saw the overlap
        if (w.stOverlap) this.annotate(startTimeOverlapWarning(metricNameOf(rs), argPos))
        // functions.go funcQuantileOverTime: for every window with samples
        if (checkQuantile && !(p[0]! >= 0 && p[0]! <= 1)) this.annotate(invalidQuantileWarning(p[0]!, unwrapParens(call.args[0]!).posRange))
        if (v === undefined) continue
        vals[i] = v
        has[i] = 1
        points++
      }
      // each window is held beside everything else while it is worked on, the last one still
      // while the series' results are added (engine.go, the matrix argument loop of a Call)
      this.holdRangeResults(windows, points)
      if (points === 0) continue
      this.counterInfo(name, rs, argPos)
      const res: StepSeries = {labels: s.labels, vals, has}
      out.push(KEEP_NAME_FUNCTIONS.has(name) && !rs.dropName ? res : this.markDropName(res))
    }
    return out
  }

  /**
   * rate and increase over a series without a counter's name suffix: an info, once the series
   * has a result (engine.go, after the matrix function's steps; not with the type-and-unit
   * labels feature, whose __type__ check the engine does not make).
   */
  private counterInfo(name: string, rs: RangeInput, pos: PositionRange): void {
    if (name !== 'rate' && name !== 'increase') return
    const metric = metricNameOf(rs)
    if (metric !== '' && !COUNTER_SUFFIXES.some((x) => metric.endsWith(x))) this.annotate(possibleNonCounterInfo(metric, pos))
  }

  /**
   * `anchored` and `smoothed` range selectors (Prometheus 3 extended range selectors, the
   * PROM-52 proposal): no extrapolation. Each step's window reaches back by the lookback delta
   * before the range start (smoothed: also after its end), as Prometheus selects it; the
   * kernels in functions/extended-range.ts (floats, changes/resets) and
   * engine/extended-histogram.ts (windows with histograms) pick the boundary samples from there.
   */
  private applyExtendedKernel(src: RangeSource, times: Float64Array, name: string, call?: Call): StepSeries[] {
    const supported = src.mode === 'anchored' ? ['changes', 'delta', 'increase', 'rate', 'resets'] : ['delta', 'increase', 'rate']
    if (!supported.includes(name)) throw new ExecutionError(`${src.mode} modifier can only be used with: ${supported.join(', ')} - not with ${name}`)
    const lookback = this.ctx.lookbackDelta
    const smoothed = src.mode === 'smoothed'
    const out: StepSeries[] = []
    const pos = rangeArgPos(call?.args[0])
    const issues = (rs: RangeInput): HistogramIssues => ({metricName: metricNameOf(rs), pos, add: (a) => this.annotate(a)})
    for (const rs of src.series) {
      this.checkDeadline()
      const s = rs.read()
      const n = times.length
      const vals = new Float64Array(n)
      const has = new Uint8Array(n)
      let any = false
      let floats = false
      let hists: (FloatHistogram | undefined)[] | undefined
      const hIssues = s.hs ? issues(rs) : undefined
      let points = 0
      const windows = this.countRangeWindows(src, times, s, true, lookback, smoothed)
      for (let i = 0; i < n; i++) {
        const end = (src.at ?? times[i]!) - src.offset
        const start = end - src.range
        // the window Prometheus selects: (start - lookback, end (+ lookback when smoothed)]
        const from = upperBound(s.ts, start - lookback)
        const to = upperBound(s.ts, smoothed ? end + lookback : end)
        if (to <= from) continue
        let v: number | FloatHistogram | undefined
        if (name === 'changes' || name === 'resets') v = anchoredChangesOrResets(s.ts, s.vs, s.st, from, to, start, name === 'resets', s.hs)
        else if (s.hs && windowHasHistogram(s.hs, from, to)) v = extendedRateWithHistograms(s, from, to, start, end, src.range, smoothed, name, hIssues!)
        else {
          v = extendedRate(s.ts, s.vs, from, to, start, end, smoothed, name !== 'delta')
          if (v !== undefined && name === 'rate') v /= src.range / 1000
        }
        if (v === undefined) continue
        if (typeof v === 'number') {
          vals[i] = v
          floats = true
        } else {
          vals[i] = Number.NaN
          ;(hists ??= new Array<FloatHistogram | undefined>(n))[i] = v
        }
        has[i] = 1
        any = true
        points += typeof v === 'number' ? 1 : histogramPointSize(v)
      }
      this.holdRangeResults(windows, points)
      if (!any) continue
      // engine.go: the non-counter info looks at float results only
      if (floats) this.counterInfo(name, rs, rangeArgPos(call?.args[0]))
      out.push(this.markDropName(hists ? {labels: s.labels, vals, has, hists} : {labels: s.labels, vals, has}))
    }
    return out
  }

  private async evalCall(c: Call, times: Float64Array): Promise<EvalValue> {
    const name = c.func.name
    const matrixArg = c.func.argTypes.indexOf('matrix')
    const n = times.length
    const before = this.cur
    if (matrixArg >= 0) {
      // a subquery argument is evaluated first, then the other arguments (engine.go Call); the
      // matrix selector's series are only selected here, read one at a time by the kernel
      const range = await this.evalRange(c.args[matrixArg]!, times, name)
      const params: Float64Array[] = []
      for (let i = 0; i < c.args.length; i++) {
        if (i === matrixArg) continue
        const v = await this.eval(c.args[i]!, times)
        if (v.type !== 'scalar') throw new ExecutionError(`expected a scalar argument to ${name}`)
        params.push(v.vals)
      }
      validateRangeParams(name, params)
      const mark = this.dropMark()
      if (HISTOGRAM_RANGE_FUNCTIONS.has(name) && !range.mode) {
        const series = this.sameLabelset(applyRangeWithHistograms(this, range, times, name, params, c), mark, true)
        if (range.subqueryPoints) this.cur -= range.subqueryPoints
        return {type: 'vector', series}
      }
      // anchored/smoothed windows take histograms as they are (applyExtendedKernel)
      const src = range.mode ? range : rangeWithoutHistograms(range, name, this, times, c)
      const applied =
        name === 'absent_over_time'
          ? absentSeries(src.series.length > 0 ? this.applyRangeKernel(src, times, 'count_over_time', []) : [], n, selectorOf(c.args[0]!))
          : this.applyRangeKernel(src, times, name, params, c)
      const series = this.sameLabelset(applied, mark, true)
      // the subquery's points are let go; the parameters stay held, as upstream leaves them
      if (src.subqueryPoints) this.cur -= src.subqueryPoints
      return {type: 'vector', series}
    }
    if (name === 'info') {
      // info.go: the base and info series stay held; each step gathers both, as rangeEval does
      const operands: EvalValue[] = []
      const v = await evalInfo(this, c, times, operands)
      this.rangeEvalHeld(this.cur, operands, v, n)
      return v
    }
    // engine.go: sorting is ineffective where results are ordered by labels; a step-invariant
    // subtree is evaluated over one step (evalStepInvariant), so it gives no warning, as upstream
    if (SORT_FUNCTIONS.has(name) && this.isRangeSpan(times)) this.annotate(sortInRangeQueryWarning(c.posRange))
    const args: EvalValue[] = []
    const sel = (name === 'timestamp' || name === 'start_timestamp') && c.args[0] && unwrapParens(c.args[0])
    if (sel && sel.kind === 'VectorSelector' && sel.smoothed) this.unsmoothed.add(sel)
    if (sel && sel.kind === 'VectorSelector') this.countedAsOne.add(sel)
    for (const a of c.args) args.push(await this.eval(a, times))
    const hv = callHistogramFunction(this, c, args, times)
    const transparent = HISTOGRAM_TRANSPARENT_FUNCTIONS.has(name)
    // timestamp(), start_timestamp() and absent() read when (whether) there is a sample, whatever its type
    const presence = name === 'timestamp' || name === 'start_timestamp' || name === 'absent'
    const fnArgs = presence ? args.map((a): EvalValue => (a.type === 'vector' ? {type: 'vector', series: presenceOnly(this, a.series)} : a)) : transparent ? args : args.map((a) => withoutHistograms(this, a))
    const mark = this.dropMark()
    const v = sameLabelsetOf(this, hv ?? callInstantFunction(this, c, fnArgs, times), mark)
    // label_replace and label_join pass their argument's samples on as they are
    if (name === 'label_replace' || name === 'label_join') return v
    const arg0 = c.args[0] && unwrapParens(c.args[0])
    if ((name === 'timestamp' || name === 'start_timestamp') && arg0?.kind === 'VectorSelector') {
      // over a selector, each step counts the samples it looks at itself: nothing is held before
      const seen = new Int32Array(n)
      addPresence(seen, args[0]!)
      this.cur = before
      this.rangeEvalHeld(before, [], v, n, seen)
      return v
    }
    this.rangeEvalHeld(before, args, v, n)
    return v
  }
}

function withoutMetadata(ls: Labels): Labels {
  return ls.filter((l) => l.name !== METRIC_NAME && l.name !== '__type__' && l.name !== '__unit__')
}

/**
 * Series of a matrix result that equal label sets make one (engine.go mergeSeriesWithSameLabelset):
 * their samples in time order, two at the same time an error.
 */
function mergeRawSameLabelset(series: RawSeries[]): RawSeries[] {
  const byKey = new Map<string, RawSeries[]>()
  for (const s of series) {
    const k = labelsKey(s.labels)
    const list = byKey.get(k)
    if (list) list.push(s)
    else byKey.set(k, [s])
  }
  const out: RawSeries[] = []
  for (const list of byKey.values()) {
    if (list.length === 1) {
      out.push(list[0]!)
      continue
    }
    const points: {t: number; v: number; h: FloatHistogram | undefined}[] = []
    for (const s of list) for (let i = 0; i < s.ts.length; i++) points.push({t: s.ts[i]!, v: s.vs[i]!, h: s.hs?.[i]})
    points.sort((a, b) => a.t - b.t)
    for (let i = 1; i < points.length; i++) if (points[i]!.t === points[i - 1]!.t) throw new ExecutionError('vector cannot contain metrics with the same labelset')
    const r: RawSeries = {labels: list[0]!.labels, ts: Float64Array.from(points, (p) => p.t), vs: Float64Array.from(points, (p) => p.v)}
    if (list.some((s) => s.hs)) r.hs = points.map((p) => p.h)
    out.push(r)
  }
  return out
}

function sameLabelsetOf(ev: Evaluator, v: EvalValue, mark: number): EvalValue {
  return v.type === 'vector' ? {type: 'vector', series: ev.sameLabelset(v.series, mark)} : v
}

/**
 * Series with equal label sets as one (rangeEval's output series by label hash): an error where
 * two have a sample at the same step, or, `strict`, at all.
 */
function mergeSameLabelset(series: StepSeries[], strict: boolean): StepSeries[] {
  // Series mostly come in label order (a selector's do) and dropping the name from all keeps
  // them in order and apart: one pass over neighbours shows there is nothing to merge.
  if (inStrictLabelOrder(series)) return series
  const byKey = new Map<string, number>()
  const out: StepSeries[] = []
  for (const s of series) {
    const k = labelsKey(s.labels)
    const at = byKey.get(k)
    if (at === undefined) {
      byKey.set(k, out.length)
      out.push(s)
      continue
    }
    if (strict) throw new ExecutionError('vector cannot contain metrics with the same labelset')
    const m = out[at]!
    const merged: StepSeries = {labels: m.labels, vals: m.vals.slice(), has: m.has.slice()}
    if (m.sampleTs || s.sampleTs) merged.sampleTs = m.sampleTs?.slice() ?? new Float64Array(m.has.length)
    if (m.sampleSt || s.sampleSt) merged.sampleSt = m.sampleSt?.slice() ?? new Float64Array(m.has.length)
    if (m.hists || s.hists) merged.hists = m.hists?.slice() ?? new Array<FloatHistogram | undefined>(m.has.length)
    for (let i = 0; i < s.has.length; i++) {
      if (!s.has[i]) continue
      if (merged.has[i]) throw new ExecutionError('vector cannot contain metrics with the same labelset')
      merged.has[i] = 1
      merged.vals[i] = s.vals[i]!
      if (merged.sampleTs) merged.sampleTs[i] = s.sampleTs?.[i] ?? 0
      if (merged.sampleSt) merged.sampleSt[i] = s.sampleSt?.[i] ?? 0
      if (merged.hists) merged.hists[i] = s.hists?.[i]
    }
    out[at] = merged
  }
  return out
}

/**
 * Adds a value's samples at each step (a scalar has one at every step); `sized`: a histogram
 * as a step's result vector counts it (histogramSampleSize), otherwise one.
 */
function addPresence(into: Int32Array, v: EvalValue, sized = false): void {
  if (v.type === 'scalar') {
    for (let i = 0; i < into.length; i++) into[i]!++
  } else if (v.type === 'vector') {
    for (const s of v.series) {
      const hs = sized ? s.hists : undefined
      for (let i = 0; i < into.length; i++) {
        if (!s.has[i]) continue
        const h = hs?.[i]
        into[i]! += h === undefined ? 1 : histogramSampleSize(h)
      }
    }
  }
}

/** A value's samples over all steps, histograms by their point size (Matrix.TotalSamples). */
function presenceTotal(v: EvalValue): number {
  if (v.type === 'scalar') return v.vals.length
  if (v.type !== 'vector') return 0
  let n = 0
  for (const s of v.series) {
    const hs = s.hists
    for (let i = 0; i < s.has.length; i++) {
      if (!s.has[i]) continue
      const h = hs?.[i]
      n += h === undefined ? 1 : histogramPointSize(h)
    }
  }
  return n
}

export function selectorOf(e: Expr): VectorSelector | undefined {
  if (e.kind === 'VectorSelector') return e
  if (e.kind === 'MatrixSelector') return e.vectorSelector
  if (e.kind === 'ParenExpr') return selectorOf(e.expr)
  return undefined
}

/** absent()/absent_over_time(): 1 at steps where the input has no series, labels from `=` matchers. */
export function absentSeries(input: StepSeries[], n: number, vs: VectorSelector | undefined): StepSeries[] {
  const has = new Uint8Array(n).fill(1)
  for (const s of input) for (let i = 0; i < n; i++) if (s.has[i]) has[i] = 0
  if (!has.includes(1)) return []
  const ls: Label[] = []
  const seen = new Set<string>()
  const dup = new Set<string>()
  for (const m of vs?.labelMatchers ?? []) {
    if (m.name === METRIC_NAME) continue
    if (seen.has(m.name)) dup.add(m.name)
    seen.add(m.name)
    if (m.type === MatchType.EQ) ls.push({name: m.name, value: m.value})
  }
  const labels = sortLabels(ls.filter((l) => !dup.has(l.name)))
  return [{labels, vals: new Float64Array(n).fill(1), has}]
}

function validateRangeParams(name: string, params: Float64Array[]): void {
  if (name === 'double_exponential_smoothing') {
    const [sf, tf] = params
    for (let i = 0; i < (sf?.length ?? 0); i++) {
      if (!(sf![i]! > 0 && sf![i]! < 1)) throw new ExecutionError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf![i]}`)
      if (!(tf![i]! > 0 && tf![i]! < 1)) throw new ExecutionError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf![i]}`)
    }
  }
}

/** [min, max] of evaluation times (not monotonic with @). */
function span(times: Float64Array): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (const t of times) {
    if (t < lo) lo = t
    if (t > hi) hi = t
  }
  return [lo, hi]
}

/** First index with a[i] > x. */
export function upperBound(a: Float64Array, x: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (a[mid]! <= x) lo = mid + 1
    else hi = mid
  }
  return lo
}

function tooManySamples(): ExecutionError {
  return new ExecutionError('query processing would load too many samples into memory in query execution')
}

export function signatureKey(ls: Labels): string {
  return labelsKey(ls)
}
