/**
 * One compaction of one group (thanos pkg/compact/compact.go Group.compact, with Prometheus's
 * LeveledCompactor.CompactWithBlockPopulator doing the merge):
 * 1. the group's blocks must not overlap unless vertical compaction is on (replica labels
 *    given): otherwise a HaltError naming the overlapping blocks;
 * 2. the planner picks the blocks; their sources must be disjoint (thanos#183) unless vertical;
 * 3. the blocks are read from the bucket by ranges (no download of whole blocks), their series
 *    merged (merge-series.ts) and written by writeBlock to `<data-dir>/compact/<group>/<ULID>`,
 *    with meta as CompactBlockMetas: range = union, level = max + 1, sources = sorted union,
 *    parents = the inputs, and the Thanos section of the group (labels, resolution, source
 *    "compactor", common extensions);
 * 4. without vertical compaction the result must not overlap the rest of the group (halt);
 * 5. it is uploaded (meta.json last), then every input gets a deletion mark.
 * A plan whose result has no sample writes nothing and marks its empty inputs for deletion.
 * Errors reading the bucket or uploading are retried at the next iteration; a block whose data
 * cannot be merged (corrupt, out of order) halts, as upstream's "compact blocks" failures.
 */
import {rm} from 'node:fs/promises'
import path from 'node:path'
import {BlockReader} from '../block/block-reader.js'
import {BlockCorruptionError, UnsupportedBlockFormatError} from '../block/errors.js'
import type {BlockMeta, BlockMetaCompaction} from '../block/meta.js'
import {mapConcurrent} from '../block/ranges.js'
import {newUlid} from '../block/ulid.js'
import {writeBlock} from '../block/writer/write-block.js'
import {BadDataError} from '../errors.js'
import {compareStrings} from '../labels/labels.js'
import type {Logger} from '../log.js'
import type {Bucket} from '../objstore/bucket.js'
import {uploadBlockDir, type HashFunc} from '../shipper/upload.js'
import {HaltError, retry} from './errors.js'
import {groupOverlaps, type Group} from './group.js'
import type {MergeFunc, MergeStats} from './merge-chunks.js'
import {mergeBlockSeries} from './merge-series.js'
import {markForDeletion} from './block-ops.js'
import {plan} from './planner.js'

export interface GroupCompactOptions {
  bucket: Bucket
  /** `<data-dir>/compact`. */
  workDir: string
  ranges: readonly number[]
  /** Replica labels given: overlaps are merged instead of halting. */
  vertical: boolean
  mergeFunc: MergeFunc
  /** Blocks with a no-compact-mark.json. */
  noCompact: ReadonlySet<string>
  hashFunc: HashFunc
  /** --block-files-concurrency: files uploaded at once (default 1). */
  blockFilesConcurrency?: number
  /** --compact.blocks-fetch-concurrency: input blocks opened at once (default all). */
  blocksFetchConcurrency?: number
  logger: Logger
  signal?: AbortSignal
  /** Counts for /metrics. */
  onMarkedForDeletion?: () => void
  onCompacted?: (vertical: boolean) => void
}

export interface GroupCompactResult {
  /** Something was done: the group should be planned again. */
  rerun: boolean
  compacted: string[]
}

function planString(metas: readonly BlockMeta[]): string {
  return `[${metas.map((m) => `${m.ulid} (min time: ${m.minTime}, max time: ${m.maxTime})`).join(', ')}]`
}

/** tsdb.CompactBlockMetas for the plan (ULIDs in canonical text sort as their bytes). */
export function compactedMeta(metas: readonly BlockMeta[]): {minTime: number; maxTime: number; compaction: BlockMetaCompaction} {
  let minTime = metas[0]!.minTime
  let maxTime = metas[0]!.maxTime
  let level = 0
  const sources = new Set<string>()
  for (const m of metas) {
    minTime = Math.min(minTime, m.minTime)
    maxTime = Math.max(maxTime, m.maxTime)
    level = Math.max(level, m.compaction.level)
    for (const s of m.compaction.sources ?? []) sources.add(s)
  }
  return {
    minTime,
    maxTime,
    compaction: {level: level + 1, sources: [...sources].sort(compareStrings), parents: metas.map((m) => ({ulid: m.ulid, minTime: m.minTime, maxTime: m.maxTime}))},
  }
}

