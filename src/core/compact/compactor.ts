/**
 * compact/: `thanosts compact`, the compactor (thanos cmd/thanos/compact.go, pkg/compact/).
 *   planner.ts        what to merge next in a group (tsdbBasedPlanner: overlaps, then 8h/2d/14d)
 *   group.ts          compaction groups (external labels + resolution), the overlap check
 *   merge-series.ts   the plan's blocks read by ranges and merged by labels
 *   merge-chunks.ts   one series' chunks merged: 1:1 duplicates, or the querier's penalty merge
 *   compact-group.ts  one compaction: plan, write (block/writer), upload, deletion marks
 *   syncer.ts         the bucket's blocks through the store gateway's fetcher and filters,
 *                     replica labels removed, garbage collection of covered blocks
 *   cleaner.ts        deletion after --delete-delay, aborted partial uploads (48h)
 *   downsample-bucket.ts  which blocks get a 5m / 1h copy (downsample/ makes it)
 *   retention.ts      --retention.resolution-*
 *   block-ops.ts      deletion marks and block deletion in Thanos's order
 *   errors.ts         HaltError / RetryError
 *   metrics.ts        Thanos's metric names
 *   compactor.ts      (this file) one iteration (BucketCompactor.Compact, then retention and
 *                     cleanup) and the process with --wait (run.ts holds the process)
 *
 * An iteration, as runCompact's compactMainFn: repeat { sync; delete blocks marked longer than
 * --delete-delay ago; mark duplicates for deletion; compact every group with more than one
 * block (--compact.concurrency at a time) } until no group did anything; then sync, apply
 * retention, and clean aborted partial uploads. Between compaction and retention, unless
 * --downsampling.disable, two downsampling passes (downsample-bucket.ts), the second so that a
 * 5m block made by the first can be downsampled to 1h in the same iteration.
 * With --wait, run.ts also calls cleanPartialUploads every --compact.cleanup-interval (one at a
 * time with the iteration's, as upstream's cleanMtx) and progress() every
 * --compact.progress-interval.
 */
import {mkdir, readdir, rm} from 'node:fs/promises'
import path from 'node:path'
import type {Logger} from '../log.js'
import type {Bucket} from '../objstore/bucket.js'
import type {HashFunc} from '../shipper/upload.js'
import {cleanAbortedPartialUploads, deleteMarkedBlocks} from './cleaner.js'
import {compactGroup} from './compact-group.js'
import {downsampleBucket} from './downsample-bucket.js'
import {wrapKeepingClass} from './errors.js'
import {groupBlocks} from './group.js'
import type {MergeFunc} from './merge-chunks.js'
import type {CompactMetrics} from './metrics.js'
import {compactionProgress, downsampleProgress, retentionProgress} from './progress.js'
import {applyRetention, type RetentionByResolution} from './retention.js'
import type {SelectorRelabelRule} from '../storegateway/selector-relabel.js'
import type {TimeOrDuration} from '../storegateway/time-or-duration.js'
import {Syncer} from './syncer.js'

export interface CompactorConfig {
  bucket: Bucket
  /** --data-dir: the work directory is `<data-dir>/compact`. */
  dataDir: string
  ranges: readonly number[]
  consistencyDelayMs: number
  deleteDelayMs: number
  replicaLabels: readonly string[]
  mergeFunc: MergeFunc
  retention: RetentionByResolution
  /** --compact.concurrency */
  concurrency: number
  blockMetaFetchConcurrency: number
  /** --block-files-concurrency: files of a compacted block uploaded at once. */
  blockFilesConcurrency?: number
  /** --compact.blocks-fetch-concurrency: input blocks of a plan opened at once. */
  blocksFetchConcurrency?: number
  /** --downsample.concurrency (default 1) */
  downsampleConcurrency?: number
  minTime?: TimeOrDuration
  maxTime?: TimeOrDuration
  selector?: readonly SelectorRelabelRule[]
  /** --deduplication.replica-label as given (unsplit), hidden from the selector. */
  selectorIgnoredLabels?: readonly string[]
  hashFunc: HashFunc
  downsamplingDisabled: boolean
  logger: Logger
  metrics: CompactMetrics
}

