/**
 * Reads chunks from a block's segment files `chunks/000001`... (prometheus/tsdb/docs/format/
 * chunks.md, tsdb/chunks/chunks.go) through Bucket.getRange. A segment starts with
 * `magic 0x85BD40DD | version 1 | 3 zero bytes`; a chunk record is
 * `uvarint len | encoding (1B) | data (len bytes) | CRC32-C(encoding + data)`. A chunk ref is
 * `segmentIndex << 32 | offset`, the index 0-based over the sorted segment files.
 *
 * Many chunks are read at once with merged ranged reads (sorted refs, gaps up to maxGap as
 * Thanos's chunk partitioner). A record's length is only known once read, so each is read as
 * [offset, offset + estimate) bounded by the next wanted chunk; a longer one is fetched again
 * exactly. By default each record's CRC32-C is checked (a mismatch is a BlockCorruptionError);
 * the store gateway turns that off (`verifyChecksums: false`) as Thanos's bucketChunkReader
 * does (pkg/store/bucket.go loadChunks skips the CRC): it was the biggest single cost of
 * serving a large Series. Data are views into the read buffers: no copy per chunk.
 */
import type {Bucket, BucketCallOptions} from '../objstore/bucket.js'
import {crc32cOf, readBE32, type FileContext} from './decbuf.js'
import {BlockCorruptionError, UnsupportedBlockFormatError} from './errors.js'
import {DEFAULT_MAX_GAP, mapConcurrent, partitionRanges, type ByteRange} from './ranges.js'

export const CHUNKS_DIR = 'chunks'
export const SEGMENT_MAGIC = 0x85bd40dd
export const SEGMENT_HEADER_LEN = 8
export const SEGMENT_FORMAT_V1 = 1

/** Thanos's --debug.estimated-max-chunk-size default. */
export const DEFAULT_CHUNK_SIZE_ESTIMATE = 16 * 1024
/** Largest record we accept from a length field: chunks are ~1 KiB; this bounds a corrupt length. */
export const MAX_CHUNK_RECORD = 16 * 1024 * 1024

/** Chunk encodings (prometheus/tsdb/chunkenc/chunk.go), plus Thanos's downsampled aggregate. */
export const ChunkEncoding = {
  None: 0,
  XOR: 1,
  Histogram: 2,
  FloatHistogram: 3,
  XOR2: 4,
  HistogramST: 5,
  FloatHistogramST: 6,
  /** thanos-io/thanos pkg/compact/downsample `ChunkEncAggr`. */
  Aggr: 0xff,
} as const

export interface RawChunk {
  encoding: number
  data: Uint8Array
}

export interface ChunksReaderOptions {
  maxGap?: number
  /** Bytes read per chunk before its length is known (Thanos: index_stats.chunk_max_size or 16 KiB). */
  sizeEstimate?: number
  concurrency?: number
  /** Segment sizes if known (meta.json `thanos.files`), to bound corrupt lengths. */
  segmentSizes?: ReadonlyMap<string, number>
  /** Check each chunk record's CRC32-C (default true; the store gateway, as Thanos's, does not). */
  verifyChecksums?: boolean
}

/** Splits a chunk ref into (segment index, offset); refuses refs a double cannot hold exactly. */
export function splitChunkRef(ref: number): [segment: number, offset: number] {
  if (!Number.isSafeInteger(ref) || ref < 0) throw new RangeError(`chunk ref ${ref} is not an integer below 2^53`)
  return [Math.floor(ref / 0x100000000), ref % 0x100000000]
}

export function chunkRef(segment: number, offset: number): number {
  return segment * 0x100000000 + offset
}

/** The 6-digit file name of segment sequence number `seq` (1-based), as chunks.go segmentFile. */
export function segmentFileName(seq: number): string {
  return String(seq).padStart(6, '0')
}

export class ChunksReader {
  private readonly maxGap: number
  private readonly estimate: number
  private readonly concurrency: number
  private readonly verify: boolean
  private readonly headerChecks = new Map<number, Promise<void>>()

  constructor(
    private readonly bucket: Bucket,
    readonly block: string,
    /** Segment file names inside chunks/, sorted: index i is segment i of the refs. */
    readonly segments: readonly string[],
    private readonly opts: ChunksReaderOptions = {},
  ) {
    this.maxGap = opts.maxGap ?? DEFAULT_MAX_GAP
    this.estimate = Math.max(16, opts.sizeEstimate ?? DEFAULT_CHUNK_SIZE_ESTIMATE)
    this.concurrency = opts.concurrency ?? 8
    this.verify = opts.verifyChecksums ?? true
  }

  /** Lists `<block>/chunks/` (when meta.json has no segment_files). */
  static async listSegments(bucket: Bucket, block: string, opts: BucketCallOptions = {}): Promise<string[]> {
    const names: string[] = []
    const prefix = `${block}/${CHUNKS_DIR}/`
    for await (const key of bucket.iter(prefix, opts)) {
      if (key.endsWith('/')) continue
      names.push(key.slice(prefix.length))
    }
    return names.sort()
  }

  private key(segment: number): string {
    return `${this.block}/${CHUNKS_DIR}/${this.segments[segment]}`
  }

  private ctx(segment: number): FileContext {
    return {block: this.block, file: `${CHUNKS_DIR}/${this.segments[segment] ?? `<segment ${segment}>`}`}
  }

