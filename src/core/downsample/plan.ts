/**
 * Which blocks of a bucket a downsampling pass works on (thanos cmd/thanos/downsample.go
 * downsampleBucket; the compactor runs it twice per iteration, re-syncing in between, so a
 * new 5m block can go on to 1h in the same iteration):
 * - a raw block is downsampled to 5m unless a 5m block already covers all its sources, and
 *   only once it spans 40h (the compactor's 2d blocks; "roughly 2 chunks" per series);
 * - a 5m block to 1h likewise, with 1h blocks and 10 days;
 * - 1h blocks are final; blocks marked no-downsample are left out (and do not count as done).
 * Jobs come in ULID order, as Thanos hands them to its workers.
 */
import type {BlockMeta} from '../block/meta.js'
import {BadDataError} from '../errors.js'
import {RES_1H, RES_1H_MIN_BLOCK_SPAN, RES_5M, RES_5M_MIN_BLOCK_SPAN, RES_RAW} from './windows.js'

export interface DownsampleJob {
  meta: BlockMeta
  /** Target resolution: RES_5M for a raw block, RES_1H for a 5m one. */
  resolution: number
}

/**
 * The downsampling jobs for `metas` (the synced blocks of a bucket).
 * @param exclude ULIDs marked no-downsample (no-downsample-mark.json).
 * @throws BadDataError for a block of a resolution other than raw, 5m or 1h, as Thanos.
 */
export function planDownsampling(metas: Iterable<BlockMeta>, exclude: ReadonlySet<string> = new Set()): DownsampleJob[] {
  const blocks = [...metas].filter((m) => !exclude.has(m.ulid)).sort((a, b) => (a.ulid < b.ulid ? -1 : a.ulid > b.ulid ? 1 : 0))
  const done5m = new Set<string>()
  const done1h = new Set<string>()
  for (const m of blocks) {
    const r = m.thanos.downsample.resolution
    if (r === RES_5M) for (const s of m.compaction.sources ?? []) done5m.add(s)
    else if (r === RES_1H) for (const s of m.compaction.sources ?? []) done1h.add(s)
    else if (r !== RES_RAW) throw new BadDataError(`block ${m.ulid}: unexpected downsampling resolution ${r}`)
  }
  const jobs: DownsampleJob[] = []
  for (const m of blocks) {
    const r = m.thanos.downsample.resolution
    const [done, span, to] = r === RES_RAW ? [done5m, RES_5M_MIN_BLOCK_SPAN, RES_5M] : r === RES_5M ? [done1h, RES_1H_MIN_BLOCK_SPAN, RES_1H] : [undefined, 0, 0]
    if (!done) continue
    // A block without sources (never written by Prometheus or Thanos) counts as done, as there.
    if ((m.compaction.sources ?? []).every((s) => done.has(s))) continue
    if (m.maxTime - m.minTime < span) continue
    jobs.push({meta: m, resolution: to})
  }
  return jobs
}
