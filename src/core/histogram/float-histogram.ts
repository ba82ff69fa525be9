/**
 * FloatHistogram: a native histogram with float counts and absolute bucket counts, the form
 * PromQL computes with (prometheus/model/histogram/float_histogram.go). Arithmetic changes
 * the receiver, as Prometheus's methods do; results equal Prometheus's, bit for bit and in
 * span structure.
 *
 * Span arrays and custom values are shared, never written in place (see layout.ts); bucket
 * arrays belong to the histogram.
 */
import {bucketBound} from './bounds.js'
import {ForwardBucketIterator} from './buckets.js'
import {
  addCustomSidesMismatched,
  addSides,
  compactSide,
  EMPTY_BUCKETS,
  EMPTY_SPANS,
  newBuckets,
  intersectCustomBounds,
  reduceSideResolution,
  spanBucketCount,
  spansMatch,
} from './layout.js'
import {
  CounterResetHint,
  customBoundsMatch,
  HistogramError,
  invalidSchemaError,
  isCustomBucketsSchema,
  isExponentialSchema,
} from './schema.js'
import {checkCustomBounds, checkSpans, sameBits, sameBucketBits} from './validate.js'
import {kahanAddSides, kahanCompactSide, kahanReduceSide, kahanStep, kahanStepOut} from './kahan-layout.js'

/** Bit of add()/sub()'s result: one operand had CounterReset, the other NotCounterReset. */
export const COUNTER_RESET_COLLISION = 1
/** Bit of add()/sub()'s result: custom bounds differed and were reduced to their intersection. */
export const NHCB_BOUNDS_RECONCILED = 2

export interface FloatHistogramInit {
  counterResetHint?: CounterResetHint
  schema?: number
  zeroThreshold?: number
  zeroCount?: number
  count?: number
  sum?: number
  positiveSpans?: ArrayLike<number>
  negativeSpans?: ArrayLike<number>
  positiveBuckets?: ArrayLike<number>
  negativeBuckets?: ArrayLike<number>
  customValues?: ArrayLike<number> | null
}

const scratchA = new ForwardBucketIterator()
const scratchB = new ForwardBucketIterator()

export class FloatHistogram {
  counterResetHint: CounterResetHint = CounterResetHint.Unknown
  /** -4..8 for exponential buckets, -53 for custom buckets. */
  schema = 0
  /** Half-width of the zero bucket [-zeroThreshold, zeroThreshold]. */
  zeroThreshold = 0
  zeroCount = 0
  /** Number of observations, NaN observations included. */
  count = 0
  /** Sum of observations; the stale marker is a StaleNaN sum. */
  sum = 0
  /** (offset, length) pairs, see layout.ts. */
  positiveSpans: Int32Array = EMPTY_SPANS
  negativeSpans: Int32Array = EMPTY_SPANS
  /** Absolute counts. */
  positiveBuckets: Float64Array = EMPTY_BUCKETS
  negativeBuckets: Float64Array = EMPTY_BUCKETS
  /** Upper bounds of the custom buckets (without +Inf), only for schema -53; shared, immutable. */
  customValues: Float64Array | null = null

  /** Convenience for tests and literals: a histogram from plain fields. */
  static of(init: FloatHistogramInit): FloatHistogram {
    const h = new FloatHistogram()
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

  /** A deep copy (bucket arrays copied; spans and custom values shared, being immutable). */
  copy(): FloatHistogram {
    return this.copyTo(new FloatHistogram())
  }

  /** Copies into `to`, reusing its bucket arrays when they have the right length. */
  copyTo(to: FloatHistogram): FloatHistogram {
    to.counterResetHint = this.counterResetHint
    to.schema = this.schema
    to.count = this.count
    to.sum = this.sum
    to.positiveSpans = this.positiveSpans
    to.positiveBuckets = copyBuckets(this.positiveBuckets, to.positiveBuckets)
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
      to.negativeBuckets = copyBuckets(this.negativeBuckets, to.negativeBuckets)
      to.customValues = null
    }
    return to
  }

