/**
 * The counter-reset correction of Thanos's ApplyCounterResetsSeriesIterator
 * (pkg/compact/downsample/downsample.go), one raw counter sample at a time: each new sample's
 * value becomes the counter's total since the first one (a drop counts as a reset: the whole
 * new value is added). The downsampler runs it over counter aggregates and the querier over
 * the counter chunks it reads, so both correct resets the same way.
 */
export class CounterResets {
  /** The last sample's timestamp (the querier also advances it past histogram samples). */
  lastT = Number.NEGATIVE_INFINITY
  /** The last raw value: NaN before the first sample. */
  lastV = NaN
  /** The reset-corrected total at lastT. */
  total = 0
  private seen = false

  /**
   * Feeds a raw counter sample (not NaN). @returns true when it is a new point (`total` is its
   * value); false for an older one, and for one repeating lastT, which only replaces lastV (the
   * true last raw value of a chunk, compared with the next chunk's first).
   */
  push(t: number, v: number): boolean {
    if (!this.seen) {
      this.seen = true
      this.total = v
    } else if (t > this.lastT) {
      this.total += v >= this.lastV ? v - this.lastV : v
    } else {
      if (t === this.lastT) this.lastV = v
      return false
    }
    this.lastT = t
    this.lastV = v
    return true
  }
}
