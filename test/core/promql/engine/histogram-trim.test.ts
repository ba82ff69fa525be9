/**
 * The trim operators' arithmetic (src/core/promql/engine/histogram-trim.ts): worked cases, then
 * random histograms and thresholds against Prometheus's own FloatHistogram.TrimBuckets (the
 * histogram oracle, test/core/histogram/prometheus-oracle.ts), bit for bit and span for span.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {FloatHistogram} from '../../../../src/core/histogram/float-histogram.js'
import {bucketBound} from '../../../../src/core/histogram/bounds.js'
import {bucketIndices} from '../../../../src/core/histogram/layout.js'
import {isTrimOp, trimHistogram} from '../../../../src/core/promql/engine/histogram-trim.js'
import {hexOf, PrometheusHistogramOracle, wire, type OracleRequest, type WireHistogram} from '../../histogram/prometheus-oracle.js'
import {arbCustomHistogram, arbFloatHistogram} from '../../histogram/reference-histogram.js'

const cbh = (): FloatHistogram =>
  FloatHistogram.of({schema: -53, sum: 172.5, count: 15, customValues: [5, 10, 15, 20], positiveSpans: [0, 5], positiveBuckets: [1, 6, 4, 3, 1]})
// schema 0: positive buckets (0.5,1] (1,2] (2,4] (4,8], negative [-1,-0.5) [-2,-1), zero bucket ±0.001
const exp = (): FloatHistogram =>
  FloatHistogram.of({schema: 0, sum: 123.75, count: 34, zeroCount: 1, zeroThreshold: 0.001, positiveSpans: [0, 4], positiveBuckets: [2, 4, 8, 16], negativeSpans: [0, 2], negativeBuckets: [1, 2]})

function summary(h: FloatHistogram): object {
  return {count: h.count, sum: h.sum, zc: h.zeroCount, ps: [...h.positiveSpans], pb: [...h.positiveBuckets], ns: [...h.negativeSpans], nb: [...h.negativeBuckets]}
}

describe('promql/engine histogram-trim', function () {
  it('knows its two operators', function () {
    assert.ok(isTrimOp('</') && isTrimOp('>/'))
    assert.ok(!isTrimOp('<') && !isTrimOp('/') && !isTrimOp('<='))
  })

  it('custom buckets: a cut on a bound keeps whole buckets, a cut inside one interpolates linearly', function () {
    // </ 15: (-Inf,5] kept at 5/2, (5,10] at 7.5, (10,15] at 12.5: 2.5 + 45 + 50
    assert.deepEqual(summary(trimHistogram(cbh(), 15, true)), {count: 11, sum: 97.5, zc: 0, ps: [0, 3], pb: [1, 6, 4], ns: [], nb: []})
    // </ 13: 3/5 of (10,15], its observations at (10+13)/2
    const upper = trimHistogram(cbh(), 13, true)
    assert.deepEqual([...upper.positiveBuckets], [1, 6, 4 * (3 / 5)])
    assert.equal(upper.sum, 2.5 * 1 + 7.5 * 6 + 11.5 * (4 * (3 / 5)))
    // >/ 13: the +Inf bucket is kept whole (at its lower bound), the first bucket goes
    const lower = trimHistogram(cbh(), 13, false)
    assert.deepEqual([...lower.positiveSpans], [2, 3])
    assert.deepEqual([...lower.positiveBuckets], [4 - 4 * (3 / 5), 3, 1])
    assert.equal(lower.count, lower.positiveBuckets.reduce((a, b) => a + b, 0))
    // a cut above the last bound drops the +Inf bucket entirely: where its observations are is unknown
    assert.deepEqual([...trimHistogram(cbh(), 50, true).positiveBuckets], [1, 6, 4, 3])
  })

  it('exponential buckets interpolate on a log2 scale; the zero bucket linearly, on the sides that have buckets', function () {
    // sqrt(2) halves (1,2] on a log scale
    const h = trimHistogram(exp(), Math.SQRT2, true)
    assert.equal(h.positiveBuckets.length, 2)
    assert.equal(h.positiveBuckets[0], 2)
    assert.ok(Math.abs(h.positiveBuckets[1]! - 2) < 1e-12 && Math.abs(h.count - 8) < 1e-12)
    // </ 0: the negative half of the zero bucket and the negative buckets remain
    const neg = trimHistogram(exp(), 0, true)
    assert.equal(neg.zeroCount, 0.5)
    assert.deepEqual([...neg.positiveBuckets], [])
    assert.deepEqual([...neg.negativeBuckets], [1, 2])
    assert.equal(neg.count, 3.5)
    // only positive buckets: the zero bucket counts as [0, threshold], so >/ 0 keeps it whole
    const pos = FloatHistogram.of({schema: 0, sum: 8, count: 12, zeroCount: 2, zeroThreshold: 0.5, positiveSpans: [0, 1], positiveBuckets: [10]})
    assert.deepEqual(summary(trimHistogram(pos.copy(), 0, false)), summary(pos))
    assert.equal(trimHistogram(pos.copy(), 0.1, false).zeroCount, 2 * (0.4 / 0.5))
  })

  it('leaves a histogram it does not cut alone, uncompacted, count and sum as they were', function () {
    // an empty bucket in the layout would go in a compaction
    const h = FloatHistogram.of({schema: 0, sum: 99, count: 3, positiveSpans: [0, 3], positiveBuckets: [1, 0, 2]})
    const r = trimHistogram(h.copy(), Infinity, true)
    assert.deepEqual(summary(r), summary(h))
    assert.deepEqual(summary(trimHistogram(h.copy(), -Infinity, false)), summary(h))
    // everything cut: empty, count and sum 0
    assert.deepEqual(summary(trimHistogram(h.copy(), -Infinity, true)), {count: 0, sum: 0, zc: 0, ps: [], pb: [], ns: [], nb: []})
  })

  it('a NaN threshold keeps nothing of the buckets, as no comparison with it holds', function () {
    const r = trimHistogram(cbh(), NaN, true)
    assert.deepEqual([...r.positiveBuckets], [])
    assert.equal(r.count, 0)
  })

  describe('against Prometheus (differential)', function () {
    this.timeout(600_000)
    let oracle: PrometheusHistogramOracle | undefined
    before(async () => {
      oracle = await PrometheusHistogramOracle.start()
    })
    after(async () => {
      await oracle?.close()
    })

    /** Thresholds that matter for h: its bucket bounds, points inside buckets and the zero bucket, and odd values. */
    function thresholds(h: FloatHistogram): fc.Arbitrary<number> {
      const bounds: number[] = []
      for (const [spans, n, sign] of [[h.positiveSpans, h.positiveBuckets.length, 1], [h.negativeSpans, h.negativeBuckets.length, -1]] as const) {
        for (const idx of bucketIndices(spans, n)) {
          const b = bucketBound(idx, h.schema, h.customValues)
          if (Number.isFinite(b)) bounds.push(sign * b)
        }
      }
      const zt = h.zeroThreshold
      return fc.oneof(
        bounds.length > 0 ? fc.constantFrom(...bounds) : fc.constant(1),
        bounds.length > 0 ? fc.tuple(fc.constantFrom(...bounds), fc.double({min: 0.5, max: 2, noNaN: true})).map(([b, f]) => b * f) : fc.constant(-1),
        fc.double({min: -zt || -1, max: zt || 1, noNaN: true}),
        fc.double({min: -1e3, max: 1e3, noNaN: true}),
        fc.constantFrom(0, -0, Infinity, -Infinity, NaN, 1, -1, 2 ** -128, Number.MAX_VALUE, -Number.MAX_VALUE),
      )
    }
    const CUSTOM_POOL = [-10, -1, 0, 0.001, 0.1, 0.5, 1, 2.5, 10, 1e6]
    // fractional counts, as rates give them
    const fractional = arbFloatHistogram().chain((h) =>
      fc.array(fc.double({min: 0, max: 100, noNaN: true}), {minLength: h.positiveBuckets.length, maxLength: h.positiveBuckets.length}).map((pb) => {
        const out = h.copy()
        out.positiveBuckets = Float64Array.from(pb)
        out.zeroCount = h.zeroCount / 3
        return out
      }),
    )
    const norm = (w: WireHistogram | undefined): WireHistogram | undefined => (w && w.cv && w.cv.length === 0 ? {...w, cv: null} : w)

    it('trimHistogram equals FloatHistogram.TrimBuckets', async () => {
      const cases = fc.sample(
        fc
          .oneof(arbFloatHistogram(), fractional, arbCustomHistogram(CUSTOM_POOL), arbFloatHistogram({zeroThreshold: fc.constantFrom(0.25, 1, 4)}))
          .chain((h) => fc.tuple(fc.constant(h), thresholds(h), fc.boolean())),
        4000,
      )
      const reqs: OracleRequest[] = cases.map(([h, x, upper]) => ({op: upper ? 'trimUpper' : 'trimLower', a: wire(h), f: hexOf(x)}))
      const answers = await oracle!.call(reqs)
      let compared = 0
      let trimmed = 0
      cases.forEach(([h, x, upper], i) => {
        const r = answers[i]!
        const what = `${upper ? '</' : '>/'} ${x} #${i}: ${JSON.stringify(wire(h))}`
        assert.equal(r.panic, undefined, what)
        const before = JSON.stringify(wire(h))
        const got = trimHistogram(h.copy(), x, upper)
        assert.equal(JSON.stringify(wire(h)), before, `${what}: the copy was trimmed, not the original`)
        assert.deepEqual(norm(wire(got)), norm(r.h), what)
        if (got.count !== h.count) trimmed++
        compared++
      })
      assert.ok(compared === cases.length && trimmed > cases.length / 4, `compared ${compared}, trimmed ${trimmed}`)
    })
  })
})
