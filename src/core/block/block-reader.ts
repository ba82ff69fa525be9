/**
 * block/: the Prometheus/Thanos TSDB block format, read from a bucket by ranges.
 *   meta.ts, markers.ts, ulid.ts     meta.json (+ Thanos section), marker files, block names
 *   index-reader.ts                  the index: toc.ts, symbols.ts, postings-table.ts (the
 *                                    in-memory index-header), postings.ts, series.ts
 *   chunks-reader.ts                 chunk segment files
 *   posting-groups.ts, regex-set.ts  matchers → postings, as Thanos's store gateway
 *   block-reader.ts (this file)      one block: series by matchers and time, label names/values
 *   writer/                          writing blocks to a local directory (writer/write-block.ts)
 *
 * A BlockReader opens `<ULID>/` in a bucket with a handful of GETs (meta.json, the index's
 * header, TOC, symbols and postings offset table, a listing of chunks/ unless meta.json
 * names the segments) and answers selections by fetching only the postings, series entries
 * and chunks they need (thanos-io/thanos pkg/store/bucket.go `blockSeriesClient`). Series
 * stream in batches, so memory is bounded by the batch, not the block.
 */
import type {Labels} from '../labels/labels.js'
import type {Matcher} from '../labels/matcher.js'
import {MatchType, Matcher as LabelMatcher} from '../labels/matcher.js'
import type {Bucket, BucketCallOptions} from '../objstore/bucket.js'
import {BlockCorruptionError} from './errors.js'
import {CHUNKS_DIR, ChunksReader, type RawChunk} from './chunks-reader.js'
import {INDEX_FILENAME, IndexReader, type LabelPair} from './index-reader.js'
import {readMeta, type BlockMeta} from './meta.js'
import {matchersToPostingGroups} from './posting-groups.js'
import {EMPTY_POSTINGS, intersectPostings, subtractPostings, unionPostings} from './postings.js'

export interface BlockReaderOptions {
  /** Max gap merged into one GET for postings, series and chunks (default 512 KiB, as Thanos). */
  maxGap?: number
  /** Default: meta.json index_stats.series_max_size, else 64 KiB. */
  seriesSizeEstimate?: number
  /** Default: meta.json index_stats.chunk_max_size, else 16 KiB. */
  chunkSizeEstimate?: number
  /** GETs in flight per call. */
  concurrency?: number
  /** Check chunk CRC32-Cs (default true; Thanos's store gateway does not, nor does ours). */
  verifyChunkChecksums?: boolean
  /** The block's meta.json when the caller has already read it (the store gateway's meta fetcher): saves a GET. */
  meta?: BlockMeta
}

export interface SelectOptions extends BucketCallOptions {
  /** Labels only (label names/values with matchers; Thanos's skip_chunks). */
  skipChunks?: boolean
  /** Series per batch of index and chunk reads (default 1000). */
  batchSize?: number
}

/**
 * One chunk of a series. `data` is a view into the buffer of a merged read (no copy per
 * chunk): a caller keeping chunks long after the query should copy them, or it keeps the
 * whole read buffer alive.
 */
export interface BlockChunk extends RawChunk {
  minTime: number
  maxTime: number
}

export interface BlockSeries {
  labels: Labels
  chunks: BlockChunk[]
}

const ALL_POSTINGS: LabelPair = {name: '', value: ''}
const DEFAULT_BATCH = 1000

export class BlockReader {
  private constructor(
    readonly meta: BlockMeta,
    readonly index: IndexReader,
    readonly chunks: ChunksReader,
  ) {}

  get id(): string {
    return this.meta.ulid
  }

  /** Opens block `id` of `bucket`. @throws BlockNotFoundError when it has no meta.json. */
  static async open(bucket: Bucket, id: string, opts: BlockReaderOptions & BucketCallOptions = {}): Promise<BlockReader> {
    const meta = opts.meta ?? (await readMeta(bucket, id, opts))
    const files = new Map((meta.thanos.files ?? []).map((f) => [f.rel_path, f.size_bytes]))
    const segmentSizes = new Map<string, number>()
    for (const [p, size] of files) if (p.startsWith(`${CHUNKS_DIR}/`) && size !== undefined) segmentSizes.set(p.slice(CHUNKS_DIR.length + 1), size)
    const segmentsFromMeta = meta.thanos.segment_files?.length ? [...meta.thanos.segment_files].sort() : segmentSizes.size > 0 ? [...segmentSizes.keys()].sort() : undefined
    const [index, segments] = await Promise.all([
      IndexReader.open(bucket, id, {
        size: files.get(INDEX_FILENAME),
        maxGap: opts.maxGap,
        seriesSizeEstimate: opts.seriesSizeEstimate ?? meta.thanos.index_stats.series_max_size,
        concurrency: opts.concurrency,
        signal: opts.signal,
      }),
      segmentsFromMeta ?? ChunksReader.listSegments(bucket, id, opts),
    ])
    const chunks = new ChunksReader(bucket, id, segments, {
      maxGap: opts.maxGap,
      sizeEstimate: opts.chunkSizeEstimate ?? meta.thanos.index_stats.chunk_max_size,
      concurrency: opts.concurrency,
      segmentSizes,
      verifyChecksums: opts.verifyChunkChecksums,
    })
    return new BlockReader(meta, index, chunks)
  }

