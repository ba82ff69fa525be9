/**
 * One series' chunks from several blocks made into one non-overlapping chunk list (Prometheus
 * storage/merge.go compactChunkIterator for `--deduplication.func=""`, Thanos pkg/dedup/
 * chunk_iter.go dedupChunksIterator for `penalty`):
 * - chunks are taken by (minTime, maxTime); a chunk that does not overlap the next passes
 *   through untouched, as do exact duplicates of the previous one (same range, same bytes);
 * - a run of chunks that overlap each other (transitively) is decoded and merged, then
 *   re-encoded as XOR chunks of at most 120 samples (storage.NewSeriesToChunkEncoder's split).
 *
 * How a run is merged:
 * - `chain` (the default ""): every timestamp once, the first block's sample winning on a tie,
 *   as storage.ChainSampleIterator (replicas with precisely the same samples, e.g. Receive);
 * - `penalty`: the chunks of each input block are one replica, and the replicas go through the
 *   querier's penalty merge (dedup/penalty-blocks.ts mergePenaltyBlocks, the same function
 *   `thanosts query` deduplicates with), so the output follows one replica and moves to another
 *   only across a gap, which fills the gap for good. Upstream folds the run pairwise chunk by
 *   chunk; one N-replica merge over whole replicas is the querier's algorithm and what the
 *   issue asks for ("one implementation, shared").
 *
 * Native histogram runs (integer or float histograms, one encoding per run) are merged the same
 * way: the choice of samples depends on timestamps only, so the penalty merge runs over the
 * timestamps with each sample's (replica, index) as its value, and the chosen histograms are
 * re-encoded as the head cuts them (chunkenc/histogram-encoder.ts), counter resets detected
 * anew (gauge histograms stay gauges). A run mixing floats and histograms is refused.
 */
import {ChunkEncoding} from '../block/chunks-reader.js'
import type {WriterChunk} from '../block/writer/write-block.js'
import {encodeFloatHistogramChunks} from '../chunkenc/float-histogram-encoder.js'
import {FloatHistogramDecodeIterator} from '../chunkenc/float-histogram-decoder.js'
import {HistogramDecodeIterator} from '../chunkenc/histogram-decoder.js'
import {encodeHistogramChunks} from '../chunkenc/histogram-encoder.js'
import {encodeXorChunks} from '../chunkenc/xor-encoder.js'
import {XorDecodeIterator} from '../chunkenc/xor-decoder.js'
import {STALE_NAN} from '../chunkenc/value.js'
import {mergePenaltyBlocks} from '../dedup/penalty-blocks.js'
import {BadDataError} from '../errors.js'
import type {FloatHistogram} from '../histogram/float-histogram.js'
import type {Histogram} from '../histogram/histogram.js'
import {CounterResetHint} from '../histogram/schema.js'
import type {SampleBlock} from '../promql/queryable.js'
import {bytesEqual} from '../chunkenc/bytes-equal.js'

/** `--deduplication.func`: '' merges 1:1 duplicates (chain), 'penalty' as the querier. */
export type MergeFunc = 'chain' | 'penalty'

/** A chunk and the input block (its index in the plan) it came from. */
export interface SourcedChunk extends WriterChunk {
  source: number
}

export interface MergeStats {
  /** Runs of overlapping chunks that were decoded and merged. */
  mergedRuns: number
}

/** The merged chunk list of one series; `chunks` may be in any order. */
export function mergeSeriesChunks(chunks: SourcedChunk[], func: MergeFunc, what: () => string, stats?: MergeStats): WriterChunk[] {
  if (chunks.length <= 1) return chunks
  const sorted = chunks.slice().sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime || a.source - b.source)
  const out: WriterChunk[] = []
  let i = 0
  while (i < sorted.length) {
    const first = sorted[i]!
    const run: SourcedChunk[] = [first]
    let oMax = first.maxTime
    let prev = first
    let j = i + 1
    for (; j < sorted.length; j++) {
      const next = sorted[j]!
      if (next.minTime > oMax) break
      if (next.minTime === prev.minTime && next.maxTime === prev.maxTime && bytesEqual(next.data, prev.data)) continue
      run.push(next)
      if (next.maxTime > oMax) oMax = next.maxTime
      prev = next
    }
    i = j
    if (run.length === 1) {
      out.push(first)
      continue
    }
    if (stats) stats.mergedRuns++
    out.push(...mergeRun(run, func, what))
  }
  return out
}

function mergeRun(run: readonly SourcedChunk[], func: MergeFunc, what: () => string): WriterChunk[] {
  const encoding = run[0]!.encoding
  for (const c of run) {
    if (c.encoding !== encoding) throw new BadDataError(`${what()}: overlapping chunks of encodings ${encoding} and ${c.encoding} (floats and native histograms) cannot be merged`)
  }
  const replicas = replicasOf(run)
  if (encoding === ChunkEncoding.Histogram) return mergeHistogramRun(replicas, func, decodeHistograms, (ts, hs) => encodeHistogramChunks(ts, hs), encoding)
  if (encoding === ChunkEncoding.FloatHistogram) return mergeHistogramRun(replicas, func, decodeFloatHistograms, (ts, hs) => encodeFloatHistogramChunks(ts, hs), encoding)
  if (encoding !== ChunkEncoding.XOR) throw new BadDataError(`${what()}: overlapping chunks of encoding ${encoding} cannot be merged`)
  const blocks = replicas.map(decodeReplica)
  const merged = func === 'penalty' ? mergePenaltyBlocks(blocks, {fill: false, counter: false}, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY) : mergeChain(blocks)
  const vs = new Float64Array(merged.ts.length)
  for (let k = 0; k < vs.length; k++) vs[k] = merged.stale[k] ? STALE_NAN : merged.vs[k]!
  return encodeXorChunks(merged.ts, vs).map((c) => ({minTime: c.minTime, maxTime: c.maxTime, encoding: ChunkEncoding.XOR, data: c.data}))
}

