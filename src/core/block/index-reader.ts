/**
 * Reads a block's `index` file through Bucket.getRange only, as the store gateway does
 * (thanos-io/thanos pkg/block/indexheader, pkg/store/bucket.go): at load the header, the TOC,
 * the symbol table and the postings offset table (the in-memory "index-header", four GETs);
 * per query the postings lists and series entries it needs, with nearby ranges merged into
 * one GET. Every section, list and entry is CRC-checked; any corruption is a
 * BlockCorruptionError naming the block, the file and the offset.
 */
import type {Bucket, BucketCallOptions} from '../objstore/bucket.js'
import {BlockCorruptionError} from './errors.js'
import type {FileContext} from './decbuf.js'
import {PostingsOffsetTable} from './postings-table.js'
import {decodePostingsList, EMPTY_POSTINGS} from './postings.js'
import {DEFAULT_MAX_GAP, mapConcurrent, partitionRanges, type ByteRange} from './ranges.js'
import {decodeSeriesEntry, seriesEntrySize, type SeriesEntry} from './series.js'
import {SymbolTable} from './symbols.js'
import {INDEX_FORMAT_V2, INDEX_HEADER_LEN, INDEX_TOC_LEN, parseIndexHeader, parseToc, sectionEnd, type IndexToc} from './toc.js'

export const INDEX_FILENAME = 'index'

/** Thanos's --debug.estimated-max-series-size default. */
export const DEFAULT_SERIES_SIZE_ESTIMATE = 64 * 1024

export interface IndexReaderOptions {
  /** Known size of the index (meta.json `thanos.files`), saving a HEAD. */
  size?: number
  /** Max gap merged between postings lists / series entries (default 512 KiB, as Thanos). */
  maxGap?: number
  /** Bytes read per series entry before its length is known (Thanos: index_stats.series_max_size or 64 KiB). */
  seriesSizeEstimate?: number
  /** GETs in flight per call. */
  concurrency?: number
}

export interface LabelPair {
  name: string
  value: string
}

export class IndexReader {
  private readonly maxGap: number
  private readonly seriesEstimate: number
  private readonly concurrency: number
  private readonly seriesEnd: number
  private readonly ctx: FileContext

  private constructor(
    private readonly bucket: Bucket,
    readonly block: string,
    readonly version: number,
    readonly size: number,
    readonly toc: IndexToc,
    readonly symbols: SymbolTable,
    readonly postingsTable: PostingsOffsetTable,
    opts: IndexReaderOptions,
  ) {
    this.ctx = {block, file: INDEX_FILENAME}
    this.maxGap = opts.maxGap ?? DEFAULT_MAX_GAP
    this.seriesEstimate = Math.max(16, opts.seriesSizeEstimate ?? DEFAULT_SERIES_SIZE_ESTIMATE)
    this.concurrency = opts.concurrency ?? 8
    this.seriesEnd = sectionEnd(toc, toc.series, size)
  }

  /** Loads the index-header of `<block>/index`. */
  static async open(bucket: Bucket, block: string, opts: IndexReaderOptions & BucketCallOptions = {}): Promise<IndexReader> {
    const key = `${block}/${INDEX_FILENAME}`
    const ctx: FileContext = {block, file: INDEX_FILENAME}
    const size = opts.size ?? (await bucket.attributes(key, opts)).size
    if (size < INDEX_HEADER_LEN + INDEX_TOC_LEN) throw new BlockCorruptionError(block, INDEX_FILENAME, 0, `index of ${size} bytes is too short`)
    const [head, tocBytes] = await Promise.all([bucket.getRange(key, 0, INDEX_HEADER_LEN, opts), bucket.getRange(key, size - INDEX_TOC_LEN, INDEX_TOC_LEN, opts)])
    const version = parseIndexHeader(head, ctx)
    if (tocBytes.length !== INDEX_TOC_LEN) throw new BlockCorruptionError(block, INDEX_FILENAME, size - INDEX_TOC_LEN, `truncated: read ${tocBytes.length} of ${INDEX_TOC_LEN} TOC bytes`)
    const toc = parseToc(tocBytes, size, ctx)
    const symEnd = sectionEnd(toc, toc.symbols, size)
    const tableEnd = size - INDEX_TOC_LEN
    const [symBytes, tableBytes] = await Promise.all([
      bucket.getRange(key, toc.symbols, symEnd - toc.symbols, opts),
      bucket.getRange(key, toc.postingsTable, tableEnd - toc.postingsTable, opts),
    ])
    const symbols = SymbolTable.parse(symBytes, toc.symbols, version, ctx)
    const table = PostingsOffsetTable.parse(tableBytes, toc.postingsTable, version, toc.postings, sectionEnd(toc, toc.postings, size), ctx)
    return new IndexReader(bucket, block, version, size, toc, symbols, table, opts)
  }

  /** Bytes the index-header holds in memory. */
  headerSize(): number {
    return this.symbols.size() + this.postingsTable.size()
  }

