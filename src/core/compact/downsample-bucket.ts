/**
 * The compactor's downsampling pass (thanos cmd/thanos/downsample.go downsampleBucket and
 * processDownsampling): which blocks of the bucket get a 5m or 1h copy, made by
 * downsample/downsampleBlock and uploaded beside them.
 *
 * - Which blocks: downsample/plan.ts (raw → 5m from 40h spans, 5m → 1h from 10 days, by the
 *   sources no coarser block covers yet).
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
import {downsampleBlock, RES_5M} from '../downsample/downsample.js'
import {planDownsampling} from '../downsample/plan.js'
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

/** One pass of downsampleBucket over `metas` (the synced blocks without no-downsample marks). */
export async function downsampleBucket(metas: ReadonlyMap<string, BlockMeta>, o: DownsampleBucketOptions): Promise<void> {
  await mkdir(o.dir, {recursive: true})
  const keep = new Set(metas.keys())
  for (const name of await readdir(o.dir).catch(() => [] as string[])) {
    if (!keep.has(name)) await rm(path.join(o.dir, name), {recursive: true, force: true}).catch((e: unknown) => o.logger.warn('failed deleting potentially outdated directories/files, some disk space usage might have leaked. Continuing', {err: e, dir: o.dir}))
  }
  const plan = planDownsampling(metas.values())
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
  let out: BlockMeta
  try {
    out = await downsampleBlock(reader, {dir: o.dir, resolution, logger: log, signal: o.signal})
  } catch (e) {
    throw wrapKeepingClass(e, `downsample block ${meta.ulid} to window ${resolution}`)
  }
  const seconds = (performance.now() - began) / 1000
  o.metrics.duration(String(meta.thanos.downsample.resolution), seconds)
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
