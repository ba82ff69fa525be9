/**
 * Step-batched evaluation of the AST. Each node evaluates for an array of step timestamps at
 * once. Selectors read their series once per evaluation through the Querier, into typed
 * arrays, with stale markers recorded out of band (see chunkenc/value.ts on why).
 */
import {ExecutionError} from '../../errors.js'
import {labelsKey, METRIC_NAME, sortLabels, type Label, type Labels} from '../../labels/labels.js'
import {MatchType} from '../../labels/matcher.js'
import {children, type Call, type Expr, type MatrixSelector, type SubqueryExpr, type VectorSelector} from '../parser/ast.js'
import {iteratorToBlock} from '../block-iterator.js'
import type {Querier, Queryable, SampleBlock, Series, SeriesSet} from '../queryable.js'
import {anchoredChangesOrResets, extendedRate} from '../functions/extended-range.js'
import {RANGE_KERNELS, type RangeWindow} from '../functions/range-kernels.js'
import {evalBinary} from './binary.js'
import {evalInfo} from './info.js'
import {callInstantFunction, KEEP_NAME_FUNCTIONS} from './instant-functions.js'
import {applyRangeWithHistograms, evalAggregateWithHistograms, presenceOnly, negateHistograms, rangeWithoutHistograms, subqueryHistogram, withHistogramBinary, withoutHistograms} from './histogram-eval.js'
import {callHistogramFunction, HISTOGRAM_RANGE_FUNCTIONS, HISTOGRAM_TRANSPARENT_FUNCTIONS} from './histogram-ops.js'
import type {EvalValue, RawSeries, StepSeries} from './types.js'
import type {FloatHistogram} from '../../histogram/float-histogram.js'

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
}

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
}

/** One series of a RangeSource; see there. */
export interface RangeInput {
  readonly labels: Labels
  /** Samples without stale markers (range functions never see them). */
  read(): RawSeries
}

