/**
 * block/writer/: writes TSDB blocks to a local directory, the compactor's output format, read
 * by Prometheus, promtool and Thanos as their own.
 *   chunk-writer.ts   chunk segment files (chunks/000001...), refs segment << 32 | offset
 *   index-writer.ts   the index, v2 as Prometheus 3 writes it (two passes over a temp file)
 *   meta-writer.ts    meta.json with the Thanos section, block stats
 *   encbuf.ts, file-writer.ts   the encoding buffer and the buffered file under them
 *   write-block.ts (this file)  writeBlock: one block from a sorted stream of series
 *
 * writeBlock follows Prometheus's LeveledCompactor.write (tsdb/compact.go): everything goes to
 * `<dir>/<ULID>.tmp-for-creation/`, each file fsynced, then the directory is renamed to
 * `<dir>/<ULID>` (replacing one already there, as fileutil.Replace) and the parent fsynced, so
 * a crash leaves either no block or a whole one; on any error the temp directory is removed.
 * Series with no chunks are skipped (compact.go populateBlock: "all deleted chunks"), and a
 * block with no sample at all is not written, as there. No `tombstones` file is written:
 * Prometheus reads a missing one as empty, and Thanos's compactor deletes its own before the
 * upload (pkg/compact/compact.go), so blocks in a bucket have none.
 *
 * Chunks are streamed to the segments as they come: memory holds one series' chunk list and
 * the index writer's symbols and postings, never the block's samples.
 */
import {mkdir, open, rename, rm} from 'node:fs/promises'
import path from 'node:path'
import {BadDataError} from '../../errors.js'
import type {Labels} from '../../labels/labels.js'
import {labelsToString} from '../../labels/labels.js'
import {CHUNKS_DIR} from '../chunks-reader.js'
import {INDEX_FILENAME} from '../index-reader.js'
import {META_FILENAME, META_VERSION_1, THANOS_META_VERSION_1, ZERO_UPLOAD_TIME, type BlockFile, type BlockMeta, type BlockMetaCompaction, type BlockSource} from '../meta.js'
import {isUlid, newUlid} from '../ulid.js'
import {ChunkSegmentWriter, DEFAULT_SEGMENT_SIZE, type SegmentInfo} from './chunk-writer.js'
import {IndexWriter, type ChunkMeta} from './index-writer.js'
import {chunkSampleCount, StatsCollector, writeMetaFile} from './meta-writer.js'

/** Suffix of a block directory being written (prometheus tsdb/db.go tmpForCreationBlockDirSuffix). */
export const TMP_FOR_CREATION_SUFFIX = '.tmp-for-creation'

export interface WriterChunk {
  /** Time of the first and last sample, inclusive. */
  minTime: number
  maxTime: number
  encoding: number
  data: Uint8Array
  /** Samples in the chunk, for the stats; read from the chunk's header when not given. */
  samples?: number
}

export interface WriterSeries {
  labels: Labels
  chunks: readonly WriterChunk[]
}

export interface WriteBlockOptions {
  /** Parent directory: the block becomes `<dir>/<ULID>/`. */
  dir: string
  /** Default: a new ULID for now. */
  ulid?: string
  /**
   * The block's range [minTime, maxTime) (meta.json; maxTime exclusive). Default: from the
   * chunks, first sample to last sample + 1. Chunks must lie within it: Thanos's verifier
   * calls a chunk outside its block's range a critical issue.
   */
  minTime?: number
  maxTime?: number
  /** Default: level 1, the block itself as its only source (a block cut from a head). */
  compaction?: BlockMetaCompaction
  /** The Thanos section's producer fields; segment_files, files and index_stats are filled in. */
  thanos?: {labels?: Record<string, string>; resolution?: number; source?: BlockSource; extensions?: unknown}
  /** Max bytes per chunk segment file (default 512 MiB, Prometheus's). */
  segmentSize?: number
  signal?: AbortSignal
  /**
   * Write the block even with no series (needs minTime and maxTime): Thanos's downsampler
   * uploads an empty downsampled block, which marks its source as done.
   */
  keepEmpty?: boolean
}

/**
 * Writes the series (sorted by labels, each with its chunks in time order) as one block.
 * @returns the block's meta as written, or undefined when no series had a chunk (no block,
 *   unless `keepEmpty`).
 * @throws BadDataError for input a block cannot hold (unsorted series, empty label values,
 *   overlapping chunks, chunks outside the given range); the partial block is removed.
 */