/** Samples per replica below 2^32, so (replica, index) fits a double exactly. */
const INDEX_SPACE = 2 ** 32

function mergeHistogramRun<H extends Histogram | FloatHistogram>(
  replicas: readonly SourcedChunk[][],
  func: MergeFunc,
  decode: (chunks: readonly SourcedChunk[]) => {ts: Float64Array; hs: H[]},
  encode: (ts: ArrayLike<number>, hs: ArrayLike<H>) => {minTime: number; maxTime: number; data: Uint8Array}[],
  encoding: number,
): WriterChunk[] {
  const decoded = replicas.map(decode)
  // The merges choose by timestamp alone: the value carried is where the sample came from.
  const blocks: SampleBlock[] = decoded.map((d, r) => {
    const vs = new Float64Array(d.ts.length)
    for (let k = 0; k < vs.length; k++) vs[k] = r * INDEX_SPACE + k
    return {ts: d.ts, vs, stale: new Uint8Array(d.ts.length)}
  })
  const merged = func === 'penalty' ? mergePenaltyBlocks(blocks, {fill: false, counter: false}, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY) : mergeChain(blocks)
  const hs: H[] = []
  for (let k = 0; k < merged.ts.length; k++) {
    const at = merged.vs[k]!
    const h = decoded[Math.floor(at / INDEX_SPACE)]!.hs[at % INDEX_SPACE]!
    // Hints belonged to the old chunks; the encoder finds resets again, as a head appender.
    if (h.counterResetHint !== CounterResetHint.Gauge) h.counterResetHint = CounterResetHint.Unknown
    hs.push(h)
  }
  return encode(merged.ts, hs).map((c) => ({minTime: c.minTime, maxTime: c.maxTime, encoding, data: c.data}))
}

function decodeHistograms(chunks: readonly SourcedChunk[]): {ts: Float64Array; hs: Histogram[]} {
  const ts: number[] = []
  const hs: Histogram[] = []
  for (const c of chunks) {
    const it = new HistogramDecodeIterator(c.data)
    while (it.next()) {
      ts.push(it.atT())
      hs.push(it.atHistogram())
    }
  }
  return {ts: Float64Array.from(ts), hs}
}

function decodeFloatHistograms(chunks: readonly SourcedChunk[]): {ts: Float64Array; hs: FloatHistogram[]} {
  const ts: number[] = []
  const hs: FloatHistogram[] = []
  for (const c of chunks) {
    const it = new FloatHistogramDecodeIterator(c.data)
    while (it.next()) {
      ts.push(it.atT())
      hs.push(it.atFloatHistogram())
    }
  }
  return {ts: Float64Array.from(ts), hs}
}

/**
 * Each input block's chunks in the run form one replica (a block's own chunks do not overlap;
 * if a corrupt block's do, its chunks become replicas of their own).
 */
function replicasOf(run: readonly SourcedChunk[]): SourcedChunk[][] {
  const replicas: SourcedChunk[][] = []
  const bySource = new Map<number, SourcedChunk[]>()
  for (const c of run) {
    const l = bySource.get(c.source)
    if (l && l[l.length - 1]!.maxTime < c.minTime) l.push(c)
    else {
      const nl = [c]
      replicas.push(nl)
      if (!l) bySource.set(c.source, nl)
    }
  }
  return replicas
}

function decodeReplica(chunks: readonly SourcedChunk[]): SampleBlock {
  let n = 0
  for (const c of chunks) n += XorDecodeIterator.sampleCount(c.data)
  const ts = new Float64Array(n)
  const vs = new Float64Array(n)
  const stale = new Uint8Array(n)
  let k = 0
  for (const c of chunks) {
    const it = new XorDecodeIterator(c.data)
    while (it.next() && k < n) {
      ts[k] = it.atT()
      vs[k] = it.at()
      stale[k] = it.atStale() ? 1 : 0
      k++
    }
  }
  return {ts: ts.subarray(0, k), vs: vs.subarray(0, k), stale: stale.subarray(0, k)}
}

/** storage.ChainSampleIterator: ascending timestamps, each once; the earliest replica wins a tie. */
function mergeChain(blocks: readonly SampleBlock[]): SampleBlock {
  let cap = 0
  for (const b of blocks) cap += b.ts.length
  const ts = new Float64Array(cap)
  const vs = new Float64Array(cap)
  const stale = new Uint8Array(cap)
  const idx = new Int32Array(blocks.length)
  let m = 0
  for (;;) {
    let best = -1
    let bestT = Number.POSITIVE_INFINITY
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!
      if (idx[i]! < b.ts.length && b.ts[idx[i]!]! < bestT) {
        bestT = b.ts[idx[i]!]!
        best = i
      }
    }
    if (best < 0) break
    const b = blocks[best]!
    ts[m] = bestT
    vs[m] = b.vs[idx[best]!]!
    stale[m] = b.stale[idx[best]!]!
    m++
    for (let i = 0; i < blocks.length; i++) {
      const bb = blocks[i]!
      while (idx[i]! < bb.ts.length && bb.ts[idx[i]!]! <= bestT) idx[i]!++
    }
  }
  return {ts: ts.subarray(0, m), vs: vs.subarray(0, m), stale: stale.subarray(0, m)}
}
