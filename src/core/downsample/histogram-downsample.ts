/**
 * Native histogram series downsampled as Thanos v0.42 does (pkg/compact/downsample/
 * downsample.go histogramAggregator, downsampleHistogramBatch, downsampleHistogramAggrBatch):
 * an aggregate chunk of three aggregates, count (XOR: histograms per window, summed when
 * re-aggregated), sum (float histogram chunk: the window's histograms added, a gauge) and
 * counter (float histogram chunk: the first histogram plus every increase since, a reset
 * adding the new histogram in full); no min or max. All histograms of a batch are brought
 * to its lowest schema first. Unlike floats, no first/last raw sample is added to the counter.
 *
 * The sub-chunks are appended the way Thanos appends them, through the float histogram
 * appender with recoding (FloatHistogramAppender.AppendFloatHistogram, appendOnly false). When
 * the appender has to cut a new chunk instead (a layout it cannot widen), Thanos keeps only
 * the new chunk and the samples before it are lost; so do we, to write what Thanos writes.
 * Errors Thanos panics on (custom bucket histograms it cannot add, a batch without counter
 * samples) are BadDataErrors here.
 */
import type {WriterChunk} from '../block/writer/write-block.js'
import {ChunkEncoding} from '../chunkenc/decode-chunk.js'
import {FloatHistogramChunkEncoder} from '../chunkenc/float-histogram-encoder.js'
import {XorChunkEncoder} from '../chunkenc/xor-encoder.js'
import {BadDataError} from '../errors.js'
import type {FloatHistogram} from '../histogram/float-histogram.js'
import {CounterResetHint} from '../histogram/schema.js'
import {AGGR_TYPES, AggrType, CHUNK_ENC_AGGR, encodeAggrChunk, getAggr, isAggrAbsent, type AggrSubChunk} from './aggr-chunk.js'
import {expandAggregate} from './float-downsample.js'
import {SampleBuffer} from './sample-buffer.js'
import {aggregateWindows, FloatAggregator, windowEnd} from './windows.js'

/** histogramAggregator: the window's count and sum, the batch's counter, all in one schema. */
class HistogramAggregator {
  total = 0
  count = 0
  sum: FloatHistogram | null = null
  counter: FloatHistogram | null = null
  private previous: FloatHistogram | null = null

  constructor(private readonly schema: number) {}

  resetWindow(): void {
    this.count = 0
    this.sum = null
  }

  add(orig: FloatHistogram): void {
    if (orig.schema < this.schema) throw new BadDataError(`histogram schema ${orig.schema} is below the batch's schema ${this.schema}`)
    // A schema increase counts as a reset: detected on the histogram as it was, before the copy to the batch's schema.
    const fh = orig.schema > this.schema ? orig.copyToSchema(this.schema) : orig
    if (this.total > 0) {
      if (fh.counterResetHint !== CounterResetHint.Gauge && orig.detectReset(this.previous!)) histogramOp(() => this.counter!.add(fh))
      else {
        const delta = fh.copy()
        histogramOp(() => delta.sub(this.previous!))
        histogramOp(() => this.counter!.add(delta))
      }
    } else this.counter = fh.copy()
    if (this.sum === null) this.sum = fh.copy()
    else histogramOp(() => this.sum!.add(fh))
    // A gauge, or the appender would see a reset whenever a window holds fewer observations than the one before.
    this.sum.counterResetHint = CounterResetHint.Gauge
    this.previous = fh
    this.count++
    this.total++
  }
}

function histogramOp(op: () => unknown): void {
  try {
    op()
  } catch (e) {
    throw new BadDataError(`downsampling native histograms: ${(e as Error).message}`, {cause: e})
  }
}

/** aggregateWindows for histogram samples: `emit(windowEnd)` after each window. */
function aggregateHistogramWindows(buf: SampleBuffer, r: number, aggr: HistogramAggregator, emit: (t: number) => void): void {
  const ts = buf.ts
  let next = -1
  const lastT = ts[buf.n - 1]!
  for (let i = 0; i < buf.n; i++) {
    const t = ts[i]!
    if (t > next) {
      if (next !== -1) emit(next)
      aggr.resetWindow()
      next = Math.min(windowEnd(t, r), lastT)
    }
    aggr.add(buf.hs[i]!)
  }
  if (aggr.total > 0) emit(next)
}

/** minSchema: the lowest schema of the (non-stale) histograms of `buf`. */
function minSchema(buf: SampleBuffer): number {
  let s = 0x7fffffff
  for (let i = 0; i < buf.n; i++) {
    const h = buf.hs[i]
    if (h && h.schema < s) s = h.schema
  }
  return s
}

/** A float histogram sub-chunk appended to as aggrChunkBuilder.appendFloatHistogram. */
class HistogramSubChunk {
  private enc = new FloatHistogramChunkEncoder()

