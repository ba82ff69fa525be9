/**
 * Histogram statistics decoding (promql/engine.go detectHistogramStatsDecoding,
 * histogram_stats_iterator.go): which selectors are read as statistics, and the counter-reset
 * hints the statistics iterator decides along the engine's iteration.
 */
import assert from 'node:assert/strict'
import {FloatHistogram} from '../../../../src/core/histogram/float-histogram.js'
import {CounterResetHint} from '../../../../src/core/histogram/schema.js'
import {labelsFromRecord} from '../../../../src/core/labels/labels.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {histogramStatsSelectors, statsHistograms} from '../../../../src/core/promql/engine/histogram-stats.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'
import {inspect, type VectorSelector} from '../../../../src/core/promql/parser/ast.js'
import {parseExpr} from '../../../../src/core/promql/parser/parser.js'

const {Unknown, CounterReset, NotCounterReset, Gauge} = CounterResetHint

/** The metric names of the selectors of `query` read as statistics, in source order. */
function statsNames(query: string): string[] {
  const e = parseExpr(query)
  const set = histogramStatsSelectors(e)
  const out: string[] = []
  inspect(e, (n) => {
    if (n.kind === 'VectorSelector' && set.has(n as VectorSelector)) out.push((n as VectorSelector).name)
  })
  return out
}

const h = (count: number, hint: CounterResetHint = Unknown): FloatHistogram =>
  FloatHistogram.of({counterResetHint: hint, count, sum: 2 * count, zeroThreshold: 0.001, zeroCount: count, positiveSpans: [0, 1], positiveBuckets: [0]})

describe('histogram statistics decoding', () => {
  it('selects the selectors below histogram_count/sum/avg, not through subqueries, quantiles or fractions', () => {
    assert.deepEqual(statsNames('histogram_count(a) + histogram_sum(rate(b[5m])) + histogram_avg(sum(c))'), ['a', 'b', 'c'])
    assert.deepEqual(statsNames('histogram_count(sum_over_time(a[5m:1m])) + histogram_count(a)'), ['a'])
    assert.deepEqual(statsNames('histogram_count(histogram_quantile(0.5, a))'), [])
    assert.deepEqual(statsNames('histogram_quantile(0.5, histogram_count(a))'), [])
    assert.deepEqual(statsNames('histogram_fraction(0, 1, a) + histogram_count(sum_over_time(histogram_count(b)[5m:1m]))'), [])
    assert.deepEqual(statsNames('a + rate(b[5m])'), [])
    // the trim operators need the buckets
    assert.deepEqual(statsNames('histogram_count(a </ 2) + histogram_sum(b * 2)'), ['b'])
  })

  it('keeps count, sum, schema and known hints; decides Unknown ones against the histogram read before', () => {
    const ts = Float64Array.from([0, 60, 120, 180, 240])
    const hs = [h(0), h(2), h(3, Gauge), h(1), h(5)]
    const out = statsHistograms({ts, stale: new Uint8Array(5), hs}, Float64Array.from([300]), 300)!
    assert.deepEqual(out.map((x) => x?.counterResetHint), [Unknown, NotCounterReset, Gauge, CounterReset, NotCounterReset])
    assert.deepEqual(out.map((x) => x?.count), [0, 2, 3, 1, 5])
    assert.ok(out.every((x) => x!.positiveBuckets.length === 0 && x!.zeroCount === 0 && x!.zeroThreshold === 0))
    assert.equal(hs[1]!.counterResetHint, Unknown, 'the input is left alone')
  })

  it('a seek past the previous sample forgets it; floats and stale markers are passed over', () => {
    const ts = Float64Array.from([0, 60, 120, 180, 600, 660])
    const hs = [h(5), h(1), undefined, h(0), h(3), h(1)]
    const stale = Uint8Array.from([0, 0, 0, 1, 0, 0])
    // steps at 120 and 660 with a 60 s window: the second step seeks to 600
    const out = statsHistograms({ts, stale, hs}, Float64Array.from([120, 660]), 60)!
    assert.deepEqual(out.map((x) => x?.counterResetHint), [Unknown, Unknown, undefined, Unknown, Unknown, CounterReset])
    // one wide window reads them all in a row: 1 after 5 is a reset, 3 after 1 is not (the float and the stale marker are skipped)
    const all = statsHistograms({ts, stale, hs}, Float64Array.from([660]), 660)!
    assert.deepEqual(all.map((x) => x?.counterResetHint), [Unknown, CounterReset, undefined, Unknown, NotCounterReset, CounterReset])
  })

  it('through the engine: conflicting counter resets in sum() under histogram_count, none without it', async () => {
    const q = new MemoryQueryable()
    const ts = [0, 60_000, 120_000, 180_000]
    const add = (job: string, counts: number[]) =>
      q.add(labelsFromRecord({__name__: 'reset', job}), ts, ts.map(() => NaN), ts.map(() => 0), undefined, counts.map((c) => h(c)))
    add('late', [0, 2, 3, 2])
    add('early', [3, 2, 2, 3])
    const engine = new Engine()
    const r = await engine.instantQuery(q, 'histogram_count(sum(reset))', 300_000)
    assert.deepEqual(r.warnings, ['PromQL warning: conflicting counter resets during histogram aggregation (1:21)'])
    assert.ok(r.value.type === 'vector' && r.value.samples[0]!.v === 5)
    const plain = await engine.instantQuery(q, 'sum(reset)', 300_000)
    assert.deepEqual(plain.warnings ?? [], [])
    // at 30 s each series has one sample in its window: nothing to compare with
    assert.deepEqual((await engine.instantQuery(q, 'histogram_count(sum(reset))', 30_000)).warnings ?? [], [])
  })
})
