/**
 * The PromQL engine API: instant and range queries over any Queryable, with Prometheus 3
 * semantics (left-open windows, 5m lookback, staleness, @ and offset, subqueries aligned to
 * absolute multiples of their step), a max-samples guard, a timeout and AbortSignal.
 */
import {BadDataError, CanceledError, ExecutionError, TimeoutError} from '../../errors.js'
import type {FloatHistogram} from '../../histogram/float-histogram.js'
import {compareLabels, labelsKey, type Labels} from '../../labels/labels.js'
import type {Logger} from '../../log.js'
import {exprType, type Expr} from '../parser/ast.js'
import {parseExpr} from '../parser/parser.js'
import type {Queryable} from '../queryable.js'
import {ALLOCATION_CAP, Evaluator} from './evaluator.js'
import {samplesStats, type QueryStats} from './sample-stats.js'
import {stepInvariantNodes} from './step-invariant.js'
import {histogramStatsSelectors} from './histogram-stats.js'
import type {QueryResult, QueryValue, RangeSeries} from './types.js'

export type {QueryResult, QueryValue, InstantSample, RangeSeries} from './types.js'
export type {QueryStats} from './sample-stats.js'

export interface EngineOptions {
  /** ms, default 5m */
  lookbackDelta?: number
  /** default 50e6, as Prometheus's --query.max-samples */
  maxSamples?: number
  /** ms, default 2m */
  timeout?: number
  /** default step of subqueries without one, ms (Prometheus: the global evaluation interval, 1m) */
  subqueryStep?: number
  /** Prometheus's --enable-feature=promql-per-step-stats: per-step sample counts for queries that ask (stats=all) */
  enablePerStepStats?: boolean
  /**
   * Prometheus 3's --enable-feature=promql-delayed-name-removal (EngineOpts.EnableDelayedNameRemoval,
   * default off; promqltest runs with it): __name__ is removed at the end of the query, so
   * functions reading labels still see it. Off, it goes where a function or operator drops it.
   */
  enableDelayedNameRemoval?: boolean
  logger?: Logger
}

export interface QueryOptions {
  signal?: AbortSignal
  lookbackDelta?: number
  /**
   * The query's text when the query is given parsed: annotations print the position of what
   * caused them in it (without it, they print none).
   */
  query?: string
  /** stats=all: per-step sample counts, when the engine enables them */
  perStepStats?: boolean
  /**
   * The request's own timeout in ms (the API's `timeout`), at most the engine's. Zero or less
   * is a deadline that has passed: the query times out before it starts, as Prometheus's
   * engine finds its context done at "expression evaluation".
   */
  timeout?: number
}

/**
 * A range query's expression must be a scalar or an instant vector (engine.go NewRangeQuery).
 * @throws BadDataError with Prometheus's message (the HTTP API prefixes it with the parameter).
 */
export function checkRangeQueryType(expr: Expr): void {
  const ty = exprType(expr)
  if (ty !== 'scalar' && ty !== 'vector') throw new BadDataError(`invalid expression type "${ty === 'matrix' ? 'range vector' : ty}" for range query, must be Scalar or instant Vector`)
}

export class Engine {
  constructor(private readonly opts: EngineOptions = {}) {}

  instantQuery(q: Queryable, query: string | Expr, time: number, opts: QueryOptions = {}): Promise<QueryResult> {
    return this.run(q, query, time, time, 0, opts, true)
  }

  rangeQuery(q: Queryable, query: string | Expr, start: number, end: number, step: number, opts: QueryOptions = {}): Promise<QueryResult> {
    if (step <= 0) throw new ExecutionError('zero or negative query resolution step widths are not accepted. Try a positive integer')
    return this.run(q, query, start, end, step, opts, false)
  }