  append(t: number, h: FloatHistogram): void {
    // The appender is its own "previous" appender, as Thanos passes it; a cut replaces the chunk.
    this.enc = this.enc.append(t, h.copy(), this.enc)
  }

  get empty(): boolean {
    return this.enc.numSamples === 0
  }

  sub(): AggrSubChunk {
    return {encoding: ChunkEncoding.FloatHistogram, data: this.enc.bytes()}
  }
}

/** downsampleHistogramBatch: one batch of raw histograms (no stale ones) as one aggregate chunk. */
export function downsampleHistogramBatch(batch: SampleBuffer, r: number): WriterChunk {
  const gauge = batch.hs[0]!.counterResetHint === CounterResetHint.Gauge
  const count = new XorChunkEncoder()
  const sum = new HistogramSubChunk()
  const counter = new HistogramSubChunk()
  const a = new HistogramAggregator(minSchema(batch))
  let mint = Infinity
  let maxt = -Infinity
  aggregateHistogramWindows(batch, r, a, (t) => {
    if (t < mint) mint = t
    if (t > maxt) maxt = t
    if (gauge) {
      a.counter!.counterResetHint = CounterResetHint.Gauge
      a.sum!.counterResetHint = CounterResetHint.Gauge
    }
    counter.append(t, a.counter!)
    sum.append(t, a.sum!)
    count.append(t, a.count)
  })
  return aggrChunk([{encoding: ChunkEncoding.XOR, data: count.bytes()}, sum.sub(), undefined, undefined, counter.sub()], mint, maxt, count.numSamples)
}

/** The float histogram sub-chunks of aggregate `at` over `chunks` into `buf` (expandFloatHistogramChunkIterator). */
function expandHistogramAggregate(chunks: readonly Uint8Array[], at: AggrType, buf: SampleBuffer): void {
  buf.clear()
  for (const c of chunks) {
    const sub = getAggr(c, at)
    if (isAggrAbsent(sub)) continue
    if (sub.encoding !== ChunkEncoding.FloatHistogram && sub.encoding !== ChunkEncoding.Histogram) {
      throw new BadDataError(`aggregate chunk: ${at} sub-chunk has encoding ${sub.encoding}, want a histogram`)
    }
    buf.expandHistograms(sub.encoding, sub.data)
  }
}

/** downsampleHistogramAggrBatch: one run of histogram aggregate chunks as one coarser aggregate chunk. */
export function downsampleHistogramAggrBatch(chunks: readonly Uint8Array[], r: number, buf: SampleBuffer): WriterChunk {
  let mint = Infinity
  let maxt = -Infinity
  const span = (t: number): void => {
    if (t < mint) mint = t
    if (t > maxt) maxt = t
  }
  expandHistogramAggregate(chunks, AggrType.Counter, buf)
  // Thanos indexes the last sample of an empty batch here and panics.
  if (buf.n === 0) throw new BadDataError('histogram aggregate chunks without counter samples cannot be downsampled')
  const counter = new HistogramSubChunk()
  const ca = new HistogramAggregator(minSchema(buf))
  aggregateHistogramWindows(buf, r, ca, (t) => {
    span(t)
    counter.append(t, ca.counter!)
  })
  expandHistogramAggregate(chunks, AggrType.Sum, buf)
  // Thanos returns an empty chunk meta here, which it cannot write.
  if (buf.n === 0) throw new BadDataError('histogram aggregate chunks without sum samples cannot be downsampled')
  const sum = new HistogramSubChunk()
  const sa = new HistogramAggregator(minSchema(buf))
  aggregateHistogramWindows(buf, r, sa, (t) => {
    span(t)
    sum.append(t, sa.sum!)
  })
  const subs: (AggrSubChunk | undefined)[] = new Array(AGGR_TYPES)
  subs[AggrType.Sum] = sum.sub()
  subs[AggrType.Counter] = counter.sub()
  expandAggregate(chunks, AggrType.Count, buf)
  let samples = 0
  if (buf.n > 0) {
    const enc = new XorChunkEncoder()
    const a = new FloatAggregator()
    aggregateWindows(buf.ts, buf.vs, 0, buf.n, r, a, (t) => {
      span(t)
      enc.append(t, a.sum)
    })
    subs[AggrType.Count] = {encoding: ChunkEncoding.XOR, data: enc.bytes()}
    samples = enc.numSamples
  } else {
    // genericAggregate's (0, 0) for an absent aggregate, taken as times.
    span(0)
  }
  return aggrChunk(subs, mint, maxt, samples)
}

function aggrChunk(subs: readonly (AggrSubChunk | undefined)[], mint: number, maxt: number, samples: number): WriterChunk {
  return {minTime: mint, maxTime: maxt, encoding: CHUNK_ENC_AGGR, data: encodeAggrChunk(subs), samples}
}
