/**
 * Bucket layouts with a Kahan compensation array beside the buckets, for FloatHistogram's
 * kahanAdd (prometheus/model/histogram/float_histogram.go KahanAdd, kahanAddBuckets,
 * kahanReduceResolution, kahanCompact). The compensation array always has the layout of the
 * buckets it belongs to; a bucket is empty only when its count and its compensation are both 0.
 * Every step is Neumaier's, as util/kahansum.Inc.
 */
import {exponentialBound, targetIndex} from './bounds.js'
import {bucketIndices, EMPTY_BUCKETS, EMPTY_SPANS, kahanInc, newBuckets} from './layout.js'
import {isExponentialSchema} from './schema.js'

/** A side's layout, buckets and their compensation as these operations return them. */
export interface CompensatedSide {
  spans: Int32Array
  buckets: Float64Array
  comp: Float64Array
}

/** Second result of kahanStep (synchronous, so one module-level slot). */
export const kahanStepOut = {c: 0}

/**
 * One compensated step on scalars (util/kahansum.Inc): returns the new sum and leaves the new
 * compensation in kahanStepOut.c. An infinite sum resets the compensation; a NaN does not.
 */
export function kahanStep(inc: number, sum: number, c: number): number {
  const t = sum + inc
  if (t === Infinity || t === -Infinity) c = 0
  else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc
  else c += inc - t + sum
  kahanStepOut.c = c
  return t
}

/**
 * A's buckets plus B's with compensation (kahanAddBuckets): the layout rules are addSides'
 * (layout.ts), B's buckets at or below `threshold` are skipped for exponential schemas; a
 * bucket of B that A has is added in a compensated step, followed by B's compensation for it
 * when that is not 0; a bucket only B has is inserted with B's compensation (0 without compB).
 * A's arrays are updated in place when A's layout has all of B's buckets.
 */
export function kahanAddSides(
  schema: number,
  threshold: number,
  spansA: Int32Array,
  bucketsA: Float64Array,
  compA: Float64Array,
  spansB: Int32Array,
  bucketsB: Float64Array,
  compB: Float64Array | null,
): CompensatedSide {
  const nB = bucketsB.length
  if (nB === 0) return {spans: spansA, buckets: bucketsA, comp: compA}
  // the common case of one layout (series of one source): bucket by bucket, no index work,
  // unless B's first bucket is in the zero bucket (then the general path skips those)
  if (sameSpans(spansA, spansB) && nB === bucketsA.length && !(isExponentialSchema(schema) && exponentialBound(spansB[0]!, schema) <= threshold)) {
    for (let i = 0; i < nB; i++) {
      kahanInc(bucketsB[i]!, bucketsA, compA, i)
      const cb = compB === null ? 0 : compB[i]!
      if (cb !== 0) kahanInc(cb, bucketsA, compA, i)
    }
    return {spans: spansA, buckets: bucketsA, comp: compA}
  }
  const idxB = bucketIndices(spansB, nB)
  let first = 0
  if (isExponentialSchema(schema)) while (first < nB && exponentialBound(idxB[first]!, schema) <= threshold) first++
  if (first === nB) return {spans: spansA, buckets: bucketsA, comp: compA}

  // A's spans as absolute start indices and lengths.
  const nSpans = spansA.length >> 1
  const starts = new Array<number>(nSpans)
  const lens = new Array<number>(nSpans)
  let pos = 0
  for (let k = 0; k < nSpans; k++) {
    pos += spansA[2 * k]!
    starts[k] = pos
    lens[k] = spansA[2 * k + 1]!
    pos += lens[k]!
  }
  if (allInLayout(starts, lens, idxB, first)) {
    let k = 0
    let firstOfK = 0
    for (let b = first; b < nB; b++) {
      const idx = idxB[b]!
      while (starts[k]! + lens[k]! <= idx) firstOfK += lens[k++]!
      const i = firstOfK + idx - starts[k]!
      kahanInc(bucketsB[b]!, bucketsA, compA, i)
      const cb = compB === null ? 0 : compB[b]!
      if (cb !== 0) kahanInc(cb, bucketsA, compA, i)
    }
    return {spans: spansA, buckets: bucketsA, comp: compA}
  }

  const vals = Array.from(bucketsA)
  const comps = Array.from(compA)
  let k = 0 // the span containing the current index, or the one after its gap
  let firstOfK = 0 // position in vals of span k's first bucket
  for (let b = first; b < nB; b++) {
    const idx = idxB[b]!
    const v = bucketsB[b]!
    const cb = compB === null ? 0 : compB[b]!
    while (k < starts.length && starts[k]! + lens[k]! <= idx) {
      firstOfK += lens[k]!
      k++
    }
    if (k < starts.length && starts[k]! <= idx) {
      const i = firstOfK + idx - starts[k]!
      vals[i] = kahanStep(v, vals[i]!, comps[i]!)
      comps[i] = kahanStepOut.c
      if (cb !== 0) {
        vals[i] = kahanStep(cb, vals[i]!, comps[i]!)
        comps[i] = kahanStepOut.c
      }
      continue
    }
    if (k > 0 && starts[k - 1]! + lens[k - 1]! === idx) {
      // Right after the previous span: it grows.
      lens[k - 1]!++
      vals.splice(firstOfK, 0, v)
      comps.splice(firstOfK, 0, cb)
      firstOfK++
    } else if (k < starts.length && starts[k]! === idx + 1) {
      // Right before the next span: it grows backwards.
      starts[k]!--
      lens[k]!++
      vals.splice(firstOfK, 0, v)
      comps.splice(firstOfK, 0, cb)
    } else {
      starts.splice(k, 0, idx)
      lens.splice(k, 0, 1)
      vals.splice(firstOfK, 0, v)
      comps.splice(firstOfK, 0, cb)
    }
  }
  const outSpans = new Int32Array(starts.length * 2)
  let end = 0
  for (let i = 0; i < starts.length; i++) {
    outSpans[2 * i] = i === 0 ? starts[0]! : starts[i]! - end
    outSpans[2 * i + 1] = lens[i]!
    end = starts[i]! + lens[i]!
  }
  return {spans: outSpans, buckets: Float64Array.from(vals), comp: Float64Array.from(comps)}
}

