/**
 * What to compact next in one group (thanos pkg/compact/planner.go tsdbBasedPlanner, itself
 * Prometheus's LeveledCompactor planning without a filesystem): blocks whose time ranges overlap
 * come first (vertical compaction); otherwise the blocks of the first aligned range (8h, 2d,
 * 14d by default) that is complete, or that ends before the newest block, are merged. The
 * newest block (highest minTime) is always left out of the horizontal plan, so a block just
 * uploaded stays untouched for a full block range. Blocks with a no-compact-mark.json are left
 * out without leaving gaps in the ranges they sit in.
 */
import type {BlockMeta} from '../block/meta.js'

const HOUR = 3_600_000
/** cmd/thanos/compact.go `compactions`: 2h, 8h, 2d, 14d. */
export const DEFAULT_COMPACTION_RANGES: readonly number[] = [2 * HOUR, 8 * HOUR, 48 * HOUR, 14 * 24 * HOUR]

/**
 * The blocks to compact into one, in minTime order; empty when there is nothing to do.
 * `metasByMinTime` must be sorted by minTime.
 */
export function plan(ranges: readonly number[], metasByMinTime: readonly BlockMeta[], noCompact: ReadonlySet<string> = new Set()): BlockMeta[] {
  if (metasByMinTime.length === 0) return []
  let notExcluded = metasByMinTime.filter((m) => !noCompact.has(m.ulid))
  const overlapping = selectOverlapping(notExcluded)
  if (overlapping.length > 0) return overlapping

  if (!noCompact.has(metasByMinTime[metasByMinTime.length - 1]!.ulid)) notExcluded = notExcluded.slice(0, -1)
  const selected = selectMetas(ranges, noCompact, metasByMinTime.slice(0, -1))
  if (selected.length > 0) return selected

  // A big enough block with more than 5% tombstones is rewritten on its own.
  for (let i = notExcluded.length - 1; i >= 0; i--) {
    const m = notExcluded[i]!
    if (m.maxTime - m.minTime < ranges[Math.floor(ranges.length / 2)]!) break
    if ((m.stats.numTombstones ?? 0) / ((m.stats.numSeries ?? 0) + 1) > 0.05) return [m]
  }
  return []
}

function selectMetas(ranges: readonly number[], noCompact: ReadonlySet<string>, metas: readonly BlockMeta[]): BlockMeta[] {
  if (ranges.length < 2 || metas.length < 1) return []
  const highTime = metas[metas.length - 1]!.minTime
  for (const iv of ranges.slice(1)) {
    outer: for (const p of splitByRange(metas, iv)) {
      for (const m of p) if (m.compaction.failed) continue outer
      if (p.length < 2) continue
      const mint = p[0]!.minTime
      const maxt = p[p.length - 1]!.maxTime
      // The whole range (gaps allowed), or one that ends before the newest block starts.
      if (maxt - mint !== iv && maxt > highTime) continue
      let lastExcluded = 0
      for (let i = 0; i < p.length; i++) {
        if (!noCompact.has(p[i]!.ulid)) continue
        if (i - lastExcluded > 1) return p.slice(lastExcluded, i)
        lastExcluded = i + 1
      }
      if (p.length - lastExcluded > 1) return p.slice(lastExcluded)
    }
  }
  return []
}

/** Every block of the first run of mutually overlapping ones, in the order given. */
export function selectOverlapping(metas: readonly BlockMeta[]): BlockMeta[] {
  if (metas.length < 2) return []
  const out: BlockMeta[] = []
  let globalMaxt = metas[0]!.maxTime
  for (let i = 1; i < metas.length; i++) {
    const m = metas[i]!
    if (m.minTime < globalMaxt) {
      if (out.length === 0) out.push(metas[i - 1]!)
      out.push(m)
    } else if (out.length > 0) break
    if (m.maxTime > globalMaxt) globalMaxt = m.maxTime
  }
  return out
}

/**
 * Blocks split into the aligned ranges of width `tr` (starting at 0) that they fit in; a block
 * crossing a range boundary belongs to none.
 */
export function splitByRange(metas: readonly BlockMeta[], tr: number): BlockMeta[][] {
  const out: BlockMeta[][] = []
  for (let i = 0; i < metas.length; ) {
    const m = metas[i]!
    // Go's integer division truncates toward zero, hence the two cases.
    const t0 = m.minTime >= 0 ? tr * Math.trunc(m.minTime / tr) : tr * Math.trunc((m.minTime - tr + 1) / tr)
    if (m.maxTime > t0 + tr) {
      i++
      continue
    }
    const group: BlockMeta[] = []
    for (; i < metas.length; i++) {
      if (metas[i]!.maxTime > t0 + tr) break
      group.push(metas[i]!)
    }
    if (group.length > 0) out.push(group)
  }
  return out
}
