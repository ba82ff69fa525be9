/**
 * Float series downsampled as Thanos does (pkg/compact/downsample/downsample.go):
 * - raw samples to aggregate chunks (DownsampleRaw, downsampleRawLoop, downsampleFloatBatch):
 *   the series is split into ~equal batches extended to whole windows, NaNs dropped, and each
 *   batch becomes one aggregate chunk of five XOR sub-chunks; the counter sub-chunk starts with
 *   the batch's first raw sample and ends with its last raw value at the last window's time, so
 *   a reader can tell resets across chunk boundaries (ApplyCounterResetsSeriesIterator);
 * - aggregate chunks to a coarser resolution (downsampleAggr, downsampleAggrLoop,
 *   downsampleFloatAggrBatch): runs of whole input chunks, each aggregate re-aggregated
 *   (counts summed, sums summed, min of mins, max of maxes) and the counter rebuilt from the
 *   input counters with resets applied.
 * The output is what Thanos writes, byte for byte: the same batch sizes, window times, the
 * same XOR encoder, and Thanos's quirks where they show (an aggregate absent from every input
 * chunk makes the chunk's min time 0, as genericAggregate returns 0, 0 for it).
 */
import type {WriterChunk} from '../block/writer/write-block.js'
import {ChunkEncoding} from '../chunkenc/decode-chunk.js'
import {XorDecodeIterator} from '../chunkenc/xor-decoder.js'
import {XorChunkEncoder} from '../chunkenc/xor-encoder.js'
import {BadDataError} from '../errors.js'
import {AGGR_TYPES, AggrType, CHUNK_ENC_AGGR, encodeAggrChunk, getAggr, isAggrAbsent, type AggrSubChunk} from './aggr-chunk.js'
import {CounterResets} from './counter-resets.js'
import {SampleBuffer} from './sample-buffer.js'
import {aggregateWindows, FloatAggregator, windowEnd} from './windows.js'

/** A float batch of raw samples as one aggregate chunk (downsampleFloatBatch); ts/vs[0, n) hold no NaN. */
export function downsampleFloatBatch(ts: Float64Array, vs: Float64Array, n: number, r: number): WriterChunk {
  const count = new XorChunkEncoder()
  const sum = new XorChunkEncoder()
  const min = new XorChunkEncoder()
  const max = new XorChunkEncoder()
  const counter = new XorChunkEncoder()
  const a = new FloatAggregator()
  let mint = Infinity
  let maxt = -Infinity
  counter.append(ts[0]!, vs[0]!)
  const lastT = aggregateWindows(ts, vs, 0, n, r, a, (t) => {
    if (t < mint) mint = t
    if (t > maxt) maxt = t
    sum.append(t, a.sum)
    min.append(t, a.min)
    max.append(t, a.max)
    count.append(t, a.count)
    counter.append(t, a.counter)
  })
  counter.append(lastT, vs[n - 1]!)
  const subs = [count, sum, min, max, counter].map((e) => ({encoding: ChunkEncoding.XOR, data: e.bytes()}))
  return {minTime: mint, maxTime: maxt, encoding: CHUNK_ENC_AGGR, data: encodeAggrChunk(subs), samples: count.numSamples}
}

/**
 * downsampleRawLoop's batching: samples [from, to) of `buf` in `numChunks` batches of
 * len/numChunks + 1 samples, each extended to the end of the window its last sample is in;
 * `keep(i)` says which samples of a batch are aggregated (not NaN), and `batch` turns the
 * kept ones, copied to `scratch`, into a chunk. Batches with nothing kept make no chunk.
 */
export function rawBatches(buf: SampleBuffer, from: number, to: number, r: number, numChunks: number, scratch: SampleBuffer, keep: (i: number) => boolean, batch: (b: SampleBuffer) => WriterChunk, out: WriterChunk[]): void {
  const size = Math.trunc((to - from) / numChunks) + 1
  const ts = buf.ts
  let i = from
  while (i < to) {
    let j = Math.min(i + size, to)
    const w = windowEnd(ts[j - 1]!, r)
    while (j < to && ts[j]! <= w) j++
    scratch.clear()
    for (let k = i; k < j; k++) {
      if (!keep(k)) continue
      if (buf.hs[k]) scratch.pushHistogram(ts[k]!, buf.hs[k]!)
      else scratch.push(ts[k]!, buf.vs[k]!)
    }
    i = j
    if (scratch.n > 0) out.push(batch(scratch))
  }
}