  /** Reads the chunks of `refs` (any order, duplicates allowed); results in input order. */
  async load(refs: ArrayLike<number>, opts: BucketCallOptions = {}): Promise<RawChunk[]> {
    const n = refs.length
    const order = Array.from({length: n}, (_, i) => i)
    const seg = new Float64Array(n)
    const off = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const [s, o] = splitChunkRef(refs[i]!)
      if (s >= this.segments.length) throw new BlockCorruptionError(this.block, CHUNKS_DIR, o, `chunk ref ${refs[i]} names segment ${s}, block has ${this.segments.length}`)
      if (o < SEGMENT_HEADER_LEN) throw new BlockCorruptionError(this.block, this.ctx(s).file, o, `chunk ref ${refs[i]} points into the segment header`)
      seg[i] = s
      off[i] = o
    }
    order.sort((a, b) => seg[a]! - seg[b]! || off[a]! - off[b]!)
    const out = new Array<RawChunk>(n)
    // One group of ranges per segment; duplicates share a range.
    const groups: {segment: number; ranges: ByteRange[]; members: number[][]}[] = []
    for (const i of order) {
      let g = groups[groups.length - 1]
      if (!g || g.segment !== seg[i]) {
        g = {segment: seg[i]!, ranges: [], members: []}
        groups.push(g)
      }
      const last = g.ranges[g.ranges.length - 1]
      if (last && last.start === off[i]) {
        g.members[g.members.length - 1]!.push(i)
        continue
      }
      if (last && last.end > off[i]!) last.end = off[i]!
      g.ranges.push({start: off[i]!, end: off[i]! + this.estimate})
      g.members.push([i])
    }
    const jobs = groups.flatMap((g) => partitionRanges(g.ranges, this.maxGap).map((part) => ({g, part})))
    await Promise.all([
      ...groups.map((g) => this.checkHeader(g.segment, opts)),
      mapConcurrent(jobs, this.concurrency, async ({g, part}) => {
        const buf = await this.bucket.getRange(this.key(g.segment), part.start, part.end - part.start, opts)
        for (let r = part.first; r <= part.last; r++) {
          const start = g.ranges[r]!.start
          const chunk = parseRecord(buf, start - part.start, part.start, this.ctx(g.segment), this.verify) ?? (await this.refetch(g.segment, start, buf.subarray(start - part.start), opts))
          for (const i of g.members[r]!) out[i] = chunk
        }
      }),
    ])
    return out
  }

  /** Segment headers are checked once per reader, alongside the first read of the segment. */
  private checkHeader(segment: number, opts: BucketCallOptions): Promise<void> {
    let p = this.headerChecks.get(segment)
    if (!p) {
      p = this.bucket.getRange(this.key(segment), 0, SEGMENT_HEADER_LEN, opts).then((b) => {
        const ctx = this.ctx(segment)
        if (b.length < SEGMENT_HEADER_LEN) throw new BlockCorruptionError(this.block, ctx.file, 0, 'segment shorter than its header')
        const magic = readBE32(b, 0)
        if (magic !== SEGMENT_MAGIC) throw new BlockCorruptionError(this.block, ctx.file, 0, `invalid magic number ${magic.toString(16)}, want 85bd40dd`)
        if (b[4] !== SEGMENT_FORMAT_V1) throw new UnsupportedBlockFormatError(this.block, ctx.file, `chunk segment format version ${b[4]} is not supported`)
      })
      // A failed check is not cached: the next query tries again (the error may be transient).
      p.catch(() => this.headerChecks.delete(segment))
      this.headerChecks.set(segment, p)
    }
    return p
  }

  private async refetch(segment: number, start: number, head: Uint8Array, opts: BucketCallOptions): Promise<RawChunk> {
    const ctx = this.ctx(segment)
    const size = recordSize(head)
    if (size < 0) {
      // The length varint itself was cut: the file ends here.
      throw new BlockCorruptionError(this.block, ctx.file, start, 'truncated chunk record')
    }
    const known = this.opts.segmentSizes?.get(this.segments[segment]!)
    if (size > MAX_CHUNK_RECORD || (known !== undefined && start + size > known)) {
      throw new BlockCorruptionError(this.block, ctx.file, start, `chunk record of ${size} bytes is impossible`)
    }
    const buf = await this.bucket.getRange(this.key(segment), start, size, opts)
    const c = parseRecord(buf, 0, start, ctx, this.verify)
    if (!c) throw new BlockCorruptionError(this.block, ctx.file, start, `truncated: read ${buf.length} of ${size} chunk record bytes`)
    return c
  }
}

/** Size of the record starting at b[0], -1 when its length varint is incomplete. */
function recordSize(b: Uint8Array): number {
  let len = 0
  let mul = 1
  for (let i = 0; i < 10 && i < b.length; i++) {
    const x = b[i]!
    len += (x & 0x7f) * mul
    if (x < 0x80) return i + 1 + 1 + len + 4
    mul *= 128
  }
  return b.length >= 10 ? Number.MAX_SAFE_INTEGER : -1
}

/** The record at b[at] if complete in b (CRC-checked when `verify`), else undefined. */
function parseRecord(b: Uint8Array, at: number, base: number, ctx: FileContext, verify: boolean): RawChunk | undefined {
  let len = 0
  let mul = 1
  let i = 0
  for (; ; i++) {
    if (i === 10) throw new BlockCorruptionError(ctx.block, ctx.file, base + at, 'chunk record: length varint longer than 10 bytes')
    if (at + i >= b.length) return undefined
    const x = b[at + i]!
    len += (x & 0x7f) * mul
    if (x < 0x80) break
    mul *= 128
  }
  const encAt = at + i + 1
  const dataEnd = encAt + 1 + len
  if (dataEnd + 4 > b.length) return undefined
  if (verify && crc32cOf(b, encAt, dataEnd) !== readBE32(b, dataEnd)) {
    throw new BlockCorruptionError(ctx.block, ctx.file, base + at, 'chunk record: CRC32-C mismatch')
  }
  return {encoding: b[encAt]!, data: b.subarray(encAt + 1, dataEnd)}
}
