/**
 * The meta filters of the store gateway, in the order thanos cmd/thanos/store.go installs them
 * (pkg/block/fetcher.go):
 * - time partition: only blocks overlapping [--min-time, --max-time] (TimePartitionMetaFilter);
 * - label sharding: blocks the --selector.relabel-config rules keep (LabelShardedMetaFilter,
 *   selector-relabel.ts);
 * - consistency delay: blocks younger than --consistency-delay (by upload time, else by the
 *   ULID's time) wait, except blocks the compactor or a bucket repair wrote (ConsistencyDelayMetaFilter);
 * - deletion marks: a block whose deletion-mark.json is older than --ignore-deletion-marks-delay
 *   is no longer served, so queries move to its replacement before the compactor deletes it
 *   (IgnoreDeletionMarkFilter); a half-written marker is warned about and ignored;
 * - duplicates: a block whose sources are all covered by another block of the same group
 *   (external labels and resolution) is left out: it is the input of a compaction whose output
 *   is already there (DefaultDeduplicateFilter).
 */
import {BlockCorruptionError, UnsupportedBlockFormatError} from '../block/errors.js'
import {DELETION_MARK_FILENAME, readMarker, type DeletionMark} from '../block/markers.js'
import {uploadTimeMs, type BlockMeta} from '../block/meta.js'
import {mapConcurrent} from '../block/ranges.js'
import {ulidTime} from '../block/ulid.js'
import {ThanostsError} from '../errors.js'
import {compareStrings} from '../labels/labels.js'
import type {Bucket} from '../objstore/bucket.js'
import type {Logger} from '../log.js'
import type {MetaFilter} from './meta-fetcher.js'
import {BLOCK_ID_LABEL, selectorKeeps, type SelectorRelabelRule} from './selector-relabel.js'
import {timestampOf, type TimeOrDuration} from './time-or-duration.js'

export function timePartitionFilter(minTime: TimeOrDuration, maxTime: TimeOrDuration): MetaFilter {
  return {
    name: 'time-partition',
    filter(metas, count) {
      const now = Date.now()
      const lo = timestampOf(minTime, now)
      const hi = timestampOf(maxTime, now)
      for (const [id, m] of metas) {
        if (m.maxTime >= lo && m.minTime <= hi) continue
        count('time-excluded')
        metas.delete(id)
      }
    },
  }
}

export function labelShardedFilter(rules: readonly SelectorRelabelRule[]): MetaFilter {
  return {
    name: 'label-sharded',
    filter(metas, count) {
      if (rules.length === 0) return
      for (const [id, m] of metas) {
        // Built as upstream: __block_id first, then the external labels (one of that name wins).
        if (selectorKeeps(rules, {[BLOCK_ID_LABEL]: id, ...m.thanos.labels})) continue
        count('label-excluded')
        metas.delete(id)
      }
    },
  }
}

/** Sources whose blocks are complete when they appear (fetcher.go: the compactor's own uploads). */
const TRUSTED_SOURCES = new Set(['bucket.repair', 'compactor', 'compactor.repair'])

export function consistencyDelayFilter(delayMs: number, logger: Logger): MetaFilter {
  return {
    name: 'consistency-delay',
    filter(metas, count) {
      if (delayMs <= 0) return
      const now = Date.now()
      for (const [id, m] of metas) {
        const uploaded = uploadTimeMs(m.thanos) ?? ulidTime(id)
        if (now - uploaded >= delayMs || TRUSTED_SOURCES.has(m.thanos.source)) continue
        logger.debug('block is too fresh for now', {block: id})
        count('too-fresh')
        metas.delete(id)
      }
    },
  }
}

/**
 * `marks`, when given, is refilled at each fetch with every deletion mark found, the young ones
 * too (IgnoreDeletionMarkFilter.DeletionMarkBlocks): the compactor deletes blocks from it.
 */
export function ignoreDeletionMarkFilter(bucket: Bucket, delayMs: number, concurrency: number, logger: Logger, marks?: Map<string, DeletionMark>): MetaFilter {
  return {
    name: 'ignore-deletion-mark',
    async filter(metas, count, signal) {
      const now = Date.now()
      marks?.clear()
      const ids = [...metas.keys()]
      const errors: unknown[] = []
      await mapConcurrent(ids, Math.max(1, concurrency), async (id) => {
        try {
          const mark = await readMarker(bucket, id, DELETION_MARK_FILENAME, {signal})
          if (mark) marks?.set(id, mark)
          // As Go's time.Since(mark) > delay: a mark exactly `delay` old is still served.
          if (mark && now - mark.deletion_time * 1000 > delayMs) {
            count('marked-for-deletion')
            metas.delete(id)
          }
        } catch (e) {
          if (e instanceof BlockCorruptionError || e instanceof UnsupportedBlockFormatError) {
            logger.warn('found partial deletion-mark.json; if we will see it happening often for the same block, consider manually deleting deletion-mark.json from the object storage', {block: id, err: e})
            return
          }
          errors.push(e)
        }
      })
      if (errors.length > 0) {
        const e = errors[0]
        throw new ThanostsError(e instanceof ThanostsError ? e.kind : 'unavailable', `filter blocks marked for deletion: ${e instanceof Error ? e.message : String(e)}`, {cause: e})
      }
    },
  }
}

/** The compaction group of a block: its external labels and resolution (metadata.Thanos.GroupKey). */
export function groupKey(m: BlockMeta): string {
  const ls = Object.entries(m.thanos.labels).sort(([a], [b]) => compareStrings(a, b))
  return `${m.thanos.downsample.resolution}@${JSON.stringify(ls)}`
}

export function deduplicateFilter(): MetaFilter {
  return {
    name: 'deduplicate',
    filter(metas, count) {
      const groups = new Map<string, BlockMeta[]>()
      for (const m of metas.values()) {
        const k = groupKey(m)
        const g = groups.get(k)
        if (g) g.push(m)
        else groups.set(k, [m])
      }
      for (const g of groups.values()) {
        // Most sources first (ties by ULID): a block is a duplicate when one already kept covers all its sources.
        g.sort((a, b) => (b.compaction.sources?.length ?? 0) - (a.compaction.sources?.length ?? 0) || compareStrings(a.ulid, b.ulid))
        const covering: Set<string>[] = []
        for (const m of g) {
          const sources = m.compaction.sources ?? []
          if (covering.some((c) => sources.every((s) => c.has(s)))) {
            count('duplicate')
            metas.delete(m.ulid)
            continue
          }
          covering.push(new Set(sources))
        }
      }
    },
  }
}