  /**
   * A copy in the lower-resolution `targetSchema` (≤ schema; exponential only). As Prometheus,
   * the copy's counter reset hint is Unknown unless the schema is unchanged.
   */
  copyToSchema(targetSchema: number): FloatHistogram {
    if (targetSchema === this.schema) return this.copy()
    if (this.usesCustomBuckets()) throw new Error(`cannot reduce resolution to ${targetSchema} when there are custom buckets`)
    if (isCustomBucketsSchema(targetSchema)) throw new Error('cannot reduce resolution to custom buckets schema')
    if (targetSchema > this.schema) throw new Error(`cannot copy from schema ${this.schema} to ${targetSchema}`)
    const c = new FloatHistogram()
    c.schema = targetSchema
    c.zeroThreshold = this.zeroThreshold
    c.zeroCount = this.zeroCount
    c.count = this.count
    c.sum = this.sum
    const p = reduceSideResolution(this.positiveSpans, this.positiveBuckets, this.schema, targetSchema, false)
    const n = reduceSideResolution(this.negativeSpans, this.negativeBuckets, this.schema, targetSchema, false)
    c.positiveSpans = p.spans
    c.positiveBuckets = p.buckets
    c.negativeSpans = n.spans
    c.negativeBuckets = n.buckets
    return c
  }

  /** Reduces the resolution in place to `targetSchema` (< schema). */
  reduceResolution(targetSchema: number): void {
    if (this.usesCustomBuckets()) throw new Error('cannot reduce resolution when there are custom buckets')
    if (isCustomBucketsSchema(targetSchema)) throw new Error('cannot reduce resolution to custom buckets schema')
    if (targetSchema >= this.schema) throw new Error(`cannot reduce resolution from schema ${this.schema} to ${targetSchema}`)
    const p = reduceSideResolution(this.positiveSpans, this.positiveBuckets, this.schema, targetSchema, false)
    const n = reduceSideResolution(this.negativeSpans, this.negativeBuckets, this.schema, targetSchema, false)
    this.positiveSpans = p.spans
    this.positiveBuckets = p.buckets
    this.negativeSpans = n.spans
    this.negativeBuckets = n.buckets
    this.schema = targetSchema
  }

  /** Scales counts, zero count, sum and buckets; a negative factor makes it a gauge. */
  mul(factor: number): this {
    this.zeroCount *= factor
    this.count *= factor
    this.sum *= factor
    scale(this.positiveBuckets, factor)
    scale(this.negativeBuckets, factor)
    if (factor < 0) this.counterResetHint = CounterResetHint.Gauge
    return this
  }

  /** Divides as mul multiplies. Division by 0 removes all buckets (counts become ±Inf or NaN). */
  div(scalar: number): this {
    this.zeroCount /= scalar
    this.count /= scalar
    this.sum /= scalar
    if (scalar === 0) {
      this.positiveSpans = EMPTY_SPANS
      this.negativeSpans = EMPTY_SPANS
      this.positiveBuckets = EMPTY_BUCKETS
      this.negativeBuckets = EMPTY_BUCKETS
      return this
    }
    const p = this.positiveBuckets
    for (let i = 0; i < p.length; i++) p[i]! /= scalar
    const n = this.negativeBuckets
    for (let i = 0; i < n.length; i++) n[i]! /= scalar
    if (scalar < 0) this.counterResetHint = CounterResetHint.Gauge
    return this
  }

  /**
   * Adds `other` into this histogram (Prometheus's FloatHistogram.Add): the lower schema and
   * the larger zero threshold win; custom bounds that differ are reduced to their
   * intersection. Returns COUNTER_RESET_COLLISION and NHCB_BOUNDS_RECONCILED bits. Throws
   * HistogramError('incompatible_schema') for exponential + custom buckets. The result may
   * hold empty buckets and adjacent spans: compact() normalises it.
   */
  add(other: FloatHistogram): number {
    return this.addOrSub(other, false)
  }

  /**
   * Subtracts `other` as add() adds it, with the same counter-reset hint merge (PromQL's `-`
   * then makes the result a gauge).
   */
  sub(other: FloatHistogram): number {
    return this.addOrSub(other, true)
  }

  /**
   * A compensation histogram for kahanAdd (Prometheus's newCompensationHistogram): this
   * histogram's hint, schema, zero threshold, spans and custom bounds, all counts 0.
   */
  compensation(): FloatHistogram {
    const c = new FloatHistogram()
    c.counterResetHint = this.counterResetHint
    c.schema = this.schema
    c.zeroThreshold = this.zeroThreshold
    c.customValues = this.customValues
    c.positiveSpans = this.positiveSpans
    c.negativeSpans = this.negativeSpans
    c.positiveBuckets = this.positiveBuckets.length === 0 ? EMPTY_BUCKETS : newBuckets(this.positiveBuckets.length)
    if (!this.usesCustomBuckets()) c.negativeBuckets = this.negativeBuckets.length === 0 ? EMPTY_BUCKETS : newBuckets(this.negativeBuckets.length)
    return c
  }

