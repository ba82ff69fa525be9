/**
 * downsample/: Thanos's downsampling (thanos-io/thanos pkg/compact/downsample/), the part of
 * `thanosts compact` that turns a raw block into a 5m block and a 5m block into a 1h block.
 * This folder owns the aggregate chunk format and everything that computes aggregates:
 *   aggr-chunk.ts            the AggrChunk codec (encoding 0xFF; count, sum, min, max, counter)
 *   windows.ts               resolutions, window ends, chunk count targets, the float aggregator
 *   sample-buffer.ts         one series' expanded samples (typed arrays, reused)
 *   float-downsample.ts      float series: raw → aggregates, aggregates → coarser aggregates
 *   histogram-downsample.ts  native histogram series, the same two steps
 *   plan.ts                  planDownsampling: which blocks a pass downsamples (downsampleBucket)
 *   downsample.ts (this)     downsampleBlock: one block, series by series, to a new block
 * It does not run passes, download, upload or mark blocks (the compactor's run loop), and does
 * not read aggregates for queries (the store gateway).
 *
 * downsampleBlock follows downsample.Downsample: the input is read through BlockReader by
 * ranges, one series at a time in index order (only a batch of series and one series'
 * samples are in memory), each series' aggregate chunks are streamed into the block writer.
 * The output block has the input's time range, external labels and `compaction` section,
 * `thanos.downsample.resolution` set to the target and `thanos.source` "compactor". The chunk
 * bytes are Thanos's: same batches, windows, encoders (see float-downsample.ts).
 */
import type {BlockReader, BlockChunk} from '../block/block-reader.js'
import type {BlockMeta} from '../block/meta.js'
import {writeBlock, type WriterChunk, type WriterSeries} from '../block/writer/write-block.js'
import {chunkSampleCount} from '../block/writer/meta-writer.js'
import {ChunkEncoding} from '../chunkenc/decode-chunk.js'
import {BadDataError} from '../errors.js'
import {labelsToString} from '../labels/labels.js'
import {Matcher, MatchType} from '../labels/matcher.js'
import {nopLogger, type Logger} from '../log.js'
import {aggrChunkNumSamples, CHUNK_ENC_AGGR, isHistogramAggrChunk} from './aggr-chunk.js'
import {downsampleFloatAggrBatch, downsampleFloatBatch, rawBatches} from './float-downsample.js'
import {downsampleHistogramAggrBatch, downsampleHistogramBatch} from './histogram-downsample.js'
import {SampleBuffer} from './sample-buffer.js'
import {ASSUMED_RAW_INTERVAL, RES_5M, targetChunkCount} from './windows.js'

export {RES_1H, RES_1H_MIN_BLOCK_SPAN, RES_5M, RES_5M_MIN_BLOCK_SPAN, RES_RAW} from './windows.js'

export interface DownsampleBlockOptions {
  /** Parent directory: the new block is written to `<dir>/<ULID>/`. */
  dir: string
  /** Target resolution in ms (RES_5M for a raw block, RES_1H for a 5m block); above the block's. */
  resolution: number
  /** The new block's ULID (default: a new one for now). */
  ulid?: string
  logger?: Logger
  signal?: AbortSignal
}

/** Every series: `=~".*"` on the name matches series without one too (all postings). */
const ALL_SERIES = [new Matcher(MatchType.RE, '__name__', '.*')]

/**
 * Downsamples the block `reader` reads to `opts.resolution` into a new block in `opts.dir`.
 * A block with nothing to aggregate (only NaNs, stale markers) still gives a block, empty, as
 * Thanos's: its upload tells the compactor the source is downsampled.
 * @returns the new block's meta.
 * @throws BadDataError when the target resolution is not above the block's, for chunks that
 *   overlap within a series, and for chunks that cannot be downsampled.
 */
export async function downsampleBlock(reader: BlockReader, opts: DownsampleBlockOptions): Promise<BlockMeta> {
  const meta = reader.meta
  const inRes = meta.thanos.downsample.resolution
  if (inRes >= opts.resolution) throw new BadDataError(`block ${meta.ulid}: target resolution ${opts.resolution} not lower than existing one ${inRes}`)
  const log = opts.logger ?? nopLogger
  const ds = new SeriesDownsampler(inRes, opts.resolution, log)
  async function* series(): AsyncGenerator<WriterSeries> {
    for await (const s of reader.series(ALL_SERIES, -Infinity, Infinity, {signal: opts.signal})) {
      const what = (): string => `block ${meta.ulid}: series ${labelsToString(s.labels)}`
      const cs = s.chunks
      for (let i = 1; i < cs.length; i++) {
        if (cs[i - 1]!.maxTime >= cs[i]!.minTime) throw new BadDataError(`${what()}: overlapping chunks [${cs[i - 1]!.minTime}, ${cs[i - 1]!.maxTime}] and [${cs[i]!.minTime}, ${cs[i]!.maxTime}]; chunks must be ordered by time and not overlap`)
      }
      let chunks: WriterChunk[]
      try {
        chunks = ds.downsample(cs, what)
      } catch (e) {
        // Bad chunk data: name the block and series (the cause keeps the precise error).
        if (e instanceof BadDataError) throw new BadDataError(`${what()}: ${e.message}`, {cause: e})
        throw e
      }
      if (chunks.length === 0) {
        log.warn('empty chunks happened, skip series', {series: labelsToString(s.labels)})
        continue
      }
      yield {labels: s.labels, chunks}
    }
  }
  const out = await writeBlock(series(), {
    dir: opts.dir,
    ulid: opts.ulid,
    minTime: meta.minTime,
    maxTime: meta.maxTime,
    compaction: meta.compaction,
    thanos: {labels: meta.thanos.labels, resolution: opts.resolution, source: 'compactor', extensions: meta.thanos.extensions},
    signal: opts.signal,
    keepEmpty: true,
  })
  if (!out) throw new Error('writeBlock wrote no block despite keepEmpty')
  log.info('finalized downsampled block', {mint: out.minTime, maxt: out.maxTime, ulid: out.ulid, resolution: opts.resolution})
  return out
}

