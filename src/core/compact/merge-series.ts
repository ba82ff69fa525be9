/**
 * The series of a plan's blocks as one sorted stream (Prometheus tsdb/compact.go populateBlock
 * with storage.NewMergeChunkSeriesSet): every block is read in index order (all postings, which
 * is label order) by ranged reads through BlockReader, the streams are merged by labels, and a
 * series present in several blocks gets its chunks merged (merge-chunks.ts). Only one batch of
 * series per block is in memory at a time.
 */
import type {BlockReader, BlockSeries} from '../block/block-reader.js'
import {BlockCorruptionError} from '../block/errors.js'
import {INDEX_FILENAME} from '../block/index-reader.js'
import type {WriterSeries} from '../block/writer/write-block.js'
import {compareLabels, labelsToString} from '../labels/labels.js'
import {Matcher, MatchType} from '../labels/matcher.js'
import {mergeSeriesChunks, type MergeFunc, type MergeStats, type SourcedChunk} from './merge-chunks.js'

/** Matches every series: `=~".*"` on a name matches series without it too (all postings). */
const ALL_SERIES = [new Matcher(MatchType.RE, '__name__', '.*')]

export async function* mergeBlockSeries(readers: readonly BlockReader[], func: MergeFunc, signal?: AbortSignal, stats?: MergeStats): AsyncGenerator<WriterSeries> {
  const its = readers.map((r) => r.series(ALL_SERIES, r.meta.minTime, r.meta.maxTime, {signal})[Symbol.asyncIterator]())
  const heads: (BlockSeries | undefined)[] = await Promise.all(its.map(async (it) => (await it.next()).value as BlockSeries | undefined))
  try {
    for (;;) {
      let min: BlockSeries | undefined
      for (const h of heads) if (h && (!min || compareLabels(h.labels, min.labels) < 0)) min = h
      if (!min) return
      const labels = min.labels
      const chunks: SourcedChunk[] = []
      let from = 0
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i]
        if (!h || compareLabels(h.labels, labels) !== 0) continue
        from++
        for (const c of h.chunks) chunks.push({minTime: c.minTime, maxTime: c.maxTime, encoding: c.encoding, data: c.data, source: i})
        const n = await its[i]!.next()
        const next = n.done ? undefined : (n.value as BlockSeries)
        if (next && compareLabels(next.labels, labels) <= 0) {
          throw new BlockCorruptionError(readers[i]!.id, INDEX_FILENAME, 0, `series ${labelsToString(next.labels)} is not after ${labelsToString(labels)} (out of order)`)
        }
        heads[i] = next
      }
      yield {labels, chunks: from === 1 ? chunks : mergeSeriesChunks(chunks, func, () => `series ${labelsToString(labels)}`, stats)}
    }
  } finally {
    await Promise.all(its.map((it) => it.return?.(undefined)))
  }
}