  /**
   * add() with Kahan-Neumaier compensation (Prometheus's FloatHistogram.KahanAdd): `c` holds
   * the compensation of every count, the sum and every bucket, in this histogram's layout (from
   * compensation() before the first call, then passed to each further one); it follows every
   * change of layout. The compensated result is this histogram plus `c`, added at the end with
   * add(). Same flags and errors as add().
   */
  kahanAdd(other: FloatHistogram, c: FloatHistogram): number {
    if (this.usesCustomBuckets() !== other.usesCustomBuckets()) throw new HistogramError('incompatible_schema')
    let flags = this.adjustCounterReset(other) ? COUNTER_RESET_COLLISION : 0
    if (!this.usesCustomBuckets()) {
      const otherZeroCount = this.reconcileZeroBuckets(other, c)
      const otherCompZeroCount = otherZeroCompOut
      this.zeroCount = kahanStep(otherZeroCount, this.zeroCount, c.zeroCount)
      c.zeroCount = kahanStepOut.c
      this.zeroCount = kahanStep(otherCompZeroCount, this.zeroCount, c.zeroCount)
      c.zeroCount = kahanStepOut.c
    }
    this.count = kahanStep(other.count, this.count, c.count)
    c.count = kahanStepOut.c
    this.sum = kahanStep(other.sum, this.sum, c.sum)
    c.sum = kahanStepOut.c
    if (this.usesCustomBuckets()) {
      if (customBoundsMatch(this.customValues, other.customValues)) {
        const p = kahanAddSides(this.schema, this.zeroThreshold, this.positiveSpans, this.positiveBuckets, c.positiveBuckets, other.positiveSpans, other.positiveBuckets, null)
        this.positiveSpans = p.spans
        this.positiveBuckets = p.buckets
        c.positiveBuckets = p.comp
      } else {
        flags |= NHCB_BOUNDS_RECONCILED
        const bounds = intersectCustomBounds(this.customValues, other.customValues)
        const p = addCustomSidesMismatched(false, this.positiveSpans, this.positiveBuckets, this.customValues, other.positiveSpans, other.positiveBuckets, other.customValues, bounds, c.positiveBuckets)
        this.positiveSpans = p.spans
        this.positiveBuckets = p.buckets
        c.positiveBuckets = p.comp
        this.customValues = bounds
        c.customValues = bounds
      }
      c.positiveSpans = this.positiveSpans
      return flags
    }
    let hPosSpans = this.positiveSpans
    let hPos = this.positiveBuckets
    let cPos = c.positiveBuckets
    let hNegSpans = this.negativeSpans
    let hNeg = this.negativeBuckets
    let cNeg = c.negativeBuckets
    let oPosSpans = other.positiveSpans
    let oPos = other.positiveBuckets
    let oCPos: Float64Array | null = null
    let oNegSpans = other.negativeSpans
    let oNeg = other.negativeBuckets
    let oCNeg: Float64Array | null = null
    if (other.schema < this.schema) {
      const p = kahanReduceSide(hPosSpans, hPos, cPos, this.schema, other.schema)
      const n = kahanReduceSide(hNegSpans, hNeg, cNeg, this.schema, other.schema)
      ;({spans: hPosSpans, buckets: hPos, comp: cPos} = p)
      ;({spans: hNegSpans, buckets: hNeg, comp: cNeg} = n)
      this.schema = other.schema
    } else if (other.schema > this.schema) {
      // other's merged buckets get a compensation of their own
      if (oPos.length > 0) ({spans: oPosSpans, buckets: oPos, comp: oCPos} = kahanReduceSide(oPosSpans, oPos, newBuckets(oPos.length), other.schema, this.schema))
      if (oNeg.length > 0) ({spans: oNegSpans, buckets: oNeg, comp: oCNeg} = kahanReduceSide(oNegSpans, oNeg, newBuckets(oNeg.length), other.schema, this.schema))
    }
    const p = kahanAddSides(this.schema, this.zeroThreshold, hPosSpans, hPos, cPos, oPosSpans, oPos, oCPos)
    const n = kahanAddSides(this.schema, this.zeroThreshold, hNegSpans, hNeg, cNeg, oNegSpans, oNeg, oCNeg)
    this.positiveSpans = p.spans
    this.positiveBuckets = p.buckets
    this.negativeSpans = n.spans
    this.negativeBuckets = n.buckets
    c.positiveBuckets = p.comp
    c.negativeBuckets = n.comp
    c.schema = this.schema
    c.zeroThreshold = this.zeroThreshold
    c.positiveSpans = this.positiveSpans
    c.negativeSpans = this.negativeSpans
    return flags
  }

