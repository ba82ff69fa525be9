/**
 * The compactor's view of the bucket (thanos pkg/compact/compact.go Syncer, with the filters
 * cmd/thanos/compact.go installs, in its order): the store gateway's MetaFetcher and filters
 * (storegateway/meta-fetcher.ts, filters.ts) are reused, with
 * - --min-time / --max-time: only blocks overlapping the range are compacted, kept, retained
 *   (TimePartitionMetaFilter);
 * - --selector.relabel-config: only blocks the rules keep (LabelShardedMetaFilter); the rules
 *   see the external labels without the --deduplication.replica-label ones, as upstream passes
 *   the flag's values to the filter (unsplit: a comma-separated value names no label there);
 * - consistency delay (--consistency-delay; the compactor's own blocks are trusted at once),
 * - deletion marks older than --delete-delay / 2 (so a block meant to be deleted is still
 *   seen while it has no replacement, and no compaction runs over a gap), all marks kept for
 *   the cleaner,
 * - the replica labels removed from the blocks' external labels (block.ReplicaLabelRemover):
 *   replicas then fall in one group, where their overlap is merged vertically,
 * - duplicates (blocks whose sources another block of the group covers), remembered: garbage
 *   collection marks them for deletion,
 * - no-compact-mark.json gathered, for the planner to leave those blocks out.
 * Syncs that overlap (the --wait background loops and an iteration) run one after the other.
 * Upstream's SyncMetas shares one in-flight fetch (singleflight) instead; here an iteration
 * syncing right after its uploads and marks must not get the view of a progress sync that
 * started before them, which would plan the same blocks again.
 */
import {NO_COMPACT_MARK_FILENAME, NO_DOWNSAMPLE_MARK_FILENAME, readMarker, type DeletionMark} from '../block/markers.js'
import type {BlockMeta} from '../block/meta.js'
import {mapConcurrent} from '../block/ranges.js'
import {BlockCorruptionError, UnsupportedBlockFormatError} from '../block/errors.js'
import type {Logger} from '../log.js'
import type {Bucket} from '../objstore/bucket.js'
import {consistencyDelayFilter, deduplicateFilter, ignoreDeletionMarkFilter, labelShardedFilter, timePartitionFilter} from '../storegateway/filters.js'
import {MetaFetcher, type FetchResult, type MetaFilter, type SyncedState} from '../storegateway/meta-fetcher.js'
import type {SelectorRelabelRule} from '../storegateway/selector-relabel.js'
import {parseTimeOrDuration, type TimeOrDuration} from '../storegateway/time-or-duration.js'
import {markForDeletion} from './block-ops.js'
import {retry} from './errors.js'

export interface SyncerOptions {
  bucket: Bucket
  consistencyDelayMs: number
  deleteDelayMs: number
  replicaLabels: readonly string[]
  /** --block-meta-fetch-concurrency */
  concurrency: number
  /** --min-time / --max-time; all time when absent. */
  minTime?: TimeOrDuration
  maxTime?: TimeOrDuration
  /** --selector.relabel-config, parsed; every block when empty. */
  selector?: readonly SelectorRelabelRule[]
  /** The --deduplication.replica-label values as given, hidden from the selector. */
  selectorIgnoredLabels?: readonly string[]
  logger: Logger
}

export const MIN_TIME_DEFAULT = parseTimeOrDuration('0000-01-01T00:00:00Z')
export const MAX_TIME_DEFAULT = parseTimeOrDuration('9999-12-31T23:59:59Z')

/**
 * LabelShardedMetaFilter with dedup replica labels (block.NewLabelShardedMetaFilter(relabel,
 * replicaLabels...)): the store gateway's filter run over copies of the metas without those labels.
 */
export function selectorFilter(rules: readonly SelectorRelabelRule[], ignored: readonly string[]): MetaFilter {
  const inner = labelShardedFilter(rules)
  if (ignored.length === 0) return inner
  return {
    name: inner.name,
    async filter(metas, count, signal) {
      const view = new Map<string, BlockMeta>()
      for (const [id, m] of metas) {
        const labels = {...m.thanos.labels}
        for (const l of ignored) delete labels[l]
        view.set(id, {...m, thanos: {...m.thanos, labels}})
      }
      await inner.filter(view, count, signal)
      for (const id of [...metas.keys()]) if (!view.has(id)) metas.delete(id)
    },
  }
}

/** block.NewReplicaLabelRemover: the metas are replaced, never changed (the fetcher caches them). */
export function replicaLabelRemover(replicaLabels: readonly string[], logger: Logger): MetaFilter {
  return {
    name: 'replica-label-remover',
    filter(metas) {
      if (replicaLabels.length === 0) return
      for (const [id, m] of metas) {
        const labels = {...m.thanos.labels}
        for (const r of replicaLabels) delete labels[r]
        if (Object.keys(labels).length === 0) {
          logger.warn('block has no labels left, creating one', {[replicaLabels[0]!]: 'deduped'})
          labels[replicaLabels[0]!] = 'deduped'
        }
        metas.set(id, {...m, thanos: {...m.thanos, labels}})
      }
    },
  }
}

