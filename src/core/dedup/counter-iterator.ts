/**
 * Counter-aware penalty deduplication, used when the selector sits inside a counter function
 * (rate, increase, irate, resets; Thanos `isCounter` on SelectHints.func).
 *
 * The problem (thanos-io/thanos #2401, #1326, #7623): two replicas scrape the same counter at
 * slightly different moments, and the values they record are not mutually consistent, e.g. a
 * replica scraping 0.1 s later may record a value a few units LOWER than the other one, or one
 * replica saw a reset the other has not seen yet. A plain switch from replica A to replica B
 * then shows a decrease, PromQL counts it as a counter reset and adds B's whole value to the
 * increase: rate spikes of several orders of magnitude.
 *
 * What upstream does: every replica is turned into a monotonic running total first
 * (`ApplyCounterResetsIterator`), and on a switch the new replica is shifted up by the drop
 * (`counterErrAdjustSeriesIterator`). That fixes rate but makes `resets()` always 0 (#3644),
 * and upstream also adjusts against a first sample that was never emitted (#9041).
 *
 * What we do instead: each replica keeps an offset >= 0 added to its raw values (upstream's
 * per-replica `errAdjust`), but no running totals. Each replica cursor remembers its own previous
 * value, including samples the penalty skipped, so a real reset (the replica's own series went
 * down) is told apart from an inconsistency between replicas (the new replica is merely lower
 * than what the old one last said):
 *  - a real reset (a drop in the replica's own series since the last emitted sample, also at
 *    samples the penalty skipped): the replica's offset returns to 0 and its raw value is emitted, so PromQL
 *    sees the reset and counts exactly the post-reset value as on that replica alone (and
 *    `resets()` stays right, unlike upstream);
 *  - a switch to a replica whose (offset) value is below the last emitted value while its own
 *    series did not go down: its offset grows by the difference, so the output holds level
 *    instead of faking a reset (upstream's #2401 fix, and the #7623 spike);
 *  - otherwise values pass through with the replica's offset;
 *  - nothing is adjusted before the first sample is emitted (upstream adjusts against a value
 *    that was never emitted, #9041).
 * On upstream's #2401 regression data this yields upstream's expected output.
 * Stale markers (NaN) pass through untouched (no arithmetic, so their bit pattern survives) and
 * never become a replica's "previous value".
 */
import type {FloatHistogram} from '../histogram/float-histogram.js'
import type {SampleIterator} from '../promql/queryable.js'
import {PenaltyDedupIterator, staleOf, type PenaltyOptions} from './penalty-iterator.js'

/** Functions whose argument is a counter (Thanos `isCounter`, plus Thanos's x-variants). */
const COUNTER_FUNCS: ReadonlySet<string> = new Set(['rate', 'increase', 'irate', 'resets', 'xrate', 'xincrease'])

export function isCounterFunc(func: string | undefined): boolean {
  return func !== undefined && COUNTER_FUNCS.has(func)
}

/**
 * Wraps one replica's iterator and remembers the last non-NaN value before the current sample.
 * Seek is a walk with next() so skipped samples still count as history (XOR chunks cannot skip
 * samples anyway, so this costs nothing extra).
 */
export class CounterReplicaCursor implements SampleIterator {
  /** Last non-NaN value before the current sample; NaN when there is none. */
  prev = Number.NaN
  /** Timestamp of the latest sample (up to the current one) lower than the value before it. */
  lastDropT = Number.NEGATIVE_INFINITY
  private v = Number.NaN
  private has = false

  constructor(private readonly it: SampleIterator) {}

  next(): boolean {
    if (this.has && !Number.isNaN(this.v)) this.prev = this.v
    this.has = this.it.next()
    if (this.has) {
      this.v = this.it.at()
      if (this.v < this.prev) this.lastDropT = this.it.atT()
    }
    return this.has
  }

  seek(t: number): boolean {
    if (this.has && this.it.atT() >= t) return true
    while (this.next()) if (this.it.atT() >= t) return true
    return false
  }

  atT(): number {
    return this.it.atT()
  }

  at(): number {
    return this.v
  }

  atStale(): boolean {
    return staleOf(this.it)
  }

  /** Histogram samples pass through (their NaN placeholder leaves the counter state alone). */
  atHistogram(): FloatHistogram | undefined {
    return this.it.atHistogram?.()
  }
}

export class CounterDedupIterator extends PenaltyDedupIterator {
  private readonly cursors: readonly CounterReplicaCursor[]
  private readonly offsets: Float64Array
  /** Last emitted non-NaN output value and its timestamp. */
  private lastOut = Number.NaN
  private lastOutT = Number.NEGATIVE_INFINITY
  private out = Number.NaN
  private outIsRaw = true

  constructor(replicas: readonly SampleIterator[], opts: PenaltyOptions = {}) {
    const cursors = replicas.map((r) => new CounterReplicaCursor(r))
    super(cursors, opts)
    this.cursors = cursors
    this.offsets = new Float64Array(cursors.length)
  }

  protected override chose(_prev: number, next: number): void {
    const c = this.cursors[next]!
    const raw = c.at()
    if (Number.isNaN(raw)) {
      // Stale marker or NaN sample: emit it as is, keep the counter state.
      this.outIsRaw = true
      return
    }
    let out: number
    if (c.lastDropT > this.lastOutT) {
      // The replica's own series went down since the last emitted sample (at this sample, or
      // at one the penalty skipped): a real counter reset. Emit the raw value with no offset
      // so PromQL counts exactly the post-reset value as the increase.
      this.offsets[next] = 0
      out = raw
    } else {
      out = raw + this.offsets[next]!
      if (out < this.lastOut) {
        // Switched to a replica that is lower than what we emitted although its own series did
        // not go down (or we have no history for it): the replicas disagree, nothing reset.
        // Hold the output level instead of faking a reset.
        this.offsets[next] = this.lastOut - raw
        out = this.lastOut
      }
    }
    this.lastOut = out
    this.lastOutT = c.atT()
    this.out = out
    this.outIsRaw = false
  }

  override at(): number {
    return this.outIsRaw ? this.cursors[this.cur]!.at() : this.out
  }

  override atStale(): boolean {
    return this.outIsRaw && this.cursors[this.cur]!.atStale()
  }
}
