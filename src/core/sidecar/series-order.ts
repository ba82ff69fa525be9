/**
 * Keeps the sidecar's Series stream sorted after the external labels are merged in, while
 * streaming: Thanos's sidecar buffers the whole answer and sorts it, so the querier waits
 * for the last series before it sees the first. We hold back only what can move.
 *
 * Why that is little: Prometheus sends series sorted by their own labels K. Merging the
 * external labels E into K keeps the order of two series A < B unless K(A) is a strict
 * prefix of K(B) (at the first differing position both sides then see the same external
 * names, and a name or value that differs decides as before). When K(A) is a prefix of K(B),
 * A's next merged label is an external one while B's may be its own, smaller one:
 * {a=1} < {a=1,b=2} but {a=1,c=x} > {a=1,b=2,c=x}. Series sharing the prefix K(A) come right
 * after A in sorted order, so a run "A and every series that extends K(A)" is sorted on its
 * own and flushed as soon as a series arrives that does not extend K(A); nothing outside a
 * run can be out of order with it. Typical data (series of one metric with the same label
 * names) never forms runs longer than one series.
 *
 * K is recovered by dropping the external label names from what remote read returns
 * (Prometheus adds them). If a series carried its own label with an external name, that
 * recovery is wrong and the input may look unsorted: from the first such step on, the
 * rest of the answer is buffered and sorted, as Thanos does for all of it.
 */
import {compareLabels, type Labels} from '../labels/labels.js'

export interface KeyedSeries<T> {
  /** The series' own labels, in Prometheus's order. */
  key: Labels
  /** The labels the series is sent with (external labels merged). */
  labels: Labels
  value: T
}

function isPrefix(p: Labels, of: Labels): boolean {
  if (p.length >= of.length) return false
  for (let i = 0; i < p.length; i++) if (p[i]!.name !== of[i]!.name || p[i]!.value !== of[i]!.value) return false
  return true
}

function sortRun<T>(run: KeyedSeries<T>[]): KeyedSeries<T>[] {
  for (let i = 1; i < run.length; i++) {
    if (compareLabels(run[i - 1]!.labels, run[i]!.labels) > 0) return run.sort((a, b) => compareLabels(a.labels, b.labels))
  }
  return run
}

/** Yields `input` ordered by `labels`, given `input` ordered by `key` (see above). */
export async function* sortedByMergedLabels<T>(input: AsyncIterable<KeyedSeries<T>>): AsyncGenerator<KeyedSeries<T>> {
  const order = new MergedLabelOrder<T>()
  const out: KeyedSeries<T>[] = []
  for await (const s of input) {
    order.add(s, out)
    if (out.length > 0) {
      yield* out
      out.length = 0
    }
  }
  order.end(out)
  yield* out
}

/** The same reordering fed one series at a time, for callers that work in batches. */
export class MergedLabelOrder<T> {
  private run: KeyedSeries<T>[] = []
  private prevKey: Labels | undefined
  private bufferAll = false

  /** Takes the next series (in `key` order); appends to `out` what is now certain. */
  add(s: KeyedSeries<T>, out: KeyedSeries<T>[]): void {
    if (!this.bufferAll && this.prevKey !== undefined && compareLabels(this.prevKey, s.key) > 0) this.bufferAll = true
    this.prevKey = s.key
    const run = this.run
    if (this.bufferAll || run.length === 0 || isPrefix(run[0]!.key, s.key)) {
      run.push(s)
      return
    }
    for (const x of sortRun(run)) out.push(x)
    this.run = [s]
  }

  /** After the last series: appends the rest. */
  end(out: KeyedSeries<T>[]): void {
    for (const x of sortRun(this.run)) out.push(x)
    this.run = []
  }
}
