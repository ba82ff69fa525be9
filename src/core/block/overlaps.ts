/**
 * Overlapping blocks, as Prometheus's tsdb.OverlappingBlocks finds them (prometheus `tsdb/db.go`)
 * and tsdb.Overlaps.String prints them: the shipper refuses a compacted block that overlaps the
 * bucket's, the compactor halts on a group's overlaps it cannot merge. One implementation for both.
 */
import type {BlockDesc} from './meta.js'

export interface Overlap<T extends BlockDesc = BlockDesc> {
  /** The range all blocks of the group share. */
  min: number
  max: number
  blocks: T[]
}

/** Groups of overlapping blocks among `bm`, which must be sorted by minTime. */
export function overlappingBlocks<T extends BlockDesc>(bm: readonly T[]): Overlap<T>[] {
  if (bm.length <= 1) return []
  const groups: T[][] = []
  let pending: T[] = [bm[0]!]
  let continuous = true
  for (const b of bm.slice(1)) {
    const still: T[] = []
    for (const p of pending) {
      if (b.minTime >= p.maxTime) {
        continuous = false
        continue
      }
      still.push(p)
    }
    pending = [...still, b]
    if (still.length === 0) continue
    if (continuous && groups.length > 0) {
      groups[groups.length - 1]!.push(b)
      continue
    }
    groups.push([...still, b])
    continuous = true
  }
  // Upstream keys the groups by their shared range in a map; a later group with the same range replaces an earlier one.
  const byRange = new Map<string, Overlap<T>>()
  for (const g of groups) {
    let min = 0
    let max = Number.MAX_SAFE_INTEGER
    for (const b of g) {
      if (max > b.maxTime) max = b.maxTime
      if (min < b.minTime) min = b.minTime
    }
    byRange.set(`${min}:${max}`, {min, max, blocks: g})
  }
  return [...byRange.values()]
}

/** tsdb.Overlaps.String(), groups in range order (Go prints them in map order). */
export function formatOverlaps(o: readonly Overlap<BlockDesc>[]): string {
  return [...o]
    .sort((a, b) => a.min - b.min || a.max - b.max)
    .map(
      (r) =>
        `[mint: ${r.min}, maxt: ${r.max}, range: ${goSeconds(r.max - r.min)}, blocks: ${r.blocks.length}]: ` +
        r.blocks.map((m) => `<ulid: ${m.ulid}, mint: ${m.minTime}, maxt: ${m.maxTime}, range: ${goSeconds(m.maxTime - m.minTime)}>`).join(', '),
    )
    .join('\n')
}

/** Go's time.Duration.String() of a whole number of seconds (`ms` truncated to seconds, as upstream). */
export function goSeconds(ms: number): string {
  let s = Math.trunc(ms / 1000)
  if (s === 0) return '0s'
  const neg = s < 0
  if (neg) s = -s
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  const body = h > 0 ? `${h}h${m}m${sec}s` : m > 0 ? `${m}m${sec}s` : `${sec}s`
  return neg ? `-${body}` : body
}
