/**
 * shipper/: uploads the finished TSDB blocks of a local Prometheus to object storage, where a
 * store gateway serves them long after Prometheus deleted them. Semantics of Thanos's shipper
 * (thanos `pkg/shipper/shipper.go` Sync; the loop of `cmd/thanos/sidecar.go`):
 *
 * - one sync every 30 s, the first right away;
 * - a sync reads `thanos.shipper.json` (shipper-file.ts), lists the local blocks oldest first
 *   (by minTime) and, for each block not yet recorded: skips it when it has no samples, skips
 *   it when it is compacted (level > 1) unless upload-compacted is on, records it without
 *   uploading when `<ULID>/meta.json` already exists in the bucket, refuses a compacted block
 *   that overlaps a bucket block of the same external labels (overlap.ts), and otherwise
 *   uploads it (upload.ts: chunks, index, meta.json last);
 * - the first failure ends the sync (unless out-of-order uploads are allowed): later blocks
 *   wait, so blocks reach the bucket in time order, and the next sync retries;
 * - at the end the file is rewritten with the recorded blocks that still exist locally, so a
 *   block Prometheus deleted drops out of it (an early end leaves the file as it was);
 * - the external labels are asked for at every upload, so a change applies to the next block.
 *
 * Metrics as upstream, on the registry given: thanos_shipper_dir_syncs_total,
 * _dir_sync_failures_total, _uploads_total, _upload_failures_total (counted only when
 * out-of-order uploads are allowed: otherwise a failed upload ends the sync, which counts as a
 * failed sync), _corrupted_blocks_total (only when corrupted blocks are skipped: otherwise one
 * fails the sync) and thanos_shipper_upload_compacted_done.
 */
import path from 'node:path'
import {Counter, Gauge, type Registry} from 'prom-client'
import {META_FILENAME, type BlockMeta, type BlockSource} from '../block/meta.js'
import type {Labels} from '../labels/labels.js'
import type {Logger} from '../log.js'
import type {Bucket} from '../objstore/bucket.js'
import {sleep} from '../server/lifecycle.js'
import {localBlocksFromOldest} from './local-blocks.js'
import {LazyOverlapChecker} from './overlap.js'
import {DEFAULT_SHIPPER_FILENAME, readShipperFile, SHIPPER_FILE_VERSION_1, writeShipperFile, type ShipperFile} from './shipper-file.js'
import {uploadBlock, type HashFunc} from './upload.js'

export {DEFAULT_SHIPPER_FILENAME} from './shipper-file.js'
export type {HashFunc} from './upload.js'

/** Thanos's sidecar syncs every 30 s (cmd/thanos/sidecar.go runutil.Repeat). */
export const SHIPPER_SYNC_INTERVAL_MS = 30_000

export interface ShipperOptions {
  bucket: Bucket
  /** The TSDB directory (`--tsdb.path`). */
  dir: string
  /** External labels, asked for at each upload. */
  labels: () => Labels
  source: BlockSource
  logger: Logger
  /** Metrics go here; none when absent. */
  registry?: Registry
  /** `--shipper.meta-file-name`, relative to `dir`. */
  metaFileName?: string
  uploadCompacted?: boolean
  allowOutOfOrderUploads?: boolean
  skipCorruptedBlocks?: boolean
  hashFunc?: HashFunc
  uploadConcurrency?: number
}

interface ShipperMetrics {
  dirSyncs: Counter
  dirSyncFailures: Counter
  uploads: Counter
  uploadFailures: Counter
  corruptedBlocks: Counter
  uploadedCompacted: Gauge
}

function shipperMetrics(registry: Registry | undefined): ShipperMetrics {
  const registers = registry ? [registry] : []
  const counter = (name: string, help: string): Counter => new Counter({name, help, registers})
  return {
    dirSyncs: counter('thanos_shipper_dir_syncs_total', 'Total number of dir syncs'),
    dirSyncFailures: counter('thanos_shipper_dir_sync_failures_total', 'Total number of failed dir syncs'),
    uploads: counter('thanos_shipper_uploads_total', 'Total number of uploaded blocks'),
    uploadFailures: counter('thanos_shipper_upload_failures_total', 'Total number of block upload failures'),
    corruptedBlocks: counter('thanos_shipper_corrupted_blocks_total', 'Total number of corrupted blocks'),
    uploadedCompacted: new Gauge({name: 'thanos_shipper_upload_compacted_done', help: 'If 1 it means shipper uploaded all compacted blocks from the filesystem.', registers}),
  }
}

export class Shipper {
  readonly metaFilePath: string
  private readonly m: ShipperMetrics
  private readonly log: Logger
  private syncing: Promise<number> | undefined

  constructor(private readonly o: ShipperOptions) {
    this.metaFilePath = path.join(o.dir, path.normalize(o.metaFileName ?? DEFAULT_SHIPPER_FILENAME))
    this.m = shipperMetrics(o.registry)
    this.log = o.logger
  }

