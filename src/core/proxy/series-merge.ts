/**
 * k-way merge of per-store series streams, each sorted by labels (StoreAPI contract), into one
 * stream of groups: every label set once, with the parts each store sent for it, tagged by
 * store. A binary heap keyed by compareLabels (ties: lower source index first, so a store's
 * frames keep their order) replaces Thanos's loser tree; both are O(log k) per series.
 *
 * The sources are async iterators of batches (a store's response messages, mergeSeriesBatches)
 * or of single series (mergeSeriesStreams); a store's next message is awaited only when its
 * previous one was consumed, so a fast store is not read further ahead than its transport
 * buffers (grpc-js readable streams already read ahead and apply HTTP/2 flow control), and a
 * series inside a message costs no asynchronous step.
 *
 * Keeping the parts apart (instead of concatenating chunks, as Thanos's proxy does) lets the
 * deduplicating querier treat each store as its own replica: chunks of two replicas never end
 * up chained in one "virtual replica" where a seam looks like a counter reset (#7623).
 */
import {compareLabels, labelsEqual, type Labels} from '../labels/labels.js'

export interface Labelled {
  readonly labels: Labels
}

export interface MergedPart<T> {
  /** Index of the source (store) in the array given to mergeSeriesStreams. */
  source: number
  item: T
}

export interface MergedGroup<T> {
  labels: Labels
  /** In source order; one source may contribute several parts (split or stripped series). */
  parts: MergedPart<T>[]
}

interface Head<T> {
  source: number
  item: T
}

/** Merges sorted async streams; a stream that throws rejects the merge (callers wrap sources). */
export function mergeSeriesStreams<T extends Labelled>(sources: readonly AsyncIterator<T>[]): AsyncGenerator<MergedGroup<T>> {
  return mergeSeriesBatches(sources.map(singleBatches))
}

/** An item stream as a stream of one-item batches (no generator: one call per item). */
function singleBatches<T>(it: AsyncIterator<T>): AsyncIterator<readonly T[]> {
  return {
    next: async () => {
      const r = await it.next()
      return r.done ? {done: true, value: undefined} : {done: false, value: [r.value]}
    },
    return: async () => {
      await it.return?.()
      return {done: true, value: undefined}
    },
  }
}

/**
 * mergeSeriesStreams over streams of batches (a store's response messages): the next series of
 * a source is taken from its current batch without an asynchronous step; only an exhausted
 * batch waits for the next one.
 */
export async function* mergeSeriesBatches<T extends Labelled>(sources: readonly AsyncIterator<readonly T[]>[]): AsyncGenerator<MergedGroup<T>> {
  const heap: Head<T>[] = []
  const batch: (readonly T[])[] = sources.map(() => [])
  const pos = new Int32Array(sources.length)
  const less = (a: Head<T>, b: Head<T>): boolean => {
    const c = compareLabels(a.item.labels, b.item.labels)
    return c < 0 || (c === 0 && a.source < b.source)
  }
  const push = (h: Head<T>): void => {
    heap.push(h)
    let i = heap.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!less(heap[i]!, heap[p]!)) break
      ;[heap[i], heap[p]] = [heap[p]!, heap[i]!]
      i = p
    }
  }
  const pop = (): Head<T> => {
    const top = heap[0]!
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r
        if (m === i) break
        ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
        i = m
      }
    }
    return top
  }
  // the source's next series onto the heap: from its batch if it has more, else after the next batch
  const refill = async (source: number): Promise<void> => {
    for (;;) {
      const r = await sources[source]!.next()
      if (r.done) return
      if (r.value.length === 0) continue
      batch[source] = r.value
      pos[source] = 1
      push({source, item: r.value[0]!})
      return
    }
  }
  const advance = (source: number): Promise<void> | undefined => {
    const b = batch[source]!
    const p = pos[source]!
    if (p < b.length) {
      pos[source] = p + 1
      push({source, item: b[p]!})
      return undefined
    }
    return refill(source)
  }

  try {
    // All first series are awaited together: the stores are read concurrently from the start.
    await Promise.all(sources.map((_, i) => refill(i)))
    while (heap.length > 0) {
      const first = pop()
      const group: MergedGroup<T> = {labels: first.item.labels, parts: [{source: first.source, item: first.item}]}
      const a = advance(first.source)
      if (a) await a
      while (heap.length > 0 && labelsEqual(heap[0]!.item.labels, group.labels)) {
        const h = pop()
        group.parts.push({source: h.source, item: h.item})
        const b = advance(h.source)
        if (b) await b
      }
      yield group
    }
  } finally {
    // The consumer stopped early (or a source failed): release every source.
    await Promise.allSettled(sources.map((s) => s.return?.()))
  }
}
