/**
 * Bucket iterators over a FloatHistogram, as Prometheus's (prometheus/model/histogram/
 * float_histogram.go floatBucketIterator, reverseFloatBucketIterator, allFloatBucketIterator;
 * generic.go baseBucketIterator.at for bounds and inclusiveness). Each is one reusable object:
 * init() then next() until false, reading the current bucket from its fields. No allocation
 * per bucket.
 */
import {bucketBound, exponentialBound, targetIndex} from './bounds.js'
import {isCustomBucketsSchema, isExponentialSchema} from './schema.js'

/** The parts of a histogram the iterators read. */
export interface BucketSource {
  schema: number
  zeroThreshold: number
  zeroCount: number
  positiveSpans: Int32Array
  negativeSpans: Int32Array
  positiveBuckets: Float64Array
  negativeBuckets: Float64Array
  customValues: Float64Array | null
}

/** Current bucket of an iterator. */
export class Bucket {
  lower = 0
  upper = 0
  lowerInclusive = false
  upperInclusive = false
  count = 0
  /** Index within the schema; meaningless for the zero bucket. */
  index = 0

  /**
   * Bounds of bucket `index` of one side, as Prometheus computes them: positive buckets
   * (lower, upper], negative ones [lower, upper); for custom buckets every bucket includes its
   * upper bound and bucket 0 also its lower bound (-Inf).
   */
  setBounds(schema: number, positive: boolean, customValues: Float64Array | null): void {
    const idx = this.index
    if (positive) {
      this.upper = bucketBound(idx, schema, customValues)
      this.lower = bucketBound(idx - 1, schema, customValues)
    } else {
      this.lower = -bucketBound(idx, schema, customValues)
      this.upper = -bucketBound(idx - 1, schema, customValues)
    }
    if (isCustomBucketsSchema(schema)) {
      this.lowerInclusive = idx === 0
      this.upperInclusive = true
    } else {
      this.lowerInclusive = this.lower < 0
      this.upperInclusive = this.upper > 0
    }
  }
}

/**
 * Buckets of one side in ascending index order (away from zero), optionally merged into a
 * lower-resolution `targetSchema` and, for exponential schemas, skipping buckets whose upper
 * bound (by absolute value) is at most `absoluteStartValue`. `next()` sets index and count;
 * call `bounds()` when the bounds are needed too (they cost a table look-up each).
 */
export class ForwardBucketIterator extends Bucket {
  private spans: Int32Array = new Int32Array(0)
  private buckets: Float64Array = new Float64Array(0)
  private customValues: Float64Array | null = null
  private schema = 0
  private targetSchema = 0
  private positive = true
  private absoluteStartValue = 0
  private reachedStart = true
  private k = 0 // span position in spans (pairs)
  private j = 0 // position within that span
  private i = 0 // bucket position
  private idx = 0 // origin index of the next bucket

  init(h: BucketSource, positive: boolean, absoluteStartValue = 0, targetSchema = h.schema): this {
    if (targetSchema !== h.schema) {
      if (isCustomBucketsSchema(h.schema)) throw new Error('cannot merge from custom buckets schema to exponential schema')
      if (isCustomBucketsSchema(targetSchema)) throw new Error('cannot merge from exponential buckets schema to custom schema')
      if (targetSchema > h.schema) throw new Error(`cannot merge from schema ${h.schema} to ${targetSchema}`)
    }
    this.spans = positive ? h.positiveSpans : h.negativeSpans
    this.buckets = positive ? h.positiveBuckets : h.negativeBuckets
    this.customValues = positive ? h.customValues : null
    this.schema = h.schema
    this.targetSchema = targetSchema
    this.positive = positive
    this.absoluteStartValue = absoluteStartValue
    this.reachedStart = absoluteStartValue === 0
    this.k = 0
    this.j = 0
    this.i = 0
    this.idx = this.spans.length > 0 ? this.spans[0]! : 0
    return this
  }

  /** Moves to the next origin bucket position; false when there is none. */
  private advanceToBucket(): boolean {
    const spans = this.spans
    while (this.k < spans.length && this.j >= spans[this.k + 1]!) {
      this.k += 2
      this.j = 0
      if (this.k < spans.length) this.idx += spans[this.k]!
    }
    return this.k < spans.length && this.i < this.buckets.length
  }