export async function writeBlock(series: AsyncIterable<WriterSeries> | Iterable<WriterSeries>, opts: WriteBlockOptions): Promise<BlockMeta | undefined> {
  const ulid = opts.ulid ?? newUlid(Date.now())
  if (!isUlid(ulid)) throw new BadDataError(`invalid block ULID ${JSON.stringify(ulid)}`)
  const {minTime: fixedMin, maxTime: fixedMax} = opts
  if (fixedMin !== undefined && !Number.isSafeInteger(fixedMin)) throw new BadDataError(`block minTime ${fixedMin} is not an integer`)
  if (fixedMax !== undefined && !Number.isSafeInteger(fixedMax)) throw new BadDataError(`block maxTime ${fixedMax} is not an integer`)
  if (fixedMin !== undefined && fixedMax !== undefined && fixedMax <= fixedMin) throw new BadDataError(`block maxTime ${fixedMax} is not after minTime ${fixedMin}`)
  if (opts.keepEmpty && (fixedMin === undefined || fixedMax === undefined)) throw new BadDataError('an empty block needs minTime and maxTime')

  const finalDir = path.join(opts.dir, ulid)
  const tmp = finalDir + TMP_FOR_CREATION_SUFFIX
  await rm(tmp, {recursive: true, force: true})
  await mkdir(tmp, {recursive: true, mode: 0o755})
  const chunkw = new ChunkSegmentWriter(path.join(tmp, CHUNKS_DIR), opts.segmentSize ?? DEFAULT_SEGMENT_SIZE)
  let indexw: IndexWriter | undefined
  try {
    indexw = await IndexWriter.create(path.join(tmp, INDEX_FILENAME))
    const stats = new StatsCollector()
    let dataMin = Infinity
    let dataMax = -Infinity
    const metas: ChunkMeta[] = []
    for await (const s of series) {
      opts.signal?.throwIfAborted()
      if (s.chunks.length === 0) continue
      metas.length = 0
      // Labels and chunk order are checked by the index writer; a refusal there removes the
      // whole block, chunks already written included.
      for (const c of s.chunks) {
        if (fixedMin !== undefined && c.minTime < fixedMin) throw outside(s.labels, c, fixedMin, fixedMax)
        if (fixedMax !== undefined && c.maxTime > fixedMax) throw outside(s.labels, c, fixedMin, fixedMax)
        metas.push({minTime: c.minTime, maxTime: c.maxTime, ref: 0})
      }
      const refs = await chunkw.writeSeries(s.chunks)
      for (let i = 0; i < s.chunks.length; i++) {
        const c = s.chunks[i]!
        metas[i]!.ref = refs[i]!
        stats.addChunk(c.encoding, c.samples ?? chunkSampleCount(c.encoding, c.data) ?? 0)
        if (c.minTime < dataMin) dataMin = c.minTime
        if (c.maxTime > dataMax) dataMax = c.maxTime
      }
      await indexw.addSeries(s.labels, metas)
      stats.addSeries()
    }
    opts.signal?.throwIfAborted()
    const segments = await chunkw.close()
    // An empty block still has its chunks/ directory, as chunks.NewWriter makes it (block uploads list it).
    if (opts.keepEmpty && segments.length === 0) await mkdir(path.join(tmp, CHUNKS_DIR), {recursive: true})
    const index = await indexw.finish()
    if (stats.stats.numSeries === 0 && !opts.keepEmpty) {
      await rm(tmp, {recursive: true, force: true})
      return undefined
    }
    const meta: BlockMeta = {
      ulid,
      minTime: fixedMin ?? dataMin,
      maxTime: fixedMax ?? dataMax + 1,
      // Zero counts are left out, as meta.json omits them (omitempty) and parseMeta reads them.
      stats: Object.fromEntries(Object.entries(stats.stats).filter(([, v]) => v !== 0)),
      compaction: opts.compaction ? structuredClone(opts.compaction) : {level: 1, sources: [ulid]},
      version: META_VERSION_1,
      thanos: {
        version: THANOS_META_VERSION_1,
        labels: {...opts.thanos?.labels},
        downsample: {resolution: opts.thanos?.resolution ?? 0},
        source: opts.thanos?.source ?? '',
        segment_files: segments.map((x) => x.name),
        files: blockFiles(segments, index.size),
        index_stats: {series_max_size: index.seriesMaxSize, chunk_max_size: chunkw.maxRecordSize()},
        upload_time: ZERO_UPLOAD_TIME,
      },
    }
    if (opts.thanos?.extensions !== undefined) meta.thanos.extensions = opts.thanos.extensions
    await writeMetaFile(tmp, meta)
    await syncDir(tmp)
    if (segments.length > 0) await syncDir(path.join(tmp, CHUNKS_DIR))
    await rm(finalDir, {recursive: true, force: true})
    await rename(tmp, finalDir)
    await syncDir(opts.dir)
    return meta
  } catch (e) {
    await chunkw.abort()
    await indexw?.abort()
    await rm(tmp, {recursive: true, force: true})
    throw e
  }
}

/** chunks/* and index with their sizes, then meta.json without, sorted by path (block.GatherFileStats). */
function blockFiles(segments: readonly SegmentInfo[], indexSize: number): BlockFile[] {
  return [...segments.map((s) => ({rel_path: `${CHUNKS_DIR}/${s.name}`, size_bytes: s.size})), {rel_path: INDEX_FILENAME, size_bytes: indexSize}, {rel_path: META_FILENAME}]
}

function outside(labels: Labels, c: WriterChunk, min: number | undefined, max: number | undefined): BadDataError {
  return new BadDataError(`series ${labelsToString(labels)}: chunk [${c.minTime}, ${c.maxTime}] outside the block range [${min ?? '-inf'}, ${max ?? '+inf'})`)
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.datasync()
  } finally {
    await fh.close()
  }
}
