/**
 * Histogram: the integer flavour as scraped and stored (prometheus/model/histogram/
 * histogram.go). Counts are unsigned integers (exact in a double up to 2^53); bucket arrays
 * hold the first count of each side and then deltas to the previous bucket, across spans.
 * PromQL works on FloatHistogram: toFloat() converts.
 */
import {FloatHistogram} from './float-histogram.js'
import {compactSide, EMPTY_BUCKETS, EMPTY_SPANS, newBuckets, reduceSideResolution, spansMatch} from './layout.js'
import {
  CounterResetHint,
  customBoundsMatch,
  HistogramError,
  invalidSchemaError,
  isCustomBucketsSchema,
  isExponentialSchema,
} from './schema.js'
import {checkCustomBounds, checkSpans, sameBits, sameBucketBits} from './validate.js'

export interface HistogramInit {
  counterResetHint?: CounterResetHint
  schema?: number
  zeroThreshold?: number
  zeroCount?: number
  count?: number
  sum?: number
  positiveSpans?: ArrayLike<number>
  negativeSpans?: ArrayLike<number>
  /** Deltas: first count, then differences to the previous bucket. */
  positiveBuckets?: ArrayLike<number>
  negativeBuckets?: ArrayLike<number>
  customValues?: ArrayLike<number> | null
}

export class Histogram {
  counterResetHint: CounterResetHint = CounterResetHint.Unknown
  schema = 0
  zeroThreshold = 0
  zeroCount = 0
  count = 0
  sum = 0
  positiveSpans: Int32Array = EMPTY_SPANS
  negativeSpans: Int32Array = EMPTY_SPANS
  /** Delta-encoded counts. */
  positiveBuckets: Float64Array = EMPTY_BUCKETS
  negativeBuckets: Float64Array = EMPTY_BUCKETS
  customValues: Float64Array | null = null

  static of(init: HistogramInit): Histogram {
    const h = new Histogram()
    h.counterResetHint = init.counterResetHint ?? CounterResetHint.Unknown
    h.schema = init.schema ?? 0
    h.zeroThreshold = init.zeroThreshold ?? 0
    h.zeroCount = init.zeroCount ?? 0
    h.count = init.count ?? 0
    h.sum = init.sum ?? 0
    if (init.positiveSpans) h.positiveSpans = Int32Array.from(init.positiveSpans)
    if (init.negativeSpans) h.negativeSpans = Int32Array.from(init.negativeSpans)
    if (init.positiveBuckets) h.positiveBuckets = Float64Array.from(init.positiveBuckets)
    if (init.negativeBuckets) h.negativeBuckets = Float64Array.from(init.negativeBuckets)
    if (init.customValues) h.customValues = Float64Array.from(init.customValues)
    return h
  }

  usesCustomBuckets(): boolean {
    return isCustomBucketsSchema(this.schema)
  }

  copy(): Histogram {
    return this.copyTo(new Histogram())
  }

  copyTo(to: Histogram): Histogram {
    to.counterResetHint = this.counterResetHint
    to.schema = this.schema
    to.count = this.count
    to.sum = this.sum
    to.positiveSpans = this.positiveSpans
    to.positiveBuckets = copyInto(this.positiveBuckets, to.positiveBuckets)
    if (this.usesCustomBuckets()) {
      to.zeroThreshold = 0
      to.zeroCount = 0
      to.negativeSpans = EMPTY_SPANS
      to.negativeBuckets = EMPTY_BUCKETS
      to.customValues = this.customValues
    } else {
      to.zeroThreshold = this.zeroThreshold
      to.zeroCount = this.zeroCount
      to.negativeSpans = this.negativeSpans
      to.negativeBuckets = copyInto(this.negativeBuckets, to.negativeBuckets)
      to.customValues = null
    }
    return to
  }

  /** The float form (absolute counts), into `fh` when given (its bucket arrays reused when the length fits). */
  toFloat(fh: FloatHistogram = new FloatHistogram()): FloatHistogram {
    fh.counterResetHint = this.counterResetHint
    fh.schema = this.schema
    fh.count = this.count
    fh.sum = this.sum
    fh.positiveSpans = this.positiveSpans
    fh.positiveBuckets = prefixSums(this.positiveBuckets, fh.positiveBuckets)
    if (this.usesCustomBuckets()) {
      fh.zeroThreshold = 0
      fh.zeroCount = 0
      fh.negativeSpans = EMPTY_SPANS
      fh.negativeBuckets = EMPTY_BUCKETS
      fh.customValues = this.customValues
    } else {
      fh.zeroThreshold = this.zeroThreshold
      fh.zeroCount = this.zeroCount
      fh.negativeSpans = this.negativeSpans
      fh.negativeBuckets = prefixSums(this.negativeBuckets, fh.negativeBuckets)
      fh.customValues = null
    }
    return fh
  }