/** Runs `inner` and records the ids it removed. */
function recordingRemoved(inner: MetaFilter, removed: Set<string>): MetaFilter {
  return {
    name: inner.name,
    async filter(metas, count, signal) {
      const before = [...metas.keys()]
      removed.clear()
      await inner.filter(metas, count, signal)
      for (const id of before) if (!metas.has(id)) removed.add(id)
    },
  }
}

/** GatherNoCompactionMarkFilter: passes everything, notes the blocks marked no-compact. */
/**
 * GatherNoCompactionMarkFilter / GatherNoDownsampleMarkFilter: records which blocks carry the
 * marker (the blocks stay in the view; the planner or the downsampler leaves them alone). A
 * marker that does not parse is warned about and ignored, as upstream.
 */
function markGatherer(bucket: Bucket, file: typeof NO_COMPACT_MARK_FILENAME | typeof NO_DOWNSAMPLE_MARK_FILENAME, concurrency: number, logger: Logger, marked: Set<string>): MetaFilter {
  return {
    name: file.replace(/\.json$/, ''),
    async filter(metas, count: (s: SyncedState) => void, signal) {
      const found = new Set<string>()
      await mapConcurrent([...metas.keys()], Math.max(1, concurrency), async (id) => {
        try {
          if (await readMarker(bucket, id, file, {signal})) {
            found.add(id)
            // thanos_blocks_meta_synced counts no-compact marks; the no-downsample state is
            // not among the fetcher's default states, so it is not exported here
            if (file === NO_COMPACT_MARK_FILENAME) count('marked-for-no-compact')
          }
        } catch (e) {
          if (e instanceof BlockCorruptionError || e instanceof UnsupportedBlockFormatError) {
            logger.warn(`found partial ${file}; if we will see it happening often for the same block, consider manually deleting ${file} from the object storage`, {block: id, err: e})
            return
          }
          throw e
        }
      })
      marked.clear()
      for (const id of found) marked.add(id)
    },
  }
}

export class Syncer {
  private readonly fetcher: MetaFetcher
  private blocks = new Map<string, BlockMeta>()
  private partialBlocks = new Map<string, Error>()
  /** All deletion marks seen at the last sync, by block. */
  readonly deletionMarks = new Map<string, DeletionMark>()
  readonly duplicates = new Set<string>()
  readonly noCompact = new Set<string>()
  /** Blocks with a no-downsample-mark.json at the last sync. */
  readonly noDownsample = new Set<string>()
  synced: Record<SyncedState, number> | undefined

  constructor(private readonly o: SyncerOptions) {
    this.fetcher = new MetaFetcher(o.bucket, {
      concurrency: o.concurrency,
      logger: o.logger.with({component: 'block.MetaFetcher'}),
      filters: [
        timePartitionFilter(o.minTime ?? MIN_TIME_DEFAULT, o.maxTime ?? MAX_TIME_DEFAULT),
        selectorFilter(o.selector ?? [], o.selectorIgnoredLabels ?? []),
        consistencyDelayFilter(o.consistencyDelayMs, o.logger),
        ignoreDeletionMarkFilter(o.bucket, o.deleteDelayMs / 2, o.concurrency, o.logger, this.deletionMarks),
        replicaLabelRemover(o.replicaLabels, o.logger),
        recordingRemoved(deduplicateFilter(), this.duplicates),
        markGatherer(o.bucket, NO_COMPACT_MARK_FILENAME, o.concurrency, o.logger, this.noCompact),
        markGatherer(o.bucket, NO_DOWNSAMPLE_MARK_FILENAME, o.concurrency, o.logger, this.noDownsample),
      ],
    })
  }

  /** The last fetch started; the next waits for it. */
  private last: Promise<unknown> = Promise.resolve()

  /** @throws RetryError when the bucket cannot be listed or its metas not all read. */
  async syncMetas(signal?: AbortSignal): Promise<void> {
    const s = signal ?? new AbortController().signal
    let r: FetchResult
    try {
      const mine = this.last.then(
        () => this.fetcher.fetch(s),
        () => this.fetcher.fetch(s),
      )
      this.last = mine.catch(() => undefined)
      r = await mine
    } catch (e) {
      throw retry(e, 'sync')
    }
    if (r.failed.length > 0) throw retry(r.failed[0], 'sync: incomplete view of the bucket')
    this.blocks = r.metas
    this.partialBlocks = r.partial
    this.synced = r.synced
  }

  metas(): Map<string, BlockMeta> {
    return new Map(this.blocks)
  }

  /** Blocks without (or with a corrupt) meta.json at the last sync. */
  partial(): Map<string, Error> {
    return new Map(this.partialBlocks)
  }

  /**
   * Syncer.GarbageCollect: blocks whose data another block already holds (the duplicates)
   * get a deletion mark, unless they have one or were just deleted.
   */
  async garbageCollect(justDeleted: ReadonlySet<string>, onMarked: () => void, signal?: AbortSignal): Promise<void> {
    for (const id of this.duplicates) {
      if (this.deletionMarks.has(id) || justDeleted.has(id)) continue
      signal?.throwIfAborted()
      this.o.logger.info('marking outdated block for deletion', {block: id})
      try {
        if (await markForDeletion(this.o.bucket, id, 'outdated block', this.o.logger, {signal})) onMarked()
      } catch (e) {
        throw retry(e, `mark block ${id} for deletion`)
      }
      this.blocks.delete(id)
    }
  }
}
