/**
 * What is left to do, for --compact.progress-interval (thanos pkg/compact/compact.go
 * CompactionProgressCalculator, RetentionProgressCalculator, DownsampleProgressCalculator),
 * computed from the synced metas without touching the bucket:
 * - compactions: per group (of more than one block), the planner is run, its plan replaced by
 *   the block it would make (compactedMeta), and again until it plans nothing; every plan is
 *   one compaction, its blocks counted. As upstream, every block the simulation makes has one
 *   and the same ULID (ulid.MustNew(time.Now().Unix(), nil): seconds, no entropy) and a plan's
 *   blocks are removed by ULID (Group.deleteFromGroup), so a plan holding one made block drops
 *   them all: the counts for levels above the first are Thanos's, not a full replay;
 * - retention: blocks whose max time (truncated to the second, as upstream) plus the retention
 *   of their resolution is past;
 * - downsampling: raw blocks spanning 40h or more whose sources are in no 5m block, 5m blocks
 *   spanning 10d or more whose sources are in no 1h block.
 */
import type {BlockMeta} from '../block/meta.js'
import {RES_1H, RES_5M} from '../downsample/downsample.js'
import {compactedMeta} from './compact-group.js'
import {planDownsampling} from '../downsample/plan.js'
import type {Group} from './group.js'
import {plan} from './planner.js'
import type {RetentionByResolution} from './retention.js'

/** The ULID of every block the simulation makes (not a valid ULID: no real block has it). */
const SIMULATED_ULID = '~simulated'

export interface CompactionProgress {
  compactions: number
  blocks: number
}

export function compactionProgress(groups: readonly Group[], ranges: readonly number[], noCompact: ReadonlySet<string>): CompactionProgress {
  let compactions = 0
  let blocks = 0
  for (const g of groups) {
    if (g.metasByMinTime.length === 1) continue
    let metas = [...g.metasByMinTime]
    for (;;) {
      const p = plan(ranges, metas, noCompact)
      if (p.length === 0) break
      compactions++
      blocks += p.length
      const planned = new Set(p.map((m) => m.ulid))
      metas = metas.filter((m) => !planned.has(m.ulid))
      if (metas.length === 0) break
      const cm = compactedMeta(p)
      // Only the fields the planner reads; one ULID for all, as upstream's.
      const merged: BlockMeta = {...p[0]!, ulid: SIMULATED_ULID, minTime: cm.minTime, maxTime: cm.maxTime, compaction: cm.compaction, stats: {}}
      metas.push(merged)
      metas.sort((a, b) => a.minTime - b.minTime)
    }
  }
  return {compactions, blocks}
}

export function retentionProgress(groups: readonly Group[], retention: RetentionByResolution, now = Date.now()): number {
  let n = 0
  for (const g of groups) {
    const r = g.resolution === RES_1H ? retention.oneHour : g.resolution === RES_5M ? retention.fiveMinutes : g.resolution === 0 ? retention.raw : 0
    if (r === 0) continue
    for (const m of g.metasByMinTime) if (now > Math.trunc(m.maxTime / 1000) * 1000 + r) n++
  }
  return n
}

/** DownsampleProgressCalculator: the blocks the next downsampling pass would take (the same rule). */
export function downsampleProgress(groups: readonly Group[]): number {
  return planDownsampling(groups.flatMap((g) => g.metasByMinTime)).length
}