/** Whether every bucket index of B from `first` on lies in one of A's spans. */
function allInLayout(starts: number[], lens: number[], idxB: Int32Array, first: number): boolean {
  let k = 0
  for (let b = first; b < idxB.length; b++) {
    const idx = idxB[b]!
    while (k < starts.length && starts[k]! + lens[k]! <= idx) k++
    if (k >= starts.length || starts[k]! > idx) return false
  }
  return true
}

/**
 * The side and its compensation in the lower-resolution `targetSchema`
 * (kahanReduceResolution): the first origin bucket of a target bucket is taken with its
 * compensation, every further one added in two compensated steps (count, then compensation).
 * Empty buckets are kept. New arrays; the inputs are left alone.
 */
export function kahanReduceSide(spans: Int32Array, buckets: Float64Array, comp: Float64Array, originSchema: number, targetSchema: number): CompensatedSide {
  const n = buckets.length
  const outSpans: number[] = []
  const out = newBuckets(n)
  const outComp = newBuckets(n)
  let o = -1
  let lastTarget = 0
  let idx = 0
  let i = 0
  for (let k = 0; k < spans.length; k += 2) {
    idx += spans[k]!
    const len = spans[k + 1]!
    for (let j = 0; j < len && i < n; j++, idx++, i++) {
      const t = targetIndex(idx, originSchema, targetSchema)
      if (o >= 0 && t === lastTarget) {
        kahanInc(buckets[i]!, out, outComp, o)
        kahanInc(comp[i]!, out, outComp, o)
        continue
      }
      if (o < 0) outSpans.push(t, 1)
      else if (t === lastTarget + 1) outSpans[outSpans.length - 1]!++
      else outSpans.push(t - lastTarget - 1, 1)
      o++
      out[o] = buckets[i]!
      outComp[o] = comp[i]!
      lastTarget = t
    }
  }
  return {spans: Int32Array.from(outSpans), buckets: out.slice(0, o + 1), comp: outComp.slice(0, o + 1)}
}

/**
 * Compact(0) of a side with its compensation (kahanCompact): the buckets whose count or
 * compensation is not 0, in spans of consecutive indices.
 */
export function kahanCompactSide(spans: Int32Array, buckets: Float64Array, comp: Float64Array): CompensatedSide {
  const n = buckets.length
  const idx = bucketIndices(spans, n)
  let size = 0
  for (let i = 0; i < n; i++) if (buckets[i] !== 0 || comp[i] !== 0) size++
  if (size === 0) return {spans: EMPTY_SPANS, buckets: EMPTY_BUCKETS, comp: EMPTY_BUCKETS}
  const out = newBuckets(size)
  const outComp = newBuckets(size)
  const outSpans: number[] = []
  let o = 0
  let last = 0
  for (let i = 0; i < n; i++) {
    if (buckets[i] === 0 && comp[i] === 0) continue
    const x = idx[i]!
    if (o === 0) outSpans.push(x, 1)
    else if (x === last + 1) outSpans[outSpans.length - 1]!++
    else outSpans.push(x - last - 1, 1)
    out[o] = buckets[i]!
    outComp[o] = comp[i]!
    o++
    last = x
  }
  return {spans: Int32Array.from(outSpans), buckets: out, comp: outComp}
}

/** Whether two span arrays are the same pairs (the same array, or equal entries). */
function sameSpans(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
