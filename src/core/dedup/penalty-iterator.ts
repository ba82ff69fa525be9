/**
 * The penalty deduplication algorithm of Thanos (`pkg/dedup/iter.go`, `dedupSeriesIterator`),
 * generalised from a pairwise left fold to N replicas in one flat iterator.
 *
 * Rules, as upstream:
 * - the replica with the earliest next sample wins; a tie goes to the lowest index;
 * - every replica that was NOT chosen is pushed forward by a penalty: 5 s before anything was
 *   emitted, then twice the distance between the chosen sample and the previously emitted one.
 *   Samples of a lagging replica that fall shortly after the chosen one are therefore skipped
 *   (no doubled sample rate, no zig-zag between offset scrapes), and the output only switches
 *   replica when the current one has a gap larger than about two scrape intervals;
 * - `seek` is repeated `next`, so a gap is never jumped over.
 *
 * For two replicas this produces exactly Thanos's output. For more, upstream nests pairs
 * (dedup(dedup(r0, r1), r2)); one flat pass penalises every non-chosen replica alike and costs
 * O(N) per sample without intermediate iterators.
 *
 * No per-sample objects: penalties live in a Float64Array, the current sample is read from the
 * chosen input iterator.
 */
import {isStaleNaN} from '../chunkenc/value.js'
import type {FloatHistogram} from '../histogram/float-histogram.js'
import {afterSwitch} from './histogram-hint.js'
import type {SampleIterator} from '../promql/queryable.js'
import type {SpanRecorder} from './spans.js'

/** Milliseconds; upstream's `initialPenalty`, chosen because scrape intervals are seconds long. */
export const INITIAL_PENALTY_MS = 5000

export interface PenaltyOptions {
  /**
   * Gap filling (our extension, `--deduplication.func=penalty-fill`): the same stickiness (the
   * output leaves its replica only when that replica's next sample is more than twice the last
   * interval away), but the other replicas are only held half an interval behind instead of
   * two, so at a switch the new replica's data starts right after the last emitted sample
   * instead of up to two scrapes later (the gap users report in thanos#981/#7656). Replicas
   * with identical timestamps then dedup to exactly the complete data.
   */
  fill?: boolean
  /**
   * Explain (spans.ts): reports every sample emitted and every replica sample passed. Off by
   * default; with it, replicas step with next() instead of seek() so skipped samples are seen.
   */
  recorder?: SpanRecorder
}

export class PenaltyDedupIterator implements SampleIterator {
  protected readonly its: readonly SampleIterator[]
  /** 1 while the input has a current sample. */
  private readonly live: Uint8Array
  private readonly penalty: Float64Array
  private readonly fill: boolean
  private readonly rec: SpanRecorder | undefined
  /** Distance between the last two emitted samples (0 while unknown). */
  private gap = 0
  private lastT = Number.NEGATIVE_INFINITY
  /** Index of the replica whose sample is current; -1 before the first next() and when done. */
  protected cur = -1
  /** The current sample comes from another replica than the one emitted before it. */
  protected switched = false
  private state: 0 | 1 | 2 = 0 // 0 = not started, 1 = running, 2 = exhausted

  constructor(replicas: readonly SampleIterator[], opts: PenaltyOptions = {}) {
    if (replicas.length === 0) throw new Error('PenaltyDedupIterator needs at least one replica')
    this.its = replicas
    this.live = new Uint8Array(replicas.length)
    this.penalty = new Float64Array(replicas.length)
    this.fill = opts.fill ?? false
    this.rec = opts.recorder
  }

  next(): boolean {
    const its = this.its
    const n = its.length
    if (this.state === 2) return false
    if (this.state === 0) {
      this.state = 1
      for (let i = 0; i < n; i++) this.live[i] = its[i]!.next() ? 1 : 0
      if (this.rec) for (let i = 0; i < n; i++) if (this.live[i] === 1) this.rec.seen(i, its[i]!.atT())
    }
    const lastT = this.lastT
    let best = -1
    let bestT = Number.POSITIVE_INFINITY
    for (let i = 0; i < n; i++) {
      if (this.live[i] === 0) continue
      const it = its[i]!
      // Every live input moves to lastT + 1 + its penalty: the replica chosen last time has no
      // penalty and simply steps past lastT; the others skip what is too close to lastT.
      const target = lastT + 1 + this.penalty[i]!
      if (it.atT() < target && !(this.rec === undefined ? it.seek(target) : walkTo(it, target, this.rec, i))) {
        this.live[i] = 0
        continue
      }
      const t = it.atT()
      if (t < bestT) {
        bestT = t
        best = i
      }
    }
    if (best < 0) {
      this.state = 2
      this.cur = -1
      return false
    }
    if (this.fill && this.gap > 0) {
      // Stickiness as upstream: keep the current replica unless it has a gap.
      const c = this.cur
      if (c >= 0 && this.live[c] === 1 && its[c]!.atT() <= lastT + 2 * this.gap) {
        best = c
        bestT = its[c]!.atT()
      }
    }
    const known = lastT !== Number.NEGATIVE_INFINITY
    if (known) this.gap = bestT - lastT
    const pen = !known ? INITIAL_PENALTY_MS : this.fill ? Math.floor(this.gap / 2) : 2 * this.gap
    for (let i = 0; i < n; i++) this.penalty[i] = i === best ? 0 : pen
    const prev = this.cur
    this.switched = prev >= 0 && prev !== best
    this.cur = best
    this.lastT = bestT
    this.chose(prev, best)
    this.rec?.emitted(best, bestT)
    return true
  }

  /** Hook for subclasses: called once per emitted sample with the previous and new replica. */
  protected chose(_prev: number, _next: number): void {}

  seek(t: number): boolean {
    if (this.state === 2) return false
    if (this.state === 0 && !this.next()) return false
    // As upstream: walk with next() so the replica choice sees every gap on the way.
    while (this.its[this.cur]!.atT() < t) if (!this.next()) return false
    return true
  }

  atT(): number {
    return this.its[this.cur]!.atT()
  }

  at(): number {
    return this.its[this.cur]!.at()
  }

  /** Staleness of the chosen replica's sample, from its raw bits when it can tell. */
  atStale(): boolean {
    return staleOf(this.its[this.cur]!)
  }

  /** The chosen replica's histogram sample, its hint reset after a switch (histogram-hint.ts). */
  atHistogram(): FloatHistogram | undefined {
    return afterSwitch(this.its[this.cur]!.atHistogram?.(), this.switched)
  }

  /** Which input replica the current sample came from (for tests and debugging). */
  replica(): number {
    return this.cur
  }
}

/** seek(target) by next(), reporting each sample stepped onto to the recorder. */
export function walkTo(it: SampleIterator, target: number, rec: SpanRecorder, replica: number): boolean {
  while (it.next()) {
    rec.seen(replica, it.atT())
    if (it.atT() >= target) return true
  }
  return false
}

/** An iterator's current sample is a stale marker (raw-bit answer preferred, see queryable.ts). */
export function staleOf(it: SampleIterator): boolean {
  return it.atStale ? it.atStale() : isStaleNaN(it.at())
}
