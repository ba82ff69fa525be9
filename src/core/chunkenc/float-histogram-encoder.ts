/**
 * Encoder of float histogram chunks (Prometheus chunk encoding 3), byte for byte as
 * Prometheus's FloatHistogramAppender (prometheus/tsdb/chunkenc/float_histogram.go
 * AppendFloatHistogram, appendable, appendableGauge, appendFloatHistogram, recode). The
 * appending rules are those of histogram-encoder.ts, with two differences Prometheus has: a
 * chunk cut for a reason other than a counter reset keeps the Unknown header, and a chunk
 * continued from a previous one gets CounterReset or NotCounterReset, never Unknown.
 *
 * Histograms passed in are not changed. They must be valid (FloatHistogram.validate).
 */
import {FloatHistogram} from '../histogram/float-histogram.js'
import {bucketIndices, EMPTY_BUCKETS, EMPTY_SPANS} from '../histogram/layout.js'
import {CounterResetHint, customBoundsMatch, isCustomBucketsSchema} from '../histogram/schema.js'
import {BitWriter, HI, LO} from './bit-stream.js'
import {FloatHistogramDecodeIterator} from './float-histogram-decoder.js'
import {compareCounterLayouts, compareGaugeLayouts, relayout, spansOfIndices, type LayoutChange} from './histogram-appendable.js'
import {
  chunkHistogramSeries,
  MAX_SAMPLES_PER_HISTOGRAM_CHUNK,
  sumBits,
  type EncodedHistogramChunk,
  type HistogramAppender,
  type HistogramChunkingOptions,
} from './histogram-encoder.js'
import {CounterResetHeader, HISTOGRAM_HEADER_SIZE, setCounterResetHeader, writeLayout} from './histogram-layout.js'
import {isStaleNaN, STALE_NAN_HI, STALE_NAN_LO} from './value.js'

const COUNT = 0
const ZERO_COUNT = 1
const SUM = 2
const EMPTY_INDICES = new Int32Array(0)
const COUNTS = new Float64Array(2)
const COUNT_WORDS = new Uint32Array(COUNTS.buffer)

export class FloatHistogramChunkEncoder {
  private w = new BitWriter(HISTOGRAM_HEADER_SIZE)
  private samples = 0
  private header: CounterResetHeader = CounterResetHeader.Unknown
  recoded = false
  minTime = 0
  maxTime = 0

  private schema = 0
  private zeroThreshold = 0
  private positiveSpans: Int32Array = EMPTY_SPANS
  private negativeSpans: Int32Array = EMPTY_SPANS
  private customValues: Float64Array | null = null
  private pIdx: Int32Array = EMPTY_INDICES
  private nIdx: Int32Array = EMPTY_INDICES

  private t = 0
  private tDelta = 0
  /** Last count, zero count and sum, as bits; the XOR windows of each (leading 0xff: none yet). */
  private readonly scalars = new Float64Array(3)
  private readonly scalarWords = new Uint32Array(this.scalars.buffer)
  private readonly scalarLT = new Uint8Array([0xff, 0, 0xff, 0, 0xff, 0])
  private readonly next = new Uint32Array(6)
  private pValues: Float64Array = EMPTY_BUCKETS
  private pWords: Uint32Array = new Uint32Array(0)
  private pLT: Uint8Array = new Uint8Array(0)
  private nValues: Float64Array = EMPTY_BUCKETS
  private nWords: Uint32Array = new Uint32Array(0)
  private nLT: Uint8Array = new Uint8Array(0)
  /** The incoming sample's bucket bits (scratch of the layout's size). */
  private pNext: Float64Array = EMPTY_BUCKETS
  private pNextWords: Uint32Array = new Uint32Array(0)
  private nNext: Float64Array = EMPTY_BUCKETS
  private nNextWords: Uint32Array = new Uint32Array(0)

  get numSamples(): number {
    return this.samples
  }

  get counterResetHeader(): CounterResetHeader {
    return this.header
  }

  get byteLength(): number {
    return this.w.byteLength()
  }

  bytes(): Uint8Array {
    return this.w.view().slice()
  }

