/**
 * A Series over raw StoreAPI chunks, decoded lazily: the chunk bytes received on the wire are
 * kept as is, and iterator() walks them with one chunk iterator at a time. Samples outside the
 * query's [mint, maxt] are dropped, because stores may send whole chunks that reach beyond the
 * requested range (StoreAPI contract; Thanos `NewBoundedSeriesIterator`).
 *
 * Chunks are walked in min-time order; where two overlap (a store that returned the same
 * series twice), samples at or before the last emitted timestamp are skipped, as Thanos's
 * `chunkSeriesIterator` does (it seeks to lastT + 1 on each new chunk).
 *
 * Native histogram chunks (StoreAPI HISTOGRAM / FLOAT_HISTOGRAM) are decoded beside XOR ones;
 * a series may switch between them (Thanos's chunkSeriesIterator delegates At/AtHistogram to
 * the current chunk's iterator). Their samples reach the engine through the histogram side
 * channel of queryable.ts; a series with XOR chunks only never allocates it.
 */
import {BadDataError} from '../errors.js'
import type {Labels} from '../labels/labels.js'
import {isStaleNaN} from '../chunkenc/value.js'
import type {SampleBlock, SampleIterator, Series} from '../promql/queryable.js'
import type {RawChunk} from '../storepb/store-types.js'
import {decodeXorChunk, decodeXorInto, XorDecodeIterator} from '../chunkenc/xor-decoder.js'
import type {FloatHistogram} from '../histogram/float-histogram.js'
import {ChunkEncoding} from '../storepb/store-types.js'
import {decodeFloatHistogramChunkSamples, decodeHistogramChunkSamples} from './histogram-chunk-iterator.js'


export type {RawChunk} from '../storepb/store-types.js'

export type ChunkDecoder = (data: Uint8Array) => SampleIterator

/**
 * A chunk with its StoreAPI encoding (absent = XOR, the only one RawChunk users send), or with
 * its own iterator (a downsampled window average, downsampled-series.ts; `data` then only
 * gives the sample count in its header).
 */
export type SeriesChunk = RawChunk & {
  readonly encoding?: number
  readonly iterator?: () => SampleIterator
  /** The chunk this one was read from (a downsampled chunk's aggregate): explain names its origin. */
  readonly origin?: RawChunk
}

function isHistogramChunk(c: SeriesChunk): boolean {
  return c.encoding === ChunkEncoding.HISTOGRAM || c.encoding === ChunkEncoding.FLOAT_HISTOGRAM
}

/** The iterator for a chunk: XOR chunks through `xor` (tests may inject one), histograms by encoding. */
export function iteratorFor(c: SeriesChunk, xor: ChunkDecoder): SampleIterator {
  if (c.iterator !== undefined) return c.iterator()
  if (c.encoding === ChunkEncoding.HISTOGRAM) return decodeHistogramChunkSamples(c.data)
  if (c.encoding === ChunkEncoding.FLOAT_HISTOGRAM) return decodeFloatHistogramChunkSamples(c.data)
  return xor(c.data)
}

export class ChunkSeries implements Series {
  constructor(
    readonly labels: Labels,
    /** Sorted by minTime (then maxTime). */
    readonly chunks: readonly SeriesChunk[],
    private readonly mint: number,
    private readonly maxt: number,
    private readonly decode: ChunkDecoder,
  ) {}

  iterator(): SampleIterator {
    return new BoundedChunksIterator(this.chunks, this.mint, this.maxt, this.decode)
  }

