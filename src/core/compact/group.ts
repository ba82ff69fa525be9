/**
 * Compaction groups (thanos pkg/compact/compact.go DefaultGrouper, Group): blocks with the same
 * external labels and resolution, the only ones that may be merged. Groups are built afresh
 * from the synced metas on every pass; their blocks are kept by minTime. Also the overlap check
 * that guards a group (Group.areBlocksOverlapping over Prometheus's tsdb.OverlappingBlocks),
 * with upstream's message naming every overlapping block and the range they share.
 */
import type {BlockMeta} from '../block/meta.js'
import {compareStrings} from '../labels/labels.js'

export interface Group {
  /** `<resolution>@<labels>`: stable, readable, and usable as a directory name. */
  key: string
  labels: Record<string, string>
  resolution: number
  metasByMinTime: BlockMeta[]
  /** Extensions every block of the group carries (upstream ANDs the keys), or undefined. */
  extensions?: Record<string, unknown>
}

/** The group key as a string safe for a directory name: resolution, then the sorted labels. */
export function groupKeyOf(m: BlockMeta): string {
  const ls = Object.entries(m.thanos.labels).sort(([a], [b]) => compareStrings(a, b))
  return `${m.thanos.downsample.resolution}@${ls.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join(',')}`
}

/** Groups sorted by key, each with its blocks sorted by minTime (then ULID, for determinism). */
export function groupBlocks(metas: Iterable<BlockMeta>): Group[] {
  const groups = new Map<string, Group>()
  for (const m of metas) {
    const key = groupKeyOf(m)
    let g = groups.get(key)
    if (!g) {
      g = {key, labels: {...m.thanos.labels}, resolution: m.thanos.downsample.resolution, metasByMinTime: []}
      groups.set(key, g)
    }
    g.metasByMinTime.push(m)
  }
  const out = [...groups.values()].sort((a, b) => compareStrings(a.key, b.key))
  for (const g of out) {
    g.metasByMinTime.sort((a, b) => a.minTime - b.minTime || compareStrings(a.ulid, b.ulid))
    g.extensions = combinedExtensions(g.metasByMinTime)
  }
  return out
}

function combinedExtensions(metas: readonly BlockMeta[]): Record<string, unknown> | undefined {
  let combined: Record<string, unknown> | undefined
  for (const m of metas) {
    const ext = m.thanos.extensions
    if (typeof ext !== 'object' || ext === null || Array.isArray(ext)) continue
    const e = ext as Record<string, unknown>
    if (!combined) {
      combined = {...e}
      continue
    }
    for (const k of Object.keys(combined)) if (!(k in e)) delete combined[k]
  }
  return combined
}

export interface Overlap {
  /** The range all blocks of the overlap share. */
  min: number
  max: number
  blocks: BlockMeta[]
}

/** tsdb.OverlappingBlocks: groups of blocks overlapping in time; `metas` sorted by minTime. */
export function overlappingBlocks(metas: readonly BlockMeta[]): Overlap[] {
  if (metas.length <= 1) return []
  const overlaps: BlockMeta[][] = []
  let pending: BlockMeta[] = [metas[0]!]
  let continuous = true
  for (const b of metas.slice(1)) {
    const still: BlockMeta[] = []
    for (const p of pending) {
      if (b.minTime >= p.maxTime) {
        continuous = false
        continue
      }
      still.push(p)
    }
    pending = [...still, b]
    if (still.length === 0) continue
    if (continuous && overlaps.length > 0) {
      overlaps[overlaps.length - 1]!.push(b)
      continue
    }
    overlaps.push([...still, b])
    continuous = true
  }
  return overlaps.map((blocks) => {
    let min = 0
    let max = Number.MAX_SAFE_INTEGER
    for (const b of blocks) {
      if (max > b.maxTime) max = b.maxTime
      if (min < b.minTime) min = b.minTime
    }
    return {min, max, blocks}
  })
}

/** Go's time.Duration String for whole seconds (`2h0m0s`, `45m0s`, `10s`, `0s`). */
function goDuration(ms: number): string {
  let s = Math.trunc(ms / 1000)
  if (s === 0) return '0s'
  const neg = s < 0
  s = Math.abs(s)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  const out = h > 0 ? `${h}h${m}m${sec}s` : m > 0 ? `${m}m${sec}s` : `${sec}s`
  return neg ? `-${out}` : out
}

/** tsdb.Overlaps.String: one line per overlap. */
export function formatOverlaps(overlaps: readonly Overlap[]): string {
  return overlaps
    .map((o) => {
      const blocks = o.blocks.map((m) => `<ulid: ${m.ulid}, mint: ${m.minTime}, maxt: ${m.maxTime}, range: ${goDuration(m.maxTime - m.minTime)}>`)
      return `[mint: ${o.min}, maxt: ${o.max}, range: ${goDuration(o.max - o.min)}, blocks: ${o.blocks.length}]: ${blocks.join(', ')}`
    })
    .join('\n')
}

/**
 * Group.areBlocksOverlapping: the group's blocks minus `exclude`, plus `include`; the message
 * upstream halts with, or undefined when nothing overlaps.
 */
export function groupOverlaps(g: Group, include?: BlockMeta, exclude: readonly BlockMeta[] = []): string | undefined {
  const ex = new Set(exclude.map((m) => m.ulid))
  const metas = g.metasByMinTime.filter((m) => !ex.has(m.ulid))
  if (include) metas.push(include)
  metas.sort((a, b) => a.minTime - b.minTime)
  const o = overlappingBlocks(metas)
  return o.length > 0 ? `overlaps found while gathering blocks. ${formatOverlaps(o)}` : undefined
}
