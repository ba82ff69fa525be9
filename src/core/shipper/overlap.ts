/**
 * The check before a compacted block is shipped (`--shipper.upload-compacted`, thanos
 * `pkg/shipper/shipper.go` lazyOverlapChecker): on first use, the metas of every block in the
 * bucket with the same external labels are read once; a compacted block whose range overlaps
 * any of them is refused, since the compactor would then halt on overlapping blocks. Overlaps
 * are found as Prometheus's tsdb.OverlappingBlocks finds them (block/overlaps.ts).
 */
import {readMeta, type BlockDesc} from '../block/meta.js'
import {formatOverlaps, overlappingBlocks} from '../block/overlaps.js'
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