  samples(mint: number, maxt: number, into?: SampleBlock): SampleBlock {
    const lo = Math.max(mint, this.mint)
    const hi = Math.min(maxt, this.maxt)
    const chunks = this.chunks
    let cap = 0
    for (const c of chunks) if (c.maxTime >= lo && c.minTime <= hi) cap += XorDecodeIterator.sampleCount(c.data)
    const reuse = into !== undefined && into.ts.length >= cap
    const ts = reuse ? into.ts : new Float64Array(cap)
    const vs = reuse ? into.vs : new Float64Array(cap)
    const stale = reuse ? into.stale : new Uint8Array(cap)
    let hs: (FloatHistogram | undefined)[] | undefined
    let n = 0
    for (const c of chunks) {
      if (c.minTime > hi) break
      // the same overlap rule as the iterator: a later chunk only adds samples after the last one
      const floor = n > 0 ? Math.max(lo, ts[n - 1]! + 1) : lo
      if (c.maxTime < floor) continue
      if (isHistogramChunk(c) || c.iterator !== undefined) {
        const it = iteratorFor(c, this.decode)
        // The histogram side channel only for histogram chunks: the engine treats a block with one differently.
        if (isHistogramChunk(c)) hs ??= []
        n = drainIterator(it, ts, vs, stale, n, floor, hi, hs)
        if (it.atT() > hi) break
      } else if (this.decode === decodeXorChunk) {
        const r = decodeXorInto(c.data, ts, vs, stale, n, floor, hi)
        // As the iterator: a sample past maxt ends the series, even if a later, overlapping
        // chunk holds an earlier one (that sample would be dropped as overlap in any wider window).
        if (r < 0) {
          n = ~r
          break
        }
        n = r
      } else {
        const it = this.decode(c.data)
        n = drainIterator(it, ts, vs, stale, n, floor, hi)
        if (it.atT() > hi) break
      }
    }
    const block: SampleBlock = n === ts.length ? {ts, vs, stale} : {ts: ts.subarray(0, n), vs: vs.subarray(0, n), stale: stale.subarray(0, n)}
    if (hs) {
      hs.length = n
      block.hs = hs
    }
    return block
  }
}

/** drainInto for decoders other than XOR (histogram chunks, and tests inject their own). */
function drainIterator(
  it: SampleIterator,
  ts: Float64Array,
  vs: Float64Array,
  stale: Uint8Array,
  at: number,
  mint: number,
  maxt: number,
  hs?: (FloatHistogram | undefined)[],
): number {
  let n = at
  if (!it.seek(mint)) return n
  do {
    const t = it.atT()
    if (t > maxt) break
    if (n >= ts.length) throw new BadDataError('chunk holds more samples than its header says')
    ts[n] = t
    vs[n] = it.at()
    stale[n] = (it.atStale ? it.atStale() : isStaleNaN(it.at())) ? 1 : 0
    if (hs) hs[n] = it.atHistogram?.()
    n++
  } while (it.next())
  return n
}

/**
 * Iterates the chunks in order, bounded to [mint, maxt], strictly increasing timestamps.
 * Chunks wholly outside the range are never decoded. Hot path: no per-sample allocation.
 */
export class BoundedChunksIterator implements SampleIterator {
  private i = -1
  private it: SampleIterator | undefined
  private lastT = Number.NEGATIVE_INFINITY
  private done = false

  constructor(
    private readonly chunks: readonly SeriesChunk[],
    private readonly mint: number,
    private readonly maxt: number,
    private readonly decode: ChunkDecoder,
  ) {}

  next(): boolean {
    return this.advance(Math.max(this.mint, this.lastT + 1))
  }

  seek(t: number): boolean {
    if (this.done) return false
    if (this.it !== undefined && this.lastT >= t) return true
    return this.advance(Math.max(this.mint, this.lastT + 1, t))
  }

  /** Moves to the first sample >= floor (floor > last emitted), skipping whole chunks. */
  private advance(floor: number): boolean {
    if (this.done) return false
    // A chunk that ends before the floor is dropped without decoding the rest of it.
    if (this.it !== undefined && this.chunks[this.i]!.maxTime < floor) this.it = undefined
    for (;;) {
      if (this.it === undefined && !this.openNext(floor)) return this.finish()
      const it = this.it!
      if (it.next() && (it.atT() >= floor || it.seek(floor))) {
        const t = it.atT()
        if (t > this.maxt) return this.finish()
        this.lastT = t
        return true
      }
      this.it = undefined
    }
  }

  /** Opens the next chunk that can still hold a sample >= floor and <= maxt. */
  private openNext(floor: number): boolean {
    for (;;) {
      this.i++
      if (this.i >= this.chunks.length) return false
      const c = this.chunks[this.i]!
      if (c.minTime > this.maxt) return false
      if (c.maxTime < floor) continue
      this.it = iteratorFor(c, this.decode)
      return true
    }
  }

  private finish(): false {
    this.done = true
    this.it = undefined
    return false
  }

  atT(): number {
    return this.lastT
  }

  at(): number {
    return this.it!.at()
  }

  atStale(): boolean {
    const it = this.it!
    return it.atStale ? it.atStale() : isStaleNaN(it.at())
  }

  /** The current histogram sample; undefined at floats (XOR chunks have no side channel). */
  atHistogram(): FloatHistogram | undefined {
    return this.it!.atHistogram?.()
  }
}