  /** As HistogramChunkEncoder.append. */
  append(t: number, h: FloatHistogram, prev?: FloatHistogramChunkEncoder | null): FloatHistogramChunkEncoder {
    if (this.samples >= MAX_SAMPLES_PER_HISTOGRAM_CHUNK) throw new RangeError('float histogram chunk capacity exceeded')
    this.recoded = false
    if (this.samples === 0) {
      this.write(t, h)
      if (h.counterResetHint === CounterResetHint.Gauge) this.setHeader(CounterResetHeader.Gauge)
      else if (h.counterResetHint === CounterResetHint.CounterReset) this.setHeader(CounterResetHeader.CounterReset)
      else if (prev) this.setHeader(prev.appendable(h).counterReset ? CounterResetHeader.CounterReset : CounterResetHeader.NotCounterReset)
      return this
    }
    if (h.counterResetHint !== CounterResetHint.Gauge) {
      const a = this.appendable(h)
      if (!a.ok || a.counterReset) return this.cut(t, h, a.counterReset ? CounterResetHeader.CounterReset : CounterResetHeader.Unknown)
      let next = h
      const backward = a.p?.backward || a.n?.backward
      const forward = a.p?.forward || a.n?.forward
      if (backward) {
        next = h.copy()
        if (!forward) {
          next.positiveSpans = this.positiveSpans
          next.negativeSpans = this.negativeSpans
        } else {
          if (a.p?.backward) next.positiveSpans = spansOfIndices(a.p.union)
          if (a.n?.backward) next.negativeSpans = spansOfIndices(a.n.union)
        }
        widen(next, h, a.p, a.n)
      }
      if (forward) this.recode(next.positiveSpans, next.negativeSpans, a.p, a.n)
      this.write(t, next)
      return this
    }
    const g = this.appendableGauge(h)
    if (!g.ok) return this.cut(t, h, CounterResetHeader.Gauge)
    let next = h
    if (g.p && g.n && (g.p.backward || g.n.backward)) {
      next = h.copy()
      next.positiveSpans = spansOfIndices(g.p.union)
      next.negativeSpans = spansOfIndices(g.n.union)
      widen(next, h, g.p.backward ? g.p : null, g.n.backward ? g.n : null)
    }
    if (g.p && g.n && (g.p.forward || g.n.forward)) this.recode(next.positiveSpans, next.negativeSpans, g.p.forward ? g.p : null, g.n.forward ? g.n : null)
    this.write(t, next)
    return this
  }

  private cut(t: number, h: FloatHistogram, header: CounterResetHeader): FloatHistogramChunkEncoder {
    const c = new FloatHistogramChunkEncoder()
    c.setHeader(header)
    c.write(t, h)
    return c
  }

  private setHeader(h: CounterResetHeader): void {
    this.header = h
    setCounterResetHeader(this.w, h)
  }

  /** Prometheus's FloatHistogramAppender.appendable (same order of checks as the integer one). */
  private appendable(h: FloatHistogram): {ok: boolean; counterReset: boolean; p?: LayoutChange; n?: LayoutChange} {
    if (this.samples > 0 && this.header === CounterResetHeader.Gauge) return {ok: false, counterReset: false}
    if (h.counterResetHint === CounterResetHint.CounterReset) return {ok: false, counterReset: true}
    if (isStaleNaN(h.sum)) return {ok: true, counterReset: false}
    if (this.lastStale()) return {ok: false, counterReset: false}
    if (h.count < this.scalars[COUNT]!) return {ok: false, counterReset: true}
    if (h.schema !== this.schema || h.zeroThreshold !== this.zeroThreshold) return {ok: false, counterReset: false}
    if (isCustomBucketsSchema(h.schema) && !customBoundsMatch(h.customValues, this.customValues)) return {ok: false, counterReset: true}
    if (h.zeroCount < this.scalars[ZERO_COUNT]!) return {ok: false, counterReset: true}
    const p = compareCounterLayouts(this.pIdx, this.pValues, bucketIndices(h.positiveSpans, h.positiveBuckets.length), h.positiveBuckets)
    if (!p) return {ok: false, counterReset: true}
    const n = compareCounterLayouts(this.nIdx, this.nValues, bucketIndices(h.negativeSpans, h.negativeBuckets.length), h.negativeBuckets)
    if (!n) return {ok: false, counterReset: true}
    return {ok: true, counterReset: false, p, n}
  }