export async function compactGroup(g: Group, o: GroupCompactOptions): Promise<GroupCompactResult> {
  const log = o.logger.with({group: g.key})
  const overlap = groupOverlaps(g)
  if (overlap && !o.vertical) throw new HaltError(`pre compaction overlap check: ${overlap}`)

  const toCompact = plan(o.ranges, g.metasByMinTime, o.noCompact)
  if (toCompact.length === 0) return {rerun: false, compacted: []}
  log.info('compaction available and planned', {plan: planString(toCompact)})

  // thanos#183: one source in two inputs would duplicate its chunks.
  const seen = new Set<string>()
  for (const m of toCompact) {
    for (const s of m.compaction.sources ?? []) {
      if (seen.has(s)) {
        if (!o.vertical) throw new HaltError(`overlapping sources detected for plan ${planString(toCompact)}: source ${s} is in more than one block`)
        log.warn('overlapping sources detected for plan', {duplicated_block: s, to_compact_blocks: planString(toCompact)})
      }
      seen.add(s)
    }
  }

  const begin = Date.now()
  let readers: BlockReader[]
  try {
    readers = await mapConcurrent(toCompact, o.blocksFetchConcurrency ?? toCompact.length, (m) => BlockReader.open(o.bucket, m.ulid, {meta: m, signal: o.signal}))
  } catch (e) {
    if (e instanceof BlockCorruptionError || e instanceof UnsupportedBlockFormatError) throw new HaltError(`block with not healthy index found: ${(e as Error).message}`, {cause: e})
    throw retry(e, `open blocks ${toCompact.map((m) => m.ulid).join(', ')}`)
  }
  const ulid = newUlid(Date.now())
  const dir = path.join(o.workDir, g.key)
  const cm = compactedMeta(toCompact)
  const overlapping = overlapsWithin(toCompact)
  const stats: MergeStats = {mergedRuns: 0}
  let written: BlockMeta | undefined
  try {
    written = await writeBlock(mergeBlockSeries(readers, o.mergeFunc, o.signal, stats), {
      dir,
      ulid,
      minTime: cm.minTime,
      maxTime: cm.maxTime,
      compaction: cm.compaction,
      thanos: {labels: g.labels, resolution: g.resolution, source: 'compactor', extensions: g.extensions},
      signal: o.signal,
    })
  } catch (e) {
    o.signal?.throwIfAborted()
    // BadDataError covers BlockCorruptionError (a corrupt or unsorted input) and what the writer refuses.
    if (e instanceof BadDataError || e instanceof UnsupportedBlockFormatError || !(e instanceof Error)) {
      throw new HaltError(`compact blocks ${toCompact.map((m) => m.ulid).join(', ')}: ${e instanceof Error ? e.message : String(e)}`, {cause: e})
    }
    throw retry(e, `compact blocks ${toCompact.map((m) => m.ulid).join(', ')}`)
  }

  if (!written) {
    log.info('no compacted blocks, deleting source blocks', {blocks: toCompact.map((m) => m.ulid).join(',')})
    for (const m of toCompact) {
      if ((m.stats.numSamples ?? 0) !== 0) continue
      try {
        if (await markForDeletion(o.bucket, m.ulid, 'source of compacted block', log, {signal: o.signal})) o.onMarkedForDeletion?.()
      } catch (e) {
        log.warn('failed to mark for deletion an empty block found during compaction', {block: m.ulid, err: e})
      }
    }
    return {rerun: true, compacted: []}
  }
  o.onCompacted?.(overlapping)
  log.info('compacted blocks', {new: ulid, duration_ms: Date.now() - begin, overlapping_blocks: overlapping, merged_chunk_runs: stats.mergedRuns, blocks: toCompact.map((m) => m.ulid).join(',')})

  try {
    if (!o.vertical) {
      const msg = groupOverlaps(g, written, toCompact)
      if (msg) throw new HaltError(`resulted compacted block ${ulid} overlaps with something: ${msg}`)
    }
    const up = Date.now()
    try {
      await uploadBlockDir(path.join(dir, ulid), {bucket: o.bucket, hashFunc: o.hashFunc, concurrency: o.blockFilesConcurrency ?? 1, logger: log, signal: o.signal})
    } catch (e) {
      throw retry(e, `upload of ${ulid} failed`)
    }
    log.info('uploaded block', {result_block: ulid, duration_ms: Date.now() - up})
  } finally {
    await rm(path.join(dir, ulid), {recursive: true, force: true})
  }

  for (const m of toCompact) {
    try {
      log.info('marking compacted block for deletion', {old_block: m.ulid})
      if (await markForDeletion(o.bucket, m.ulid, 'source of compacted block', log, {signal: o.signal})) o.onMarkedForDeletion?.()
    } catch (e) {
      throw retry(e, 'mark old block for deletion from bucket')
    }
  }
  log.info('finished compacting blocks', {duration_ms: Date.now() - begin, result_blocks: ulid, source_blocks: toCompact.map((m) => m.ulid).join(',')})
  return {rerun: true, compacted: [ulid]}
}

/** populateBlock's check: does any input start before an earlier one ends? */
function overlapsWithin(metas: readonly BlockMeta[]): boolean {
  let globalMaxt = metas[0]!.maxTime
  for (let i = 1; i < metas.length; i++) {
    if (metas[i]!.minTime < globalMaxt) return true
    globalMaxt = Math.max(globalMaxt, metas[i]!.maxTime)
  }
  return false
}
