/**
 * The trim operators `</` and `>/`: their arithmetic (src/core/promql/engine/histogram-trim.ts),
 * worked cases, then random histograms and thresholds against Prometheus's own
 * FloatHistogram.TrimBuckets (the histogram oracle, test/core/histogram/prometheus-oracle.ts),
 * bit for bit and span for span; and what the engine does with them where the promqltest
 * scripts do not look (floats, the scalar on the left, two scalars, two histograms, the name,
 * the selected histograms left alone), over an in-memory queryable.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {ExecutionError} from '../../../../src/core/errors.js'
import {FloatHistogram} from '../../../../src/core/histogram/float-histogram.js'
import {labelsFromRecord, labelsToRecord} from '../../../../src/core/labels/labels.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'
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

  describe('through the engine', function () {
    const engine = new Engine()
    const q = new MemoryQueryable()
    const MIN = 60_000
    const original = cbh()
    // one histogram sample at 0, looked back to by the later steps; f moves the cut at each step
    q.add(labelsFromRecord({__name__: 'h', side: 'x'}), [0], [NaN], undefined, undefined, [original])
    q.add(labelsFromRecord({__name__: 'f', side: 'x'}), [0, MIN, 2 * MIN], [3, 13, 15])
    q.add(labelsFromRecord({__name__: 'g', side: 'x'}), [0], [1])

    const histOf = (r: Awaited<ReturnType<Engine['instantQuery']>>): FloatHistogram[] =>
      r.value.type === 'vector' ? r.value.samples.map((x) => x.h!).filter((h) => h !== undefined) : []

    it('h </ scalar keeps the name (trimming does not change what the series measures), h * scalar drops it', async () => {
      const r = await engine.instantQuery(q, 'h </ 15', MIN)
      assert.equal(r.value.type, 'vector')
      if (r.value.type !== 'vector') return
      assert.deepEqual(r.value.samples.map((x) => labelsToRecord(x.labels)), [{__name__: 'h', side: 'x'}])
      assert.deepEqual(summary(r.value.samples[0]!.h!), {count: 11, sum: 97.5, zc: 0, ps: [0, 3], pb: [1, 6, 4], ns: [], nb: []})
      assert.deepEqual(r.infos, [])
      const mul = await engine.instantQuery(q, 'h * 2', MIN)
      assert.deepEqual(mul.value.type === 'vector' ? mul.value.samples.map((x) => labelsToRecord(x.labels)) : [], [{side: 'x'}])
    })

    it('h </ f, one-to-one, trims each step at that step\'s f and leaves the selected histogram alone', async () => {
      const r = await engine.rangeQuery(q, 'h </ ignoring(__name__) f', 0, 2 * MIN, MIN)
      assert.equal(r.value.type, 'matrix')
      if (r.value.type !== 'matrix') return
      assert.equal(r.value.series.length, 1)
      const s = r.value.series[0]!
      assert.deepEqual(labelsToRecord(s.labels), {side: 'x'})
      assert.deepEqual(s.hs!.map((h) => h!.count), [3 / 5, 1 + 6 + 4 * (3 / 5), 11])
      assert.deepEqual(summary(original), summary(cbh()), 'the stored histogram is unchanged')
      const again = await engine.instantQuery(q, 'h', 2 * MIN)
      assert.deepEqual(histOf(again).map(summary), [summary(cbh())])
    })

    it('a float on the left has no result and an info: float </ float, float </ histogram', async () => {
      const fs = await engine.instantQuery(q, 'f >/ 1', MIN)
      assert.deepEqual(fs.value.type === 'vector' ? fs.value.samples : undefined, [])
      assert.deepEqual(fs.infos, ['PromQL info: incompatible sample types encountered for binary operator ">/": float >/ float (1:1)'])
      const sv = await engine.instantQuery(q, '1 </ f', MIN)
      assert.deepEqual(sv.infos, ['PromQL info: incompatible sample types encountered for binary operator "</": float </ float (1:1)'])
      const vv = await engine.instantQuery(q, 'f </ ignoring(__name__) g', 0)
      assert.deepEqual(vv.value.type === 'vector' ? vv.value.samples : undefined, [])
      assert.deepEqual(vv.infos, ['PromQL info: incompatible sample types encountered for binary operator "</": float </ float (1:1)'])
      const sh = await engine.instantQuery(q, '1 </ h', MIN)
      assert.deepEqual(sh.value.type === 'vector' ? sh.value.samples : undefined, [])
      assert.deepEqual(sh.infos, ['PromQL info: incompatible sample types encountered for binary operator "</": float </ histogram (1:1)'])
      const fh = await engine.instantQuery(q, 'f </ ignoring(__name__) h', MIN)
      assert.deepEqual(fh.infos, ['PromQL info: incompatible sample types encountered for binary operator "</": float </ histogram (1:1)'])
    })

    it('two histograms cannot be trimmed: no result, an info', async () => {
      const r = await engine.instantQuery(q, 'h >/ h', MIN)
      assert.deepEqual(r.value.type === 'vector' ? r.value.samples : undefined, [])
      assert.deepEqual(r.infos, ['PromQL info: incompatible sample types encountered for binary operator ">/": histogram >/ histogram (1:1)'])
    })

    it('group_left and group_right: the many side\'s labels (name included), the one side\'s group labels, as Prometheus 3.14 answers', async () => {
      // the data and the answers of promtool test rules (Prometheus 3.14) on it
      const g = new MemoryQueryable()
      const small = FloatHistogram.of({schema: -53, sum: 10, count: 2, customValues: [5, 10, 15, 20], positiveSpans: [0, 2], positiveBuckets: [1, 1]})
      g.add(labelsFromRecord({__name__: 'h', job: 'a', i: '1'}), [0], [NaN], undefined, undefined, [cbh()])
      g.add(labelsFromRecord({__name__: 'h', job: 'a', i: '2'}), [0], [NaN], undefined, undefined, [small])
      g.add(labelsFromRecord({__name__: 'hj', job: 'a'}), [0], [NaN], undefined, undefined, [cbh()])
      g.add(labelsFromRecord({__name__: 'f', job: 'a', extra: 'e1'}), [0], [13])
      g.add(labelsFromRecord({__name__: 'fm', job: 'a', i: '1'}), [0], [15])
      g.add(labelsFromRecord({__name__: 'fm', job: 'a', i: '2'}), [0], [7.5])
      const rows = async (query: string): Promise<[Record<string, string>, object][]> => {
        const r = await engine.instantQuery(g, query, MIN)
        assert.deepEqual(r.infos, [], query)
        return r.value.type === 'vector' ? r.value.samples.map((x) => [labelsToRecord(x.labels), summary(x.h!)]) : []
      }
      const cut = {count: 9.4, sum: 75.1, zc: 0, ps: [0, 3], pb: [1, 6, 4 * (3 / 5)], ns: [], nb: []}
      assert.deepEqual(await rows('h </ on(job) group_left(extra) f'), [
        [{__name__: 'h', extra: 'e1', i: '1', job: 'a'}, {...cut, count: 1 + 6 + 4 * (3 / 5), sum: 2.5 + 7.5 * 6 + 11.5 * (4 * (3 / 5))}],
        [{__name__: 'h', extra: 'e1', i: '2', job: 'a'}, summary(small)],
      ])
      assert.deepEqual(await rows('hj </ on(job) group_right fm'), [
        [{__name__: 'fm', i: '1', job: 'a'}, {count: 11, sum: 97.5, zc: 0, ps: [0, 3], pb: [1, 6, 4], ns: [], nb: []}],
        [{__name__: 'fm', i: '2', job: 'a'}, {count: 4, sum: 21.25, zc: 0, ps: [0, 2], pb: [1, 3], ns: [], nb: []}],
      ])
      assert.deepEqual(await rows('h * on(job) group_left(extra) f'), [
        [{extra: 'e1', i: '1', job: 'a'}, {count: 195, sum: 2242.5, zc: 0, ps: [0, 5], pb: [13, 78, 52, 39, 13], ns: [], nb: []}],
        [{extra: 'e1', i: '2', job: 'a'}, {count: 26, sum: 130, zc: 0, ps: [0, 2], pb: [13, 13], ns: [], nb: []}],
      ])
    })

    it('two scalars are an execution error, as engine.go scalarBinop panics with', async () => {
      await assert.rejects(engine.instantQuery(q, '1 </ 2', MIN), (e: unknown) => {
        assert.ok(e instanceof ExecutionError)
        assert.equal(e.message, 'operator "</" not allowed for Scalar operations')
        return true
      })
    })
  })
})