const isHistogramEncoding = (e: number): boolean => e === ChunkEncoding.Histogram || e === ChunkEncoding.FloatHistogram

/** One series at a time, buffers reused across series. */
class SeriesDownsampler {
  private readonly buf = new SampleBuffer()
  private readonly scratch = new SampleBuffer()

  constructor(
    private readonly inRes: number,
    private readonly outRes: number,
    private readonly log: Logger,
  ) {}

  downsample(chunks: readonly BlockChunk[], what: () => string): WriterChunk[] {
    const out: WriterChunk[] = []
    if (chunks.length === 0) return out
    if (this.inRes === 0) this.fromRaw(chunks, out)
    else this.fromAggregates(chunks, what, out)
    for (const c of out) c.samples ??= aggrChunkNumSamples(c.data)
    return out
  }

  /** Raw chunks: float and histogram stretches separately (cutNewChunk), each by DownsampleRaw. */
  private fromRaw(chunks: readonly BlockChunk[], out: WriterChunk[]): void {
    const buf = this.buf
    buf.clear()
    let prevHist = isHistogramEncoding(chunks[0]!.encoding)
    for (const c of chunks) {
      const hist = isHistogramEncoding(c.encoding)
      if (hist !== prevHist) {
        this.downsampleRaw(this.outRes, out)
        buf.clear()
        prevHist = hist
      }
      buf.expand(c.encoding, c.data)
    }
    this.downsampleRaw(this.outRes, out)
  }

  /** DownsampleRaw over this.buf: the batches, each one aggregate chunk. */
  private downsampleRaw(r: number, out: WriterChunk[]): void {
    const buf = this.buf
    if (buf.n === 0) return
    const numChunks = targetChunkCount(buf.ts[0]!, buf.ts[buf.n - 1]!, ASSUMED_RAW_INTERVAL, r, buf.n)
    // The first sample decides: a stretch between encoding changes holds one kind.
    if (buf.hs[0]) {
      const hs = buf.hs
      rawBatches(buf, 0, buf.n, r, numChunks, this.scratch, (i) => !Number.isNaN(hs[i]!.sum), (b) => downsampleHistogramBatch(b, r), out)
    } else {
      const vs = buf.vs
      rawBatches(buf, 0, buf.n, r, numChunks, this.scratch, (i) => !Number.isNaN(vs[i]!), (b) => downsampleFloatBatch(b.ts, b.vs, b.n, r), out)
    }
  }

  /**
   * Aggregate chunks (a 5m block to 1h). Stray raw chunks in a downsampled block are made 5m
   * aggregates first, empty ones dropped (Thanos issue 5272); runs of float and of histogram
   * aggregate chunks are downsampled apart.
   */
  private fromAggregates(chunks: readonly BlockChunk[], what: () => string, out: WriterChunk[]): void {
    const fixed: WriterChunk[] = []
    for (const c of chunks) {
      if (c.encoding === CHUNK_ENC_AGGR) {
        fixed.push(c)
        continue
      }
      if ((chunkSampleCount(c.encoding, c.data) ?? 0) === 0) {
        this.log.warn(`expected downsampled chunk (aggregate) got an empty chunk of encoding ${c.encoding} instead`, {series: what()})
        continue
      }
      this.buf.clear()
      this.buf.expand(c.encoding, c.data)
      this.downsampleRaw(RES_5M, fixed)
    }
    let start = 0
    for (let i = 1; i <= fixed.length; i++) {
      const hist = isHistogramAggrChunk(fixed[start]!.data)
      if (i < fixed.length && isHistogramAggrChunk(fixed[i]!.data) === hist) continue
      this.downsampleAggrRun(fixed.slice(start, i), hist, out)
      start = i
    }
  }

  /** downsampleAggr + downsampleAggrLoop: a run in batches of whole chunks (chunk boundaries keep counters right). */
  private downsampleAggrRun(run: readonly WriterChunk[], hist: boolean, out: WriterChunk[]): void {
    let samples = 0
    for (const c of run) samples += aggrChunkNumSamples(c.data)
    const numChunks = targetChunkCount(run[0]!.minTime, run[run.length - 1]!.maxTime, this.inRes, this.outRes, samples)
    const size = Math.trunc(run.length / numChunks)
    // Thanos loops forever here (an empty batch is taken again and again).
    if (size === 0) throw new BadDataError(`${run.length} aggregate chunks cannot be cut into ${numChunks} chunks`)
    for (let i = 0; i < run.length; i += size) {
      const part = run.slice(i, i + size).map((c) => c.data)
      const c = hist ? downsampleHistogramAggrBatch(part, this.outRes, this.buf) : downsampleFloatAggrBatch(part, this.outRes, this.buf)
      if (!Number.isFinite(c.minTime) || !Number.isFinite(c.maxTime)) throw new BadDataError(`invalid range for downsampled aggregate chunk: mint=${c.minTime} maxt=${c.maxTime}`)
      out.push(c)
    }
  }
}