  /** Whether a count, the sum, a bucket or a custom bound is ±Inf (Prometheus's HasOverflow). */
  hasOverflow(): boolean {
    if (isInf(this.zeroCount) || isInf(this.count) || isInf(this.sum)) return true
    for (const b of [this.positiveBuckets, this.negativeBuckets, this.customValues]) {
      if (b === null) continue
      for (let i = 0; i < b.length; i++) if (isInf(b[i]!)) return true
    }
    return false
  }

  private addOrSub(other: FloatHistogram, negate: boolean): number {
    if (this.usesCustomBuckets() !== other.usesCustomBuckets()) throw new HistogramError('incompatible_schema')
    let flags = this.adjustCounterReset(other) ? COUNTER_RESET_COLLISION : 0
    if (!this.usesCustomBuckets()) {
      const otherZeroCount = this.reconcileZeroBuckets(other)
      this.zeroCount = negate ? this.zeroCount - otherZeroCount : this.zeroCount + otherZeroCount
    }
    if (negate) {
      this.count -= other.count
      this.sum -= other.sum
    } else {
      this.count += other.count
      this.sum += other.sum
    }
    if (this.usesCustomBuckets()) {
      if (customBoundsMatch(this.customValues, other.customValues)) {
        const p = addSides(this.schema, this.zeroThreshold, negate, this.positiveSpans, this.positiveBuckets, other.positiveSpans, other.positiveBuckets)
        this.positiveSpans = p.spans
        this.positiveBuckets = p.buckets
      } else {
        flags |= NHCB_BOUNDS_RECONCILED
        const bounds = intersectCustomBounds(this.customValues, other.customValues)
        const p = addCustomSidesMismatched(
          negate,
          this.positiveSpans,
          this.positiveBuckets,
          this.customValues,
          other.positiveSpans,
          other.positiveBuckets,
          other.customValues,
          bounds,
        )
        this.positiveSpans = p.spans
        this.positiveBuckets = p.buckets
        this.customValues = bounds
      }
      return flags
    }
    let oPosSpans = other.positiveSpans
    let oPos = other.positiveBuckets
    let oNegSpans = other.negativeSpans
    let oNeg = other.negativeBuckets
    if (other.schema < this.schema) {
      this.reduceResolution(other.schema)
    } else if (other.schema > this.schema) {
      const p = reduceSideResolution(oPosSpans, oPos, other.schema, this.schema, false)
      const n = reduceSideResolution(oNegSpans, oNeg, other.schema, this.schema, false)
      oPosSpans = p.spans
      oPos = p.buckets
      oNegSpans = n.spans
      oNeg = n.buckets
    }
    const p = addSides(this.schema, this.zeroThreshold, negate, this.positiveSpans, this.positiveBuckets, oPosSpans, oPos)
    const n = addSides(this.schema, this.zeroThreshold, negate, this.negativeSpans, this.negativeBuckets, oNegSpans, oNeg)
    this.positiveSpans = p.spans
    this.positiveBuckets = p.buckets
    this.negativeSpans = n.spans
    this.negativeBuckets = n.buckets
    return flags
  }

  /**
   * The counter reset hint of a sum or difference (Prometheus's adjustCounterReset): equal
   * hints stay, a gauge makes a gauge, Unknown wins over the rest, and CounterReset against
   * NotCounterReset gives Unknown and reports a collision (true).
   */
  private adjustCounterReset(other: FloatHistogram): boolean {
    const a = this.counterResetHint
    const b = other.counterResetHint
    if (a === b || a === CounterResetHint.Gauge) return false
    if (b === CounterResetHint.Gauge) {
      this.counterResetHint = CounterResetHint.Gauge
      return false
    }
    if (a === CounterResetHint.Unknown) return false
    this.counterResetHint = CounterResetHint.Unknown
    return b !== CounterResetHint.Unknown
  }

