/**
 * Histogram chunk codecs on random series: what the encoders write decodes to what went in
 * (property), and equals, byte for byte, what Prometheus's own chunk appenders write for the
 * same series (differential, through test/core/histogram/prometheus-oracle.ts). Plus the
 * format details, the encoding dispatcher and corrupt input.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {BitReader, BitWriter} from '../../../src/core/chunkenc/bit-stream.js'
import {
  ChunkEncoding,
  chunkEncodingToStoreEncoding,
  CounterResetHeader,
  decodeChunk,
  decodeFloatHistogramChunk,
  decodeHistogramChunk,
  encodeFloatHistogramChunks,
  encodeHistogramChunks,
  FloatHistogramChunkEncoder,
  HistogramChunkEncoder,
  storeEncodingToChunkEncoding,
  UnsupportedChunkEncodingError,
  XorDecodeIterator,
} from '../../../src/core/chunkenc/index.js'
import {isStaleNaN, STALE_NAN} from '../../../src/core/chunkenc/value.js'
import {BadDataError} from '../../../src/core/errors.js'
import {bucketIndices} from '../../../src/core/histogram/layout.js'
import {CounterResetHint, FloatHistogram, Histogram, HistogramError} from '../../../src/core/histogram/index.js'
import {PrometheusHistogramOracle, wire} from '../histogram/prometheus-oracle.js'
import {prng} from './native-histogram-fixtures.js'

interface Sample<H> {
  t: number
  h: H
}

/**
 * A random series, valid as Prometheus requires: counters that grow (sometimes by huge
 * amounts), reset, change schema, zero threshold or custom bounds, gain and lose (empty)
 * buckets, carry explicit hints, go stale; or gauges that do anything.
 */
function randomSeries(seed: number, n: number, float: boolean): Array<Sample<Histogram | FloatHistogram>> {
  const r = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
  const gauge = r() < 0.25
  const nhcb = r() < 0.2
  let schema = nhcb ? -53 : pick([-4, -2, 0, 1, 3, 5, 8])
  let zt = nhcb ? 0 : pick([0, 2 ** -128, 0.001, 0.5])
  let bounds = [0.1, 0.5, 1, 2.5, 10, 100]
  let pos = new Map<number, number>()
  let neg = new Map<number, number>()
  let zc = 0
  let sum = 0
  let t = Math.floor(r() * 2e12) - 1e11
  const out: Array<Sample<Histogram | FloatHistogram>> = []
  const big = r() < 0.2
  const inc = (): number => (float ? pick([0.5, 1, 0.25, 3.75, 1e-3]) : big && r() < 0.3 ? Math.floor(r() * 2 ** 40) : 1 + Math.floor(r() * 5))
  for (let k = 0; k < n; k++) {
    t += pick([1, 15_000, 15_000, 15_000, 15_001, 30_000, 2 ** 20, 2 ** 33])
    if (r() < 0.04) {
      const h = float ? new FloatHistogram() : new Histogram()
      h.sum = STALE_NAN
      out.push({t, h})
      continue
    }
    let hint: CounterResetHint = gauge ? CounterResetHint.Gauge : pick([0, 0, 0, 2])
    if (!gauge && r() < 0.05) {
      pos = new Map()
      neg = new Map()
      zc = 0
    }
    if (!gauge && r() < 0.03) hint = CounterResetHint.CounterReset
    if (r() < 0.03) {
      if (nhcb) bounds = r() < 0.5 ? bounds.slice(0, -1) : [...bounds, bounds[bounds.length - 1]! * 10]
      else schema = Math.max(-4, Math.min(8, schema + pick([-1, 1])))
      pos = new Map()
      neg = new Map()
      zc = 0
    }
    if (!nhcb && r() < 0.03) zt = pick([0, 2 ** -128, 0.001, 0.5])
    const m = Math.floor(r() * 4)
    for (let j = 0; j < m; j++) {
      if (!nhcb && r() < 0.15) zc += inc()
      else {
        const side = !nhcb && r() < 0.3 ? neg : pos
        const idx = nhcb ? Math.floor(r() * (bounds.length + 1)) : Math.floor(r() * 24) - 8
        side.set(idx, (side.get(idx) ?? 0) + inc())
      }
      sum += (r() - 0.4) * 10
    }
    if (gauge) {
      for (const side of [pos, neg]) for (const [i] of side) if (r() < 0.15) side.delete(i)
      if (r() < 0.2) zc = 0
    }
    // Sometimes present empty buckets, sometimes not.
    const emptyPos = [...pos.keys()].map((i) => i + 1).filter((i) => !pos.has(i) && (!nhcb || i <= bounds.length) && r() < 0.2)
    const emptyNeg = nhcb ? [] : [...neg.keys()].map((i) => i - 1).filter((i) => !neg.has(i) && r() < 0.2)
    const side = (m: Map<number, number>, extra: number[]): {spans: number[]; vals: number[]} => {
      const idx = [...new Set([...m.keys(), ...extra])].sort((a, b) => a - b)
      const spans: number[] = []
      let last = 0
      idx.forEach((b, i) => {
        if (i > 0 && b === last + 1 && r() < 0.9) spans[spans.length - 1]!++
        else spans.push(i === 0 ? b : b - last - 1, 1)
        last = b
      })
      return {spans, vals: idx.map((i) => m.get(i) ?? 0)}
    }
    const p = side(pos, emptyPos)
    const ng = side(neg, emptyNeg)
    const count = zc + p.vals.reduce((a, b) => a + b, 0) + ng.vals.reduce((a, b) => a + b, 0)
    const init = {
      counterResetHint: hint,
      schema,
      zeroThreshold: zt,
      zeroCount: zc,
      count,
      sum,
      positiveSpans: p.spans,
      negativeSpans: ng.spans,
      customValues: nhcb ? bounds : null,
    }
    const deltas = (v: number[]): number[] => v.map((x, i) => x - (i > 0 ? v[i - 1]! : 0))
    out.push({
      t,
      h: float
        ? FloatHistogram.of({...init, positiveBuckets: p.vals, negativeBuckets: ng.vals})
        : Histogram.of({...init, positiveBuckets: deltas(p.vals), negativeBuckets: deltas(ng.vals)}),
    })
  }
  return out
}