  /** Label names of the block, sorted (without the all-postings key ""). */
  labelNames(): string[] {
    return this.postingsTable.names().filter((n) => n !== '')
  }

  labelValues(name: string): string[] {
    return name === '' ? [] : this.postingsTable.values(name)
  }

  /**
   * The postings of each pair, in input order (empty for a pair not in the block). Lists
   * within maxGap of each other are read in one GET.
   */
  async postings(pairs: readonly LabelPair[], opts: BucketCallOptions = {}): Promise<Uint32Array[]> {
    const out = new Array<Uint32Array>(pairs.length).fill(EMPTY_POSTINGS)
    const wanted: {range: ByteRange; idx: number}[] = []
    pairs.forEach((p, idx) => {
      const range = this.postingsTable.lookup(p.name, p.value)
      if (range) wanted.push({range, idx})
    })
    wanted.sort((a, b) => a.range.start - b.range.start)
    const parts = partitionRanges(
      wanted.map((w) => w.range),
      this.maxGap,
    )
    await mapConcurrent(parts, this.concurrency, async (part) => {
      const buf = await this.bucket.getRange(`${this.block}/${INDEX_FILENAME}`, part.start, part.end - part.start, opts)
      for (let i = part.first; i <= part.last; i++) {
        const w = wanted[i]!
        out[w.idx] = decodePostingsList(buf, w.range.start - part.start, part.start, this.ctx)
      }
    })
    return out
  }

  /** File offset of the series with postings ref `id`. */
  seriesOffset(id: number): number {
    return this.version >= INDEX_FORMAT_V2 ? id * 16 : id
  }

  /**
   * The series entries of `ids` (ascending, as postings are), in order. Each entry is read as
   * [offset, offset + estimate) bounded by the next wanted entry and the series section,
   * merged by maxGap; an entry longer than that is fetched again exactly (as Thanos's
   * PreloadSeries). `nextId`, the ref that follows `ids` in the caller's postings, bounds the
   * last entry too, so reading a selection batch by batch does not re-read an estimate's worth
   * of bytes per batch.
   */
  async series(ids: Uint32Array, opts: BucketCallOptions = {}, nextId?: number): Promise<SeriesEntry[]> {
    const ranges: ByteRange[] = new Array(ids.length)
    for (let i = 0; i < ids.length; i++) {
      const off = this.seriesOffset(ids[i]!)
      if (off < this.toc.series || off >= this.seriesEnd) {
        throw new BlockCorruptionError(this.block, INDEX_FILENAME, off, `series ref ${ids[i]} outside the series section [${this.toc.series}, ${this.seriesEnd})`)
      }
      if (i > 0 && off <= ranges[i - 1]!.start) throw new BlockCorruptionError(this.block, INDEX_FILENAME, off, `series refs not increasing at ${ids[i]}`)
      ranges[i] = {start: off, end: Math.min(off + this.seriesEstimate, this.seriesEnd)}
      if (i > 0 && ranges[i - 1]!.end > off) ranges[i - 1]!.end = off
    }
    if (nextId !== undefined && ids.length > 0) {
      const bound = this.seriesOffset(nextId)
      const last = ranges[ids.length - 1]!
      if (bound > last.start && bound < last.end) last.end = bound
    }
    const out = new Array<SeriesEntry>(ids.length)
    const parts = partitionRanges(ranges, this.maxGap)
    await mapConcurrent(parts, this.concurrency, async (part) => {
      const buf = await this.bucket.getRange(`${this.block}/${INDEX_FILENAME}`, part.start, part.end - part.start, opts)
      for (let i = part.first; i <= part.last; i++) {
        const off = ranges[i]!.start
        const at = off - part.start
        const size = seriesEntrySize(buf, at, buf.length)
        if (size >= 0 && at + size <= buf.length) {
          out[i] = decodeSeriesEntry(buf, at, at + size, part.start, ids[i]!, this.symbols, this.ctx)
        } else {
          out[i] = await this.refetchSeries(ids[i]!, off, size, opts)
        }
      }
    })
    return out
  }

  private async refetchSeries(id: number, off: number, size: number, opts: BucketCallOptions): Promise<SeriesEntry> {
    const key = `${this.block}/${INDEX_FILENAME}`
    if (size < 0) {
      // Not even the length varint was read: get it first.
      const head = await this.bucket.getRange(key, off, 10, opts)
      size = seriesEntrySize(head, 0, head.length)
      if (size < 0) throw new BlockCorruptionError(this.block, INDEX_FILENAME, off, 'series entry: truncated length')
    }
    if (off + size > this.seriesEnd) throw new BlockCorruptionError(this.block, INDEX_FILENAME, off, `series entry of ${size} bytes runs past the series section end ${this.seriesEnd}`)
    const buf = await this.bucket.getRange(key, off, size, opts)
    if (buf.length < size) throw new BlockCorruptionError(this.block, INDEX_FILENAME, off, `truncated: read ${buf.length} of ${size} series bytes`)
    return decodeSeriesEntry(buf, 0, size, off, id, this.symbols, this.ctx)
  }
}
