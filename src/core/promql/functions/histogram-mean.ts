/**
 * The sum or mean of native histograms with Kahan compensation, as Prometheus 3.14 computes
 * both the sum/avg aggregations (promql/engine.go aggregation, groupedAggregation's
 * histogramKahanC) and sum_over_time/avg_over_time (promql/functions.go funcSumOverTime,
 * funcAvgOverTime): FloatHistogram.kahanAdd into a running sum, its compensation added at the
 * end. A mean is the direct one (sum / count) until the running sum would overflow; from
 * there on it is computed incrementally (mean·(n-1)/n + h/n), still compensated.
 */
import type {FloatHistogram} from '../../histogram/float-histogram.js'

export class HistogramMean {
  private value: FloatHistogram
  private mean: FloatHistogram | undefined
  private comp: FloatHistogram | undefined
  private count = 1
  private incremental = false

  /** Starts with `first` (copied; the inputs are never changed). */
  constructor(first: FloatHistogram, private readonly avg: boolean) {
    this.value = first.copy()
  }

  /**
   * Adds `h`; returns kahanAdd's flags. Throws HistogramError as add() does (exponential with
   * custom buckets), after which the result is not to be used.
   */
  add(h: FloatHistogram): number {
    this.count++
    const n = this.count
    if (!this.avg) return this.value.kahanAdd(h, (this.comp ??= this.value.compensation()))
    let flags = 0
    if (!this.incremental) {
      // the running sum is tried on copies: an overflow leaves it as it was
      const v = this.value.copy()
      const c = this.comp ? this.comp.copy() : v.compensation()
      flags = v.kahanAdd(h, c)
      if (!v.hasOverflow()) {
        this.value = v
        this.comp = c
        return flags
      }
      this.incremental = true
      this.mean = this.value.copy().div(n - 1)
      this.comp?.div(n - 1)
    }
    const q = (n - 1) / n
    this.comp?.mul(q)
    const mean = this.mean!.mul(q)
    return flags | mean.kahanAdd(h.copy().div(n), (this.comp ??= mean.compensation()))
  }

  /** The sum or mean, compensation added (not compacted). Call once. */
  result(): FloatHistogram {
    if (this.incremental) {
      if (this.comp) this.mean!.add(this.comp)
      return this.mean!
    }
    if (this.avg) {
      this.value.div(this.count)
      if (this.comp) this.value.add(this.comp.div(this.count))
    } else if (this.comp) this.value.add(this.comp)
    return this.value
  }
}
