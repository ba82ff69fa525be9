/**
 * Decoder of float histogram chunks (Prometheus chunk encoding 3, EncFloatHistogram;
 * StoreAPI Chunk.Encoding FLOAT_HISTOGRAM = 2), prometheus/tsdb/chunkenc/float_histogram.go
 * floatHistogramIterator. Same header and layout as integer histogram chunks
 * (histogram-layout.ts). The first sample carries the timestamp (varbit int), then count, zero
 * count, sum and every absolute bucket count as 64 raw bits; later ones a timestamp delta of
 * delta and every field XORed with its previous value, each field with its own
 * leading/trailing-zero window. A stale marker carries no buckets.
 *
 * Values are kept as their bits (Float64Arrays written through Uint32Array views), so a
 * decoded histogram holds exactly the bits Prometheus stored.
 */
import {BadDataError} from '../errors.js'
import {FloatHistogram} from '../histogram/float-histogram.js'
import {EMPTY_BUCKETS, EMPTY_SPANS, newBuckets, spanBucketCount} from '../histogram/layout.js'
import {EXPONENTIAL_SCHEMA_MAX, isKnownSchema, unknownSchemaError, type CounterResetHint} from '../histogram/schema.js'
import {BitReader, HI, LO} from './bit-stream.js'
import {sized, staleFloatHistogram, type HistogramSampleIterator} from './histogram-decoder.js'
import {counterResetHeaderOf, HISTOGRAM_HEADER_SIZE, hintForSample, readLayout, type CounterResetHeader} from './histogram-layout.js'

const COUNT = 0
const ZERO_COUNT = 1
const SUM = 2

export class FloatHistogramDecodeIterator implements HistogramSampleIterator {
  private readonly r = new BitReader('float histogram chunk')
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
  /** count, zero count, sum. */
  private readonly scalars = new Float64Array(3)
  private readonly scalarWords = new Uint32Array(this.scalars.buffer)
  private readonly scalarLT = new Uint8Array(6)
  private pValues: Float64Array = EMPTY_BUCKETS
  private pWords: Uint32Array = new Uint32Array(0)
  private pLT: Uint8Array = new Uint8Array(0)
  private nValues: Float64Array = EMPTY_BUCKETS
  private nWords: Uint32Array = new Uint32Array(0)
  private nLT: Uint8Array = new Uint8Array(0)

  constructor(data?: Uint8Array) {
    if (data) this.reset(data)
  }

  reset(data: Uint8Array): this {
    if (data.length < HISTOGRAM_HEADER_SIZE) throw new BadDataError('float histogram chunk shorter than its header')
    this.total = (data[0]! << 8) | data[1]!
    this.header = counterResetHeaderOf(data)
    this.r.reset(data, HISTOGRAM_HEADER_SIZE)
    this.numRead = 0
    return this
  }

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
    const layout = readLayout(r, 'float histogram chunk')
    if (!isKnownSchema(layout.schema)) throw unknownSchemaError(layout.schema)
    this.schema = layout.schema
    this.zeroThreshold = layout.zeroThreshold
    this.positiveSpans = layout.positiveSpans
    this.negativeSpans = layout.negativeSpans
    this.customValues = layout.customValues
    const nP = spanBucketCount(layout.positiveSpans)
    const nN = spanBucketCount(layout.negativeSpans)
    if ((nP + nN) * 64 > r.remainingBits()) throw new BadDataError(`float histogram chunk: layout of ${nP + nN} buckets cannot fit the chunk`)
    if (this.pValues.length !== nP) {
      this.pValues = sized(this.pValues, nP)
      this.pWords = new Uint32Array(this.pValues.buffer, this.pValues.byteOffset, nP * 2)
      this.pLT = new Uint8Array(nP * 2)
    } else this.pLT.fill(0)
    if (this.nValues.length !== nN) {
      this.nValues = sized(this.nValues, nN)
      this.nWords = new Uint32Array(this.nValues.buffer, this.nValues.byteOffset, nN * 2)
      this.nLT = new Uint8Array(nN * 2)
    } else this.nLT.fill(0)
    this.scalarLT.fill(0)
    this.tDelta = 0
    this.t = r.varbitInt()
    r.raw64(this.scalarWords, 2 * COUNT)
    r.raw64(this.scalarWords, 2 * ZERO_COUNT)
    r.raw64(this.scalarWords, 2 * SUM)
    for (let i = 0; i < nP; i++) r.raw64(this.pWords, 2 * i)
    for (let i = 0; i < nN; i++) r.raw64(this.nWords, 2 * i)
  }

  private readNext(): void {
    const r = this.r
    this.tDelta += r.varbitInt()
    this.t += this.tDelta
    r.xor(this.scalarWords, 2 * COUNT, this.scalarLT, 2 * COUNT)
    r.xor(this.scalarWords, 2 * ZERO_COUNT, this.scalarLT, 2 * ZERO_COUNT)
    r.xor(this.scalarWords, 2 * SUM, this.scalarLT, 2 * SUM)
    if (this.atStale()) return
    for (let i = 0; i < this.pValues.length; i++) r.xor(this.pWords, 2 * i, this.pLT, 2 * i)
    for (let i = 0; i < this.nValues.length; i++) r.xor(this.nWords, 2 * i, this.nLT, 2 * i)
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
    return (this.scalarWords[2 * SUM + HI]! & 0xfff7ffff) === 0x7ff00000 && this.scalarWords[2 * SUM + LO] === 2
  }

  atHint(): CounterResetHint {
    return hintForSample(this.header, this.numRead)
  }

  /**
   * The current sample. Spans and custom values are shared with the iterator (immutable);
   * bucket arrays are the histogram's own, with the stored bits. Stale markers and schemas
   * above 8 as HistogramDecodeIterator.
   */
  atFloatHistogram(into: FloatHistogram = new FloatHistogram()): FloatHistogram {
    if (this.atStale()) return staleFloatHistogram(into)
    into.counterResetHint = this.atHint()
    into.schema = this.schema
    into.zeroThreshold = this.zeroThreshold
    into.count = this.scalars[COUNT]!
    into.zeroCount = this.scalars[ZERO_COUNT]!
    into.sum = this.scalars[SUM]!
    into.positiveSpans = this.positiveSpans
    into.negativeSpans = this.negativeSpans
    into.positiveBuckets = copied(this.pValues, into.positiveBuckets)
    into.negativeBuckets = copied(this.nValues, into.negativeBuckets)
    into.customValues = this.customValues
    if (this.schema > EXPONENTIAL_SCHEMA_MAX) into.reduceResolution(EXPONENTIAL_SCHEMA_MAX)
    return into
  }
}

export function decodeFloatHistogramChunk(data: Uint8Array): FloatHistogramDecodeIterator {
  return new FloatHistogramDecodeIterator(data)
}

function copied(from: Float64Array, to: Float64Array): Float64Array {
  if (from.length === 0) return EMPTY_BUCKETS
  const out = to.length === from.length && to !== EMPTY_BUCKETS ? to : newBuckets(from.length)
  out.set(from)
  return out
}