  /**
   * Makes both zero buckets wide enough for either histogram (Prometheus's
   * reconcileZeroBuckets): the larger threshold wins, raised further to a bucket boundary
   * where it would cut a populated bucket. This histogram is changed (buckets inside its new
   * zero bucket are folded in and removed, and then it is compacted); returns the zero count
   * `other` would have with the common threshold, and leaves the compensation of that sum in
   * otherZeroCompOut. With `c` (kahanAdd) this histogram's compensation follows: its bucket
   * compensations go into its zero count's.
   */
  private reconcileZeroBuckets(other: FloatHistogram, c?: FloatHistogram): number {
    let otherZeroCount = other.zeroCount
    let otherComp = 0
    let otherThreshold = other.zeroThreshold
    while (otherThreshold !== this.zeroThreshold) {
      if (this.zeroThreshold > otherThreshold) {
        otherZeroCount = other.zeroCountForLargerThreshold(this.zeroThreshold)
        otherThreshold = thresholdOut
        otherComp = zeroCompOut
      }
      if (otherThreshold > this.zeroThreshold) {
        this.zeroCount = this.zeroCountForLargerThreshold(otherThreshold, c)
        this.zeroThreshold = thresholdOut
        if (c) c.zeroCount = zeroCompOut
        this.trimBucketsInZeroBucket(c)
      }
    }
    otherZeroCompOut = otherComp
    return otherZeroCount
  }

  /**
   * The zero count this histogram would have with the larger threshold `larger`. When that
   * threshold falls inside a populated bucket it is raised to the bucket's far boundary; the
   * threshold used is left in `thresholdOut`. The buckets are summed in compensated steps, the
   * compensation left in `zeroCompOut`: starting from c's zero count, with c's compensation of
   * each bucket after it when `c` is given. (As Prometheus, a restart after a raise on the
   * negative side starts the count over but not the compensation.)
   */
  private zeroCountForLargerThreshold(larger: number, c?: FloatHistogram): number {
    let comp = c ? c.zeroCount : 0
    if (larger === this.zeroThreshold) {
      thresholdOut = larger
      zeroCompOut = comp
      return this.zeroCount
    }
    if (larger < this.zeroThreshold) throw new Error(`new threshold ${larger} is less than old threshold ${this.zeroThreshold}`)
    outer: for (;;) {
      let zeroCount = this.zeroCount
      // Positive buckets from zero up, then negative ones from zero down, as Prometheus sums them.
      for (const side of SIDES) {
        const it = scratchA.init(this, side === 1)
        const cb = c ? (side === 1 ? c.positiveBuckets : c.negativeBuckets) : undefined
        let pos = 0
        while (it.next()) {
          const lowerAbs = bucketBound(it.index - 1, this.schema, null)
          if (lowerAbs >= larger) break
          zeroCount = kahanStep(it.count, zeroCount, comp)
          comp = kahanStepOut.c
          if (cb) {
            zeroCount = kahanStep(cb[pos]!, zeroCount, comp)
            comp = kahanStepOut.c
          }
          pos++
          const upperAbs = bucketBound(it.index, this.schema, null)
          if (upperAbs > larger) {
            if (it.count !== 0) {
              larger = upperAbs
              // A raise on the negative side invalidates the positive side: start over.
              if (side === 0) continue outer
            }
            break
          }
        }
      }
      thresholdOut = larger
      zeroCompOut = comp
      return zeroCount
    }
  }

  /**
   * Empties the buckets inside the zero bucket (their counts are in the zero count already),
   * then compacts; with `c`, its compensations of those buckets too, and both are compacted
   * together (a bucket stays while its count or its compensation is not 0).
   */
  private trimBucketsInZeroBucket(c?: FloatHistogram): void {
    const zt = this.zeroThreshold
    for (const side of SIDES) {
      const buckets = side === 1 ? this.positiveBuckets : this.negativeBuckets
      const cb = c ? (side === 1 ? c.positiveBuckets : c.negativeBuckets) : undefined
      const it = scratchA.init(this, side === 1)
      let i = 0
      while (it.next()) {
        if (bucketBound(it.index - 1, this.schema, null) >= zt) break
        if (cb) cb[i] = 0
        buckets[i++] = 0
      }
    }
    if (!c) {
      this.compact(0)
      return
    }
    const p = kahanCompactSide(this.positiveSpans, this.positiveBuckets, c.positiveBuckets)
    const n = kahanCompactSide(this.negativeSpans, this.negativeBuckets, c.negativeBuckets)
    this.positiveSpans = p.spans
    this.positiveBuckets = p.buckets
    c.positiveBuckets = p.comp
    this.negativeSpans = n.spans
    this.negativeBuckets = n.buckets
    c.negativeBuckets = n.comp
  }