  next(): boolean {
    for (;;) {
      if (!this.advanceToBucket()) return false
      if (this.schema === this.targetSchema) {
        this.index = this.idx
        this.count = this.buckets[this.i]!
        this.step()
      } else {
        this.index = targetIndex(this.idx, this.schema, this.targetSchema)
        this.count = 0
        do {
          this.count += this.buckets[this.i]!
          this.step()
        } while (this.advanceToBucket() && targetIndex(this.idx, this.schema, this.targetSchema) === this.index)
      }
      if (!this.reachedStart && isExponentialSchema(this.targetSchema) && exponentialBound(this.index, this.targetSchema) <= this.absoluteStartValue) continue
      this.reachedStart = true
      return true
    }
  }

  private step(): void {
    this.i++
    this.j++
    this.idx++
  }

  /** Sets lower, upper and the inclusiveness of the current bucket (in the target schema). */
  bounds(): this {
    this.setBounds(this.targetSchema, this.positive, this.customValues)
    return this
  }
}

/** Buckets of one side from the highest index down (towards zero), with bounds. */
export class ReverseBucketIterator extends Bucket {
  private spans: Int32Array = new Int32Array(0)
  private buckets: Float64Array = new Float64Array(0)
  private customValues: Float64Array | null = null
  private schema = 0
  private positive = true
  private k = 0
  private j = 0 // remaining buckets of span k not yet returned
  private i = 0
  private idx = 0 // index of the bucket above the next one to return

  init(h: BucketSource, positive: boolean): this {
    this.spans = positive ? h.positiveSpans : h.negativeSpans
    this.buckets = positive ? h.positiveBuckets : h.negativeBuckets
    this.customValues = positive ? h.customValues : null
    this.schema = h.schema
    this.positive = positive
    this.k = this.spans.length - 2
    this.j = this.k >= 0 ? this.spans[this.k + 1]! : 0
    this.i = this.buckets.length - 1
    let end = 0
    for (let k = 0; k < this.spans.length; k += 2) end += this.spans[k]! + this.spans[k + 1]!
    this.idx = end
    return this
  }

  next(): boolean {
    if (this.i < 0) return false
    while (this.j <= 0) {
      if (this.k <= 0) return false
      this.idx -= this.spans[this.k]!
      this.k -= 2
      this.j = this.spans[this.k + 1]!
    }
    this.idx--
    this.j--
    this.index = this.idx
    this.count = this.buckets[this.i--]!
    this.setBounds(this.schema, this.positive, this.customValues)
    return true
  }
}

/**
 * Every bucket in ascending order of values: negative buckets from the most negative, the
 * zero bucket if its count is above 0, then positive buckets (Prometheus's AllBucketIterator,
 * the order of the HTTP API's JSON). Buckets overlapping the zero bucket are clipped to the
 * zero threshold.
 */
export class AllBucketIterator extends Bucket {
  private readonly neg = new ReverseBucketIterator()
  private readonly pos = new ForwardBucketIterator()
  private h: BucketSource | null = null
  private state = 0 // 0 negative, 1 zero bucket, 2 positive, 3 done

  init(h: BucketSource): this {
    this.h = h
    this.neg.init(h, false)
    this.pos.init(h, true)
    this.state = 0
    return this
  }

  next(): boolean {
    const h = this.h!
    const zt = h.zeroThreshold
    for (;;) {
      switch (this.state) {
        case 0:
          if (this.neg.next()) {
            this.take(this.neg)
            if (this.upper < 0 && this.upper > -zt) this.upper = -zt
            else if (this.lower > 0 && this.lower < zt) this.lower = zt
            return true
          }
          this.state = 1
          continue
        case 1:
          this.state = 2
          if (h.zeroCount > 0) {
            this.lower = -zt
            this.upper = zt
            this.lowerInclusive = true
            this.upperInclusive = true
            this.count = h.zeroCount
            this.index = 0
            return true
          }
          continue
        case 2:
          if (this.pos.next()) {
            this.take(this.pos.bounds())
            if (this.lower > 0 && this.lower < zt) this.lower = zt
            else if (this.upper < 0 && this.upper > -zt) this.upper = -zt
            return true
          }
          this.state = 3
          return false
        default:
          return false
      }
    }
  }

  private take(b: Bucket): void {
    this.lower = b.lower
    this.upper = b.upper
    this.lowerInclusive = b.lowerInclusive
    this.upperInclusive = b.upperInclusive
    this.count = b.count
    this.index = b.index
  }
}
