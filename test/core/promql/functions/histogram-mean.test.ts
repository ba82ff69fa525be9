/**
 * HistogramMean: the compensated sum and mean of native histograms (Prometheus 3.14's sum/avg
 * aggregation and sum_over_time/avg_over_time over histograms). The numbers are those of
 * Prometheus's native_histograms.test, where plain addition loses the small values next to
 * ±1e100 and a direct mean of counts near the float64 maximum overflows.
 */
import assert from 'node:assert/strict'
import {FloatHistogram} from '../../../../src/core/histogram/float-histogram.js'
import {HistogramError} from '../../../../src/core/histogram/schema.js'
import {HistogramMean} from '../../../../src/core/promql/functions/histogram-mean.js'

const h = (count: number, sum: number, buckets: number[] = []): FloatHistogram =>
  FloatHistogram.of({count, sum, positiveSpans: buckets.length ? [0, buckets.length] : [], positiveBuckets: buckets})

function meanOf(hs: FloatHistogram[], avg: boolean): FloatHistogram {
  const m = new HistogramMean(hs[0]!, avg)
  for (const x of hs.slice(1)) m.add(x)
  return m.result().compact(0)
}

describe('HistogramMean', () => {
  it('sums with compensation: 1 + 1e100 + 1 - 1e100 is 2, not 0', () => {
    const hs = [h(1, 1), h(2, 1e100), h(3, 1), h(4, -1e100)]
    assert.equal(meanOf(hs, false).sum, 2)
    assert.equal(meanOf(hs, false).count, 10)
    assert.equal(meanOf(hs, true).sum, 0.5)
    // plain addition loses both ones
    const plain = hs[0]!.copy()
    for (const x of hs.slice(1)) plain.add(x)
    assert.equal(plain.sum, 0)
  })

  it('compensates buckets too, across schemas', () => {
    const a = FloatHistogram.of({schema: 1, count: 3, sum: 0, positiveSpans: [1, 2], positiveBuckets: [1e100, 1]})
    const b = FloatHistogram.of({schema: 0, count: 2, sum: 0, positiveSpans: [1, 1], positiveBuckets: [1]})
    const c = FloatHistogram.of({schema: 0, count: 1, sum: 0, positiveSpans: [1, 1], positiveBuckets: [-1e100]})
    const r = meanOf([a, b, c], false)
    assert.equal(r.schema, 0)
    // schema 1 buckets 1 and 2 both fall into schema 0 bucket 1: 1e100 + 1 + 1 - 1e100
    assert.deepEqual([...r.positiveSpans], [1, 1])
    assert.deepEqual([...r.positiveBuckets], [2])
  })

  it('switches to an incremental mean where the running sum would overflow', () => {
    const hs = [h(1.7976931348623157e308, 5.3), h(1e308, 1e100), h(1e-6, 1), h(1e-6, -1e100), h(1e-6, 2), h(1e-6, 0), h(1e-6, 0)]
    const r = meanOf(hs, true)
    // bit for bit what Prometheus 3.14's funcAvgOverTime gives on amd64 (native_histograms.test
    // writes 3.9967044783747367e+307 and 1.1857142857142857, within its tolerance)
    assert.equal(r.count, 3.996704478374737e307)
    assert.equal(r.sum, 1.185714285714286)
    assert.equal(meanOf(hs, false).count, Infinity)
    assert.equal(meanOf(hs, false).sum, 8.3)
  })

  it('a single histogram is its own sum and mean, and the input is not changed', () => {
    const x = h(4, 5, [1, 2, 1])
    assert.ok(meanOf([x], true).equals(x))
    assert.ok(meanOf([x, x], true).equals(x))
    assert.equal(x.count, 4)
  })

  it('refuses to add exponential and custom buckets', () => {
    const m = new HistogramMean(h(1, 1), false)
    assert.throws(() => m.add(FloatHistogram.of({schema: -53, count: 1, sum: 1, customValues: [1], positiveSpans: [0, 1], positiveBuckets: [1]})), HistogramError)
  })
})