  /** Compaction as Prometheus's Compact(maxEmptyBuckets); PromQL results are compact(0)ed. */
  compact(maxEmptyBuckets: number): this {
    const p = compactSide(this.positiveSpans, this.positiveBuckets, maxEmptyBuckets, false)
    const n = compactSide(this.negativeSpans, this.negativeBuckets, maxEmptyBuckets, false)
    this.positiveSpans = p.spans
    this.positiveBuckets = p.buckets
    this.negativeSpans = n.spans
    this.negativeBuckets = n.buckets
    return this
  }

  /**
   * Whether this histogram follows a counter reset after `previous` (Prometheus's
   * DetectReset): the hint decides when it is CounterReset or NotCounterReset; otherwise
   * (Unknown, and Gauge, which PromQL's counter functions treat as a counter) a reset is any
   * decrease of the count, the zero count or a bucket (compared in the lower of the two
   * schemas and the current zero threshold), a vanished populated bucket, an increase of the
   * schema, a decrease of the zero threshold, or a change between exponential and custom
   * buckets. The sum is never looked at.
   */
  detectReset(previous: FloatHistogram): boolean {
    if (this.counterResetHint === CounterResetHint.CounterReset) return true
    if (this.counterResetHint === CounterResetHint.NotCounterReset) return false
    if (this.count < previous.count) return true
    if (this.usesCustomBuckets()) {
      if (!previous.usesCustomBuckets()) return true
      if (!customBoundsMatch(this.customValues, previous.customValues)) return this.detectResetWithMismatchedBounds(previous)
    }
    if (this.schema > previous.schema) return true
    if (this.zeroThreshold < previous.zeroThreshold) return true
    const previousZeroCount = previous.zeroCountForLargerThreshold(this.zeroThreshold)
    if (thresholdOut !== this.zeroThreshold) return true
    if (this.zeroCount < previousZeroCount) return true
    for (const side of SIDES) {
      const curr = scratchA.init(this, side === 1, this.zeroThreshold, this.schema)
      const prev = scratchB.init(previous, side === 1, this.zeroThreshold, this.schema)
      if (bucketsDecreased(curr, prev)) return true
    }
    return false
  }

  /**
   * detectReset for custom buckets with different bounds: counts are rolled up to each bound
   * both histograms share (and +Inf), and any decrease there is a reset.
   */
  private detectResetWithMismatchedBounds(previous: FloatHistogram): boolean {
    const cb = this.customValues ?? EMPTY_BUCKETS
    const pb = previous.customValues ?? EMPTY_BUCKETS
    const curr = scratchA.init(this, true)
    const prev = scratchB.init(previous, true)
    let currHas = curr.next()
    let prevHas = prev.next()
    if (currHas) curr.bounds()
    if (prevHas) prev.bounds()
    let ci = 0
    let pi = 0
    while (ci <= cb.length && pi <= pb.length) {
      const c = ci < cb.length ? cb[ci]! : Infinity
      const p = pi < pb.length ? pb[pi]! : Infinity
      if (c === p) {
        let currSum = 0
        while (currHas && curr.upper <= c) {
          currSum += curr.count
          currHas = curr.next()
          if (currHas) curr.bounds()
        }
        let prevSum = 0
        while (prevHas && prev.upper <= c) {
          prevSum += prev.count
          prevHas = prev.next()
          if (prevHas) prev.bounds()
        }
        if (currSum < prevSum) return true
        ci++
        pi++
      } else if (c < p) ci++
      else pi++
    }
    return false
  }