/** Every chunk an appender chain writes for the series (no head cutting), and how often it recoded. */
function appenderChunks(series: Array<Sample<Histogram | FloatHistogram>>, float: boolean): {chunks: Uint8Array[]; recodes: number} {
  const chunks: Uint8Array[] = []
  let recodes = 0
  if (float) {
    let enc = new FloatHistogramChunkEncoder()
    for (const {t, h} of series) {
      const next = enc.append(t, h as FloatHistogram)
      if (next !== enc) chunks.push(enc.bytes())
      else if (enc.recoded) recodes++
      enc = next
    }
    chunks.push(enc.bytes())
  } else {
    let enc = new HistogramChunkEncoder()
    for (const {t, h} of series) {
      const next = enc.append(t, h as Histogram)
      if (next !== enc) chunks.push(enc.bytes())
      else if (enc.recoded) recodes++
      enc = next
    }
    chunks.push(enc.bytes())
  }
  return {chunks, recodes}
}

function absolute(h: Histogram | FloatHistogram): FloatHistogram {
  return h instanceof FloatHistogram ? h : h.toFloat()
}

function buckets(spans: Int32Array, b: Float64Array): Array<[number, number]> {
  const idx = bucketIndices(spans, b.length)
  const out: Array<[number, number]> = []
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) out.push([idx[i]!, b[i]!])
  return out
}

function bitsOf(v: number): string {
  const d = new DataView(new ArrayBuffer(8))
  d.setFloat64(0, v)
  return d.getBigUint64(0).toString(16)
}