/** A range source series over arrays that are already there (subqueries). */
function materialized(s: RawSeries): RangeInput {
  return {labels: s.labels, read: () => s}
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
  readonly warnings: string[] = []
  readonly infos: string[] = []
  /**
   * Samples the query holds (Prometheus's currentSamples, checked against --query.max-samples):
   * the points selectors, range functions and subqueries produce. A series' raw samples are
   * held only while that series is processed (they are checked, not added), as upstream.
   */
  private samplesHeld = 0
  /** series whose metric name must be dropped at the end (Prometheus 3 delayed name removal) */
  private readonly dropName = new WeakSet<StepSeries>()

  constructor(readonly ctx: EvalContext) {}

  markDropName(s: StepSeries): StepSeries {
    this.dropName.add(s)
    return s
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
    this.samplesHeld += n
    if (this.samplesHeld > this.ctx.maxSamples) throw tooManySamples()
  }

  /** Checks that n more samples, held only for a while, fit beside what the query holds. */
  private checkHeldWith(n: number): void {
    if (this.samplesHeld + n > this.ctx.maxSamples) throw tooManySamples()
  }

  /** Refuses a step count no series could be evaluated over within max samples, before allocating for it. */
  checkSteps(n: number): void {
    if (n > this.ctx.maxSamples) throw tooManySamples()
  }

  /** The series of a selector, not yet decoded (a prefetched selection when prefetch() started it). */
  async selectSeries(vs: VectorSelector, mint: number, maxt: number, hints: {range?: number; func?: string}): Promise<Series[]> {
    this.checkAbort()
    const set = await (this.takePrefetched(vs, mint, maxt, hints) ?? this.startSelect(vs, mint, maxt, hints))
    for (const w of set.warnings) if (!this.warnings.includes(w)) this.warnings.push(w)
    return set.series
  }

  private startSelect(vs: VectorSelector, mint: number, maxt: number, hints: {range?: number; func?: string}): Promise<SeriesSet> {
    return this.ctx.querier.select(vs.labelMatchers, {start: mint, end: maxt, step: this.ctx.step, range: hints.range, func: hints.func}, this.ctx.signal)
  }

  private readonly prefetched = new Map<VectorSelector, Prefetched[]>()

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

  /** Decodes one series' samples in [mint, maxt] into `scratch`, counting them against max samples. */
  private readSeries(scratch: SampleScratch, s: Series, mint: number, maxt: number): SampleBlock {
    const limit = this.ctx.maxSamples - this.samplesHeld
    const b = scratch.read(s, mint, maxt, limit)
    this.checkHeldWith(b.ts.length)
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
    switch (e.kind) {
      case 'NumberLiteral':
        return {type: 'scalar', vals: new Float64Array(times.length).fill(e.val)}
      case 'StringLiteral':
        return {type: 'string', v: e.val}
      case 'ParenExpr':
      case 'StepInvariantExpr':
        return this.eval(e.expr, times)
      case 'UnaryExpr': {
        const v = await this.eval(e.expr, times)
        if (e.op === '+') return v
        if (v.type === 'scalar') return {type: 'scalar', vals: v.vals.map((x) => -x)}
        if (v.type === 'vector') return {type: 'vector', series: v.series.map((s) => this.markDropName(negateHistograms(s, {labels: s.labels, vals: s.vals.map((x) => -x), has: s.has})))}
        return v
      }
      case 'VectorSelector':
        return this.evalVectorSelector(e, times)
      case 'BinaryExpr': {
        const [l, r] = [await this.eval(e.lhs, times), await this.eval(e.rhs, times)]
        // and/or/unless only test presence: histograms go through them (engine.go VectorAnd/Or/Unless)
        const setOp = e.op === 'and' || e.op === 'or' || e.op === 'unless'
        const res = setOp ? evalBinary(this, e, l, r, times.length) : evalBinary(this, e, withoutHistograms(this, l), withoutHistograms(this, r), times.length)
        return withHistogramBinary(this, e, l, r, res, times.length)
      }
      case 'AggregateExpr': {
        const inner = await this.eval(e.expr, times)
        const param = e.param ? await this.eval(e.param, times) : undefined
        if (inner.type !== 'vector') throw new ExecutionError('aggregation over a non-vector')
        return evalAggregateWithHistograms(this, e, inner.series, param, times.length)
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
    const {eff, lo, hi} = this.vectorSelectorRange(vs, times)
    const lookback = this.ctx.lookbackDelta
    const selected = await this.selectSeries(vs, lo, hi, {})
    const scratch = new SampleScratch()
    const out: StepSeries[] = []
    for (const sel of selected) {
      const s = this.readSeries(scratch, sel, lo, hi)
      const st = s.stale
      const n = eff.length
      const vals = new Float64Array(n)
      const has = new Uint8Array(n)
      const sampleTs = new Float64Array(n)
      const sts = s.st
      const sampleSt = sts ? new Float64Array(n) : undefined
      const shs = s.hs
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
        // `smoothed`: interpolate linearly to t from the samples around it
        const nx = idx + 1
        if (vs.smoothed && !shs && s.ts[idx]! < t && nx < s.ts.length && !st[nx] && s.ts[nx]! < t + lookback) {
          vals[i] = s.vs[idx]! + ((s.vs[nx]! - s.vs[idx]!) * (t - s.ts[idx]!)) / (s.ts[nx]! - s.ts[idx]!)
        }
        has[i] = 1
        sampleTs[i] = s.ts[idx]!
        if (sampleSt) sampleSt[i] = sts![idx]!
        any = true
      }
      if (any) {
        let points = 0
        for (let i = 0; i < n; i++) points += has[i]!
        this.hold(points)
        const res: StepSeries = {labels: sel.labels, vals, has, sampleTs, sampleSt}
        if (hists) res.hists = hists
        out.push(res)
      }
    }
    return {type: 'vector', series: out}
  }

  /** Raw samples of a range-vector expression (matrix selector or subquery). */
  async evalRange(e: Expr, times: Float64Array, func?: string): Promise<RangeSource> {
    if (e.kind === 'ParenExpr') return this.evalRange(e.expr, times, func)
    if (e.kind === 'MatrixSelector') return this.evalMatrixSelector(e, times, func)
    if (e.kind === 'SubqueryExpr') return this.evalSubquery(e, times)
    throw new ExecutionError(`expected a range vector, got ${e.kind}`)
  }

  private async evalMatrixSelector(m: MatrixSelector, times: Float64Array, func?: string): Promise<RangeSource> {
    const vs = m.vectorSelector
    const {lo, hi, range, offset, mode} = this.matrixSelectorRange(m, times)
    const selected = await this.selectSeries(vs, lo, hi, {range, func})
    const scratch = new SampleScratch()
    const series = selected.map((sel): RangeInput => ({
      labels: sel.labels,
      // range functions never see stale markers
      read: () => ({labels: sel.labels, ...withoutStale(this.readSeries(scratch, sel, lo, hi))}),
    }))
    return {series, range, offset, at: this.fixedAt(vs.timestamp, vs.startOrEnd), selector: vs, mode}
  }

  private fixedAt(ts: number | undefined, startOrEnd: 'start' | 'end' | undefined): number | undefined {
    return ts ?? (startOrEnd === 'start' ? this.ctx.start : startOrEnd === 'end' ? this.ctx.end : undefined)
  }

  private async evalSubquery(sq: SubqueryExpr, times: Float64Array): Promise<RangeSource> {
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
    const v = n > 0 ? await this.eval(sq.expr, inner) : {type: 'vector' as const, series: []}
    const series: RangeInput[] = []
    if (v.type === 'scalar') {
      series.push(materialized({labels: [], ts: inner, vs: v.vals}))
    } else if (v.type === 'vector') {
      for (const s of this.finish(v.series)) {
        const ts: number[] = []
        const vals: number[] = []
        const hs: (FloatHistogram | undefined)[] | undefined = s.hists ? [] : undefined
        for (let i = 0; i < n; i++) {
          if (!s.has[i]) continue
          ts.push(inner[i]!)
          vals.push(s.vals[i]!)
          if (hs) hs.push(subqueryHistogram(s.hists![i]))
        }
        this.hold(ts.length)
        const raw: RawSeries = {labels: s.labels, ts: Float64Array.from(ts), vs: Float64Array.from(vals)}
        if (hs) raw.hs = hs
        series.push(materialized(raw))
      }
    }
    return {series, range: sqRange, offset, at: this.fixedAt(sq.timestamp, sq.startOrEnd)}
  }

  /** Applies a range kernel over every step's window. */
  applyRangeKernel(src: RangeSource, times: Float64Array, name: string, params: Float64Array[]): StepSeries[] {
    if (src.mode) return this.applyExtendedKernel(src, times, name)
    const kernel = RANGE_KERNELS[name]
    if (!kernel) throw new ExecutionError(`function "${name}" is not supported yet`)
    const out: StepSeries[] = []
    const p: number[] = new Array<number>(params.length).fill(0)
    const w: RangeWindow = {ts: new Float64Array(0), vs: new Float64Array(0), st: undefined, from: 0, to: 0, rangeStart: 0, rangeEnd: 0, evalTime: 0, range: src.range}
    for (const rs of src.series) {
      const s = rs.read()
      const n = times.length
      const vals = new Float64Array(n)
      const has = new Uint8Array(n)
      let points = 0
      let window = 0
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
        if (to <= from) continue
        if (to - from > window) window = to - from
        w.from = from
        w.to = to
        w.rangeStart = start
        w.rangeEnd = end
        w.evalTime = times[i]!
        for (let j = 0; j < params.length; j++) p[j] = params[j]![i]!
        const v = kernel(w, p)
        if (v === undefined) continue
        vals[i] = v
        has[i] = 1
        points++
      }
      // the largest window is held beside everything else while this series is processed
      // (for a subquery's points, which are not decoded through readSeries, this is the check)
      this.checkHeldWith(window)
      if (points === 0) continue
      this.hold(points)
      const res: StepSeries = {labels: s.labels, vals, has}
      out.push(KEEP_NAME_FUNCTIONS.has(name) ? res : this.markDropName(res))
    }
    return out
  }

  /**
   * `anchored` and `smoothed` range selectors (Prometheus 3 extended range selectors, the
   * PROM-52 proposal): no extrapolation. Each step's window reaches back by the lookback delta
   * before the range start (smoothed: also after its end), as Prometheus selects it; the
   * kernels in functions/extended-range.ts pick the boundary samples from there.
   */
  private applyExtendedKernel(src: RangeSource, times: Float64Array, name: string): StepSeries[] {
    const supported = src.mode === 'anchored' ? ['changes', 'delta', 'increase', 'rate', 'resets'] : ['delta', 'increase', 'rate']
    if (!supported.includes(name)) throw new ExecutionError(`${src.mode} modifier can only be used with: ${supported.join(', ')} - not with ${name}`)
    const lookback = this.ctx.lookbackDelta
    const smoothed = src.mode === 'smoothed'
    const out: StepSeries[] = []
    for (const rs of src.series) {
      const s = rs.read()
      const n = times.length
      const vals = new Float64Array(n)
      const has = new Uint8Array(n)
      let any = false
      for (let i = 0; i < n; i++) {
        const end = (src.at ?? times[i]!) - src.offset
        const start = end - src.range
        // the window Prometheus selects: (start - lookback, end (+ lookback when smoothed)]
        const from = upperBound(s.ts, start - lookback)
        const to = upperBound(s.ts, smoothed ? end + lookback : end)
        if (to <= from) continue
        let v: number | undefined
        if (name === 'changes' || name === 'resets') v = anchoredChangesOrResets(s.ts, s.vs, s.st, from, to, start, name === 'resets')
        else {
          v = extendedRate(s.ts, s.vs, from, to, start, end, smoothed, name !== 'delta')
          if (v !== undefined && name === 'rate') v /= src.range / 1000
        }
        if (v === undefined) continue
        vals[i] = v
        has[i] = 1
        any = true
      }
      if (any) out.push(this.markDropName({labels: s.labels, vals, has}))
    }
    return out
  }

  private async evalCall(c: Call, times: Float64Array): Promise<EvalValue> {
    const name = c.func.name
    const matrixArg = c.func.argTypes.indexOf('matrix')
    if (matrixArg >= 0) {
      const params: Float64Array[] = []
      for (let i = 0; i < c.args.length; i++) {
        if (i === matrixArg) continue
        const v = await this.eval(c.args[i]!, times)
        if (v.type !== 'scalar') throw new ExecutionError(`expected a scalar argument to ${name}`)
        params.push(v.vals)
      }
      validateRangeParams(name, params)
      const range = await this.evalRange(c.args[matrixArg]!, times, name)
      if (HISTOGRAM_RANGE_FUNCTIONS.has(name) && !range.mode) return {type: 'vector', series: applyRangeWithHistograms(this, range, times, name, params)}
      const src = rangeWithoutHistograms(range, name)
      if (name === 'absent_over_time') return {type: 'vector', series: absentSeries(src.series.length > 0 ? this.applyRangeKernel(src, times, 'count_over_time', []) : [], times.length, selectorOf(c.args[0]!))}
      return {type: 'vector', series: this.applyRangeKernel(src, times, name, params)}
    }
    if (name === 'info') return evalInfo(this, c, times)
    const args: EvalValue[] = []
    for (const a of c.args) args.push(await this.eval(a, times))
    const hv = callHistogramFunction(this, c, args, times)
    if (hv) return hv
    const transparent = HISTOGRAM_TRANSPARENT_FUNCTIONS.has(name)
    // timestamp() and absent() read when (whether) there is a sample, whatever its type
    if (name === 'timestamp' || name === 'absent') return callInstantFunction(this, c, args.map((a) => (a.type === 'vector' ? {type: 'vector', series: presenceOnly(this, a.series)} : a)), times)
    return callInstantFunction(this, c, transparent ? args : args.map((a) => withoutHistograms(this, a)), times)
  }
}

function selectorOf(e: Expr): VectorSelector | undefined {
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
