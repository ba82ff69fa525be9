/**
 * Decoder of integer histogram chunks (Prometheus chunk encoding 2, EncHistogram; StoreAPI
 * Chunk.Encoding HISTOGRAM = 1), prometheus/tsdb/chunkenc/histogram.go histogramIterator.
 * `data` is the chunk as StoreAPI and remote read carry it: sample count (2 bytes), header
 * byte, bit stream (see histogram-layout.ts for the header and layout).
 *
 * Per sample: the first carries the timestamp (varbit int), count and zero count (varbit
 * uint), the sum (64 raw bits) and every bucket's in-histogram delta (varbit int); later ones
 * carry deltas of deltas (varbit int) of the timestamp, count and zero count, the sum XORed
 * with the previous one, and per bucket the delta of delta over time. A stale marker (sum =
 * StaleNaN) carries no buckets.
 *
 * One iterator per chunk, reusable across chunks (reset()). The state is typed arrays; a
 * histogram is only made when asked for, and can be decoded into one the caller reuses.
 */
import {BadDataError} from '../errors.js'
import {FloatHistogram} from '../histogram/float-histogram.js'
import {Histogram} from '../histogram/histogram.js'
import {EMPTY_BUCKETS, EMPTY_SPANS, newBuckets, spanBucketCount} from '../histogram/layout.js'
import {CounterResetHint, EXPONENTIAL_SCHEMA_MAX, isKnownSchema, unknownSchemaError} from '../histogram/schema.js'
import {BitReader, HI, LO} from './bit-stream.js'
import {counterResetHeaderOf, HISTOGRAM_HEADER_SIZE, hintForSample, readLayout, type CounterResetHeader} from './histogram-layout.js'
import {STALE_NAN} from './value.js'

/** What both histogram chunk iterators offer (the engine reads float histograms only). */
export interface HistogramSampleIterator {
  /** Moves to the next sample; false when exhausted. */
  next(): boolean
  /** Moves to the first sample with timestamp ≥ t (staying on the current one if it qualifies). */
  seek(t: number): boolean
  atT(): number
  /** Whether the current sample is a stale marker, from the sum's raw bits. */
  atStale(): boolean
  /** The current sample; decoded into `into` when given (its bucket arrays reused when they fit). */
  atFloatHistogram(into?: FloatHistogram): FloatHistogram
  /** The chunk's counter-reset header. */
  readonly counterResetHeader: CounterResetHeader
}

export class HistogramDecodeIterator implements HistogramSampleIterator {
  private readonly r = new BitReader('histogram chunk')
  private total = 0
  private numRead = 0
  private header: CounterResetHeader = 0
  private schema = 0
  private zeroThreshold = 0
  private positiveSpans: Int32Array = EMPTY_SPANS
  private negativeSpans: Int32Array = EMPTY_SPANS
  private customValues: Float64Array | null = null
  private t = 0
  private tDelta = 0
  private count = 0
  private countDelta = 0
  private zeroCount = 0
  private zeroCountDelta = 0
  /** Current in-histogram deltas of each bucket, and their change since the previous sample. */
  private pValues: Float64Array = EMPTY_BUCKETS
  private pDeltas: Float64Array = EMPTY_BUCKETS
  private nValues: Float64Array = EMPTY_BUCKETS
  private nDeltas: Float64Array = EMPTY_BUCKETS
  private readonly sum = new Float64Array(1)
  private readonly sumWords = new Uint32Array(this.sum.buffer)
  private readonly sumLT = new Uint8Array(2)

  constructor(data?: Uint8Array) {
    if (data) this.reset(data)
  }

  /** Starts over on another chunk, keeping the arrays. */
  reset(data: Uint8Array): this {
    if (data.length < HISTOGRAM_HEADER_SIZE) throw new BadDataError('histogram chunk shorter than its header')
    this.total = (data[0]! << 8) | data[1]!
    this.header = counterResetHeaderOf(data)
    this.r.reset(data, HISTOGRAM_HEADER_SIZE)
    this.numRead = 0
    return this
  }

  /** Number of samples the chunk holds, from its header. */
  static sampleCount(data: Uint8Array): number {
    return data.length < 2 ? 0 : (data[0]! << 8) | data[1]!
  }

  get counterResetHeader(): CounterResetHeader {
    return this.header
  }

  next(): boolean {
    if (this.numRead >= this.total) return false
    if (this.numRead === 0) this.readFirst()
    else this.readNext()
    this.numRead++
    return true
  }

  private readFirst(): void {
    const r = this.r
    const layout = readLayout(r, 'histogram chunk')
    if (!isKnownSchema(layout.schema)) throw unknownSchemaError(layout.schema)
    this.schema = layout.schema
    this.zeroThreshold = layout.zeroThreshold
    this.positiveSpans = layout.positiveSpans
    this.negativeSpans = layout.negativeSpans
    this.customValues = layout.customValues
    const nP = spanBucketCount(layout.positiveSpans)
    const nN = spanBucketCount(layout.negativeSpans)
    // Every bucket takes at least a bit per sample: more buckets than bits left is corrupt data.
    if (nP + nN > r.remainingBits()) throw new BadDataError(`histogram chunk: layout of ${nP + nN} buckets cannot fit the chunk`)
    this.pValues = sized(this.pValues, nP)
    this.pDeltas = sized(this.pDeltas, nP)
    this.nValues = sized(this.nValues, nN)
    this.nDeltas = sized(this.nDeltas, nN)
    this.pDeltas.fill(0)
    this.nDeltas.fill(0)
    this.t = r.varbitInt()
    this.count = r.varbitUint()
    this.zeroCount = r.varbitUint()
    r.raw64(this.sumWords, 0)
    this.sumLT[0] = 0
    this.sumLT[1] = 0
    this.tDelta = 0
    this.countDelta = 0
    this.zeroCountDelta = 0
    for (let i = 0; i < nP; i++) this.pValues[i] = r.varbitInt()
    for (let i = 0; i < nN; i++) this.nValues[i] = r.varbitInt()
  }

