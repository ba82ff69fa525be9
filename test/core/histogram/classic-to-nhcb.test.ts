/**
 * Classic histogram → NHCB conversion: worked examples, and random classic histograms through
 * both our ClassicHistogramBuilder and Prometheus's util/convertnhcb (prometheus-oracle.ts),
 * which must agree on the flavour, every field bit for bit and the span layout, or both fail.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {ClassicHistogramBuilder, ClassicHistogramError, classicHistogramBaseName} from '../../../src/core/histogram/classic-to-nhcb.js'
import {hexOf, PrometheusHistogramOracle, wire, type OracleRequest} from './prometheus-oracle.js'

type Piece = {k: 'b'; le: number; v: number} | {k: 'c' | 's'; v: number}

function build(pieces: readonly Piece[]): ClassicHistogramBuilder {
  const b = new ClassicHistogramBuilder()
  for (const p of pieces) {
    if (p.k === 'b') b.setBucketCount(p.le, p.v)
    else if (p.k === 'c') b.setCount(p.v)
    else b.setSum(p.v)
  }
  return b
}

describe('histogram/classic-to-nhcb', () => {
  it('integer counts give an integer histogram: bounds from le, deltas of the per-bucket counts, compacted as Compact(2)', () => {
    const r = build([
      {k: 'b', le: 1, v: 0},
      {k: 'b', le: 2, v: 3},
      {k: 'b', le: 4, v: 3},
      {k: 'b', le: Infinity, v: 7},
      {k: 'c', v: 7},
      {k: 's', v: 12.5},
    ]).convert()
    assert.ok(r.h)
    assert.equal(r.h.schema, -53)
    assert.equal(r.h.count, 7)
    assert.equal(r.h.sum, 12.5)
    assert.deepEqual([...r.h.customValues!], [1, 2, 4])
    // per-bucket counts 0 3 0 4: the leading empty bucket dropped, the inner one kept
    assert.deepEqual([...r.h.positiveSpans], [1, 3])
    assert.deepEqual([...r.h.positiveBuckets], [3, -3, 4])
  })

  it('fractional counts give a float histogram, compacted as Compact(0)', () => {
    const r = build([
      {k: 'b', le: 1, v: 0.5},
      {k: 'b', le: 2, v: 0.5},
      {k: 'b', le: Infinity, v: 2},
    ]).convert()
    assert.ok(r.fh)
    assert.equal(r.fh.count, 2)
    assert.deepEqual([...r.fh.positiveSpans], [0, 1, 1, 1])
    assert.deepEqual([...r.fh.positiveBuckets], [0.5, 1.5])
  })

  it('buckets in any order; a repeated bound ignored; without _count the top bucket counts; without +Inf one is added', () => {
    const r = build([
      {k: 'b', le: 4, v: 5},
      {k: 'b', le: 1, v: 2},
      {k: 'b', le: 1, v: 3},
      {k: 'b', le: 2, v: 4},
    ]).convert()
    assert.ok(r.h)
    assert.equal(r.h.count, 5)
    assert.deepEqual([...r.h.customValues!], [1, 2, 4])
    // the added +Inf bucket is empty: compaction drops it
    assert.deepEqual([...r.h.positiveSpans], [0, 3])
    assert.deepEqual([...r.h.toFloat().positiveBuckets], [2, 2, 1])
  })

  it('a lone _count or _sum is a one-bucket histogram', () => {
    const r = build([{k: 's', v: 3}]).convert()
    assert.ok(r.h)
    assert.equal(r.h.count, 0)
    assert.equal(r.h.sum, 3)
    assert.equal(r.h.customValues, null)
  })

  it('refuses non-cumulative, negative, NaN-bounded and count-mismatched histograms; the first error sticks', () => {
    const reason = (pieces: Piece[]) => {
      try {
        build(pieces).convert()
        return 'none'
      } catch (e) {
        assert.ok(e instanceof ClassicHistogramError)
        return e.reason
      }
    }
    assert.equal(reason([{k: 'b', le: 1, v: 3}, {k: 'b', le: 2, v: 2}]), 'count_not_cumulative')
    assert.equal(reason([{k: 'b', le: 2, v: 2}, {k: 'b', le: 1, v: 3}]), 'count_not_cumulative')
    assert.equal(reason([{k: 'b', le: 1, v: -1}]), 'negative_bucket_count')
    assert.equal(reason([{k: 'b', le: NaN, v: 1}, {k: 'b', le: 1, v: -1}]), 'nan_bucket')
    assert.equal(reason([{k: 'c', v: -1}]), 'negative_count')
    assert.equal(reason([{k: 'b', le: Infinity, v: 3}, {k: 'c', v: 4}]), 'count_mismatch')
    const b = build([{k: 'b', le: 1, v: -1}])
    b.reset()
    assert.equal(b.err, undefined)
  })

  it('classicHistogramBaseName cuts _bucket, _sum, _count only', () => {
    assert.deepEqual(classicHistogramBaseName('rpc_bucket'), {suffix: 'bucket', base: 'rpc'})
    assert.deepEqual(classicHistogramBaseName('rpc_sum'), {suffix: 'sum', base: 'rpc'})
    assert.deepEqual(classicHistogramBaseName('rpc_count'), {suffix: 'count', base: 'rpc'})
    assert.deepEqual(classicHistogramBaseName('rpc_created'), {suffix: 'none', base: 'rpc_created'})
  })
})

describe('histogram/classic-to-nhcb against Prometheus util/convertnhcb (differential)', function () {
  this.timeout(600_000)
  let oracle: PrometheusHistogramOracle | undefined
  before(async () => {
    oracle = await PrometheusHistogramOracle.start()
  })
  after(async () => {
    await oracle?.close()
  })

  const value = fc.oneof(fc.integer({min: 0, max: 20}), fc.constantFrom(0.5, 2.25, 1e20, -1, Infinity, NaN), fc.double({min: 0, max: 100, noNaN: true}))
  const le = fc.oneof(fc.integer({min: -3, max: 10}), fc.constantFrom(Infinity, 0.25, NaN, -Infinity))
  const piece: fc.Arbitrary<Piece> = fc.oneof(
    {weight: 6, arbitrary: fc.record({k: fc.constant('b' as const), le, v: value})},
    {weight: 1, arbitrary: fc.record({k: fc.constantFrom('c' as const, 's' as const), v: value})},
  )
  // classic histograms as scraped: ascending bounds with cumulative counts, then count and sum (mostly valid)
  const scraped: fc.Arbitrary<Piece[]> = fc
    .tuple(fc.uniqueArray(fc.integer({min: -5, max: 40}), {maxLength: 8}), fc.array(fc.integer({min: 0, max: 5}), {minLength: 9, maxLength: 9}), fc.boolean(), fc.boolean(), fc.double({noNaN: true, min: -1e3, max: 1e3}))
    .map(([bounds, incs, withInf, withCount, sum]) => {
      const les = [...bounds].sort((a, b) => a - b).map((x) => x / 4)
      if (withInf) les.push(Infinity)
      let c = 0
      const out: Piece[] = les.map((l, i) => ({k: 'b' as const, le: l, v: (c += incs[i]!)}))
      if (withCount) out.push({k: 'c', v: c})
      out.push({k: 's', v: sum})
      return out
    })

  for (const [name, arb] of [
    ['scraped-like classic histograms', scraped],
    ['arbitrary pieces in any order', fc.array(piece, {maxLength: 10})],
  ] as const) {
    it(`${name}: same histogram (flavour, fields, spans) or both refuse`, async () => {
      const cases = fc.sample(arb, {numRuns: 1500, seed: 42})
      const reqs: OracleRequest[] = cases.map((pieces) => ({
        op: 'convertnhcb',
        classic: pieces.map((p) => (p.k === 'b' ? {k: p.k, le: hexOf(p.le), v: hexOf(p.v)} : {k: p.k, v: hexOf(p.v)})),
      }))
      const answers = await oracle!.call(reqs)
      let converted = 0
      cases.forEach((pieces, i) => {
        const a = answers[i]!
        assert.equal(a.panic, undefined, JSON.stringify(pieces))
        let ours
        try {
          ours = build(pieces).convert()
        } catch (e) {
          assert.ok(e instanceof ClassicHistogramError)
          assert.ok(a.err !== undefined, `we refused (${e.message}) what Prometheus converts: ${JSON.stringify(pieces)}`)
          return
        }
        assert.equal(a.err, undefined, `Prometheus refused (${a.err}) what we convert: ${JSON.stringify(pieces)}`)
        converted++
        assert.equal(ours.h !== undefined, a.bool === true, `flavour of ${JSON.stringify(pieces)}`)
        const w = wire(ours.h ?? ours.fh!)
        assert.deepEqual({...w, cv: w.cv ?? []}, {...a.h, cv: a.h!.cv ?? []}, JSON.stringify(pieces))
      })
      assert.ok(converted > 100, `only ${converted} cases converted`)
    })
  }
})
