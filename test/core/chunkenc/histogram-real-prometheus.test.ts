/**
 * The native-histogram chunk codecs and the API JSON against a REAL Prometheus 3: histograms
 * are remote-written (integer and float, exponential schemas incl. negative ones and schema
 * changes, zero buckets, negative buckets, custom buckets with changing bounds, counter
 * resets, explicit reset hints, gauges, stale markers, series long enough to be cut by size
 * and at the 2h chunk-range boundary), read back as the chunks Prometheus cut (streamed
 * remote read: the bytes a sidecar forwards) and
 *  - decoded: every sample must be the histogram written (bit-exact counts, sum, schema,
 *    threshold, custom bounds; buckets equal, recoding may add empty ones), with Prometheus's
 *    reader hints;
 *  - rendered: our JSON for each decoded sample must equal Prometheus's own /api/v1/query
 *    answer for it, byte for byte;
 *  - re-encoded: our encoders, fed the same input, must cut the same chunks with the same bytes.
 */
import assert from 'node:assert/strict'
import {
  ChunkEncoding,
  CounterResetHeader,
  decodeChunk,
  encodeFloatHistogramChunks,
  encodeHistogramChunks,
  FloatHistogramDecodeIterator,
  HistogramDecodeIterator,
} from '../../../src/core/chunkenc/index.js'
import {isStaleNaN} from '../../../src/core/chunkenc/value.js'
import {bucketIndices} from '../../../src/core/histogram/layout.js'
import {CounterResetHint, FloatHistogram, Histogram, histogramJson} from '../../../src/core/histogram/index.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {getLabel} from '../../../src/core/labels/labels.js'
import {RemoteReadClient, type ChunkedSeries} from '../../../src/core/remote-read/remote-read-client.js'
import {remoteWriteHistograms, type HistogramSeries} from '../../helpers/native-histogram-remote-write.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'
import {nativeHistogramWriteSeries} from './native-histogram-fixtures.js'

const H2 = 2 * 3600_000
// A chunk-range boundary at least 50 minutes ago; the data starts 55 minutes before it, so the
// longer series cross it and everything lies in the past.
const BOUNDARY = Math.floor((Date.now() - 50 * 60_000) / H2) * H2
const T0 = BOUNDARY - 55 * 60_000
const END = T0 + 120 * 60_000

interface Decoded {
  t: number
  stale: boolean
  fh: FloatHistogram
  h?: Histogram
  hint: CounterResetHint
}

function decodeSeries(s: ChunkedSeries): {samples: Decoded[]; encodings: number[]; headers: number[]} {
  const samples: Decoded[] = []
  const encodings: number[] = []
  const headers: number[] = []
  for (const c of s.chunks) {
    const d = decodeChunk(c.type, c.data)
    encodings.push(d.encoding)
    if (d.encoding === ChunkEncoding.XOR) throw new Error('unexpected float chunk')
    const it = d.iterator
    headers.push(it.counterResetHeader)
    let k = 0
    while (it.next()) {
      k++
      const fh = it.atFloatHistogram()
      const h = it instanceof HistogramDecodeIterator ? it.atHistogram() : undefined
      // Prometheus 3's reader hints: Gauge in gauge chunks, Unknown first, NotCounterReset after.
      const want = it.counterResetHeader === CounterResetHeader.Gauge ? CounterResetHint.Gauge : k === 1 ? CounterResetHint.Unknown : CounterResetHint.NotCounterReset
      if (!it.atStale()) assert.equal(fh.counterResetHint, want, `hint of sample ${k} of a chunk with header ${it.counterResetHeader}`)
      samples.push({t: it.atT(), stale: it.atStale(), fh, h, hint: fh.counterResetHint})
    }
    assert.equal(c.minTime, samples[samples.length - k]!.t, 'chunk minTime')
    assert.equal(c.maxTime, samples[samples.length - 1]!.t, 'chunk maxTime')
    assert.equal(k, (c.data[0]! << 8) | c.data[1]!)
  }
  return {samples, encodings, headers}
}

/** Bucket index → count of one side, empty buckets left out. */
function bucketMap(spans: Int32Array, counts: ArrayLike<number>): Map<number, number> {
  const idx = bucketIndices(spans, counts.length)
  const m = new Map<number, number>()
  for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) m.set(idx[i]!, counts[i]!)
  return m
}