  private readNext(): void {
    const r = this.r
    this.tDelta += r.varbitInt()
    this.t += this.tDelta
    this.countDelta += r.varbitInt()
    this.count += this.countDelta
    this.zeroCountDelta += r.varbitInt()
    this.zeroCount += this.zeroCountDelta
    r.xor(this.sumWords, 0, this.sumLT, 0)
    if (this.atStale()) return
    readBucketDods(r, this.pValues, this.pDeltas)
    readBucketDods(r, this.nValues, this.nDeltas)
  }

  seek(t: number): boolean {
    if (this.numRead > 0 && this.t >= t) return true
    while (this.next()) if (this.t >= t) return true
    return false
  }

  atT(): number {
    return this.t
  }

  atStale(): boolean {
    return (this.sumWords[HI]! & 0xfff7ffff) === 0x7ff00000 && this.sumWords[LO] === 2
  }

  /** The hint Prometheus's iterator gives the current sample (see hintForSample). */
  atHint(): CounterResetHint {
    return hintForSample(this.header, this.numRead)
  }

  /**
   * The current sample as an integer histogram. Spans and custom values are shared with the
   * iterator (immutable); bucket arrays are the histogram's own. A stale marker comes back as
   * Prometheus returns it: an empty histogram whose sum is StaleNaN. Schemas above 8 (from
   * newer writers) are reduced to 8, as Prometheus does.
   */
  atHistogram(into: Histogram = new Histogram()): Histogram {
    if (this.atStale()) return staleHistogram(into)
    into.counterResetHint = this.atHint()
    into.schema = this.schema
    into.zeroThreshold = this.zeroThreshold
    into.zeroCount = this.zeroCount
    into.count = this.count
    into.sum = this.sum[0]!
    into.positiveSpans = this.positiveSpans
    into.negativeSpans = this.negativeSpans
    into.positiveBuckets = copied(this.pValues, into.positiveBuckets)
    into.negativeBuckets = copied(this.nValues, into.negativeBuckets)
    into.customValues = this.customValues
    if (this.schema > EXPONENTIAL_SCHEMA_MAX) into.reduceResolution(EXPONENTIAL_SCHEMA_MAX)
    return into
  }

  /** The current sample as a float histogram (absolute counts), as atHistogram otherwise. */
  atFloatHistogram(into: FloatHistogram = new FloatHistogram()): FloatHistogram {
    if (this.atStale()) return staleFloatHistogram(into)
    into.counterResetHint = this.atHint()
    into.schema = this.schema
    into.zeroThreshold = this.zeroThreshold
    into.zeroCount = this.zeroCount
    into.count = this.count
    into.sum = this.sum[0]!
    into.positiveSpans = this.positiveSpans
    into.negativeSpans = this.negativeSpans
    into.positiveBuckets = prefixSums(this.pValues, into.positiveBuckets)
    into.negativeBuckets = prefixSums(this.nValues, into.negativeBuckets)
    into.customValues = this.customValues
    if (this.schema > EXPONENTIAL_SCHEMA_MAX) into.reduceResolution(EXPONENTIAL_SCHEMA_MAX)
    return into
  }
}

export function decodeHistogramChunk(data: Uint8Array): HistogramDecodeIterator {
  return new HistogramDecodeIterator(data)
}

function readBucketDods(r: BitReader, values: Float64Array, deltas: Float64Array): void {
  if (values.length > 0) r.addVarbitInts(values, deltas)
}

/** An array of length n, the given one when it fits. */
export function sized(a: Float64Array, n: number): Float64Array {
  if (n === 0) return EMPTY_BUCKETS
  return a.length === n ? a : newBuckets(n)
}

function copied(from: Float64Array, to: Float64Array): Float64Array {
  if (from.length === 0) return EMPTY_BUCKETS
  const out = to.length === from.length && to !== EMPTY_BUCKETS ? to : newBuckets(from.length)
  out.set(from)
  return out
}

function prefixSums(deltas: Float64Array, to: Float64Array): Float64Array {
  if (deltas.length === 0) return EMPTY_BUCKETS
  const out = to.length === deltas.length && to !== EMPTY_BUCKETS ? to : newBuckets(deltas.length)
  let cur = 0
  for (let i = 0; i < deltas.length; i++) {
    cur += deltas[i]!
    out[i] = cur
  }
  return out
}

/** Prometheus's iterators return stale markers as `{Sum: StaleNaN}`: every other field zero. */
export function staleHistogram(h: Histogram): Histogram {
  h.counterResetHint = CounterResetHint.Unknown
  h.schema = 0
  h.zeroThreshold = 0
  h.zeroCount = 0
  h.count = 0
  h.sum = STALE_NAN
  h.positiveSpans = EMPTY_SPANS
  h.negativeSpans = EMPTY_SPANS
  h.positiveBuckets = EMPTY_BUCKETS
  h.negativeBuckets = EMPTY_BUCKETS
  h.customValues = null
  return h
}

export function staleFloatHistogram(h: FloatHistogram): FloatHistogram {
  h.counterResetHint = CounterResetHint.Unknown
  h.schema = 0
  h.zeroThreshold = 0
  h.zeroCount = 0
  h.count = 0
  h.sum = STALE_NAN
  h.positiveSpans = EMPTY_SPANS
  h.negativeSpans = EMPTY_SPANS
  h.positiveBuckets = EMPTY_BUCKETS
  h.negativeBuckets = EMPTY_BUCKETS
  h.customValues = null
  return h
}
