/**
 * What the compactor does to blocks in the bucket (thanos pkg/block/block.go):
 * - markForDeletion uploads `<ULID>/deletion-mark.json` (now, with why) unless one is there;
 *   readers stop using the block after their delay and the compactor deletes it after
 *   --delete-delay;
 * - deleteBlock removes meta.json FIRST (from then on every reader sees a partial upload and
 *   ignores it), then every other object, the deletion mark last, so a deletion cut short is
 *   finished by a later one instead of leaving a half block that looks whole; then the
 *   directory marker objects some stores keep.
 */
import {DELETION_MARK_FILENAME, MARKER_VERSION_1, writeMarker} from '../block/markers.js'
import {META_FILENAME} from '../block/meta.js'
import type {Logger} from '../log.js'
import type {Bucket, BucketCallOptions} from '../objstore/bucket.js'

/** @returns false when the block already had a deletion mark (left as it is). */
export async function markForDeletion(bucket: Bucket, id: string, details: string, logger: Logger, opts: BucketCallOptions & {now?: number} = {}): Promise<boolean> {
  const key = `${id}/${DELETION_MARK_FILENAME}`
  if (await bucket.exists(key, opts)) {
    logger.warn('requested to mark for deletion, but file already exists; this should not happen; investigate', {err: `file ${key} already exists in bucket`})
    return false
  }
  await writeMarker(bucket, DELETION_MARK_FILENAME, {id, version: MARKER_VERSION_1, details, deletion_time: Math.floor((opts.now ?? Date.now()) / 1000)}, opts)
  logger.info('block has been marked for deletion', {block: id})
  return true
}

export async function deleteBlock(bucket: Bucket, id: string, logger: Logger, opts: BucketCallOptions = {}): Promise<void> {
  const meta = `${id}/${META_FILENAME}`
  const mark = `${id}/${DELETION_MARK_FILENAME}`
  if (await bucket.exists(meta, opts)) {
    await bucket.delete(meta, opts)
    logger.debug('deleted file', {file: meta, bucket: bucket.name})
  }
  const rest: string[] = []
  for await (const key of bucket.iter(`${id}/`, {...opts, recursive: true})) if (key !== meta && key !== mark && !key.endsWith('/')) rest.push(key)
  for (const key of rest) {
    await bucket.delete(key, opts)
    logger.debug('deleted file', {file: key, bucket: bucket.name})
  }
  if (await bucket.exists(mark, opts)) await bucket.delete(mark, opts)
  // Some object stores keep directories as objects of their own (SeaweedFS lists an emptied
  // `<ULID>/` until it is deleted): removed last, failures only logged, as upstream.
  for (const dir of [`${id}/chunks/`, `${id}/`]) {
    await bucket.delete(dir, opts).catch((e: unknown) => logger.debug('failed to delete directory marker object', {dir, err: e}))
  }
}
