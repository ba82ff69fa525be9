/**
 * Compaction groups (thanos pkg/compact/compact.go DefaultGrouper, Group): blocks with the same
 * external labels and resolution, the only ones that may be merged. Groups are built afresh
 * from the synced metas on every pass; their blocks are kept by minTime. Also the overlap check
 * that guards a group (Group.areBlocksOverlapping over Prometheus's tsdb.OverlappingBlocks),
 * with upstream's message naming every overlapping block and the range they share.
 */
import type {BlockMeta} from '../block/meta.js'
import {formatOverlaps, overlappingBlocks} from '../block/overlaps.js'
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
