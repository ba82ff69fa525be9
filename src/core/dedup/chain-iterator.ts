/**
 * `--deduplication.func=chain` (Thanos PR #7808, Prometheus `storage.ChainedSeriesMerge`):
 * a plain time-ordered merge of the replicas where a timestamp present in several replicas is
 * emitted once (from the lowest-index replica). No penalty, so no gap at a switch, but two
 * replicas with offset scrapes interleave (double sample rate): meant for setups whose replicas
 * share timestamps, e.g. Receive replication or backfilled copies.
 */
import type {FloatHistogram} from '../histogram/float-histogram.js'
import type {SampleIterator} from '../promql/queryable.js'
import {afterSwitch} from './histogram-hint.js'
import {staleOf, walkTo} from './penalty-iterator.js'
import type {SpanRecorder} from './spans.js'

export class ChainDedupIterator implements SampleIterator {
  private readonly live: Uint8Array
  private cur = -1
  private switched = false
  private t = Number.NEGATIVE_INFINITY
  private state: 0 | 1 | 2 = 0

  constructor(
    private readonly its: readonly SampleIterator[],
    /** Explain (spans.ts), off by default. */
    private readonly rec?: SpanRecorder,
  ) {
    this.live = new Uint8Array(its.length)
  }

  next(): boolean {
    if (this.state === 2) return false
    const its = this.its
    if (this.state === 0) {
      this.state = 1
      for (let i = 0; i < its.length; i++) this.live[i] = its[i]!.next() ? 1 : 0
      if (this.rec) for (let i = 0; i < its.length; i++) if (this.live[i] === 1) this.rec.seen(i, its[i]!.atT())
    }
    let best = -1
    let bestT = Number.POSITIVE_INFINITY
    for (let i = 0; i < its.length; i++) {
      if (this.live[i] === 0) continue
      const it = its[i]!
      // Step every replica past what was emitted (equal timestamps are duplicates).
      if (it.atT() <= this.t && !(this.rec === undefined ? it.seek(this.t + 1) : walkTo(it, this.t + 1, this.rec, i))) {
        this.live[i] = 0
        continue
      }
      if (it.atT() < bestT) {
        bestT = it.atT()
        best = i
      }
    }
    if (best < 0) {
      this.state = 2
      return false
    }
    this.switched = this.cur >= 0 && this.cur !== best
    this.cur = best
    this.t = bestT
    this.rec?.emitted(best, bestT)
    return true
  }

  seek(t: number): boolean {
    if (this.state === 2) return false
    if (this.state === 1 && this.t >= t) return true
    while (this.next()) if (this.t >= t) return true
    return false
  }

  atT(): number {
    return this.t
  }

  at(): number {
    return this.its[this.cur]!.at()
  }

  atStale(): boolean {
    return staleOf(this.its[this.cur]!)
  }

  /** The chosen replica's histogram; after a switch with an Unknown hint, as storage/merge.go. */
  atHistogram(): FloatHistogram | undefined {
    return afterSwitch(this.its[this.cur]!.atHistogram?.(), this.switched)
  }

  /** Which input replica the current sample came from (for tests and debugging). */
  replica(): number {
    return this.cur
  }
}
