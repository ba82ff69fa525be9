/**
 * Classic histogram → native histogram with custom buckets (NHCB, schema -53), as Prometheus's
 * util/convertnhcb/convertnhcb.go: the `le` buckets, `_count` and `_sum` of one classic
 * histogram at one timestamp are collected, then converted into one histogram whose custom
 * bounds are the finite `le` values. Prometheus uses it when scraping with
 * convert_classic_histograms_to_nhcb (model/textparse/nhcbparse.go) and in promqltest's
 * load_with_nhcb.
 */
import {BadDataError} from '../errors.js'
import {FloatHistogram} from './float-histogram.js'
import {Histogram} from './histogram.js'
import {CUSTOM_BUCKETS_SCHEMA} from './schema.js'

export type ClassicHistogramErrorReason = 'negative_bucket_count' | 'nan_bucket' | 'negative_count' | 'count_mismatch' | 'count_not_cumulative'

const TEXT: Readonly<Record<ClassicHistogramErrorReason, string>> = {
  negative_bucket_count: 'bucket count must be non-negative',
  nan_bucket: 'bucket boundary must not be NaN',
  negative_count: 'count must be non-negative',
  count_mismatch: 'count mismatch',
  count_not_cumulative: 'count is not cumulative',
}

/** A classic histogram that cannot become an NHCB (convertnhcb's err* values, with their details). */
export class ClassicHistogramError extends BadDataError {
  constructor(
    readonly reason: ClassicHistogramErrorReason,
    detail = '',
  ) {
    super(TEXT[reason] + (detail ? `: ${detail}` : ''))
  }
}

/**
 * One classic histogram's pieces at one timestamp (convertnhcb's TempHistogram). Buckets may
 * come in any order; a repeated bound is ignored. The first error sticks: later setters do
 * nothing and convert() throws it.
 */
export class ClassicHistogramBuilder {
  /** Bucket upper bounds, ascending, and their cumulative counts. */
  private les: number[] = []
  private counts: number[] = []
  private count = 0
  private sum = 0
  private hasCount = false
  private error: ClassicHistogramError | undefined

  get err(): ClassicHistogramError | undefined {
    return this.error
  }

  reset(): void {
    this.les.length = 0
    this.counts.length = 0
    this.count = 0
    this.sum = 0
    this.hasCount = false
    this.error = undefined
  }

  /** The `le` bucket's cumulative count. */
  setBucketCount(le: number, count: number): void {
    if (this.error) return
    if (Number.isNaN(le)) {
      this.error = new ClassicHistogramError('nan_bucket')
      return
    }
    if (count < 0) {
      this.error = new ClassicHistogramError('negative_bucket_count', `le=${le}, count=${count}`)
      return
    }
    const n = this.les.length
    // usually in ascending order: append; otherwise insert where the bound belongs
    let i = n
    if (n > 0 && this.les[n - 1]! >= le) {
      i = 0
      while (this.les[i]! < le) i++
      if (this.les[i] === le) return
    }
    if (i > 0 && count < this.counts[i - 1]!) {
      this.error = new ClassicHistogramError('count_not_cumulative', `${count} < ${this.counts[i - 1]}`)
      return
    }
    if (i < n && count > this.counts[i]!) {
      this.error = new ClassicHistogramError('count_not_cumulative', `${count} > ${this.counts[i]}`)
      return
    }
    this.les.splice(i, 0, le)
    this.counts.splice(i, 0, count)
  }

  /** The `_count` sample. */
  setCount(count: number): void {
    if (this.error) return
    if (count < 0) {
      this.error = new ClassicHistogramError('negative_count', `count=${count}`)
      return
    }
    this.count = count
    this.hasCount = true
  }

  /** The `_sum` sample. */
  setSum(sum: number): void {
    if (this.error) return
    this.sum = sum
  }

  /**
   * The NHCB: an integer Histogram when every count is a whole number, else a FloatHistogram
   * (as convertnhcb's Convert). Without `_count` the highest bucket's count is the count;
   * without a +Inf bucket one holding the count is added. The integer form is compacted as
   * Compact(2), the float form as Compact(0), as Prometheus does. Does not change the builder.
   */
  convert(): {h: Histogram; fh?: undefined} | {h?: undefined; fh: FloatHistogram} {
    if (this.error) throw this.error
    const les = this.les.slice()
    const counts = this.counts.slice()
    let count = this.count
    if (!this.hasCount && les.length > 0) count = counts[counts.length - 1]!
    if (les.length === 0 || les[les.length - 1] !== Number.POSITIVE_INFINITY) {
      les.push(Number.POSITIVE_INFINITY)
      counts.push(count)
    }
    const n = les.length
    const last = counts[n - 1]!
    if (count !== last) throw new ClassicHistogramError('count_mismatch', `count=${count} != le=${les[n - 1]} count=${last}`)
    const bounds = n > 1 ? Float64Array.from(les.slice(0, n - 1)) : null
    const spans = Int32Array.of(0, n)
    // Prometheus's test: each bucket count survives int64, the count uint64 (beyond, float)
    const integral = Number.isInteger(count) && count < 2 ** 64 && counts.every((c) => Number.isInteger(c) && c < 2 ** 63)
    if (integral) {
      const deltas = new Float64Array(n)
      let prevCount = 0
      let prevDelta = 0
      for (let i = 0; i < n; i++) {
        const d = counts[i]! - prevCount
        deltas[i] = d - prevDelta
        prevCount = counts[i]!
        prevDelta = d
      }
      const h = Histogram.of({schema: CUSTOM_BUCKETS_SCHEMA, count, sum: this.sum, positiveSpans: spans, positiveBuckets: deltas, customValues: bounds})
      return {h: h.compact(2)}
    }
    const buckets = new Float64Array(n)
    let prev = 0
    for (let i = 0; i < n; i++) {
      buckets[i] = counts[i]! - prev
      prev = counts[i]!
    }
    const fh = FloatHistogram.of({schema: CUSTOM_BUCKETS_SCHEMA, count, sum: this.sum, positiveSpans: spans, positiveBuckets: buckets, customValues: bounds})
    return {fh: fh.compact(0)}
  }
}

export type ClassicSeriesSuffix = 'bucket' | 'sum' | 'count' | 'none'

/**
 * The classic histogram a metric name belongs to (convertnhcb's GetHistogramMetricBaseName):
 * `_bucket`, `_sum` or `_count` cut off; `_created` is left to the caller.
 */
export function classicHistogramBaseName(name: string): {suffix: ClassicSeriesSuffix; base: string} {
  for (const suffix of ['bucket', 'sum', 'count'] as const) {
    if (name.endsWith('_' + suffix)) return {suffix, base: name.slice(0, -suffix.length - 1)}
  }
  return {suffix: 'none', base: name}
}