  private async run(q: Queryable, query: string | Expr, start: number, end: number, step: number, opts: QueryOptions, instant: boolean): Promise<QueryResult> {
    const started = performance.now()
    const expr = typeof query === 'string' ? parseExpr(query) : query
    const text = typeof query === 'string' ? query : (opts.query ?? '')
    if (!instant) checkRangeQueryType(expr)
    const timeout = Math.min(this.opts.timeout ?? 120_000, opts.timeout ?? Infinity)
    if (timeout <= 0) throw new TimeoutError('query timed out in expression evaluation')
    const timeoutSignal = AbortSignal.timeout(timeout)
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeoutSignal]) : timeoutSignal
    const n = instant ? 1 : Math.floor((end - start) / step) + 1
    const maxSamples = this.opts.maxSamples ?? 50_000_000
    // every series of the result would need one slot per step: refuse before allocating
    // (Prometheus's HTTP API caps steps at 11,000 first; this guards direct engine use)
    if (n > Math.max(maxSamples, ALLOCATION_CAP)) throw new ExecutionError(TOO_MANY_SAMPLES)
    const times = new Float64Array(n)
    for (let i = 0; i < n; i++) times[i] = start + i * step
    const ev = new Evaluator({
      queryable: q,
      querier: q.querier(Number.MIN_SAFE_INTEGER, end),
      start,
      end,
      step,
      lookbackDelta: opts.lookbackDelta ?? this.opts.lookbackDelta ?? 300_000,
      maxSamples,
      subqueryStep: this.opts.subqueryStep ?? 60_000,
      signal,
      deadline: started + timeout,
      invariant: stepInvariantNodes(expr),
      statsSelectors: histogramStatsSelectors(expr),
      perStepStats: (this.opts.enablePerStepStats ?? false) && (opts.perStepStats ?? false),
      delayedNameRemoval: this.opts.enableDelayedNameRemoval ?? false,
    })
    // sort() warns where the evaluator's start and end differ, as engine.go (a one-step range too)
    ev.setSpan(times, start !== end)
    try {
      const timings = {evalTotalTime: 0, resultSortTime: 0, queryPreparationTime: 0, innerEvalTime: 0, execQueueTime: 0, execTotalTime: 0}
      const value = await this.evaluate(ev, expr, times, instant, timings)
      const done = performance.now()
      timings.evalTotalTime = timings.execTotalTime = (done - started) / 1000
      const stats: QueryStats = {timings, samples: samplesStats(ev.level, ev.peak)}
      return {value, ...ev.annotations.strings(text), annotations: ev.annotations.all(), stats}
    } catch (e) {
      if (timeoutSignal.aborted) throw new TimeoutError('query timed out in expression evaluation')
      if (opts.signal?.aborted) throw new CanceledError('query was canceled in expression evaluation')
      // a typed array too large to allocate: the query needs too much memory, never a crash or a 500
      if (e instanceof RangeError && /allocation failed|invalid (typed )?array length/i.test(e.message)) throw new ExecutionError(TOO_MANY_SAMPLES)
      throw e
    }
  }

  private async evaluate(ev: Evaluator, expr: Expr, times: Float64Array, instant: boolean, timings: QueryStats['timings']): Promise<QueryValue> {
    const t0 = times[0]!
    const prepared = performance.now()
    // preparation: the selections start (Prometheus's populateSeries selects them all up front)
    ev.prefetch(expr, times)
    const evalStart = performance.now()
    timings.queryPreparationTime = (evalStart - prepared) / 1000
    const sorted = <T>(f: () => T): T => {
      const t = performance.now()
      const out = f()
      timings.resultSortTime = (performance.now() - t) / 1000
      return out
    }
    if (instant && exprType(expr) === 'matrix') {
      const series = await ev.evalMatrixResult(expr, times)
      timings.innerEvalTime = (performance.now() - evalStart) / 1000
      return {type: 'matrix', series: sorted(() => series.filter((s) => s.ts.length > 0).sort((a, b) => cmp(a.labels, b.labels)))}
    }
    const v = await ev.eval(expr, times)
    timings.innerEvalTime = (performance.now() - evalStart) / 1000
    if (v.type === 'string') return {type: 'string', t: t0, v: v.v}
    if (v.type === 'scalar') {
      if (instant) return {type: 'scalar', t: t0, v: v.vals[0]!}
      return {type: 'matrix', series: [{labels: [], ts: times.slice(), vs: v.vals.slice()}]}
    }
    const series = ev.finish(v.series)
    if (instant) {
      return {
        type: 'vector',
        samples: series
          .filter((s) => s.has[0])
          .map((s) => {
            const h = s.hists?.[0]
            return h ? {labels: s.labels, t: t0, v: s.vals[0]!, h} : {labels: s.labels, t: t0, v: s.vals[0]!}
          }),
      }
    }
    // series that ended up with the same labels (e.g. after delayed name removal) are one series
    // when their steps do not overlap (finish() has rejected overlapping ones)
    const merged = new Map<string, {labels: Labels; vals: Float64Array; has: Uint8Array; hists?: (FloatHistogram | undefined)[]}>()
    for (const s of series) {
      const key = labelsKey(s.labels)
      const m = merged.get(key)
      if (!m) {
        merged.set(key, {labels: s.labels, vals: s.vals, has: s.has, hists: s.hists})
        continue
      }
      const vals = m.vals.slice()
      const has = m.has.slice()
      const hists = m.hists || s.hists ? (m.hists?.slice() ?? new Array<FloatHistogram | undefined>(times.length)) : undefined
      for (let i = 0; i < times.length; i++) {
        if (!s.has[i]) continue
        if (has[i]) throw new ExecutionError('vector cannot contain metrics with the same labelset')
        has[i] = 1
        vals[i] = s.vals[i]!
        if (hists) hists[i] = s.hists?.[i]
      }
      merged.set(key, {labels: m.labels, vals, has, hists})
    }
    const out: RangeSeries[] = []
    for (const s of merged.values()) {
      let n = 0
      for (let i = 0; i < times.length; i++) if (s.has[i]) n++
      if (n === 0) continue
      const ts = new Float64Array(n)
      const vs = new Float64Array(n)
      const hs = s.hists ? new Array<FloatHistogram | undefined>(n) : undefined
      let j = 0
      for (let i = 0; i < times.length; i++) {
        if (!s.has[i]) continue
        ts[j] = times[i]!
        if (hs) hs[j] = s.hists![i]
        vs[j++] = s.vals[i]!
      }
      out.push(hs ? {labels: s.labels, ts, vs, hs} : {labels: s.labels, ts, vs})
    }
    return {type: 'matrix', series: sorted(() => out.sort((a, b) => cmp(a.labels, b.labels)))}
  }
}

const TOO_MANY_SAMPLES = 'query processing would load too many samples into memory in query execution'

function cmp(a: Labels, b: Labels): number {
  return compareLabels(a, b)
}
