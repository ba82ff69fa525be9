/**
 * The check before a compacted block is shipped (`--shipper.upload-compacted`, thanos
 * `pkg/shipper/shipper.go` lazyOverlapChecker): on first use, the metas of every block in the
 * bucket with the same external labels are read once; a compacted block whose range overlaps
 * any of them is refused, since the compactor would then halt on overlapping blocks. Overlaps
 * are found as Prometheus's tsdb.OverlappingBlocks (prometheus `tsdb/db.go`) finds them.
 */
import {readMeta, type BlockDesc} from '../block/meta.js'
import {isUlid} from '../block/ulid.js'
import {labelsEqual, labelsFromRecord, type Labels} from '../labels/labels.js'
import type {Bucket} from '../objstore/bucket.js'
import type {Logger} from '../log.js'

export class LazyOverlapChecker {
  private metas: BlockDesc[] | undefined

  constructor(
    private readonly bucket: Bucket,
    private readonly labels: () => Labels,
    private readonly logger: Logger,
  ) {}

  private async sync(signal?: AbortSignal): Promise<BlockDesc[]> {
    const out: BlockDesc[] = []
    try {
      for await (const entry of this.bucket.iter('', {signal})) {
        const id = entry.replace(/\/$/, '')
        if (!isUlid(id)) continue
        const m = await readMeta(this.bucket, id, {signal})
        if (!labelsEqual(labelsFromRecord(m.thanos.labels), this.labels())) continue
        out.push({ulid: m.ulid, minTime: m.minTime, maxTime: m.maxTime})
      }
    } catch (e) {
      throw new Error(`get all block meta.: ${(e as Error).message}`, {cause: e})
    }
    return out
  }

  /** @throws Error naming the overlap when `block` overlaps a block in the bucket. */
  async checkOverlap(block: BlockDesc, signal?: AbortSignal): Promise<void> {
    if (this.metas === undefined) {
      this.logger.info('gathering all existing blocks from the remote bucket for check', {id: block.ulid})
      this.metas = await this.sync(signal)
    }
    const all = [block, ...this.metas].sort((a, b) => a.minTime - b.minTime)
    const o = overlappingBlocks(all)
    if (o.length > 0) throw new Error(`shipping compacted block ${block.ulid} is blocked; overlap spotted: ${formatOverlaps(o)}`)
  }
}

export interface Overlap {
  /** The range all blocks of the group share. */
  min: number
  max: number
  blocks: BlockDesc[]
}

/** Groups of overlapping blocks among `bm`, which must be sorted by minTime. */
export function overlappingBlocks(bm: readonly BlockDesc[]): Overlap[] {
  if (bm.length <= 1) return []
  const groups: BlockDesc[][] = []
  let pending: BlockDesc[] = [bm[0]!]
  let continuous = true
  for (const b of bm.slice(1)) {
    const still: BlockDesc[] = []
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
  const byRange = new Map<string, Overlap>()
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
export function formatOverlaps(o: readonly Overlap[]): string {
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
