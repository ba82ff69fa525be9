/**
 * The histogram model against (a) a simple map-based reference written from the documented
 * semantics and (b) Prometheus's own model/histogram code (prometheus-oracle.ts), on random
 * inputs: add, sub, compact, detectReset, equals, mul, div, copyToSchema, validate and the
 * API JSON must give exactly what Prometheus gives, bit for bit and span for span.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  COUNTER_RESET_COLLISION,
  CounterResetHint,
  FloatHistogram,
  Histogram,
  HistogramError,
  histogramJson,
  NHCB_BOUNDS_RECONCILED,
} from '../../../src/core/histogram/index.js'
import {PrometheusHistogramOracle, unwire, unwireInt, wire, hexOf, type OracleRequest, type OracleResponse, type WireHistogram} from './prometheus-oracle.js'
import {arbCustomHistogram, arbFloatHistogram, mapEntries, refAdd, refAddCustom, toRef, type RefHistogram} from './reference-histogram.js'

/** Prometheus answers an absent custom-values slice as []: compare that as null. */
function norm(w: WireHistogram | undefined): WireHistogram | undefined {
  return w && w.cv && w.cv.length === 0 ? {...w, cv: null} : w
}

/**
 * compact(n) as Prometheus's Compact(n). Prometheus 3.14 misplaces buckets when compact(n > 0)
 * joins three or more spans in a row (fixed upstream after 3.14: "histogram: fix Compact
 * corrupting buckets on multiple span merges"); we compact correctly, so where the answers
 * differ ours must keep every count in its bucket and theirs must not.
 */
function sameCompaction(input: FloatHistogram, ours: FloatHistogram, theirs: WireHistogram | FloatHistogram, n: number, what: string): void {
  const t = theirs instanceof FloatHistogram ? theirs : unwire(theirs)
  if (n === 0 || ours.equals(t)) {
    assert.ok(ours.equals(t), what)
    assert.deepEqual([...ours.positiveSpans, ...ours.negativeSpans], [...t.positiveSpans, ...t.negativeSpans], what)
    return
  }
  for (const side of ['pos', 'neg'] as const) assert.deepEqual(mapEntries(toRef(ours)[side]), mapEntries(toRef(input)[side]), what)
  assert.notDeepEqual([mapEntries(toRef(t).pos), mapEntries(toRef(t).neg)], [mapEntries(toRef(input).pos), mapEntries(toRef(input).neg)], `${what}: Prometheus got it right, so should we`)
}

const CUSTOM_POOL = [-10, -1, 0, 0.001, 0.1, 0.5, 1, 2.5, 10, 1e6]

function sameAsRef(got: FloatHistogram, want: RefHistogram, what: string): void {
  const g = toRef(got)
  assert.equal(g.schema, want.schema, `${what}: schema`)
  assert.equal(g.zeroThreshold, want.zeroThreshold, `${what}: zero threshold`)
  assert.equal(g.zeroCount, want.zeroCount, `${what}: zero count`)
  assert.equal(g.count, want.count, `${what}: count`)
  assert.equal(g.sum, want.sum, `${what}: sum`)
  assert.deepEqual(mapEntries(g.pos), mapEntries(want.pos), `${what}: positive buckets`)
  assert.deepEqual(mapEntries(g.neg), mapEntries(want.neg), `${what}: negative buckets`)
  if (want.customValues) assert.deepEqual(g.customValues, want.customValues, `${what}: custom values`)
}