  /**
   * Postings refs of the series matching all `matchers`, ascending. No matchers select
   * nothing, as in Thanos's bucketIndexReader.ExpandedPostings.
   */
  async expandedPostings(matchers: readonly Matcher[], opts: BucketCallOptions = {}): Promise<Uint32Array> {
    if (matchers.length === 0) return EMPTY_POSTINGS
    const groups = matchersToPostingGroups(matchers, (name) => this.index.labelValues(name))
    if (!groups) return EMPTY_POSTINGS
    let allRequested = false
    let hasAdds = false
    for (const g of groups) {
      allRequested ||= g.addAll
      hasAdds ||= g.addKeys.length > 0
    }
    const pairs: LabelPair[] = []
    const addSlices: [number, number][] = []
    for (const g of groups) {
      if (g.addKeys.length === 0) continue
      addSlices.push([pairs.length, pairs.length + g.addKeys.length])
      for (const value of g.addKeys) pairs.push({name: g.name, value})
    }
    // Only addAll groups: intersect from the list of all series.
    if (allRequested && !hasAdds) {
      addSlices.push([pairs.length, pairs.length + 1])
      pairs.push(ALL_POSTINGS)
    }
    const removeStart = pairs.length
    for (const g of groups) for (const value of g.removeKeys) pairs.push({name: g.name, value})
    if (allRequested && !hasAdds && !this.index.postingsTable.hasName('')) {
      throw new BlockCorruptionError(this.id, INDEX_FILENAME, this.index.toc.postingsTable, 'postings offset table has no all-postings entry')
    }
    const lists = await this.index.postings(pairs, opts)
    const adds = addSlices.map(([s, e]) => unionPostings(lists.slice(s, e)))
    return subtractPostings(intersectPostings(adds), unionPostings(lists.slice(removeStart)))
  }

  /**
   * Series matching `matchers` with at least one chunk overlapping [mint, maxt] (inclusive),
   * sorted by labels, each with those chunks only (whole chunks, not trimmed, as Thanos).
   */
  async *series(matchers: readonly Matcher[], mint: number, maxt: number, opts: SelectOptions = {}): AsyncGenerator<BlockSeries> {
    const postings = await this.expandedPostings(matchers, opts)
    const batch = Math.max(1, opts.batchSize ?? DEFAULT_BATCH)
    for (let b = 0; b < postings.length; b += batch) {
      opts.signal?.throwIfAborted()
      const entries = await this.index.series(postings.subarray(b, b + batch), opts, b + batch < postings.length ? postings[b + batch] : undefined)
      // Flat arrays per batch, not an array per series: this loop runs for every series sent.
      const keptLabels: Labels[] = []
      const keptChunks: number[] = []
      const times: number[] = []
      const refs: number[] = []
      const skip = opts.skipChunks === true
      for (const e of entries) {
        const c = e.chunks
        let k = 0
        for (let i = 0; i < c.length; i += 3) {
          if (c[i]! > maxt) break
          if (c[i + 1]! >= mint) {
            k++
            if (skip) break
            refs.push(c[i + 2]!)
            times.push(c[i]!, c[i + 1]!)
          }
        }
        if (k === 0) continue
        keptLabels.push(e.labels)
        keptChunks.push(skip ? 0 : k)
      }
      const raw = refs.length > 0 ? await this.chunks.load(refs, opts) : []
      let r = 0
      for (let s = 0; s < keptLabels.length; s++) {
        const n = keptChunks[s]!
        const chunks = new Array<BlockChunk>(n)
        for (let i = 0; i < n; i++, r++) {
          const rc = raw[r]!
          chunks[i] = {minTime: times[2 * r]!, maxTime: times[2 * r + 1]!, encoding: rc.encoding, data: rc.data}
        }
        yield {labels: keptLabels[s]!, chunks}
      }
    }
  }

  /** Label names, sorted; with matchers, only of series matching them with data in [mint, maxt]. */
  async labelNames(matchers: readonly Matcher[] = [], mint = this.meta.minTime, maxt = this.meta.maxTime, opts: BucketCallOptions = {}): Promise<string[]> {
    if (matchers.length === 0) return this.index.labelNames()
    const seen = new Set<string>()
    for await (const s of this.series(matchers, mint, maxt, {...opts, skipChunks: true})) for (const l of s.labels) seen.add(l.name)
    return this.index.labelNames().filter((n) => seen.has(n))
  }

  /** Values of `name`, sorted; with matchers, only of series matching them with data in [mint, maxt]. */
  async labelValues(name: string, matchers: readonly Matcher[] = [], mint = this.meta.minTime, maxt = this.meta.maxTime, opts: BucketCallOptions = {}): Promise<string[]> {
    if (matchers.length === 0) return this.index.labelValues(name)
    const seen = new Set<string>()
    const withName = [...matchers, new LabelMatcher(MatchType.NEQ, name, '')]
    for await (const s of this.series(withName, mint, maxt, {...opts, skipChunks: true})) {
      for (const l of s.labels) if (l.name === name) seen.add(l.value)
    }
    return this.index.labelValues(name).filter((v) => seen.has(v))
  }
}
