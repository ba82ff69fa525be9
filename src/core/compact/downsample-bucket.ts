/**
 * The compactor's downsampling pass (thanos cmd/thanos/downsample.go downsampleBucket and
 * processDownsampling): which blocks of the bucket get a 5m or 1h copy, made by
 * downsample/downsampleBlock and uploaded beside them.
 *
 * - A raw block is downsampled to 5m when it spans at least 40h and some of its
 *   `compaction.sources` are not yet covered by a 5m block; a 5m block to 1h when it spans at
 *   least 10 days and some of its sources are not covered by a 1h block. 1h blocks are final.
 *   Coverage goes by sources, so a raw block compacted again later is not downsampled twice.
 * - Blocks are taken in ULID order, --downsample.concurrency at a time; the first failure stops
 *   handing out more, the ones running finish, and every error is returned together.
 * - The input is read from the bucket by ranges (BlockReader), not downloaded whole as Thanos
 *   does; the output is written under `<data-dir>/downsample/<ULID>` and uploaded with the
 *   shipper's upload (meta.json last), then removed. The folder is emptied of anything that is
 *   not a current block's first; after a failure it is left for inspection, as upstream.
 * - Reading or uploading failing is a RetryError (the next iteration tries again); a block that
 *   cannot be downsampled fails the pass.
 */
import {mkdir, readdir, rm} from 'node:fs/promises'
import path from 'node:path'
import {BlockReader} from '../block/block-reader.js'
import type {BlockMeta} from '../block/meta.js'
import {downsampleBlock, RES_1H, RES_1H_MIN_BLOCK_SPAN, RES_5M, RES_5M_MIN_BLOCK_SPAN, RES_RAW} from '../downsample/downsample.js'
import {BadDataError} from '../errors.js'
import type {Logger} from '../log.js'
import type {Bucket} from '../objstore/bucket.js'
import {uploadBlockDir, type HashFunc} from '../shipper/upload.js'
import {retry, wrapKeepingClass} from './errors.js'

export interface DownsampleMetrics {
  /** Creates both counters' series for a resolution at 0, as compact.go does for every synced block. */
  touch(resolution: string): void
  /** thanos_compact_downsample_total{resolution}: attempts, by the input's resolution. */
  attempt(resolution: string): void
  /** thanos_compact_downsample_failures_total{resolution} */
  failure(resolution: string): void
  /** thanos_compact_downsample_duration_seconds{resolution} */
  duration(resolution: string, seconds: number): void
}

export interface DownsampleBucketOptions {
  bucket: Bucket
  /** `<data-dir>/downsample` */
  dir: string
  /** --downsample.concurrency */
  concurrency: number
  hashFunc: HashFunc
  logger: Logger
  metrics: DownsampleMetrics
  signal?: AbortSignal
}

/** The blocks of `metas` that need a downsampled copy now, in ULID order, with their target. */
export function downsamplePlan(metas: ReadonlyMap<string, BlockMeta>): {meta: BlockMeta; resolution: number}[] {
  const covered5m = new Set<string>()
  const covered1h = new Set<string>()
  for (const m of metas.values()) {
    const res = m.thanos.downsample.resolution
    if (res === RES_5M) for (const id of m.compaction.sources ?? []) covered5m.add(id)
    else if (res === RES_1H) for (const id of m.compaction.sources ?? []) covered1h.add(id)
    else if (res !== RES_RAW) throw new BadDataError(`unexpected downsampling resolution ${res}`)
  }
  const out: {meta: BlockMeta; resolution: number}[] = []
  for (const id of [...metas.keys()].sort()) {
    const m = metas.get(id)!
    const res = m.thanos.downsample.resolution
    const [covered, span, target] = res === RES_RAW ? [covered5m, RES_5M_MIN_BLOCK_SPAN, RES_5M] : res === RES_5M ? [covered1h, RES_1H_MIN_BLOCK_SPAN, RES_1H] : [undefined, 0, 0]
    if (!covered) continue
    if ((m.compaction.sources ?? []).every((s) => covered.has(s))) continue
    // only blocks that give about two chunks per series (this must match the compaction ranges)
    if (m.maxTime - m.minTime < span) continue
    out.push({meta: m, resolution: target})
  }
  return out
}

/** One pass of downsampleBucket over `metas` (the synced blocks without no-downsample marks). */
export async function downsampleBucket(metas: ReadonlyMap<string, BlockMeta>, o: DownsampleBucketOptions): Promise<void> {
  await mkdir(o.dir, {recursive: true})
  const keep = new Set(metas.keys())
  for (const name of await readdir(o.dir).catch(() => [] as string[])) {
    if (!keep.has(name)) await rm(path.join(o.dir, name), {recursive: true, force: true}).catch((e: unknown) => o.logger.warn('failed deleting potentially outdated directories/files, some disk space usage might have leaked. Continuing', {err: e, dir: o.dir}))
  }
  const plan = downsamplePlan(metas)
  const errors: Error[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (errors.length === 0 && next < plan.length) {
      o.signal?.throwIfAborted()
      const {meta, resolution} = plan[next++]!
      const label = String(meta.thanos.downsample.resolution)
      try {
        await processDownsampling(meta, resolution, o)
      } catch (e) {
        o.metrics.failure(label)
        const what = resolution === RES_5M ? 'downsampling to 5 min' : 'downsampling to 60 min'
        errors.push(wrapKeepingClass(e, what))
      }
      o.metrics.attempt(label)
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(o.concurrency, plan.length))}, worker))
  if (errors.length === 1) throw errors[0]
  if (errors.length > 1) throw wrapKeepingClass(errors[0], `${errors.length} errors: ${errors.slice(1).map((e) => e.message).join('; ')}; first`)
  await rm(o.dir, {recursive: true, force: true})
}

async function processDownsampling(meta: BlockMeta, resolution: number, o: DownsampleBucketOptions): Promise<void> {
  const log = o.logger
  let reader: BlockReader
  try {
    reader = await BlockReader.open(o.bucket, meta.ulid, {meta, signal: o.signal})
  } catch (e) {
    throw retry(e, `open block ${meta.ulid}`)
  }
  const began = performance.now()
  let out: BlockMeta | undefined
  try {
    out = await downsampleBlock(reader, {dir: o.dir, resolution, logger: log, signal: o.signal})
  } catch (e) {
    throw wrapKeepingClass(e, `downsample block ${meta.ulid} to window ${resolution}`)
  }
  const seconds = (performance.now() - began) / 1000
  o.metrics.duration(String(meta.thanos.downsample.resolution), seconds)
  if (!out) {
    log.info('downsampled block has no samples; nothing to upload', {from: meta.ulid})
    return
  }
  log.info('downsampled block', {from: meta.ulid, to: out.ulid, duration_ms: Math.round(seconds * 1000)})
  const dir = path.join(o.dir, out.ulid)
  const up = performance.now()
  try {
    await uploadBlockDir(dir, {bucket: o.bucket, hashFunc: o.hashFunc, concurrency: 1, logger: log, signal: o.signal})
  } catch (e) {
    throw retry(e, `upload downsampled block ${out.ulid}`)
  }
  log.info('uploaded block', {id: out.ulid, duration_ms: Math.round(performance.now() - up)})
  await rm(dir, {recursive: true, force: true}).catch((e: unknown) => log.warn('failed to clean directory', {dir, err: e}))
}