describe('FloatHistogram against a simple reference', function () {
  it('add and sub on one schema and zero threshold: bucket-wise sums', () => {
    fc.assert(
      fc.property(
        fc.integer({min: -4, max: 8}).chain((s) => fc.tuple(arbFloatHistogram({schema: fc.constant(s), zeroThreshold: fc.constant(0.001)}), arbFloatHistogram({schema: fc.constant(s), zeroThreshold: fc.constant(0.001)}))),
        fc.boolean(),
        ([a, b], negate) => {
          const want = refAdd(toRef(a), toRef(b), negate)
          const got = a.copy()
          if (negate) got.sub(b)
          else got.add(b)
          sameAsRef(got.compact(0), want, negate ? 'sub' : 'add')
        },
      ),
      {numRuns: 500},
    )
  })

  it('add and sub across schemas and zero thresholds: lower schema, larger threshold, raised past populated buckets', () => {
    fc.assert(
      fc.property(arbFloatHistogram(), arbFloatHistogram(), fc.boolean(), (a, b, negate) => {
        const want = refAdd(toRef(a), toRef(b), negate)
        const got = a.copy()
        if (negate) got.sub(b)
        else got.add(b)
        sameAsRef(got.compact(0), want, negate ? 'sub' : 'add')
      }),
      {numRuns: 1000},
    )
  })

  it('custom buckets with different bounds are added on the intersection of the bounds', () => {
    fc.assert(
      fc.property(arbCustomHistogram(CUSTOM_POOL), arbCustomHistogram(CUSTOM_POOL), fc.boolean(), (a, b, negate) => {
        const got = a.copy()
        const flags = negate ? got.sub(b) : got.add(b)
        const same = a.customValues!.length === b.customValues!.length && a.customValues!.every((v, i) => v === b.customValues![i])
        assert.equal((flags & NHCB_BOUNDS_RECONCILED) !== 0, !same)
        const want = refAddCustom(toRef(a), toRef(b), negate)
        if (want.customValues!.length === 0) want.customValues = null
        sameAsRef(got.compact(0), {...want, customValues: same ? [...a.customValues!] : want.customValues}, 'custom')
      }),
      {numRuns: 500},
    )
  })

  it('refuses to mix exponential and custom buckets', () => {
    const e = FloatHistogram.of({count: 1, positiveSpans: [0, 1], positiveBuckets: [1]})
    const c = FloatHistogram.of({schema: -53, count: 1, positiveSpans: [0, 1], positiveBuckets: [1], customValues: [1]})
    for (const [x, y] of [
      [e, c],
      [c, e],
    ] as const) {
      assert.throws(
        () => x.copy().add(y),
        (err: unknown) => err instanceof HistogramError && err.reason === 'incompatible_schema' && err.kind === 'bad_data' && /mix of exponential and custom/.test(err.message),
      )
      assert.throws(() => x.copy().sub(y), HistogramError)
    }
  })

  it('merges counter reset hints as documented: equal stays, gauge wins, then unknown; reset vs not-reset collides', () => {
    const H = CounterResetHint
    const all = [H.Unknown, H.CounterReset, H.NotCounterReset, H.Gauge] as const
    for (const a of all) {
      for (const b of all) {
        const x = FloatHistogram.of({counterResetHint: a})
        const flags = x.add(FloatHistogram.of({counterResetHint: b}))
        let want: CounterResetHint
        if (a === b) want = a
        else if (a === H.Gauge || b === H.Gauge) want = H.Gauge
        else want = H.Unknown
        assert.equal(x.counterResetHint, want, `${a} + ${b}`)
        const collide = (a === H.CounterReset && b === H.NotCounterReset) || (a === H.NotCounterReset && b === H.CounterReset)
        assert.equal((flags & COUNTER_RESET_COLLISION) !== 0, collide, `${a} + ${b} collision`)
      }
    }
  })

  it('mul, div: every count scaled; negative factors make gauges; / 0 drops the buckets', () => {
    const h = FloatHistogram.of({counterResetHint: CounterResetHint.NotCounterReset, zeroCount: 2, count: 7, sum: 3, positiveSpans: [0, 2], positiveBuckets: [1, 2], negativeSpans: [1, 1], negativeBuckets: [2]})
    const m = h.copy().mul(2)
    assert.deepEqual([m.count, m.zeroCount, m.sum, [...m.positiveBuckets], [...m.negativeBuckets], m.counterResetHint], [14, 4, 6, [2, 4], [4], CounterResetHint.NotCounterReset])
    assert.equal(h.copy().mul(-1).counterResetHint, CounterResetHint.Gauge)
    const d = h.copy().div(0)
    assert.deepEqual([d.count, d.zeroCount, d.sum, d.positiveBuckets.length, d.negativeSpans.length], [Infinity, Infinity, Infinity, 0, 0])
    assert.equal(h.copy().div(-2).counterResetHint, CounterResetHint.Gauge)
    assert.deepEqual([...h.positiveBuckets], [1, 2], 'copies are independent')
  })

  it('compact(n) keeps the non-empty buckets, with gaps of more than n between spans', () => {
    fc.assert(
      fc.property(arbFloatHistogram(), fc.integer({min: 0, max: 4}), (h, n) => {
        const before = toRef(h)
        const c = h.copy().compact(n)
        const after = toRef(c)
        assert.deepEqual(mapEntries(after.pos), mapEntries(before.pos))
        assert.deepEqual(mapEntries(after.neg), mapEntries(before.neg))
        for (const spans of [c.positiveSpans, c.negativeSpans]) {
          for (let k = 0; k < spans.length; k += 2) {
            assert.ok(spans[k + 1]! > 0, 'no empty spans')
            if (k > 0) assert.ok(spans[k]! > n, `gap ${spans[k]} > ${n}`)
          }
        }
        if (n === 0) for (const b of [...c.positiveBuckets, ...c.negativeBuckets]) assert.notEqual(b, 0)
      }),
      {numRuns: 500},
    )
  })

  it('detectReset: trusts CounterReset/NotCounterReset hints, finds decreases otherwise', () => {
    const prev = FloatHistogram.of({count: 5, zeroCount: 1, positiveSpans: [0, 2], positiveBuckets: [2, 2]})
    const more = FloatHistogram.of({count: 7, zeroCount: 1, positiveSpans: [0, 3], positiveBuckets: [3, 2, 1]})
    assert.equal(more.detectReset(prev), false)
    const less = FloatHistogram.of({count: 7, zeroCount: 1, positiveSpans: [0, 3], positiveBuckets: [1, 4, 1]})
    assert.equal(less.detectReset(prev), true, 'a bucket decreased although the count grew')
    const gone = FloatHistogram.of({count: 7, zeroCount: 3, positiveSpans: [1, 1], positiveBuckets: [4]})
    assert.equal(gone.detectReset(prev), true, 'a populated bucket vanished')
    assert.equal(FloatHistogram.of({...more, counterResetHint: CounterResetHint.CounterReset, count: 7, positiveSpans: [0, 3], positiveBuckets: [3, 2, 1], zeroCount: 1}).detectReset(prev), true)
    assert.equal(FloatHistogram.of({counterResetHint: CounterResetHint.NotCounterReset}).detectReset(prev), false)
    const finer = more.copy()
    finer.schema = 1
    assert.equal(finer.detectReset(prev), true, 'a higher resolution means a reset')
  })
})

