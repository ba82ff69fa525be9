/**
 * Reading downsampled data in the querier (thanos pkg/query/querier.go, pkg/query/iter.go):
 * which aggregates a select asks the stores for, how coarse a resolution it accepts, and the
 * series the engine sees over chunks that may carry aggregates instead of raw samples.
 *
 * - aggregatesForFunc: from the function around the selector (aggrsFromFunc).
 * - maxResolutionForSelect: a function that needs two samples in its range gets at most
 *   range / 2 (maxResolutionFromSelectHints), so rate(x[5m]) never reads 5m windows.
 * - downsampledSeries: one aggregate (count, sum, min, max) is read as the chunk's samples;
 *   COUNTER through the counter-reset iterator (downsample.ApplyCounterResetsSeriesIterator:
 *   one monotonic series over all chunks, the duplicated last timestamp of a counter chunk
 *   carrying the true last raw value); COUNT+SUM (everything else) as sum / count per window
 *   (downsample.AverageChunkIterator). A raw chunk among them (a raw block filling a gap, a
 *   sidecar) is read as raw, as getFirstIterator prefers the aggregate and falls back to raw.
 *
 * A series with raw chunks only is the plain ChunkSeries whatever the aggregates: Thanos also
 * runs raw chunks through the counter-reset iterator under rate/increase/irate/resets, which
 * gives rate/increase/irate the same answer and breaks resets() (thanos-io/thanos#3644).
 */
import {CounterResets} from '../downsample/counter-resets.js'
import {BadDataError} from '../errors.js'
import type {FloatHistogram} from '../histogram/float-histogram.js'
import type {Labels} from '../labels/labels.js'
import type {SampleBlock, SampleIterator, Series} from '../promql/queryable.js'
import {Aggr, type StoreChunk} from '../storepb/store-types.js'
import {ChunkSeries, iteratorFor, type ChunkDecoder, type SeriesChunk} from './chunk-series.js'

/** The aggregates a select asks for, from its function hint (querier.go aggrsFromFunc). */
export function aggregatesForFunc(f: string | undefined): Aggr[] {
  const fn = f ?? ''
  if (fn === 'min' || fn.startsWith('min_')) return [Aggr.MIN]
  if (fn === 'max' || fn.startsWith('max_')) return [Aggr.MAX]
  if (fn === 'count' || fn.startsWith('count_')) return [Aggr.COUNT]
  // A bare `sum` falls through: it needs the samples, i.e. their average per window.
  if (fn.startsWith('sum_')) return [Aggr.SUM]
  if (fn === 'increase' || fn === 'rate' || fn === 'irate' || fn === 'resets' || fn === 'xincrease' || fn === 'xrate') return [Aggr.COUNTER]
  return [Aggr.COUNT, Aggr.SUM]
}

