/**
 * Encoder of integer histogram chunks (Prometheus chunk encoding 2), byte for byte as
 * Prometheus's HistogramAppender (prometheus/tsdb/chunkenc/histogram.go AppendHistogram,
 * appendable, appendableGauge, appendHistogram, recode). See histogram-decoder.ts for the
 * format.
 *
 * A chunk's bucket layout is fixed by its first sample. A later histogram is appended when it
 * fits (same schema, zero threshold and custom bounds, no counter reset, previous sample not
 * stale); when it has buckets the layout lacks, the chunk is recoded with the wider layout
 * (empty buckets in the earlier samples); when it lacks (empty) buckets of the layout, it is
 * widened instead. Otherwise a new chunk is cut, with the counter-reset header Prometheus
 * gives it. Gauge histograms get chunks of their own whose layout grows both ways.
 *
 * Histograms passed in are not changed. They must be valid (Histogram.validate).
 */
import {Histogram} from '../histogram/histogram.js'
import {bucketIndices, EMPTY_BUCKETS, EMPTY_SPANS} from '../histogram/layout.js'
import {CounterResetHint, customBoundsMatch, isCustomBucketsSchema} from '../histogram/schema.js'
import {BitWriter, HI, LO} from './bit-stream.js'
import {
  absoluteCounts,
  compareCounterLayouts,
  compareGaugeLayouts,
  computeChunkEndTime,
  rangeForTimestamp,
  relayout,
  spansOfIndices,
  type LayoutChange,
} from './histogram-appendable.js'
import {HistogramDecodeIterator} from './histogram-decoder.js'
import {CounterResetHeader, HISTOGRAM_HEADER_SIZE, setCounterResetHeader, writeLayout} from './histogram-layout.js'
import {isStaleNaN, STALE_NAN_HI, STALE_NAN_LO} from './value.js'

/** Most samples a chunk can count (the header's 16 bits). */
export const MAX_SAMPLES_PER_HISTOGRAM_CHUNK = 65535

const scratch = new Float64Array(1)
const scratchWords = new Uint32Array(scratch.buffer)

/** Bits of a sum into words (the stale marker always in its canonical signalling form). */
export function sumBits(sum: number, words: Uint32Array, at: number): void {
  if (isStaleNaN(sum)) {
    words[at + HI] = STALE_NAN_HI
    words[at + LO] = STALE_NAN_LO
    return
  }
  scratch[0] = sum
  words[at + HI] = scratchWords[HI]!
  words[at + LO] = scratchWords[LO]!
}

const EMPTY_INDICES = new Int32Array(0)

export class HistogramChunkEncoder {
  private w = new BitWriter(HISTOGRAM_HEADER_SIZE)
  private samples = 0
  private header: CounterResetHeader = CounterResetHeader.Unknown
  /** Whether the last append recoded this chunk (earlier samples rewritten with a wider layout). */
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
  private count = 0
  private countDelta = 0
  private zeroCount = 0
  private zeroCountDelta = 0
  /** The last sample's in-histogram deltas per bucket, and their change over time. */
  private pValues: Float64Array = EMPTY_BUCKETS
  private pDeltas: Float64Array = EMPTY_BUCKETS
  private nValues: Float64Array = EMPTY_BUCKETS
  private nDeltas: Float64Array = EMPTY_BUCKETS
  private readonly sum = new Uint32Array(2)
  private readonly sumLT = new Uint8Array([0xff, 0])
  private readonly newSum = new Uint32Array(2)

  get numSamples(): number {
    return this.samples
  }

  get counterResetHeader(): CounterResetHeader {
    return this.header
  }

  /** Length of the chunk bytes so far (Prometheus cuts chunks by it). */
  get byteLength(): number {
    return this.w.byteLength()
  }

  /** A copy of the chunk bytes (count, header, stream), as StoreAPI `Chunk.data`. */
  bytes(): Uint8Array {
    return this.w.view().slice()
  }