  private appendableGauge(h: FloatHistogram): {ok: boolean; p?: LayoutChange; n?: LayoutChange} {
    if (this.samples > 0 && this.header !== CounterResetHeader.Gauge) return {ok: false}
    if (isStaleNaN(h.sum)) return {ok: true}
    if (this.lastStale()) return {ok: false}
    if (h.schema !== this.schema || h.zeroThreshold !== this.zeroThreshold) return {ok: false}
    if (isCustomBucketsSchema(h.schema) && !customBoundsMatch(h.customValues, this.customValues)) return {ok: false}
    const p = compareGaugeLayouts(this.pIdx, bucketIndices(h.positiveSpans, h.positiveBuckets.length))
    const n = compareGaugeLayouts(this.nIdx, bucketIndices(h.negativeSpans, h.negativeBuckets.length))
    return {ok: true, p, n}
  }

  private lastStale(): boolean {
    return (this.scalarWords[2 * SUM + HI]! & 0xfff7ffff) === STALE_NAN_HI && this.scalarWords[2 * SUM + LO] === STALE_NAN_LO
  }

  /** Rewrites the chunk with a wider layout, as Prometheus's recode. */
  private recode(positiveSpans: Int32Array, negativeSpans: Int32Array, p: LayoutChange | null | undefined, n: LayoutChange | null | undefined): void {
    const it = new FloatHistogramDecodeIterator(this.w.view())
    const fresh = new FloatHistogramChunkEncoder()
    const old = new FloatHistogram()
    const pIdx = this.pIdx
    const nIdx = this.nIdx
    while (it.next()) {
      const t = it.atT()
      it.atFloatHistogram(old)
      if (!it.atStale()) {
        if (p?.forward) old.positiveBuckets = relayout(pIdx, old.positiveBuckets, p.union, false)
        if (n?.forward) old.negativeBuckets = relayout(nIdx, old.negativeBuckets, n.union, false)
        old.positiveSpans = positiveSpans
        old.negativeSpans = negativeSpans
      }
      fresh.write(t, old)
    }
    fresh.setHeader(this.header)
    Object.assign(this, fresh)
    this.recoded = true
  }