export interface Progress {
  compactions: number
  compactionBlocks: number
  deletionBlocks: number
  /** Undefined with downsampling disabled. */
  downsampleBlocks?: number
}

export class Compactor {
  readonly syncer: Syncer
  private readonly log: Logger

  constructor(private readonly c: CompactorConfig) {
    this.log = c.logger
    this.syncer = new Syncer({
      bucket: c.bucket,
      consistencyDelayMs: c.consistencyDelayMs,
      deleteDelayMs: c.deleteDelayMs,
      replicaLabels: c.replicaLabels,
      concurrency: c.blockMetaFetchConcurrency,
      minTime: c.minTime,
      maxTime: c.maxTime,
      selector: c.selector,
      selectorIgnoredLabels: c.selectorIgnoredLabels,
      logger: c.logger,
    })
  }

  get config(): Readonly<CompactorConfig> {
    return this.c
  }

  get workDir(): string {
    return path.join(this.c.dataDir, 'compact')
  }

  /** BucketCompactor.Compact: compaction passes until no group has work. */
  async compact(signal?: AbortSignal): Promise<void> {
    const m = this.c.metrics
    await mkdir(this.workDir, {recursive: true})
    for (;;) {
      this.log.info('start sync of metas')
      await this.syncer.syncMetas(signal)
      if (this.syncer.synced) m.setSynced(this.syncer.synced)
      const deleted = await deleteMarkedBlocks(this.c.bucket, this.syncer.deletionMarks, this.c.deleteDelayMs, this.log, {blocksCleaned: () => m.blocksCleaned.inc(), cleanupFailures: () => m.blockCleanupFailures.inc()}, signal)
      this.log.info('start of garbage collection')
      await this.syncer.garbageCollect(deleted, () => {
        m.blocksMarkedForDeletion.inc()
        m.garbageCollectedBlocks.inc()
      }, signal)
      const groups = groupBlocks(this.syncer.metas().values()).filter((g) => g.metasByMinTime.length > 1)
      await this.removeStaleWork(groups.map((g) => g.key))
      this.log.info('start of compactions', {groups: groups.length})
      let rerun = false
      const errors: unknown[] = []
      let next = 0
      const worker = async (): Promise<void> => {
        while (errors.length === 0 && next < groups.length) {
          const g = groups[next++]!
          const res = m.compactionRunsStarted.labels(String(g.resolution))
          res.inc()
          try {
            const r = await compactGroup(g, {
              bucket: this.c.bucket,
              workDir: this.workDir,
              ranges: this.c.ranges,
              vertical: this.c.replicaLabels.length > 0,
              mergeFunc: this.c.mergeFunc,
              noCompact: this.syncer.noCompact,
              hashFunc: this.c.hashFunc,
              blockFilesConcurrency: this.c.blockFilesConcurrency ?? 1,
              blocksFetchConcurrency: this.c.blocksFetchConcurrency ?? 1,
              logger: this.log,
              signal,
              onMarkedForDeletion: () => m.blocksMarkedForDeletion.inc(),
              onCompacted: (vertical) => {
                m.compactions.labels(String(g.resolution)).inc()
                if (vertical) m.verticalCompactions.labels(String(g.resolution)).inc()
              },
            })
            m.compactionRunsCompleted.labels(String(g.resolution)).inc()
            if (r.rerun) rerun = true
          } catch (e) {
            m.compactionFailures.labels(String(g.resolution)).inc()
            errors.push(wrapKeepingClass(e, `group ${g.key}`))
          }
        }
      }
      await Promise.all(Array.from({length: Math.max(1, Math.min(this.c.concurrency, groups.length))}, worker))
      if (errors.length > 0) throw errors[0]
      if (!rerun) break
    }
    await rm(this.workDir, {recursive: true, force: true})
    this.log.info('compaction iterations done')
  }

