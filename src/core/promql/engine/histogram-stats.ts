/**
 * Histogram statistics decoding (promql/engine.go detectHistogramStatsDecoding,
 * promql/histogram_stats_iterator.go). Below histogram_count, histogram_sum and histogram_avg
 * Prometheus reads a selector's histograms through a HistogramStatsIterator: each histogram
 * keeps only its count, sum, schema and counter-reset hint, and an Unknown hint is replaced on
 * the fly by CounterReset or NotCounterReset from DetectReset against the histogram the same
 * iterator read before (in full). Those explicit hints reach the operations above, e.g. the
 * warning about conflicting counter resets in sum(), which the hints from chunks alone never
 * give (a chunk cut at a reset starts with an Unknown hint).
 *
 * Which histogram is "the one read before" follows the engine's iterators: a step reads the
 * series from its window's start (T - lookback for an instant vector, T - range for a range;
 * both inclusive) up to T, continuing where the previous step stopped; only where a window
 * starts after the iterator's position does it seek, and a seek forgets the previous
 * histogram. Float samples and stale markers are passed over without being compared.
 */
import {FloatHistogram} from '../../histogram/float-histogram.js'
import {CounterResetHint} from '../../histogram/schema.js'
import {inspect, type Expr, type VectorSelector} from '../parser/ast.js'

const STATS_FUNCTIONS = new Set(['histogram_count', 'histogram_sum', 'histogram_avg'])
const BUCKET_FUNCTIONS = new Set(['histogram_quantile', 'histogram_quantiles', 'histogram_fraction'])
/** The bucket-trimming operators (engine.go TRIM_UPPER, TRIM_LOWER) need the buckets. */
const TRIM_OPERATORS = new Set(['</', '>/'])

/**
 * The vector selectors of `top` read as statistics: those with histogram_count/sum/avg above
 * them and, between the selector and the nearest such call, no subquery (whose counter-reset
 * detection needs the buckets), no histogram_quantile/quantiles/fraction and no trim operator;
 * one of those further up stops the search too.
 */
export function histogramStatsSelectors(top: Expr): Set<VectorSelector> {
  const out = new Set<VectorSelector>()
  inspect(top, (node, path) => {
    if (node.kind !== 'VectorSelector') return
    let skip = false
    for (let i = path.length - 1; i >= 0; i--) {
      const p = path[i]!
      if (p.kind === 'SubqueryExpr') {
        skip = false
        break
      }
      if (p.kind === 'Call') {
        if (STATS_FUNCTIONS.has(p.func.name)) skip = true
        else if (BUCKET_FUNCTIONS.has(p.func.name)) {
          skip = false
          break
        }
      }
      if (p.kind === 'BinaryExpr' && TRIM_OPERATORS.has(p.op)) {
        skip = false
        break
      }
    }
    if (skip) out.add(node)
  })
  return out
}

/** The parts of a decoded series the statistics read. */
export interface StatsInput {
  ts: Float64Array
  stale: Uint8Array
  hs?: (FloatHistogram | undefined)[]
}

/**
 * The histograms of a series as a HistogramStatsIterator returns them, for steps whose
 * windows end at `ends` (in evaluation order) and reach back `delta` (inclusive): new
 * statistics-only histograms with the hints decided as described above. Undefined when the
 * series has no histograms.
 */
export function statsHistograms(s: StatsInput, ends: Float64Array, delta: number): (FloatHistogram | undefined)[] | undefined {
  const hs = s.hs
  if (!hs) return undefined
  const ts = s.ts
  const n = ts.length
  const out = new Array<FloatHistogram | undefined>(n).fill(undefined)
  let pos = 0
  let last: FloatHistogram | undefined
  const read = (k: number): void => {
    const h = hs[k]
    if (h === undefined || s.stale[k] || out[k] !== undefined) return
    let hint = h.counterResetHint
    if (hint === CounterResetHint.Unknown && last !== undefined) hint = h.detectReset(last) ? CounterResetHint.CounterReset : CounterResetHint.NotCounterReset
    const o = new FloatHistogram()
    o.counterResetHint = hint
    o.schema = h.schema
    o.count = h.count
    o.sum = h.sum
    out[k] = o
    last = h
  }
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!
    const start = end - delta
    if (pos < n && start > ts[pos]!) {
      last = undefined
      while (pos < n && ts[pos]! < start) pos++
    }
    while (pos < n && ts[pos]! <= end) read(pos++)
  }
  // samples no step reached are never returned; keep them as statistics without a hint decided
  for (let k = 0; k < n; k++) {
    const h = hs[k]
    if (out[k] !== undefined || h === undefined) continue
    const o = new FloatHistogram()
    o.counterResetHint = h.counterResetHint
    o.schema = h.schema
    o.count = h.count
    o.sum = h.sum
    out[k] = o
  }
  return out
}