  /**
   * Appends h at t (t above the last timestamp). Returns this encoder when h went into this
   * chunk (`recoded` tells whether the chunk was rewritten for it), or a new encoder holding
   * h as its first sample when a new chunk had to be cut; this chunk is then complete.
   * `prev` is the appender of the previous chunk when this empty chunk continues a series
   * (Prometheus then derives the header from it).
   */
  append(t: number, h: Histogram, prev?: HistogramChunkEncoder | null): HistogramChunkEncoder {
    if (this.samples >= MAX_SAMPLES_PER_HISTOGRAM_CHUNK) throw new RangeError('histogram chunk capacity exceeded')
    this.recoded = false
    if (this.samples === 0) {
      this.write(t, h)
      if (h.counterResetHint === CounterResetHint.Gauge) this.setHeader(CounterResetHeader.Gauge)
      else if (h.counterResetHint === CounterResetHint.CounterReset) this.setHeader(CounterResetHeader.CounterReset)
      else if (prev) this.setHeader(prev.appendable(h).header)
      return this
    }
    if (h.counterResetHint !== CounterResetHint.Gauge) {
      const a = this.appendable(h)
      if (!a.ok || a.header !== CounterResetHeader.NotCounterReset) return this.cut(t, h, a.header)
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

  private cut(t: number, h: Histogram, header: CounterResetHeader): HistogramChunkEncoder {
    const c = new HistogramChunkEncoder()
    c.setHeader(header)
    c.write(t, h)
    return c
  }

  private setHeader(h: CounterResetHeader): void {
    this.header = h
    setCounterResetHeader(this.w, h)
  }

  /**
   * Whether a counter histogram fits this chunk, and the header a chunk starting with it
   * gets (Prometheus's appendable; the order of the checks matters for that header).
   */
  private appendable(h: Histogram): {ok: boolean; header: CounterResetHeader; p?: LayoutChange; n?: LayoutChange} {
    if (this.samples > 0 && this.header === CounterResetHeader.Gauge) return {ok: false, header: CounterResetHeader.NotCounterReset}
    if (h.counterResetHint === CounterResetHint.CounterReset) return {ok: false, header: CounterResetHeader.CounterReset}
    if (isStaleNaN(h.sum)) return {ok: true, header: CounterResetHeader.NotCounterReset}
    if (this.lastStale()) return {ok: false, header: CounterResetHeader.Unknown}
    if (h.count < this.count) return {ok: false, header: CounterResetHeader.CounterReset}
    // A schema or zero-threshold change may or may not come with a reset: Prometheus does
    // not look further and leaves the header Unknown.
    if (h.schema !== this.schema || h.zeroThreshold !== this.zeroThreshold) return {ok: false, header: CounterResetHeader.Unknown}
    if (isCustomBucketsSchema(h.schema) && !customBoundsMatch(h.customValues, this.customValues)) return {ok: false, header: CounterResetHeader.CounterReset}
    if (h.zeroCount < this.zeroCount) return {ok: false, header: CounterResetHeader.CounterReset}
    const p = compareCounterLayouts(this.pIdx, absoluteCounts(this.pValues), bucketIndices(h.positiveSpans, h.positiveBuckets.length), absoluteCounts(h.positiveBuckets))
    if (!p) return {ok: false, header: CounterResetHeader.CounterReset}
    const n = compareCounterLayouts(this.nIdx, absoluteCounts(this.nValues), bucketIndices(h.negativeSpans, h.negativeBuckets.length), absoluteCounts(h.negativeBuckets))
    if (!n) return {ok: false, header: CounterResetHeader.CounterReset}
    return {ok: true, header: CounterResetHeader.NotCounterReset, p, n}
  }

  /** Whether a gauge histogram fits this chunk (Prometheus's appendableGauge). */
  private appendableGauge(h: Histogram): {ok: boolean; p?: LayoutChange; n?: LayoutChange} {
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
    return (this.sum[HI]! & 0xfff7ffff) === STALE_NAN_HI && this.sum[LO] === STALE_NAN_LO
  }

  /**
   * Rewrites the chunk with the layout (positiveSpans, negativeSpans), as Prometheus's recode:
   * every sample decoded and appended again, with empty buckets where the layout grew on the
   * sides given; the header stays.
   */
  private recode(positiveSpans: Int32Array, negativeSpans: Int32Array, p: LayoutChange | null | undefined, n: LayoutChange | null | undefined): void {
    const it = new HistogramDecodeIterator(this.w.view())
    const fresh = new HistogramChunkEncoder()
    const old = new Histogram()
    const pIdx = this.pIdx
    const nIdx = this.nIdx
    while (it.next()) {
      const t = it.atT()
      it.atHistogram(old)
      if (!it.atStale()) {
        if (p?.forward) old.positiveBuckets = relayout(pIdx, old.positiveBuckets, p.union, true)
        if (n?.forward) old.negativeBuckets = relayout(nIdx, old.negativeBuckets, n.union, true)
        old.positiveSpans = positiveSpans
        old.negativeSpans = negativeSpans
      }
      fresh.write(t, old)
    }
    fresh.setHeader(this.header)
    // Take over the rewritten chunk and its state.
    Object.assign(this, fresh)
    this.recoded = true
  }

  /** Appends one sample without any checks (Prometheus's appendHistogram). */
  private write(t: number, h: Histogram): void {
    const w = this.w
    const stale = isStaleNaN(h.sum)
    sumBits(h.sum, this.newSum, 0)
    // A stale marker carries no buckets (and the first sample of a chunk an empty layout).
    const count = stale ? 0 : h.count
    const zeroCount = stale ? 0 : h.zeroCount
    const pb = stale ? EMPTY_BUCKETS : h.positiveBuckets
    const nb = stale ? EMPTY_BUCKETS : h.negativeBuckets
    let tDelta = 0
    let countDelta = 0
    let zeroCountDelta = 0
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
      this.pDeltas = new Float64Array(pb.length)
      this.nValues = new Float64Array(nb.length)
      this.nDeltas = new Float64Array(nb.length)
      w.varbitInt(t)
      w.varbitUint(count)
      w.varbitUint(zeroCount)
      w.raw64(this.newSum, 0)
      for (let i = 0; i < pb.length; i++) w.varbitInt(pb[i]!)
      for (let i = 0; i < nb.length; i++) w.varbitInt(nb[i]!)
      this.minTime = t
    } else {
      tDelta = t - this.t
      countDelta = count - this.count
      zeroCountDelta = zeroCount - this.zeroCount
      w.varbitInt(tDelta - this.tDelta)
      w.varbitInt(stale ? 0 : countDelta - this.countDelta)
      w.varbitInt(stale ? 0 : zeroCountDelta - this.zeroCountDelta)
      w.xor(this.newSum, 0, this.sum, 0, this.sumLT, 0)
      writeBucketDods(w, pb, this.pValues, this.pDeltas)
      writeBucketDods(w, nb, this.nValues, this.nDeltas)
    }
    this.t = t
    this.count = count
    this.zeroCount = zeroCount
    this.tDelta = tDelta
    this.countDelta = countDelta
    this.zeroCountDelta = zeroCountDelta
    if (pb.length > 0) this.pValues.set(pb)
    if (nb.length > 0) this.nValues.set(nb)
    this.sum[0] = this.newSum[0]!
    this.sum[1] = this.newSum[1]!
    this.maxTime = t
    this.samples++
    w.setByte(0, this.samples >>> 8)
    w.setByte(1, this.samples & 0xff)
  }
}

function writeBucketDods(w: BitWriter, values: Float64Array, last: Float64Array, deltas: Float64Array): void {
  for (let i = 0; i < values.length; i++) {
    const delta = values[i]! - last[i]!
    w.varbitInt(delta - deltas[i]!)
    deltas[i] = delta
  }
}

/** h's buckets laid out on next's wider spans, for the sides that grew. */
function widen(next: Histogram, h: Histogram, p: LayoutChange | null | undefined, n: LayoutChange | null | undefined): void {
  if (p?.backward) next.positiveBuckets = relayout(bucketIndices(h.positiveSpans, h.positiveBuckets.length), h.positiveBuckets, bucketIndices(next.positiveSpans, p.union.length), true)
  if (n?.backward) next.negativeBuckets = relayout(bucketIndices(h.negativeSpans, h.negativeBuckets.length), h.negativeBuckets, bucketIndices(next.negativeSpans, n.union.length), true)
}

export interface EncodedHistogramChunk {
  minTime: number
  maxTime: number
  data: Uint8Array
}

export interface HistogramChunkingOptions {
  /** The TSDB head's chunk range (Prometheus's default block range, 2h); chunks never span its boundaries. */
  chunkRangeMs?: number
}

export const DEFAULT_CHUNK_RANGE_MS = 2 * 3600_000
/** Prometheus's size target for histogram chunks (chunkenc.TargetBytesPerHistogramChunk). */
export const TARGET_BYTES_PER_HISTOGRAM_CHUNK = 1024
/** Fewest samples before a chunk is cut for size (chunkenc.MinSamplesPerHistogramChunk). */
export const MIN_SAMPLES_PER_HISTOGRAM_CHUNK = 10

/** An encoder of one chunk, as the series chunker drives it. */
export interface HistogramAppender<H> {
  readonly numSamples: number
  readonly byteLength: number
  recoded: boolean
  minTime: number
  maxTime: number
  bytes(): Uint8Array
  append(t: number, h: H, prev?: HistogramAppender<H> | null): HistogramAppender<H>
}

/**
 * Cuts a series of histograms into chunks as Prometheus's TSDB head does
 * (prometheus/tsdb/head_append.go histogramsAppendPreprocessor, appendHistogram): besides the
 * appender's own cuts, a chunk ends at the chunk range boundary, or, once it has at least
 * MIN_SAMPLES_PER_HISTOGRAM_CHUNK samples, at the time predicted when it reached a quarter
 * of TARGET_BYTES_PER_HISTOGRAM_CHUNK (spreading the rest of the range evenly) or when it
 * reaches twice that size. Timestamps must ascend.
 */
export function chunkHistogramSeries<H>(
  ts: ArrayLike<number>,
  hs: ArrayLike<H>,
  newAppender: () => HistogramAppender<H>,
  opts: HistogramChunkingOptions = {},
): EncodedHistogramChunk[] {
  const range = opts.chunkRangeMs ?? DEFAULT_CHUNK_RANGE_MS
  const chunks: HistogramAppender<H>[] = []
  let head: HistogramAppender<H> | undefined
  let headMin = 0
  let headMax = -Infinity
  let nextAt = 0
  let endTimeComputed = false
  const mins: number[] = []
  for (let k = 0; k < ts.length; k++) {
    const t = ts[k]!
    let created = false
    let prev: HistogramAppender<H> | null = null
    if (!head) {
      head = newAppender()
      headMin = t
      headMax = -Infinity
      nextAt = rangeForTimestamp(t, range)
      created = true
    }
    if (headMax >= t) throw new RangeError(`histogram sample at ${t} is not after ${headMax}`)
    const numSamples = head.numSamples
    const numBytes = head.byteLength
    if (numSamples === 0) {
      headMin = t
      nextAt = rangeForTimestamp(t, range)
    }
    const nextRangeStart = endTimeComputed ? rangeForTimestamp(headMin, range) : nextAt
    if (!endTimeComputed && numBytes >= TARGET_BYTES_PER_HISTOGRAM_CHUNK / 4) {
      nextAt = computeChunkEndTime(headMin, headMax, nextAt, TARGET_BYTES_PER_HISTOGRAM_CHUNK / numBytes)
      endTimeComputed = true
    }
    if ((t >= nextAt || numBytes >= TARGET_BYTES_PER_HISTOGRAM_CHUNK * 2) && (numSamples >= MIN_SAMPLES_PER_HISTOGRAM_CHUNK || t >= nextRangeStart)) {
      chunks.push(head)
      mins.push(headMin)
      prev = head
      head = newAppender()
      headMin = t
      headMax = -Infinity
      nextAt = rangeForTimestamp(t, range)
      created = true
    }
    if (created) endTimeComputed = false
    const got = head.append(t, hs[k]!, prev)
    if (got !== head) {
      // The appender cut a chunk itself (reset, schema change, ...).
      chunks.push(head)
      mins.push(headMin)
      head = got
      headMin = t
      nextAt = rangeForTimestamp(t, range)
    }
    headMax = t
  }
  if (head && head.numSamples > 0) {
    chunks.push(head)
    mins.push(headMin)
  }
  return chunks.map((c, i) => ({minTime: mins[i]!, maxTime: c.maxTime, data: c.bytes()}))
}

/** An integer histogram series as the chunks Prometheus's head would cut (chunkHistogramSeries). */
export function encodeHistogramChunks(ts: ArrayLike<number>, hs: ArrayLike<Histogram>, opts?: HistogramChunkingOptions): EncodedHistogramChunk[] {
  return chunkHistogramSeries<Histogram>(ts, hs, () => new HistogramChunkEncoder() as HistogramAppender<Histogram>, opts)
}
