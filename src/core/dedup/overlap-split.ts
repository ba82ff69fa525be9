/**
 * Splits one series' chunks into non-overlapping "virtual replicas" (Thanos `NewOverlapSplit`).
 *
 * A series can carry chunks from several replicas when they were concatenated upstream, e.g.
 * by a stacked querier or by a store that returned the same label set twice after stripping
 * replica labels. The sample-level dedup needs each input to be time-ordered without overlap,
 * so chunks are dealt, in min-time order, to the first list whose last chunk ends before the
 * chunk starts (first fit, as upstream), opening a new list when none fits.
 *
 * Chunks that come from different stores never meet here: the store queryable keeps them apart
 * per source, which avoids the upstream failure mode where two real replicas' chunks end up
 * chained in one virtual replica and a counter drop at the seam reads as a reset (#7623).
 */

export interface TimeRanged {
  minTime: number
  maxTime: number
}

export function splitOverlapping<T extends TimeRanged>(chunks: readonly T[]): T[][] {
  if (chunks.length <= 1) return [chunks.slice()]
  let sorted = true
  for (let i = 1; i < chunks.length; i++) {
    const a = chunks[i - 1]!
    const b = chunks[i]!
    if (b.minTime < a.minTime || (b.minTime === a.minTime && b.maxTime < a.maxTime)) {
      sorted = false
      break
    }
  }
  const ordered = sorted ? chunks : chunks.slice().sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime)
  const lists: T[][] = [[ordered[0]!]]
  next: for (let i = 1; i < ordered.length; i++) {
    const c = ordered[i]!
    for (const l of lists) {
      if (l[l.length - 1]!.maxTime < c.minTime) {
        l.push(c)
        continue next
      }
    }
    lists.push([c])
  }
  return lists
}