describe('FloatHistogram against Prometheus (differential)', function () {
  this.timeout(600_000)
  let oracle: PrometheusHistogramOracle | undefined
  before(async () => {
    oracle = await PrometheusHistogramOracle.start()
  })
  after(async () => {
    await oracle?.close()
  })

  /** Runs the same inputs through Prometheus; returns its answers. */
  async function theirs(reqs: OracleRequest[]): Promise<OracleResponse[]> {
    return oracle!.call(reqs)
  }

  const oddValues = fc.oneof(
    fc.integer({min: 0, max: 30}),
    fc.double({min: 0, max: 1e3, noNaN: true}),
    fc.constantFrom(0, -0, 1e-7, 1.5e-7, 5e-324, 1e21, 1.25e21, 1e300, Infinity, NaN, 0.1, 1 / 3),
  )
  const rich = arbFloatHistogram().chain((h) =>
    fc.record({h: fc.constant(h), sum: oddValues, zc: oddValues, pos: fc.array(oddValues, {minLength: h.positiveBuckets.length, maxLength: h.positiveBuckets.length})}).map(({h, sum, zc, pos}) => {
      const out = h.copy()
      out.sum = sum
      out.zeroCount = zc
      out.positiveBuckets = Float64Array.from(pos)
      out.count = zc + pos.reduce((a, b) => a + b, 0) + h.negativeBuckets.reduce((a, b) => a + b, 0)
      return out
    }),
  )

  it('add and sub: same result, layout, hint and flags as Prometheus', async () => {
    const pairs = fc.sample(
      fc.oneof(
        fc.tuple(arbFloatHistogram(), arbFloatHistogram(), fc.boolean()),
        fc.tuple(arbCustomHistogram(CUSTOM_POOL), arbCustomHistogram(CUSTOM_POOL), fc.boolean()),
        fc.tuple(rich, rich, fc.boolean()),
        fc.tuple(arbFloatHistogram(), arbCustomHistogram(CUSTOM_POOL), fc.boolean()),
      ),
      3000,
    )
    const answers = await theirs(pairs.map(([a, b, negate]) => ({op: negate ? 'sub' : 'add', a: wire(a), b: wire(b)})))
    let compared = 0
    let panics = 0
    pairs.forEach(([a, b, negate], i) => {
      const r = answers[i]!
      if (r.panic) {
        panics++ // Prometheus panics on a few malformed inputs
        return
      }
      const bBefore = JSON.stringify(wire(b))
      const what = `${negate ? 'sub' : 'add'} #${i}: ${JSON.stringify(wire(a))} ${JSON.stringify(wire(b))}`
      const got = a.copy()
      let flags = 0
      try {
        flags = negate ? got.sub(b) : got.add(b)
      } catch (e) {
        assert.equal((e as Error).message, r.err, what)
        return
      }
      assert.equal(r.err, undefined, what)
      assert.deepEqual(norm(wire(got)), norm(r.h), what)
      assert.equal((flags & COUNTER_RESET_COLLISION) !== 0, r.collision ?? false, what)
      assert.equal((flags & NHCB_BOUNDS_RECONCILED) !== 0, r.reconciled ?? false, what)
      assert.equal(JSON.stringify(wire(b)), bBefore, `${what}: the other operand is left alone`)
      compared++
    })
    assert.ok(compared > 2000 && panics < 100, `compared ${compared}, Prometheus panicked ${panics} times`)
  })

  it('kahanAdd: the same sum, compensation, layout and flags as Prometheus\'s KahanAdd', async () => {
    // values that cancel (±1e100 around small ones) so that the compensation is not 0
    const cancelling = fc.constantFrom(1e100, -1e100, 1, 0.1, 5.3, 1e50, -1e50, 1e-6, 1.7976931348623157e308, 1e308)
    const heavy = arbFloatHistogram().chain((h) =>
      fc.record({h: fc.constant(h), sum: cancelling, zc: cancelling, c: cancelling, pos: fc.array(cancelling, {minLength: h.positiveBuckets.length, maxLength: h.positiveBuckets.length})}).map(({h, sum, zc, c, pos}) => {
        const out = h.copy()
        out.sum = sum
        out.zeroCount = Math.abs(zc)
        out.count = Math.abs(c)
        out.positiveBuckets = Float64Array.from(pos, Math.abs)
        return out
      }),
    )
    // one layout for all (the series of one source), values that cancel
    const sameLayout = arbFloatHistogram().chain((h) =>
      fc.array(fc.record({pos: fc.array(cancelling, {minLength: h.positiveBuckets.length, maxLength: h.positiveBuckets.length}), sum: cancelling}), {minLength: 2, maxLength: 6}).map((vs) =>
        vs.map(({pos, sum}) => {
          const out = h.copy()
          out.positiveBuckets = Float64Array.from(pos, Math.abs)
          out.sum = sum
          return out
        }),
      ),
    )
    const series = fc.sample(
      fc.oneof(
        fc.array(fc.oneof(arbFloatHistogram(), rich, heavy), {minLength: 2, maxLength: 6}),
        sameLayout,
        fc.array(arbCustomHistogram(CUSTOM_POOL), {minLength: 2, maxLength: 5}),
        fc.tuple(arbFloatHistogram(), arbCustomHistogram(CUSTOM_POOL)).map(([a, b]) => [a, b]),
      ),
      2000,
    )
    const answers = await theirs(series.map((hs) => ({op: 'kahanSum', hs: hs.map(wire)})))
    let compared = 0
    let compensated = 0
    series.forEach((hs, i) => {
      const r = answers[i]!
      if (r.panic) return
      const what = `kahanSum #${i}: ${JSON.stringify(hs.map(wire))}`
      const sum = hs[0]!.copy()
      let c: FloatHistogram | undefined
      let flags = 0
      try {
        for (const h of hs.slice(1)) flags |= sum.kahanAdd(h, (c ??= sum.compensation()))
      } catch (e) {
        assert.equal((e as Error).message, r.err, what)
        return
      }
      assert.equal(r.err, undefined, what)
      assert.deepEqual(norm(wire(sum)), norm(r.h), `${what}: sum`)
      assert.deepEqual(norm({...wire(c!), hint: 0}), norm({...r.comp!, hint: 0}), `${what}: compensation`)
      assert.equal((flags & COUNTER_RESET_COLLISION) !== 0, r.collision ?? false, what)
      assert.equal((flags & NHCB_BOUNDS_RECONCILED) !== 0, r.reconciled ?? false, what)
      if (c!.sum !== 0 || c!.positiveBuckets.some((x) => x !== 0)) compensated++
      compared++
    })
    assert.ok(compared > 1000 && compensated > 100, `compared ${compared}, with a compensation ${compensated}`)
  })

  it('compact(n), copyToSchema, mul and div: same as Prometheus', async () => {
    const cases = fc.sample(fc.tuple(fc.oneof(arbFloatHistogram(), rich, arbCustomHistogram(CUSTOM_POOL)), fc.integer({min: 0, max: 3}), fc.constantFrom(0, -0, 2, -3, 0.1, NaN, Infinity)), 1500)
    const reqs: OracleRequest[] = []
    for (const [h, n, f] of cases) {
      reqs.push({op: 'compact', a: wire(h), n})
      reqs.push({op: 'mul', a: wire(h), f: hexOf(f)})
      reqs.push({op: 'div', a: wire(h), f: hexOf(f)})
      reqs.push({op: 'copyToSchema', a: wire(h), n: h.usesCustomBuckets() ? h.schema : Math.max(-4, h.schema - n)})
    }
    const answers = await theirs(reqs)
    cases.forEach(([h, n, f], i) => {
      const what = JSON.stringify(wire(h))
      const [c, m, d, s] = answers.slice(4 * i, 4 * i + 4)
      if (!c!.panic) sameCompaction(h, h.copy().compact(n), c!.h!, n, `compact(${n}) ${what}`)
      assert.deepEqual(norm(wire(h.copy().mul(f))), norm(m!.h), `mul(${f}) ${what}`)
      assert.deepEqual(norm(wire(h.copy().div(f))), norm(d!.h), `div(${f}) ${what}`)
      if (!s!.panic) assert.deepEqual(norm(wire(h.copyToSchema(h.usesCustomBuckets() ? h.schema : Math.max(-4, h.schema - n)))), norm(s!.h), `copyToSchema ${what}`)
    })
  })

  it('detectReset and equals: same answers as Prometheus', async () => {
    // Related pairs (a histogram and one that grew, shrank, changed schema or threshold) and unrelated ones.
    const related = fc.tuple(arbFloatHistogram(), arbFloatHistogram(), fc.integer({min: 0, max: 4})).map(([a, d, mode]) => {
      const b = a.copy()
      b.counterResetHint = d.counterResetHint
      if (mode === 0) b.add(d)
      else if (mode === 1) b.sub(d)
      else if (mode === 2 && b.schema > -4) b.reduceResolution(b.schema - 1)
      else if (mode === 3) b.compact(1)
      return [a, b] as const
    })
    const pairs = fc.sample(fc.oneof(related, fc.tuple(arbFloatHistogram(), arbFloatHistogram()), fc.tuple(arbCustomHistogram(CUSTOM_POOL), arbCustomHistogram(CUSTOM_POOL)), fc.tuple(arbCustomHistogram(CUSTOM_POOL), arbFloatHistogram())), 3000)
    const reqs: OracleRequest[] = []
    for (const [prev, curr] of pairs) {
      reqs.push({op: 'detectReset', a: wire(curr), b: wire(prev)})
      reqs.push({op: 'equals', a: wire(curr), b: wire(prev)})
      reqs.push({op: 'equals', a: wire(prev), b: wire(prev.copy().compact(0))})
    }
    const answers = await theirs(reqs)
    let resets = 0
    pairs.forEach(([prev, curr], i) => {
      const what = `${JSON.stringify(wire(curr))} after ${JSON.stringify(wire(prev))}`
      const [r, e, e2] = answers.slice(3 * i, 3 * i + 3)
      if (!r!.panic) {
        assert.equal(curr.detectReset(prev), r!.bool ?? false, `detectReset ${what}`)
        if (r!.bool) resets++
      }
      assert.equal(curr.equals(prev), e!.bool ?? false, `equals ${what}`)
      assert.equal(prev.equals(prev.copy().compact(0)), e2!.bool ?? false, `equals compacted ${what}`)
    })
    assert.ok(resets > 300 && resets < 2700, `resets: ${resets}`)
  })

  it('validate: the same verdict and message as Prometheus', async () => {
    const broken = arbFloatHistogram().chain((h) =>
      fc.integer({min: 0, max: 6}).map((mode) => {
        const b = h.copy()
        if (mode === 1 && b.positiveBuckets.length > 0) b.positiveBuckets[0] = -1
        if (mode === 2) b.positiveSpans = Int32Array.from([...b.positiveSpans, 2, 1])
        if (mode === 3) b.schema = 9
        if (mode === 4) b.zeroCount = -1
        if (mode === 5) b.negativeSpans = Int32Array.from([0, 1, -2, 1])
        if (mode === 6) b.customValues = new Float64Array([1])
        return b
      }),
    )
    const customBroken = arbCustomHistogram(CUSTOM_POOL).chain((h) =>
      fc.integer({min: 0, max: 4}).map((mode) => {
        const b = h.copy()
        if (mode === 1) b.customValues = Float64Array.from([...b.customValues!].reverse())
        if (mode === 2) b.customValues = Float64Array.from([...b.customValues!, Infinity])
        if (mode === 3) b.zeroThreshold = 1
        if (mode === 4) b.positiveSpans = Int32Array.from([20, 1])
        if (mode === 4) b.positiveBuckets = new Float64Array([1])
        return b
      }),
    )
    const hs = fc.sample(fc.oneof(broken, customBroken), 2000)
    const answers = await theirs(hs.map((h) => ({op: 'validate', a: wire(h)})))
    let failures = 0
    hs.forEach((h, i) => {
      let msg: string | undefined
      try {
        h.validate()
      } catch (e) {
        assert.ok(e instanceof HistogramError)
        msg = e.message
        failures++
      }
      assert.equal(msg, answers[i]!.err, JSON.stringify(wire(h)))
    })
    assert.ok(failures > 500, `failures: ${failures}`)
  })

  it("the API JSON is Prometheus's jsonutil.MarshalHistogram, byte for byte", async () => {
    const hs = fc.sample(fc.oneof(rich, arbFloatHistogram(), arbCustomHistogram(CUSTOM_POOL)), 2000)
    const answers = await theirs(hs.map((h) => ({op: 'json', a: wire(h)})))
    hs.forEach((h, i) => assert.equal(histogramJson(h), answers[i]!.json, JSON.stringify(wire(h))))
  })

  it('integer histograms: compact, reduceResolution, validate and toFloat as Prometheus', async () => {
    const ints = fc.sample(arbFloatHistogram(), 1500).map((f) => {
      const h = new Histogram()
      h.counterResetHint = f.counterResetHint
      h.schema = f.schema
      h.zeroThreshold = f.zeroThreshold
      h.zeroCount = f.zeroCount
      h.count = f.count
      h.sum = f.sum
      h.positiveSpans = f.positiveSpans
      h.negativeSpans = f.negativeSpans
      const deltas = (b: Float64Array): Float64Array => b.map((v, k) => v - (k > 0 ? b[k - 1]! : 0))
      h.positiveBuckets = deltas(f.positiveBuckets)
      h.negativeBuckets = deltas(f.negativeBuckets)
      return h
    })
    const reqs: OracleRequest[] = []
    for (const h of ints) {
      reqs.push({op: 'intCompact', a: wire(h), n: h.schema & 3})
      reqs.push({op: 'intReduce', a: wire(h), n: Math.max(-4, h.schema - 2)})
      reqs.push({op: 'intValidate', a: wire(h)})
      reqs.push({op: 'intToFloat', a: wire(h)})
    }
    const answers = await theirs(reqs)
    ints.forEach((h, i) => {
      const what = JSON.stringify(wire(h))
      const [c, r, v, f] = answers.slice(4 * i, 4 * i + 4)
      if (!c!.panic) sameCompaction(h.toFloat(), h.copy().compact(h.schema & 3).toFloat(), unwireInt(c!.h!).toFloat(), h.schema & 3, `compact ${what}`)
      const red = h.copy()
      if (h.schema > -4) {
        red.reduceResolution(Math.max(-4, h.schema - 2))
        assert.deepEqual(norm(wire(red)), norm(r!.h), `reduce ${what}`)
      }
      let msg: string | undefined
      try {
        h.validate()
      } catch (e) {
        msg = (e as Error).message
      }
      assert.equal(msg, v!.err, `validate ${what}`)
      assert.deepEqual(norm(wire(h.toFloat())), norm(f!.h), `toFloat ${what}`)
      assert.ok(unwire(f!.h!).equals(h.toFloat()))
    })
  })
})