  compact(maxEmptyBuckets: number): this {
    const p = compactSide(this.positiveSpans, this.positiveBuckets, maxEmptyBuckets, true)
    const n = compactSide(this.negativeSpans, this.negativeBuckets, maxEmptyBuckets, true)
    this.positiveSpans = p.spans
    this.positiveBuckets = p.buckets
    this.negativeSpans = n.spans
    this.negativeBuckets = n.buckets
    return this
  }

  reduceResolution(targetSchema: number): void {
    if (this.usesCustomBuckets()) throw new Error('cannot reduce resolution when there are custom buckets')
    if (isCustomBucketsSchema(targetSchema)) throw new Error('cannot reduce resolution to custom buckets schema')
    if (targetSchema >= this.schema) throw new Error(`cannot reduce resolution from schema ${this.schema} to ${targetSchema}`)
    const p = reduceSideResolution(this.positiveSpans, this.positiveBuckets, this.schema, targetSchema, true)
    const n = reduceSideResolution(this.negativeSpans, this.negativeBuckets, this.schema, targetSchema, true)
    this.positiveSpans = p.spans
    this.positiveBuckets = p.buckets
    this.negativeSpans = n.spans
    this.negativeBuckets = n.buckets
    this.schema = targetSchema
  }

  /** As Prometheus's Histogram.Equals (sum compared by bits, hint ignored). */
  equals(o: Histogram): boolean {
    if (this.schema !== o.schema || this.count !== o.count || !sameBits(this.sum, o.sum)) return false
    if (this.usesCustomBuckets() && !customBoundsMatch(this.customValues, o.customValues)) return false
    if (this.zeroThreshold !== o.zeroThreshold || this.zeroCount !== o.zeroCount) return false
    if (!spansMatch(this.negativeSpans, o.negativeSpans) || !sameBucketBits(this.negativeBuckets, o.negativeBuckets)) return false
    return spansMatch(this.positiveSpans, o.positiveSpans) && sameBucketBits(this.positiveBuckets, o.positiveBuckets)
  }

  /**
   * As Prometheus's Histogram.Validate: besides the layout and sign checks, the count must
   * equal zero count + buckets, or be at least that when the sum is NaN (NaN observations
   * are counted but in no bucket).
   */
  validate(): void {
    let nCount = 0
    if (isCustomBucketsSchema(this.schema)) {
      checkCustomBounds(this.customValues, this.positiveSpans, this.positiveBuckets.length)
      if (this.zeroCount !== 0) throw new HistogramError('custom_buckets_zero_count')
      if (this.zeroThreshold !== 0) throw new HistogramError('custom_buckets_zero_threshold')
      if (this.negativeSpans.length > 0) throw new HistogramError('custom_buckets_negative_spans')
      if (this.negativeBuckets.length > 0) throw new HistogramError('custom_buckets_negative_buckets')
    } else if (isExponentialSchema(this.schema)) {
      checkSpans(this.positiveSpans, this.positiveBuckets.length, 'positive side: ')
      checkSpans(this.negativeSpans, this.negativeBuckets.length, 'negative side: ')
      nCount = sumDeltas(this.negativeBuckets, 'negative side: ')
      if (this.customValues !== null) throw new HistogramError('exponential_schema_custom_bounds')
    } else throw invalidSchemaError(this.schema)
    const pCount = sumDeltas(this.positiveBuckets, 'positive side: ')
    const inBuckets = nCount + pCount + this.zeroCount
    if (Number.isNaN(this.sum)) {
      if (inBuckets > this.count) {
        throw new HistogramError('count_not_big_enough', `${inBuckets} observations found in buckets, but the Count field is ${this.count}: `)
      }
    } else if (inBuckets !== this.count) {
      throw new HistogramError('count_mismatch', `${inBuckets} observations found in buckets, but the Count field is ${this.count}: `)
    }
  }
}

function copyInto(from: Float64Array, to: Float64Array): Float64Array {
  if (from.length === 0) return EMPTY_BUCKETS
  const out = to.length === from.length && to !== EMPTY_BUCKETS ? to : newBuckets(from.length)
  out.set(from)
  return out
}

function prefixSums(deltas: Float64Array, to: Float64Array): Float64Array {
  if (deltas.length === 0) return EMPTY_BUCKETS
  const out = to.length === deltas.length && to !== EMPTY_BUCKETS ? to : newBuckets(deltas.length)
  let cur = 0
  for (let i = 0; i < deltas.length; i++) {
    cur += deltas[i]!
    out[i] = cur
  }
  return out
}

function sumDeltas(b: Float64Array, prefix: string): number {
  let last = 0
  let total = 0
  for (let i = 0; i < b.length; i++) {
    const c = last + b[i]!
    if (c < 0) throw new HistogramError('negative_bucket_count', `${prefix}bucket number ${i + 1} has observation count of ${c}: `)
    last = c
    total += c
  }
  return total
}