function bits(v: number): string {
  const b = new DataView(new ArrayBuffer(8))
  b.setFloat64(0, v)
  return b.getBigUint64(0).toString(16)
}

function assertSameHistogram(got: FloatHistogram, want: FloatHistogram, what: string): void {
  assert.equal(got.schema, want.schema, `${what}: schema`)
  assert.equal(bits(got.zeroThreshold), bits(want.zeroThreshold), `${what}: zero threshold`)
  assert.equal(bits(got.count), bits(want.count), `${what}: count`)
  assert.equal(bits(got.zeroCount), bits(want.zeroCount), `${what}: zero count`)
  assert.equal(bits(got.sum), bits(want.sum), `${what}: sum`)
  assert.deepEqual(got.customValues ? [...got.customValues] : null, want.customValues ? [...want.customValues] : null, `${what}: custom values`)
  assert.deepEqual(bucketMap(got.positiveSpans, got.positiveBuckets), bucketMap(want.positiveSpans, want.positiveBuckets), `${what}: positive buckets`)
  assert.deepEqual(bucketMap(got.negativeSpans, got.negativeBuckets), bucketMap(want.negativeSpans, want.negativeBuckets), `${what}: negative buckets`)
}

function toFloat(h: Histogram | FloatHistogram): FloatHistogram {
  return h instanceof FloatHistogram ? h : h.toFloat()
}