/** Functions that need two samples in their range (querier.go promqlFuncRequiresTwoSamples). */
const NEEDS_TWO_SAMPLES = new Set(['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'predict_linear', 'holt_winters', 'double_exponential_smoothing'])

/** The max_resolution_window of one select (querier.go maxResolutionFromSelectHints). */
export function maxResolutionForSelect(maxResolutionMs: number, rangeMs: number | undefined, func: string | undefined): number {
  if (rangeMs !== undefined && rangeMs > 0 && func !== undefined && NEEDS_TWO_SAMPLES.has(func)) return Math.min(maxResolutionMs, Math.trunc(rangeMs / 2))
  return maxResolutionMs
}

/** True when some chunk carries aggregates (comes from a downsampled block). */
export function hasAggregates(chunks: readonly StoreChunk[]): boolean {
  for (const c of chunks) if (c.aggrs !== undefined) return true
  return false
}

/** The sub-chunk of aggregate `a` of a downsampled chunk as a SeriesChunk; raw chunks as they are. */
function pick(c: StoreChunk, a: Aggr): SeriesChunk {
  if (c.aggrs === undefined) return c
  const p = c.aggrs[a - 1]
  if (!p) throw new BadDataError(`downsampled chunk [${c.minTime}, ${c.maxTime}] without the ${aggrName(a)} aggregate the query needs`)
  return {minTime: c.minTime, maxTime: c.maxTime, encoding: p.encoding, data: p.data, origin: c}
}

function aggrName(a: Aggr): string {
  return ['raw', 'count', 'sum', 'min', 'max', 'counter'][a] ?? String(a)
}

/**
 * The series of `chunks` (sorted by min time) read for `aggrs` (aggregatesForFunc), bounded to
 * [mint, maxt]. @throws BadDataError when a downsampled chunk lacks an aggregate needed.
 */
export function downsampledSeries(labels: Labels, chunks: readonly StoreChunk[], aggrs: readonly Aggr[], mint: number, maxt: number, decode: ChunkDecoder): Series {
  if (!hasAggregates(chunks)) return new ChunkSeries(labels, chunks, mint, maxt, decode)
  if (aggrs.length === 1) {
    const a = aggrs[0]!
    const picked = chunks.map((c) => pick(c, a))
    if (a === Aggr.COUNTER) return new CounterSeries(labels, picked, mint, maxt, decode)
    return new ChunkSeries(labels, picked, mint, maxt, decode)
  }
  if (aggrs.length === 2 && aggrs.includes(Aggr.COUNT) && aggrs.includes(Aggr.SUM)) {
    const averaged = chunks.map((c): SeriesChunk => {
      if (c.aggrs === undefined) return c
      const cnt = pick(c, Aggr.COUNT)
      const sum = pick(c, Aggr.SUM)
      // `data` is the count chunk: its header holds the sample count, the same as the sum's;
      // the encoding is the sum's, so a histogram sum's averages are read as histograms.
      return {minTime: c.minTime, maxTime: c.maxTime, encoding: sum.encoding, data: cnt.data, origin: c, iterator: () => new AverageIterator(iteratorFor(cnt, decode), iteratorFor(sum, decode))}
    })
    return new ChunkSeries(labels, averaged, mint, maxt, decode)
  }
  throw new BadDataError(`unexpected result aggregate types ${aggrs.map(aggrName).join(',')}`)
}

/**
 * sum / count per window (downsample.AverageChunkIterator): the two iterators step together;
 * different lengths or timestamps are corrupt data. A histogram sum is divided by the count.
 */
export class AverageIterator implements SampleIterator {
  private t = Number.NEGATIVE_INFINITY
  private v = NaN
  private h: FloatHistogram | undefined
  private started = false

  constructor(
    private readonly cnt: SampleIterator,
    private readonly sum: SampleIterator,
  ) {}

  next(): boolean {
    const c = this.cnt.next()
    const s = this.sum.next()
    this.started = true
    if (c !== s) throw new BadDataError('sum and count iterator not aligned')
    if (!c) return false
    const t = this.cnt.atT()
    if (t !== this.sum.atT()) throw new BadDataError('sum and count timestamps not aligned')
    this.t = t
    const n = this.cnt.at()
    const hs = this.sum.atHistogram?.()
    if (hs !== undefined) {
      this.h = hs.copy().div(n)
      this.v = NaN
    } else {
      this.h = undefined
      this.v = this.sum.at() / n
    }
    return true
  }

  seek(t: number): boolean {
    if (this.started && this.t >= t) return true
    while (this.next()) if (this.t >= t) return true
    return false
  }

  atT(): number {
    return this.t
  }

  at(): number {
    return this.v
  }

  atStale(): boolean {
    return false
  }

  atHistogram(): FloatHistogram | undefined {
    return this.h
  }
}

/**
 * A counter over raw and counter-aggregate chunks, made monotonic across them
 * (downsample.ApplyCounterResetsSeriesIterator): a drop counts as a reset (the new value is
 * added), NaNs (stale markers) are dropped, a sample at the last timestamp again is the chunk's
 * true last raw value, taken as the base for the next chunk; a sample back in time (overlap)
 * is skipped. Decoded into arrays once per iterator or samples() call, bounded to [mint, maxt].
 */
export class CounterSeries implements Series {
  constructor(
    readonly labels: Labels,
    /** Sorted by minTime. */
    readonly chunks: readonly SeriesChunk[],
    private readonly mint: number,
    private readonly maxt: number,
    private readonly decode: ChunkDecoder,
  ) {}

  iterator(): SampleIterator {
    return new BlockIterator(this.samples(this.mint, this.maxt))
  }

  samples(mint: number, maxt: number): SampleBlock {
    const lo = Math.max(mint, this.mint)
    const hi = Math.min(maxt, this.maxt)
    let ts = new Float64Array(64)
    let vs = new Float64Array(64)
    let hs: (FloatHistogram | undefined)[] | undefined
    let n = 0
    const r = new CounterResets()
    const emit = (t: number, v: number, h: FloatHistogram | undefined): void => {
      if (t < lo || t > hi) return
      if (n === ts.length) {
        const nt = new Float64Array(n * 2)
        nt.set(ts)
        ts = nt
        const nv = new Float64Array(n * 2)
        nv.set(vs)
        vs = nv
      }
      ts[n] = t
      vs[n] = v
      if (h !== undefined) (hs ??= [])[n] = h
      n++
    }
    outer: for (const c of this.chunks) {
      // Every chunk is walked from its start, also before `lo`: the resets before the range count.
      if (c.minTime > hi) break
      const it = iteratorFor(c, this.decode)
      while (it.next()) {
        const t = it.atT()
        const h = it.atHistogram?.()
        if (h !== undefined) {
          // Counter resets are handled for floats only, as upstream.
          if (t > r.lastT) {
            r.lastT = t
            emit(t, NaN, h)
          }
          continue
        }
        const v = it.at()
        if (Number.isNaN(v)) continue
        if (r.push(t, v)) emit(t, r.total, undefined)
        if (r.lastT > hi) break outer
      }
    }
    // The engine keeps the largest arrays it is given for the next series: all three alike.
    const block: SampleBlock = {ts: ts.subarray(0, n), vs: vs.subarray(0, n), stale: new Uint8Array(ts.length).subarray(0, n)}
    if (hs) {
      hs.length = n
      block.hs = hs
    }
    return block
  }
}

/** A SampleIterator over a decoded block. */
class BlockIterator implements SampleIterator {
  private i = -1

  constructor(private readonly b: SampleBlock) {}

  next(): boolean {
    return ++this.i < this.b.ts.length
  }

  seek(t: number): boolean {
    if (this.i < 0) this.i = 0
    while (this.i < this.b.ts.length && this.b.ts[this.i]! < t) this.i++
    return this.i < this.b.ts.length
  }

  atT(): number {
    return this.b.ts[this.i]!
  }

  at(): number {
    return this.b.vs[this.i]!
  }

  atStale(): boolean {
    return false
  }

  atHistogram(): FloatHistogram | undefined {
    return this.b.hs?.[this.i]
  }
}