/** Decodes chunks and checks every sample against the input and Prometheus's reader hints. */
function checkDecoded(chunks: Uint8Array[], series: Array<Sample<Histogram | FloatHistogram>>, float: boolean): void {
  let i = 0
  for (const data of chunks) {
    const d = decodeChunk(float ? ChunkEncoding.FloatHistogram : ChunkEncoding.Histogram, data)
    assert.notEqual(d.encoding, ChunkEncoding.XOR)
    const it = d.iterator as ReturnType<typeof decodeHistogramChunk> | ReturnType<typeof decodeFloatHistogramChunk>
    let k = 0
    while (it.next()) {
      k++
      const want = series[i++]!
      const what = `sample ${i - 1}`
      assert.equal(it.atT(), want.t, what)
      assert.equal(it.atStale(), isStaleNaN(want.h.sum), what)
      const got = it.atFloatHistogram()
      if (it.atStale()) continue
      const w = absolute(want.h)
      assert.equal(got.schema, w.schema, what)
      assert.equal(got.zeroThreshold, w.zeroThreshold, what)
      assert.equal(bitsOf(got.count), bitsOf(w.count), what)
      assert.equal(bitsOf(got.zeroCount), bitsOf(w.zeroCount), what)
      assert.equal(bitsOf(got.sum), bitsOf(w.sum), what)
      assert.deepEqual(got.customValues ? [...got.customValues] : null, w.customValues ? [...w.customValues] : null, what)
      assert.deepEqual(buckets(got.positiveSpans, got.positiveBuckets), buckets(w.positiveSpans, w.positiveBuckets), what)
      assert.deepEqual(buckets(got.negativeSpans, got.negativeBuckets), buckets(w.negativeSpans, w.negativeBuckets), what)
      const hint = it.counterResetHeader === CounterResetHeader.Gauge ? CounterResetHint.Gauge : k === 1 ? CounterResetHint.Unknown : CounterResetHint.NotCounterReset
      assert.equal(got.counterResetHint, hint, what)
      if (!float) assert.equal((it as ReturnType<typeof decodeHistogramChunk>).atHistogram().count, (want.h as Histogram).count)
    }
  }
  assert.equal(i, series.length, 'all samples')
}