describe('native histogram chunks of a real Prometheus 3', function () {
  this.timeout(120_000)
  let prom: PrometheusHandle | undefined
  const written: HistogramSeries[] = nativeHistogramWriteSeries(T0)
  const read = new Map<string, ChunkedSeries>()

  before(async () => {
    prom = await startPrometheus({version: 3, extraArgs: ['--web.enable-remote-write-receiver']})
    await remoteWriteHistograms(prom.url, written)
    const client = new RemoteReadClient(prom.url)
    try {
      for await (const s of client.read({start: T0 - 1, end: END, matchers: [new Matcher(MatchType.RE, '__name__', 'nh_.+')]})) {
        read.set(getLabel(s.labels, '__name__'), s)
      }
    } finally {
      await client.close()
    }
  })
  after(async () => {
    await prom?.stop()
  })

  it('streams every series as histogram chunks of the expected encodings and headers', () => {
    assert.deepEqual([...read.keys()].sort(), written.map((s) => s.labels.__name__!).sort())
    const headersSeen = new Set<number>()
    let chunks = 0
    for (const s of written) {
      const got = read.get(s.labels.__name__!)!
      const float = s.samples[0]!.h instanceof FloatHistogram
      const {encodings, headers} = decodeSeries(got)
      for (const e of encodings) assert.equal(e, float ? ChunkEncoding.FloatHistogram : ChunkEncoding.Histogram, s.labels.__name__)
      for (const h of headers) headersSeen.add(h)
      chunks += got.chunks.length
    }
    // The data is meant to make Prometheus use every header and cut plenty of chunks.
    assert.deepEqual([...headersSeen].sort((a, b) => a - b), [0, 0x40, 0x80, 0xc0])
    assert.ok(chunks > 40, `chunks: ${chunks}`)
  })

  it('decodes every sample to exactly the histogram written', () => {
    for (const s of written) {
      const name = s.labels.__name__!
      const {samples} = decodeSeries(read.get(name)!)
      assert.equal(samples.length, s.samples.length, `${name}: samples`)
      for (let i = 0; i < samples.length; i++) {
        const got = samples[i]!
        const want = s.samples[i]!
        const what = `${name}[${i}]`
        assert.equal(got.t, want.t, `${what}: t`)
        assert.equal(got.stale, isStaleNaN(want.h.sum), `${what}: stale`)
        if (got.stale) {
          assert.ok(isStaleNaN(got.fh.sum))
          assert.equal(got.fh.positiveBuckets.length + got.fh.negativeBuckets.length, 0)
          continue
        }
        assertSameHistogram(got.fh, toFloat(want.h), what)
        if (got.h) {
          // The integer view: absolute counts from the deltas match as well.
          assertSameHistogram(got.h.toFloat(), toFloat(want.h), `${what} (integer)`)
          assert.equal(got.h.count, (want.h as Histogram).count)
        }
      }
    }
  })

  it("renders each sample's JSON exactly as Prometheus's /api/v1/query does", async () => {
    let compared = 0
    for (const s of written) {
      const name = s.labels.__name__!
      const res = await fetch(`${prom!.url}/api/v1/query?query=${encodeURIComponent(`${name}[4h]`)}&time=${END / 1000}`)
      assert.equal(res.status, 200)
      const body = (await res.json()) as {data: {result: Array<{histograms?: Array<[number, unknown]>; values?: unknown[]}>}}
      assert.equal(body.data.result.length, 1, name)
      const theirs = body.data.result[0]!.histograms ?? []
      assert.equal(body.data.result[0]!.values, undefined)
      const ours = decodeSeries(read.get(name)!).samples.filter((x) => !x.stale)
      assert.equal(theirs.length, ours.length, `${name}: histograms`)
      for (let i = 0; i < ours.length; i++) {
        assert.equal(Math.round(theirs[i]![0] * 1000), ours[i]!.t)
        // Prometheus writes compact JSON with string values: re-serialising its parsed object is its text.
        assert.equal(histogramJson(ours[i]!.fh), JSON.stringify(theirs[i]![1]), `${name}[${i}]`)
        compared++
      }
    }
    assert.ok(compared > 1000, `compared ${compared}`)
  })

  it('renders an instant vector histogram the same way', async () => {
    const s = written.find((x) => x.labels.__name__ === 'nh_nhcb')!
    const last = s.samples[s.samples.length - 1]!
    const res = await fetch(`${prom!.url}/api/v1/query?query=nh_nhcb&time=${last.t / 1000}`)
    const body = (await res.json()) as {data: {result: Array<{histogram: [number, unknown]}>}}
    const ours = decodeSeries(read.get('nh_nhcb')!).samples.at(-1)!
    assert.equal(histogramJson(ours.fh), JSON.stringify(body.data.result[0]!.histogram[1]))
    // The first custom bucket (-Inf, b] has both bounds inclusive, rule 3, as Prometheus writes it.
    assert.match(histogramJson(ours.fh), /\[3,"-Inf",/)
  })

  it('our encoders cut the same chunks, byte for byte, from the same input', () => {
    for (const s of written) {
      const name = s.labels.__name__!
      const ts = s.samples.map((x) => x.t)
      const float = s.samples[0]!.h instanceof FloatHistogram
      const ours = float
        ? encodeFloatHistogramChunks(ts, s.samples.map((x) => x.h as FloatHistogram))
        : encodeHistogramChunks(ts, s.samples.map((x) => x.h as Histogram))
      const theirs = read.get(name)!.chunks
      assert.equal(ours.length, theirs.length, `${name}: chunks`)
      for (let i = 0; i < ours.length; i++) {
        assert.equal(ours[i]!.minTime, theirs[i]!.minTime, `${name} chunk ${i}: minTime`)
        assert.equal(ours[i]!.maxTime, theirs[i]!.maxTime, `${name} chunk ${i}: maxTime`)
        const want = Buffer.from(ours[i]!.data)
        if (i === ours.length - 1) {
          // The open head chunk reaches remote read re-encoded: the head's index gives it
          // MaxTime = MaxInt64, so the chunk querier trims it to the query range and appends
          // its samples to a fresh chunk (prometheus/tsdb/querier.go blockChunkSeriesSet,
          // populateCurrForSingleChunk), whose header comes from the first sample's hint:
          // Gauge for gauge chunks, Unknown otherwise. Everything after the header is the same.
          want[2] = want[2] === CounterResetHeader.Gauge ? CounterResetHeader.Gauge : CounterResetHeader.Unknown
        }
        assert.equal(want.toString('hex'), Buffer.from(theirs[i]!.data).toString('hex'), `${name} chunk ${i}: bytes`)
      }
    }
  })

  it('decoders reuse the histogram they are given', () => {
    const chunk = read.get('nh_long')!.chunks[0]!
    const it = new HistogramDecodeIterator(chunk.data)
    const into = new FloatHistogram()
    it.next()
    const first = it.atFloatHistogram(into)
    const buckets = first.positiveBuckets
    it.next()
    assert.equal(it.atFloatHistogram(into), into)
    assert.equal(into.positiveBuckets, buckets, 'same bucket array, same layout')
    const fchunk = read.get('nh_float_long')!.chunks[0]!
    const fit = new FloatHistogramDecodeIterator(fchunk.data)
    const finto = new FloatHistogram()
    fit.next()
    const fb = fit.atFloatHistogram(finto).positiveBuckets
    fit.next()
    assert.equal(fit.atFloatHistogram(finto).positiveBuckets, fb)
  })
})
