/**
 * Retention by resolution (thanos pkg/compact/retention.go ApplyRetentionPolicyByResolution):
 * a block whose maxTime (truncated to seconds, as upstream's time.Unix(maxTime/1000, 0)) plus
 * its resolution's retention is in the past gets a deletion mark; the cleaner deletes it after
 * --delete-delay. A retention of 0 keeps that resolution forever.
 */
import {RESOLUTION_1H, RESOLUTION_5M, RESOLUTION_RAW, type BlockMeta} from '../block/meta.js'
import {goSeconds} from '../block/overlaps.js'
import type {Logger} from '../log.js'
import type {Bucket} from '../objstore/bucket.js'
import {markForDeletion} from './block-ops.js'
import {retry} from './errors.js'

/** Retention in ms per resolution (0 = forever). */
export interface RetentionByResolution {
  raw: number
  fiveMinutes: number
  oneHour: number
}

function retentionOf(r: RetentionByResolution, resolution: number): number {
  switch (resolution) {
    case RESOLUTION_RAW:
      return r.raw
    case RESOLUTION_5M:
      return r.fiveMinutes
    case RESOLUTION_1H:
      return r.oneHour
    default:
      return 0
  }
}

/** @returns the blocks marked. */
export async function applyRetention(bucket: Bucket, metas: ReadonlyMap<string, BlockMeta>, r: RetentionByResolution, logger: Logger, onMarked: () => void, signal?: AbortSignal, now = Date.now()): Promise<string[]> {
  logger.info('start optional retention')
  const marked: string[] = []
  for (const [id, m] of metas) {
    const keep = retentionOf(r, m.thanos.downsample.resolution)
    if (keep === 0) continue
    const maxTime = Math.trunc(m.maxTime / 1000) * 1000
    if (now <= maxTime + keep) continue
    logger.info('applying retention: marking block for deletion', {id, maxTime: new Date(maxTime).toISOString()})
    try {
      if (await markForDeletion(bucket, id, `block exceeding retention of ${goSeconds(keep)}`, logger, {signal})) onMarked()
    } catch (e) {
      throw retry(e, 'delete block')
    }
    marked.push(id)
  }
  logger.info('optional retention apply done')
  return marked
}