  /**
   * Exact equality as Prometheus's Equals: schema, zero threshold, custom bounds and layout
   * (zero-length spans aside), and the bits of count, sum, zero count and every bucket. The
   * counter reset hint is not compared.
   */
  equals(o: FloatHistogram): boolean {
    if (this.schema !== o.schema || !sameBits(this.count, o.count) || !sameBits(this.sum, o.sum)) return false
    if (this.usesCustomBuckets() && !customBoundsMatch(this.customValues, o.customValues)) return false
    if (this.zeroThreshold !== o.zeroThreshold || !sameBits(this.zeroCount, o.zeroCount)) return false
    if (!spansMatch(this.negativeSpans, o.negativeSpans) || !sameBucketBits(this.negativeBuckets, o.negativeBuckets)) return false
    return spansMatch(this.positiveSpans, o.positiveSpans) && sameBucketBits(this.positiveBuckets, o.positiveBuckets)
  }

  /**
   * Checks the histogram as Prometheus's FloatHistogram.Validate (throws HistogramError):
   * spans against buckets, no negative counts, custom-bucket rules. The count is not checked
   * against the buckets (float rounding would give false alarms).
   */
  validate(): void {
    if (isCustomBucketsSchema(this.schema)) {
      checkCustomBounds(this.customValues, this.positiveSpans, this.positiveBuckets.length)
      if (this.zeroCount !== 0) throw new HistogramError('custom_buckets_zero_count')
      if (this.zeroThreshold !== 0) throw new HistogramError('custom_buckets_zero_threshold')
      if (this.negativeSpans.length > 0) throw new HistogramError('custom_buckets_negative_spans')
      if (this.negativeBuckets.length > 0) throw new HistogramError('custom_buckets_negative_buckets')
    } else if (isExponentialSchema(this.schema)) {
      checkSpans(this.positiveSpans, this.positiveBuckets.length, 'positive side: ')
      checkSpans(this.negativeSpans, this.negativeBuckets.length, 'negative side: ')
      checkNonNegative(this.negativeBuckets, 'negative side: ')
      if (this.zeroCount < 0) throw new HistogramError('negative_bucket_count', `zero bucket has observation count of ${this.zeroCount}: `)
      if (this.customValues !== null) throw new HistogramError('exponential_schema_custom_bounds')
    } else throw invalidSchemaError(this.schema)
    if (this.count < 0) throw new HistogramError('negative_count', `observation count is  ${this.count}: `)
    checkNonNegative(this.positiveBuckets, 'positive side: ')
  }

  /** Number of buckets the layout describes (both sides). */
  bucketCount(): number {
    return spanBucketCount(this.positiveSpans) + spanBucketCount(this.negativeSpans)
  }
}

/** 1 = positive side, 0 = negative side, in the order Prometheus visits them. */
const SIDES = [1, 0] as const

/** Second result of zeroCountForLargerThreshold (synchronous, so one module-level slot). */
let thresholdOut = 0
/** Third result of zeroCountForLargerThreshold: the compensation of the zero count. */
let zeroCompOut = 0
/** Second result of reconcileZeroBuckets: the compensation of other's zero count. */
let otherZeroCompOut = 0

function isInf(v: number): boolean {
  return v === Infinity || v === -Infinity
}

function scale(b: Float64Array, f: number): void {
  for (let i = 0; i < b.length; i++) b[i]! *= f
}

function copyBuckets(from: Float64Array, to: Float64Array): Float64Array {
  if (from.length === 0) return EMPTY_BUCKETS
  const out = to.length === from.length && to !== EMPTY_BUCKETS ? to : newBuckets(from.length)
  out.set(from)
  return out
}

function checkNonNegative(b: Float64Array, prefix: string): void {
  for (let i = 0; i < b.length; i++) {
    if (b[i]! < 0) throw new HistogramError('negative_bucket_count', `${prefix}bucket number ${i + 1} has observation count of ${b[i]}: `)
  }
}

/** Whether any bucket of prev is larger in curr's iteration, or populated and missing in curr (Prometheus's detectReset). */
function bucketsDecreased(curr: ForwardBucketIterator, prev: ForwardBucketIterator): boolean {
  if (!prev.next()) return false
  if (!curr.next()) {
    do if (prev.count !== 0) return true
    while (prev.next())
    return false
  }
  for (;;) {
    while (curr.index < prev.index) {
      if (!curr.next()) {
        do if (prev.count !== 0) return true
        while (prev.next())
        return false
      }
    }
    if (curr.index > prev.index) {
      if (prev.count !== 0) return true
    } else if (curr.count < prev.count) return true
    if (!prev.next()) return false
  }
}
