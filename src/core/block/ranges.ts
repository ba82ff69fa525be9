/**
 * Merging nearby byte ranges into one ranged GET (thanos-io/thanos pkg/store/bucket.go
 * `gapBasedPartitioner`): object stores charge per request and add latency per request, so
 * reading a gap of up to `maxGap` bytes is cheaper than a second request.
 */

export interface ByteRange {
  start: number
  end: number
}

/** One GET covering the ranges `first..last` (indices into the sorted input). */
export interface RangePart extends ByteRange {
  first: number
  last: number
}

/** Thanos's PartitionerMaxGapSize. */
export const DEFAULT_MAX_GAP = 512 * 1024

/** Groups `ranges`, which must be sorted by start, into parts whose gaps are at most maxGap. */
export function partitionRanges(ranges: readonly ByteRange[], maxGap = DEFAULT_MAX_GAP): RangePart[] {
  const parts: RangePart[] = []
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!
    const cur = parts[parts.length - 1]
    if (cur !== undefined && r.start - cur.end <= maxGap) {
      if (r.end > cur.end) cur.end = r.end
      cur.last = i
    } else parts.push({start: r.start, end: r.end, first: i, last: i})
  }
  return parts
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  return out
}