  /**
   * One sync; resolves with the number of blocks uploaded. Rejects on the failure that ended
   * it, or, when it went through, if uploads failed (out-of-order mode) or blocks were corrupted
   * (skip mode). Syncs never overlap: a call during a sync waits for it and then runs its own.
   */
  async sync(signal?: AbortSignal): Promise<number> {
    while (this.syncing) await this.syncing.catch(() => undefined)
    const run = this.syncOnce(signal)
    this.syncing = run
    try {
      return await run
    } finally {
      this.syncing = undefined
    }
  }

  private async syncOnce(signal?: AbortSignal): Promise<number> {
    let failed = true
    try {
      const r = await this.doSync(signal)
      failed = false
      return r.finish()
    } finally {
      if (failed) this.m.dirSyncFailures.inc()
      else this.m.dirSyncs.inc()
    }
  }

  /**
   * The body of Sync up to the point where upstream marks the execution successful; `finish`
   * is what follows that point (metrics and the error about failed or corrupted blocks).
   */
  private async doSync(signal?: AbortSignal): Promise<{finish: () => number}> {
    const recorded = new Set((await this.readRecord()).uploaded ?? [])
    const record: ShipperFile = {version: SHIPPER_FILE_VERSION_1, uploaded: null}
    const keep = (id: string): void => {
      ;(record.uploaded ??= []).push(id)
    }
    const checker = new LazyOverlapChecker(this.o.bucket, this.o.labels, this.log)
    let uploaded = 0
    let uploadErrs = 0

    const {metas, corrupted} = await localBlocksFromOldest(this.o.dir, {
      skipCorrupted: this.o.skipCorruptedBlocks ?? false,
      onCorrupted: (block, err) => this.log.error('read metadata for block', {err, block}),
    })
    for (const meta of metas) {
      // Recorded (uploaded, or found in the bucket) before: kept while it exists locally.
      if (recorded.has(meta.ulid)) {
        keep(meta.ulid)
        continue
      }
      if (!meta.stats.numSamples) {
        this.log.debug('ignoring empty block', {block: meta.ulid})
        continue
      }
      if (meta.compaction.level > 1 && !this.o.uploadCompacted) continue

      let there: boolean
      try {
        there = await this.o.bucket.exists(`${meta.ulid}/${META_FILENAME}`, {signal})
      } catch (e) {
        throw new Error(`check exists: ${(e as Error).message}`, {cause: e})
      }
      if (there) {
        keep(meta.ulid)
        continue
      }

      if (meta.compaction.level > 1 && !this.o.allowOutOfOrderUploads) {
        try {
          await checker.checkOverlap(meta, signal)
        } catch (e) {
          throw new Error(`Found overlap or error during sync, cannot upload compacted block, details: ${(e as Error).message}`, {cause: e})
        }
      }

      try {
        await this.upload(meta, signal)
      } catch (e) {
        if (!this.o.allowOutOfOrderUploads) throw new Error(`upload ${meta.ulid}: ${(e as Error).message}`, {cause: e})
        // Later blocks go on; this one is retried by the next sync.
        this.log.error('shipping failed', {block: meta.ulid, err: e})
        uploadErrs++
        continue
      }
      keep(meta.ulid)
      uploaded++
      this.m.uploads.inc()
    }
    try {
      await writeShipperFile(this.metaFilePath, record)
    } catch (e) {
      this.log.warn('updating meta file failed', {err: e})
    }

    return {
      finish: () => {
        if (uploadErrs > 0 || corrupted.length > 0) {
          this.m.uploadFailures.inc(uploadErrs)
          this.m.corruptedBlocks.inc(corrupted.length)
          throw new Error(`failed to sync ${uploadErrs}/${corrupted.length} blocks`)
        }
        this.m.uploadedCompacted.set(this.o.uploadCompacted ? 1 : 0)
        return uploaded
      },
    }
  }

  /** The record, or an empty one when the file is missing or unreadable (it is rewritten at the end). */
  private async readRecord(): Promise<ShipperFile> {
    try {
      return await readShipperFile(this.metaFilePath)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') this.log.info('no meta file found, creating empty meta data to write later')
      else this.log.error('failed to read meta file, creating empty meta data to write later', {err: e})
      return {version: SHIPPER_FILE_VERSION_1, uploaded: null}
    }
  }

  private async upload(meta: BlockMeta, signal?: AbortSignal): Promise<void> {
    this.log.info('upload new block', {id: meta.ulid})
    await uploadBlock(meta, {
      bucket: this.o.bucket,
      tsdbDir: this.o.dir,
      labels: this.o.labels(),
      source: this.o.source,
      hashFunc: this.o.hashFunc ?? '',
      concurrency: this.o.uploadConcurrency ?? 0,
      logger: this.log,
      signal,
    })
  }
}

/**
 * Syncs now and then every `intervalMs` until `signal` aborts (an upload in flight is aborted
 * with it). A failed sync is logged and retried at the next tick, as upstream's loop.
 */
export async function runShipper(shipper: Shipper, intervalMs: number, signal: AbortSignal, logger: Logger): Promise<void> {
  do {
    try {
      const uploaded = await shipper.sync(signal)
      if (uploaded > 0) logger.debug('shipper sync done', {uploaded})
    } catch (e) {
      if (signal.aborted) return
      logger.warn('shipper sync failed', {err: e})
    }
  } while (await sleep(intervalMs, signal))
}