  /** Work directories of groups that no longer need them (runutil.DeleteAll with the groups kept). */
  private async removeStaleWork(keep: readonly string[]): Promise<void> {
    const k = new Set(keep)
    for (const name of await readdir(this.workDir).catch(() => [] as string[])) {
      if (!k.has(name)) await rm(path.join(this.workDir, name), {recursive: true, force: true})
    }
  }

  /** The two downsampling passes of compactMainFn, each over a fresh sync without no-downsample-marked blocks. */
  private async downsample(signal?: AbortSignal): Promise<void> {
    const m = this.c.metrics.downsample
    for (const pass of ['first', 'second'] as const) {
      this.log.info(`start ${pass} pass of downsampling`)
      try {
        await this.syncer.syncMetas(signal)
      } catch (e) {
        throw wrapKeepingClass(e, `sync before ${pass} pass of downsampling`)
      }
      const metas = this.syncer.metas()
      for (const id of this.syncer.noDownsample) metas.delete(id)
      for (const meta of metas.values()) m.touch(String(meta.thanos.downsample.resolution))
      try {
        await downsampleBucket(metas, {
          bucket: this.c.bucket,
          dir: path.join(this.c.dataDir, 'downsample'),
          concurrency: this.c.downsampleConcurrency ?? 1,
          hashFunc: this.c.hashFunc,
          logger: this.log,
          metrics: m,
          signal,
        })
      } catch (e) {
        throw wrapKeepingClass(e, `${pass} pass of downsampling failed`)
      }
    }
    this.log.info('downsampling iterations done')
  }

  /** compactMainFn: compaction, (downsampling), retention, cleanup of partial uploads. */
  async iteration(signal?: AbortSignal): Promise<void> {
    const m = this.c.metrics
    await this.compact(signal)
    if (!this.c.downsamplingDisabled) await this.downsample(signal)
    else this.log.info('downsampling was explicitly disabled')
    await this.syncer.syncMetas(signal)
    await applyRetention(this.c.bucket, this.syncer.metas(), this.c.retention, this.log, () => m.blocksMarkedForDeletion.inc(), signal)
    await this.cleanPartialUploads(signal)
  }

  private cleaning: Promise<void> = Promise.resolve()

  /**
   * cleanPartialMarked: aborted partial uploads of the last sync deleted, counted in
   * thanos_compact_block_cleanup_loops_total; one run at a time.
   */
  cleanPartialUploads(signal?: AbortSignal): Promise<void> {
    const m = this.c.metrics
    const run = async (): Promise<void> => {
      await cleanAbortedPartialUploads(
        this.c.bucket,
        this.syncer.partial(),
        this.log,
        {blocksCleaned: () => m.blocksCleaned.inc(), cleanupFailures: () => m.blockCleanupFailures.inc(), partialDeleteAttempts: () => m.partialUploadDeleteAttempts.inc()},
        signal,
      )
      m.cleanups.inc()
    }
    const next = this.cleaning.then(run, run)
    this.cleaning = next.catch(() => undefined)
    return next
  }

  /** The progress loop's body: a sync, then what is left to compact, delete by retention, downsample. */
  async progress(signal?: AbortSignal): Promise<Progress> {
    await this.syncer.syncMetas(signal)
    const groups = groupBlocks(this.syncer.metas().values())
    const p = compactionProgress(groups, this.c.ranges, this.syncer.noCompact)
    return {
      compactions: p.compactions,
      compactionBlocks: p.blocks,
      deletionBlocks: retentionProgress(groups, this.c.retention),
      downsampleBlocks: this.c.downsamplingDisabled ? undefined : downsampleProgress(groups),
    }
  }
}
