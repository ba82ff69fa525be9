/**
 * Deleting what should no longer be in the bucket:
 * - blocks whose deletion mark is older than --delete-delay (thanos pkg/compact/
 *   blocks_cleaner.go BlocksCleaner.DeleteMarkedBlocks), from the marks of the last sync;
 * - aborted partial uploads (pkg/compact/clean.go BestEffortCleanAbortedPartialUploads): a block
 *   directory without meta.json whose newest object is older than 48h (by the objects' last
 *   modification, falling back to the ULID's time), unless it carries a deletion mark (then it
 *   is a deletion in progress, finished by the cleaner above). Failures are logged and retried
 *   at the next iteration.
 */
import type {DeletionMark} from '../block/markers.js'
import {mapConcurrent} from '../block/ranges.js'
import {DELETION_MARK_FILENAME} from '../block/markers.js'
import {ulidTime} from '../block/ulid.js'
import type {Logger} from '../log.js'
import type {Bucket} from '../objstore/bucket.js'
import {deleteBlock} from './block-ops.js'
import {retry} from './errors.js'

/** clean.go PartialUploadThresholdAge. */
export const PARTIAL_UPLOAD_THRESHOLD_MS = 48 * 3_600_000

export interface CleanerCounters {
  blocksCleaned: () => void
  cleanupFailures: () => void
  partialDeleteAttempts?: () => void
}

/** @returns the blocks deleted. @throws RetryError when some could not be deleted. */
export async function deleteMarkedBlocks(bucket: Bucket, marks: ReadonlyMap<string, DeletionMark>, deleteDelayMs: number, logger: Logger, c: CleanerCounters, signal?: AbortSignal): Promise<Set<string>> {
  logger.info('started cleaning of blocks marked for deletion')
  const deleted = new Set<string>()
  const errors: unknown[] = []
  const now = Date.now()
  await mapConcurrent([...marks.values()], 32, async (mark) => {
    if (signal?.aborted) return
    // As time.Since(mark) > delay: a mark exactly `delay` old waits one more iteration.
    if (now - mark.deletion_time * 1000 <= deleteDelayMs) return
    try {
      await deleteBlock(bucket, mark.id, logger, {signal})
      c.blocksCleaned()
      deleted.add(mark.id)
      logger.info('deleted block marked for deletion', {block: mark.id})
    } catch (e) {
      c.cleanupFailures()
      errors.push(e)
    }
  })
  if (errors.length > 0) throw retry(errors[0], 'delete block')
  logger.info('cleaning of blocks marked for deletion done')
  return deleted
}

/** Newest last-modified time of the block's objects, else the ULID's time. */
async function newestModified(bucket: Bucket, id: string, logger: Logger, signal?: AbortSignal): Promise<number> {
  let newest = 0
  try {
    for await (const key of bucket.iter(`${id}/`, {recursive: true, signal})) {
      if (key.endsWith('/')) continue
      const a = await bucket.attributes(key, {signal})
      newest = Math.max(newest, a.lastModified.getTime())
    }
  } catch (e) {
    logger.warn('failed to get last modified time for block; falling back to block creation time', {block: id, err: e})
    return ulidTime(id)
  }
  return newest > 0 ? newest : ulidTime(id)
}

export async function cleanAbortedPartialUploads(bucket: Bucket, partial: ReadonlyMap<string, Error>, logger: Logger, c: CleanerCounters, signal?: AbortSignal, now = Date.now()): Promise<void> {
  logger.info('started cleaning of aborted partial uploads')
  for (const id of partial.keys()) {
    if (signal?.aborted) return
    try {
      if (await bucket.exists(`${id}/${DELETION_MARK_FILENAME}`, {signal})) {
        logger.debug('ignoring block marked for deletion', {block: id})
        continue
      }
    } catch (e) {
      logger.warn('failed to check the deletion mark of a partial block; will retry in next iteration', {block: id, err: e})
      continue
    }
    if (now - (await newestModified(bucket, id, logger, signal)) <= PARTIAL_UPLOAD_THRESHOLD_MS) continue
    c.partialDeleteAttempts?.()
    logger.info('found partially uploaded block; deleting', {block: id})
    try {
      await deleteBlock(bucket, id, logger, {signal})
      c.blocksCleaned()
      logger.info('deleted aborted partial upload', {block: id, thresholdAge: '48h0m0s'})
    } catch (e) {
      c.cleanupFailures()
      logger.warn('failed to delete aborted partial upload; will retry in next iteration', {block: id, thresholdAge: '48h0m0s', err: e})
    }
  }
  logger.info('cleaning of aborted partial uploads done')
}