  /** Appends one sample without any checks (Prometheus's appendFloatHistogram). */
  private write(t: number, h: FloatHistogram): void {
    const w = this.w
    const stale = isStaleNaN(h.sum)
    const nx = this.next
    // Count and zero count get their bits through a scratch Float64Array, the sum by sumBits.
    COUNTS[0] = stale ? 0 : h.count
    COUNTS[1] = stale ? 0 : h.zeroCount
    nx[2 * COUNT + HI] = COUNT_WORDS[HI]!
    nx[2 * COUNT + LO] = COUNT_WORDS[LO]!
    nx[2 * ZERO_COUNT + HI] = COUNT_WORDS[2 + HI]!
    nx[2 * ZERO_COUNT + LO] = COUNT_WORDS[2 + LO]!
    sumBits(h.sum, nx, 2 * SUM)
    const pb = stale ? EMPTY_BUCKETS : h.positiveBuckets
    const nb = stale ? EMPTY_BUCKETS : h.negativeBuckets
    let tDelta = 0
    if (this.samples === 0) {
      const schema = stale ? 0 : h.schema
      const zt = stale ? 0 : h.zeroThreshold
      const ps = stale ? EMPTY_SPANS : h.positiveSpans
      const ns = stale ? EMPTY_SPANS : h.negativeSpans
      const cv = stale ? null : h.customValues
      writeLayout(w, schema, zt, ps, ns, cv)
      this.schema = schema
      this.zeroThreshold = zt
      this.positiveSpans = ps
      this.negativeSpans = ns
      this.customValues = cv
      this.pIdx = bucketIndices(ps, pb.length)
      this.nIdx = bucketIndices(ns, nb.length)
      this.pValues = new Float64Array(pb.length)
      this.pWords = new Uint32Array(this.pValues.buffer)
      this.pLT = new Uint8Array(pb.length * 2)
      this.nValues = new Float64Array(nb.length)
      this.nWords = new Uint32Array(this.nValues.buffer)
      this.nLT = new Uint8Array(nb.length * 2)
      this.pNext = new Float64Array(pb.length)
      this.pNextWords = new Uint32Array(this.pNext.buffer)
      this.nNext = new Float64Array(nb.length)
      this.nNextWords = new Uint32Array(this.nNext.buffer)
      for (let i = 0; i < this.pLT.length; i += 2) this.pLT[i] = 0xff
      for (let i = 0; i < this.nLT.length; i += 2) this.nLT[i] = 0xff
      w.varbitInt(t)
      w.raw64(nx, 2 * COUNT)
      w.raw64(nx, 2 * ZERO_COUNT)
      w.raw64(nx, 2 * SUM)
      // Bucket bits are copied as stored (Float64Array to Float64Array keeps NaN payloads).
      this.pValues.set(pb)
      this.nValues.set(nb)
      for (let i = 0; i < pb.length; i++) w.raw64(this.pWords, 2 * i)
      for (let i = 0; i < nb.length; i++) w.raw64(this.nWords, 2 * i)
      this.minTime = t
    } else {
      tDelta = t - this.t
      w.varbitInt(tDelta - this.tDelta)
      w.xor(nx, 2 * COUNT, this.scalarWords, 2 * COUNT, this.scalarLT, 2 * COUNT)
      w.xor(nx, 2 * ZERO_COUNT, this.scalarWords, 2 * ZERO_COUNT, this.scalarLT, 2 * ZERO_COUNT)
      w.xor(nx, 2 * SUM, this.scalarWords, 2 * SUM, this.scalarLT, 2 * SUM)
      writeBucketXors(w, pb, this.pNext, this.pNextWords, this.pValues, this.pWords, this.pLT)
      writeBucketXors(w, nb, this.nNext, this.nNextWords, this.nValues, this.nWords, this.nLT)
    }
    this.scalarWords.set(nx)
    this.t = t
    this.tDelta = tDelta
    this.maxTime = t
    this.samples++
    w.setByte(0, this.samples >>> 8)
    w.setByte(1, this.samples & 0xff)
  }
}

/** XOR of each new bucket value against the last one, then the new values become the last. */
function writeBucketXors(
  w: BitWriter,
  values: Float64Array,
  scratch: Float64Array,
  scratchWords: Uint32Array,
  last: Float64Array,
  lastWords: Uint32Array,
  lt: Uint8Array,
): void {
  if (values.length === 0) return
  scratch.set(values)
  for (let i = 0; i < values.length; i++) w.xor(scratchWords, 2 * i, lastWords, 2 * i, lt, 2 * i)
  last.set(values)
}

function widen(next: FloatHistogram, h: FloatHistogram, p: LayoutChange | null | undefined, n: LayoutChange | null | undefined): void {
  if (p?.backward) next.positiveBuckets = relayout(bucketIndices(h.positiveSpans, h.positiveBuckets.length), h.positiveBuckets, bucketIndices(next.positiveSpans, p.union.length), false)
  if (n?.backward) next.negativeBuckets = relayout(bucketIndices(h.negativeSpans, h.negativeBuckets.length), h.negativeBuckets, bucketIndices(next.negativeSpans, n.union.length), false)
}

/** A float histogram series as the chunks Prometheus's head would cut (chunkHistogramSeries). */
export function encodeFloatHistogramChunks(ts: ArrayLike<number>, hs: ArrayLike<FloatHistogram>, opts?: HistogramChunkingOptions): EncodedHistogramChunk[] {
  return chunkHistogramSeries<FloatHistogram>(ts, hs, () => new FloatHistogramChunkEncoder() as HistogramAppender<FloatHistogram>, opts)
}