/**
 * Sub-chunks of aggregate `at` over `chunks` expanded into `buf` (genericAggregate's expansion;
 * absent ones skipped). Float aggregates are XOR; anything else is refused.
 */
export function expandAggregate(chunks: readonly Uint8Array[], at: AggrType, buf: SampleBuffer): void {
  buf.clear()
  for (const c of chunks) {
    const sub = getAggr(c, at)
    if (isAggrAbsent(sub)) continue
    if (sub.encoding !== ChunkEncoding.XOR) throw new BadDataError(`aggregate chunk: ${at} sub-chunk has encoding ${sub.encoding}, want XOR`)
    buf.expandXor(sub.data)
  }
}

/**
 * The counter sub-chunks of `chunks` as one reset-corrected stream into `buf`
 * (ApplyCounterResetsSeriesIterator read through expandXorChunkIterator): each sample's value
 * is the counter total since the first one; a sample repeating the previous timestamp is the
 * true last raw value of its chunk, kept only to compare with the next chunk's first value.
 * @returns the last raw value (the iterator's lastV), NaN when there was no sample.
 */
export function expandCounters(chunks: readonly Uint8Array[], buf: SampleBuffer): number {
  buf.clear()
  const r = new CounterResets()
  let expandLastT = 0
  for (const c of chunks) {
    const sub = getAggr(c, AggrType.Counter)
    if (isAggrAbsent(sub)) continue
    if (sub.encoding !== ChunkEncoding.XOR) throw new BadDataError(`aggregate chunk: counter sub-chunk has encoding ${sub.encoding}, want XOR`)
    const it = new XorDecodeIterator(sub.data)
    while (it.next()) {
      const v = it.at()
      if (Number.isNaN(v) || !r.push(it.atT(), v)) continue
      // expandXorChunkIterator over the iterator: the total is never a stale marker; time only grows.
      if (r.lastT >= expandLastT) {
        buf.push(r.lastT, r.total)
        expandLastT = r.lastT
      }
    }
  }
  return r.lastV
}

type Pick = (a: FloatAggregator) => number
const PICKS: readonly [AggrType, Pick][] = [
  // Counts of the finer windows are summed to the count of the coarser one.
  [AggrType.Count, (a) => a.sum],
  [AggrType.Sum, (a) => a.sum],
  [AggrType.Min, (a) => a.min],
  [AggrType.Max, (a) => a.max],
]

/** downsampleFloatAggrBatch: one run of float aggregate chunks as one coarser aggregate chunk. */
export function downsampleFloatAggrBatch(chunks: readonly Uint8Array[], r: number, buf: SampleBuffer): WriterChunk {
  const subs: (AggrSubChunk | undefined)[] = new Array(AGGR_TYPES)
  let mint = Infinity
  let maxt = -Infinity
  for (const [at, pick] of PICKS) {
    expandAggregate(chunks, at, buf)
    if (buf.n === 0) {
      // genericAggregate returns (0, 0) for an aggregate no chunk has, and the caller takes it as a time.
      if (0 < mint) mint = 0
      if (0 > maxt) maxt = 0
      continue
    }
    const enc = new XorChunkEncoder()
    const a = new FloatAggregator()
    aggregateWindows(buf.ts, buf.vs, 0, buf.n, r, a, (t) => {
      if (t < mint) mint = t
      if (t > maxt) maxt = t
      enc.append(t, pick(a))
    })
    subs[at] = {encoding: ChunkEncoding.XOR, data: enc.bytes()}
  }
  const lastV = expandCounters(chunks, buf)
  if (buf.n > 0) {
    const enc = new XorChunkEncoder()
    const a = new FloatAggregator()
    // The first raw value, the windows, the last raw value: as downsampleFloatBatch.
    enc.append(buf.ts[0]!, buf.vs[0]!)
    const lastT = aggregateWindows(buf.ts, buf.vs, 0, buf.n, r, a, (t) => {
      if (t < mint) mint = t
      if (t > maxt) maxt = t
      enc.append(t, a.counter)
    })
    enc.append(lastT, lastV)
    subs[AggrType.Counter] = {encoding: ChunkEncoding.XOR, data: enc.bytes()}
  }
  const data = encodeAggrChunk(subs)
  return {minTime: mint, maxTime: maxt, encoding: CHUNK_ENC_AGGR, data}
}