describe('histogram chunk codecs', function () {
  this.timeout(600_000)

  it('decode(encode(series)) gives back every histogram, with the chunks cut as the TSDB head cuts them', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({min: 1, max: 150}), fc.boolean(), (seed, n, float) => {
        const series = randomSeries(seed, n, float)
        const ts = series.map((s) => s.t)
        const chunks = float ? encodeFloatHistogramChunks(ts, series.map((s) => s.h as FloatHistogram)) : encodeHistogramChunks(ts, series.map((s) => s.h as Histogram))
        for (const c of chunks) {
          const it = float ? decodeFloatHistogramChunk(c.data) : decodeHistogramChunk(c.data)
          assert.ok(it.next())
          assert.equal(it.atT(), c.minTime)
        }
        checkDecoded(
          chunks.map((c) => c.data),
          series,
          float,
        )
        // Inputs are left alone.
        assert.deepEqual(randomSeries(seed, n, float).map((s) => JSON.stringify(wire(s.h))), series.map((s) => JSON.stringify(wire(s.h))))
      }),
      {numRuns: 300},
    )
  })

  describe('against Prometheus', function () {
    let oracle: PrometheusHistogramOracle | undefined
    before(async () => {
      oracle = await PrometheusHistogramOracle.start()
    })
    after(async () => {
      await oracle?.close()
    })

    for (const float of [false, true]) {
      it(`${float ? 'float' : 'integer'} histograms: our appender writes Prometheus's chunks byte for byte (cuts, headers, recoding)`, async () => {
        const cases = Array.from({length: 400}, (_, i) => randomSeries(1000 + i, 5 + (i % 120), float))
        const answers = await oracle!.call(cases.map((s) => ({op: 'chunks', hs: s.map((x) => wire(x.h)), ts: s.map((x) => x.t), float})))
        let chunks = 0
        let recoded = 0
        cases.forEach((s, i) => {
          const r = answers[i]!
          assert.equal(r.err ?? r.panic, undefined, `case ${i}`)
          const got = appenderChunks(s, float)
          const ours = got.chunks.map((c) => Buffer.from(c).toString('hex'))
          assert.deepEqual(ours, r.chunks, `case ${i}`)
          chunks += ours.length
          recoded += got.recodes
          checkDecoded(got.chunks, s, float)
        })
        assert.ok(chunks > 800 && recoded > 100, `chunks: ${chunks}, recodings: ${recoded}`)
      })
    }
  })

  it('recodes the chunk when a histogram brings new buckets, widens one that lacks empty ones, cuts at a vanished populated bucket', () => {
    const enc = new HistogramChunkEncoder()
    assert.equal(enc.append(1, Histogram.of({count: 3, positiveSpans: [0, 3], positiveBuckets: [1, -1, 2]})), enc) // counts 1, 0, 2
    // Lacks the empty bucket 1: appended with the chunk's layout.
    assert.equal(enc.append(2, Histogram.of({count: 5, positiveSpans: [0, 1, 1, 1], positiveBuckets: [2, 1]})), enc)
    assert.equal(enc.recoded, false)
    // Brings bucket 3: the chunk is rewritten with the wider layout.
    assert.equal(enc.append(3, Histogram.of({count: 7, positiveSpans: [0, 4], positiveBuckets: [2, -2, 3, -2]})), enc)
    assert.ok(enc.recoded)
    const it = decodeHistogramChunk(enc.bytes())
    const got: number[][] = []
    while (it.next()) {
      assert.deepEqual([...it.atHistogram().positiveSpans], [0, 4])
      got.push([...it.atFloatHistogram().positiveBuckets])
    }
    assert.deepEqual(got, [
      [1, 0, 2, 0],
      [2, 0, 3, 0],
      [2, 0, 3, 1],
    ])
    const cut = enc.append(4, Histogram.of({count: 8, positiveSpans: [0, 1, 2, 1], positiveBuckets: [5, -2]}))
    assert.notEqual(cut, enc, 'bucket 2 (count 3) vanished: a counter reset, so a new chunk')
    assert.equal(cut.counterResetHeader, CounterResetHeader.CounterReset)
  })

  it('writes the layout as documented: zero threshold byte, schema, spans, custom bounds', () => {
    const enc = new HistogramChunkEncoder()
    enc.append(0, Histogram.of({schema: 3, zeroThreshold: 2 ** -128}))
    const b = enc.bytes()
    assert.deepEqual([b[0], b[1], b[2]], [0, 1, CounterResetHeader.Unknown])
    assert.equal(b[3], 116, '2^-128 is byte 116')
    const r = new BitReader('test')
    r.reset(b, 4)
    assert.equal(r.varbitInt(), 3)
    assert.equal(r.varbitUint(), 0)
    assert.equal(r.varbitUint(), 0)
    const c = new HistogramChunkEncoder()
    c.append(0, Histogram.of({schema: -53, count: 1, positiveSpans: [0, 1], positiveBuckets: [1], customValues: [0.1, -1]}))
    const cb = c.bytes()
    assert.equal(cb[3], 0, 'no zero threshold')
    r.reset(cb, 4)
    assert.equal(r.varbitInt(), -53)
    assert.equal(r.varbitUint(), 1)
    assert.equal(r.varbitUint(), 1)
    assert.equal(r.varbitInt(), 0)
    assert.equal(r.varbitUint(), 0)
    assert.equal(r.varbitUint(), 2, 'two custom bounds')
    assert.equal(r.varbitUint(), 101, '0.1 as 100 + 1')
    assert.equal(r.varbitUint(), 0, '-1 as a 0 bit and the float')
    const g = new HistogramChunkEncoder()
    g.append(0, Histogram.of({zeroThreshold: 0.001}))
    assert.equal(g.bytes()[3], 255, 'other thresholds: 255 and the float')
  })

  it('varbit integers round-trip over their whole range', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({min: -40, max: 40}),
            fc.integer(),
            fc.maxSafeInteger(),
            fc.constantFrom(4, -3, 5, -4, 32, -31, 33, 256, -255, 257, 2048, 131072, 16777216, 16777217, 2 ** 55, -(2 ** 55 - 1), 2 ** 55 + 1, -(2 ** 55), 2 ** 53, -(2 ** 53)),
          ),
        ),
        (vs) => {
          const w = new BitWriter()
          for (const v of vs) {
            w.varbitInt(v)
            w.varbitUint(Math.abs(v))
          }
          const r = new BitReader('test')
          r.reset(w.view(), 0)
          for (const v of vs) {
            assert.equal(r.varbitInt(), v)
            assert.equal(r.varbitUint(), Math.abs(v))
          }
        },
      ),
    )
  })

  it('reduces schemas above 8 to 8 when decoding, as Prometheus does for newer writers', () => {
    const h = Histogram.of({schema: 10, count: 10, positiveSpans: [-5, 6], positiveBuckets: [1, 0, 1, 0, 1, 1], negativeSpans: [3, 2], negativeBuckets: [1, 0]})
    const enc = new HistogramChunkEncoder()
    enc.append(0, h)
    const it = decodeHistogramChunk(enc.bytes())
    it.next()
    const want = h.copy()
    want.reduceResolution(8)
    assert.ok(it.atHistogram().equals(want))
    assert.ok(it.atFloatHistogram().equals(want.toFloat()))
    assert.equal(it.atHistogram().schema, 8)
  })

  it('refuses unknown schemas, truncated chunks and impossible layouts with bad_data errors', () => {
    const enc = new HistogramChunkEncoder()
    enc.append(0, Histogram.of({schema: 60}))
    assert.throws(() => decodeHistogramChunk(enc.bytes()).next(), (e: unknown) => e instanceof HistogramError && e.reason === 'unknown_schema')
    const good = new HistogramChunkEncoder()
    good.append(0, Histogram.of({count: 4, sum: 1, positiveSpans: [0, 2], positiveBuckets: [2, 0]}))
    good.append(15, Histogram.of({count: 6, sum: 2, positiveSpans: [0, 2], positiveBuckets: [3, 0]}))
    const bytes = good.bytes()
    for (let cut = 3; cut < bytes.length; cut++) {
      const it = decodeHistogramChunk(bytes.subarray(0, cut))
      assert.throws(() => {
        while (it.next());
      }, BadDataError)
    }
    // A span count the chunk cannot hold (a corrupt varbit), not a giant allocation.
    const w = new BitWriter(3)
    w.setByte(1, 1)
    w.byte(0)
    w.varbitInt(0)
    w.varbitUint(2 ** 40)
    assert.throws(() => decodeHistogramChunk(w.view()).next(), BadDataError)
    assert.throws(() => decodeFloatHistogramChunk(new Uint8Array([0, 1])), BadDataError)
  })

  it('decodeChunk dispatches the three Prometheus encodings and refuses every other one', () => {
    const x = new Uint8Array([0, 0])
    assert.ok(decodeChunk(ChunkEncoding.XOR, x).iterator instanceof XorDecodeIterator)
    const h = new HistogramChunkEncoder()
    h.append(0, Histogram.of({}))
    assert.equal(decodeChunk(2, h.bytes()).encoding, ChunkEncoding.Histogram)
    assert.equal(decodeChunk(3, h.bytes()).encoding, ChunkEncoding.FloatHistogram)
    for (const e of [0, 4, 5, 6, 7, 255]) {
      assert.throws(
        () => decodeChunk(e, h.bytes()),
        (err: unknown) => err instanceof UnsupportedChunkEncodingError && err.kind === 'bad_data' && err.encoding === e && err.message.startsWith(`unsupported chunk encoding ${e}`),
      )
    }
    assert.deepEqual([0, 1, 2].map(storeEncodingToChunkEncoding), [1, 2, 3])
    assert.deepEqual([1, 2, 3].map(chunkEncodingToStoreEncoding), [0, 1, 2])
    assert.throws(() => storeEncodingToChunkEncoding(3), UnsupportedChunkEncodingError)
    assert.throws(() => chunkEncodingToStoreEncoding(4), UnsupportedChunkEncodingError)
  })
})
