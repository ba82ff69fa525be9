/**
 * Bucket layouts: spans and the bucket arrays they describe, for one side (positive or
 * negative) of a histogram.
 *
 * Spans are an Int32Array of (offset, length) pairs: the first offset is the index of the
 * first bucket (may be negative), every later one the gap since the end of the previous span
 * (≥ 0), as Prometheus's []histogram.Span. Buckets are a Float64Array, either absolute counts
 * (FloatHistogram) or, for integer histograms, the first count followed by deltas to the
 * previous bucket across all spans (`deltas = true`).
 *
 * Span arrays are never changed in place once a histogram holds them: operations that change
 * a layout build new arrays, so histograms (and chunk decoders) may share one span array.
 * Bucket arrays belong to one histogram.
 *
 * The results equal Prometheus's (prometheus/model/histogram/generic.go compactBuckets,
 * reduceResolution; float_histogram.go addBuckets) including the span structure, which
 * Equals compares.
 */
import {exponentialBound, targetIndex} from './bounds.js'
import {HistogramError, isExponentialSchema} from './schema.js'

export const EMPTY_SPANS: Int32Array = new Int32Array(0)
export const EMPTY_BUCKETS: Float64Array = new Float64Array(0)

/**
 * Bucket arrays are carved out of shared slabs. V8 keeps a typed array's elements on the JS
 * heap only up to 64 bytes: every `new Float64Array(n)` of a histogram's few dozen buckets
 * gets its own off-heap backing store, about 2 µs with its share of GC, where a view into a
 * slab takes about 0.1 µs. Queries over native histograms make one per sample they read, and
 * more per operation. A view keeps its slab alive: fine for query-scoped data, which is what
 * makes them by the thousand. Zero-filled, as a new array (slab space is never handed out twice).
 */
const SLAB_ELEMENTS = 8192
const SLAB_MAX_TAKE = 512
let slab = new Float64Array(SLAB_ELEMENTS)
let slabUsed = 0

/** A zero-filled Float64Array of n elements for bucket counts (see above). */
export function newBuckets(n: number): Float64Array {
  if (n > SLAB_MAX_TAKE) return new Float64Array(n)
  if (slabUsed + n > SLAB_ELEMENTS) {
    slab = new Float64Array(SLAB_ELEMENTS)
    slabUsed = 0
  }
  const out = new Float64Array(slab.buffer, slabUsed * 8, n)
  slabUsed += n
  return out
}

/** A side's layout and buckets as an operation returns them. */
export interface Side {
  spans: Int32Array
  buckets: Float64Array
}

/** Number of buckets the spans describe. */
export function spanBucketCount(spans: Int32Array): number {
  let n = 0
  for (let k = 1; k < spans.length; k += 2) n += spans[k]!
  return n
}

/**
 * Bucket index of every bucket, in order (spans must describe `n` buckets). Zero-length spans
 * only move the index, as in Prometheus's iterators.
 */
export function bucketIndices(spans: Int32Array, n: number): Int32Array {
  const out = new Int32Array(n)
  let idx = 0
  let i = 0
  for (let k = 0; k < spans.length; k += 2) {
    idx += spans[k]!
    const len = spans[k + 1]!
    for (let j = 0; j < len && i < n; j++) out[i++] = idx++
  }
  return out
}

/**
 * Whether two span lists describe the same layout once zero-length spans are folded into the
 * next span (Prometheus's spansMatch): adjacent spans with offset 0 stay distinct.
 */
export function spansMatch(a: Int32Array, b: Int32Array): boolean {
  let ia = 0
  let ib = 0
  for (;;) {
    // Next non-empty span of each side, with the offsets of skipped empty spans added.
    let offA = 0
    let lenA = 0
    while (ia < a.length) {
      offA += a[ia]!
      lenA = a[ia + 1]!
      ia += 2
      if (lenA !== 0) break
    }
    let offB = 0
    let lenB = 0
    while (ib < b.length) {
      offB += b[ib]!
      lenB = b[ib + 1]!
      ib += 2
      if (lenB !== 0) break
    }
    if (lenA === 0 && lenB === 0) return true
    if (lenA !== lenB || offA !== offB) return false
  }
}

/**
 * Compaction as Prometheus's Compact(maxEmpty): empty buckets (count exactly 0) are dropped
 * from the ends of runs, runs of more than maxEmpty empty buckets split a span, and spans at
 * most maxEmpty buckets apart are joined (the gap filled with empty buckets). The result is
 * the unique layout of the non-empty buckets in which every gap exceeds maxEmpty; the input is
 * returned as it is when it already has that form.
 */
export function compactSide(spans: Int32Array, buckets: Float64Array, maxEmpty: number, deltas: boolean): Side {
  const n = buckets.length
  if (isCompact(spans, buckets, maxEmpty, deltas)) return {spans, buckets}
  // Pass 1: size of the result.
  let nSpans = 0
  let size = 0
  let last = 0
  let abs = 0
  let idx = 0
  let i = 0
  for (let k = 0; k < spans.length; k += 2) {
    idx += spans[k]!
    const len = spans[k + 1]!
    for (let j = 0; j < len; j++, idx++) {
      if (i >= n) throw spansBucketsMismatch(i + 1, n)
      abs = deltas ? abs + buckets[i]! : buckets[i]!
      i++
      if (abs === 0) continue
      if (nSpans === 0) {
        nSpans = 1
        size = 1
      } else if (idx - last - 1 <= maxEmpty) size += idx - last
      else {
        nSpans++
        size++
      }
      last = idx
    }
  }
  if (i !== n) throw spansBucketsMismatch(i, n)
  if (nSpans === 0) return {spans: EMPTY_SPANS, buckets: EMPTY_BUCKETS}
  // Pass 2: fill in.
  const outSpans = new Int32Array(nSpans * 2)
  const out = newBuckets(size)
  let s = -2
  let o = 0
  let prevAbs = 0 // last absolute count written (for deltas)
  abs = 0
  idx = 0
  i = 0
  for (let k = 0; k < spans.length; k += 2) {
    idx += spans[k]!
    const len = spans[k + 1]!
    for (let j = 0; j < len; j++, idx++) {
      abs = deltas ? abs + buckets[i]! : buckets[i]!
      i++
      if (abs === 0) continue
      if (s < 0) {
        s = 0
        outSpans[0] = idx
        outSpans[1] = 1
      } else if (idx - last - 1 <= maxEmpty) {
        const gap = idx - last - 1
        if (deltas && gap > 0) {
          out[o++] = -prevAbs // the first filled bucket goes to 0
          prevAbs = 0
          for (let g = 1; g < gap; g++) out[o++] = 0
        } else for (let g = 0; g < gap; g++) out[o++] = 0
        outSpans[s + 1]! += gap + 1
      } else {
        s += 2
        outSpans[s] = idx - last - 1
        outSpans[s + 1] = 1
      }
      out[o++] = deltas ? abs - prevAbs : abs
      prevAbs = abs
      last = idx
    }
  }
  return {spans: outSpans, buckets: out}
}

function isCompact(spans: Int32Array, buckets: Float64Array, maxEmpty: number, deltas: boolean): boolean {
  let abs = 0
  for (let i = 0; i < buckets.length; i++) {
    abs = deltas ? abs + buckets[i]! : buckets[i]!
    if (abs === 0) return false
  }
  for (let k = 0; k < spans.length; k += 2) {
    if (spans[k + 1] === 0) return false
    if (k > 0 && spans[k]! <= maxEmpty) return false
  }
  return spanBucketCount(spans) === buckets.length
}

function spansBucketsMismatch(need: number, have: number): HistogramError {
  return need > have
    ? new HistogramError('spans_buckets_mismatch', `have ${have} buckets but spans need more: `)
    : new HistogramError('spans_buckets_mismatch', `spans need ${need} buckets, have ${have} buckets: `)
}

/**
 * The side in the lower-resolution `targetSchema` (Prometheus's reduceResolution): buckets
 * that fall into one target bucket are summed in index order, spans are the runs of
 * consecutive target indices. Empty buckets are kept.
 */
export function reduceSideResolution(spans: Int32Array, buckets: Float64Array, originSchema: number, targetSchema: number, deltas: boolean): Side {
  const n = buckets.length
  const outSpans: number[] = []
  const out = newBuckets(n)
  let o = -1
  let lastTarget = 0
  let idx = 0
  let i = 0
  let abs = 0 // absolute count of the current origin bucket
  let targetAbs = 0 // absolute count of the current target bucket
  let prevTargetAbs = 0
  for (let k = 0; k < spans.length; k += 2) {
    const off = spans[k]!
    if (k > 0 && off < 0) throw new HistogramError('span_negative_offset', `span number ${k / 2 + 1} with offset ${off}: `)
    idx += off
    const len = spans[k + 1]!
    for (let j = 0; j < len; j++, idx++) {
      if (i >= n) throw spansBucketsMismatch(i + 1, n)
      const b = buckets[i++]!
      abs = deltas ? abs + b : b
      const t = targetIndex(idx, originSchema, targetSchema)
      if (o >= 0 && t === lastTarget) {
        targetAbs += abs
        if (deltas) out[o] = targetAbs - prevTargetAbs
        else out[o]! += b
        continue
      }
      if (o < 0) outSpans.push(t, 1)
      else if (t === lastTarget + 1) outSpans[outSpans.length - 1]!++
      else outSpans.push(t - lastTarget - 1, 1)
      if (o >= 0) prevTargetAbs = targetAbs
      o++
      targetAbs = abs
      out[o] = deltas ? abs - prevTargetAbs : b
      lastTarget = t
    }
  }
  if (i !== n) throw spansBucketsMismatch(i, n)
  return {spans: Int32Array.from(outSpans), buckets: out.slice(0, o + 1)}
}

/**
 * A's buckets plus (or, with `negate`, minus) B's, both in `schema` and absolute, as
 * Prometheus's addBuckets: buckets of B whose upper bound is at most `threshold` (already
 * folded into the zero bucket) are left out for exponential schemas; buckets only in B are
 * inserted into A's layout one by one, in index order: right after a span (also a
 * zero-length one) a bucket extends it; else, right before the next span, it extends that
 * one backwards; else it starts a span of its own. So A's spans are never merged with each
 * other, even when new buckets close the gap between them (Compact does that).
 *
 * A's bucket array is updated in place when all of B's buckets are in A's layout (the common
 * case of equal layouts); otherwise new arrays are returned.
 */
export function addSides(
  schema: number,
  threshold: number,
  negate: boolean,
  spansA: Int32Array,
  bucketsA: Float64Array,
  spansB: Int32Array,
  bucketsB: Float64Array,
): Side {
  const nB = bucketsB.length
  const idxB = bucketIndices(spansB, nB)
  let first = 0
  if (isExponentialSchema(schema)) while (first < nB && exponentialBound(idxB[first]!, schema) <= threshold) first++
  if (first === nB) return {spans: spansA, buckets: bucketsA}
  if (addInPlace(spansA, bucketsA, idxB, bucketsB, first, negate)) return {spans: spansA, buckets: bucketsA}

  // A's spans as absolute start indices and lengths, and its buckets, to insert into.
  const starts: number[] = []
  const lens: number[] = []
  let pos = 0
  for (let k = 0; k < spansA.length; k += 2) {
    pos += spansA[k]!
    starts.push(pos)
    lens.push(spansA[k + 1]!)
    pos += spansA[k + 1]!
  }
  const vals = Array.from(bucketsA)
  let k = 0 // the span containing the current index, or the one after its gap
  let firstOfK = 0 // position in vals of span k's first bucket
  for (let b = first; b < nB; b++) {
    const idx = idxB[b]!
    const v = negate ? -bucketsB[b]! : bucketsB[b]!
    while (k < starts.length && starts[k]! + lens[k]! <= idx) {
      firstOfK += lens[k]!
      k++
    }
    if (k < starts.length && starts[k]! <= idx) {
      vals[firstOfK + idx - starts[k]!]! += v
    } else if (k > 0 && starts[k - 1]! + lens[k - 1]! === idx) {
      // Right after the previous span: it grows.
      lens[k - 1]!++
      vals.splice(firstOfK, 0, v)
      firstOfK++
    } else if (k < starts.length && starts[k]! === idx + 1) {
      // Right before the next span: it grows backwards.
      starts[k]!--
      lens[k]!++
      vals.splice(firstOfK, 0, v)
    } else {
      starts.splice(k, 0, idx)
      lens.splice(k, 0, 1)
      vals.splice(firstOfK, 0, v)
    }
  }
  const outSpans = new Int32Array(starts.length * 2)
  let end = 0
  for (let i = 0; i < starts.length; i++) {
    outSpans[2 * i] = i === 0 ? starts[0]! : starts[i]! - end
    outSpans[2 * i + 1] = lens[i]!
    end = starts[i]! + lens[i]!
  }
  return {spans: outSpans, buckets: Float64Array.from(vals)}
}

/** Adds B's buckets (from position `first`) into bucketsA if A's layout has all of them; false (and nothing changed) otherwise. */
function addInPlace(spansA: Int32Array, bucketsA: Float64Array, idxB: Int32Array, bucketsB: Float64Array, first: number, negate: boolean): boolean {
  // Pass 1: positions, without writing.
  let k = 0
  let start = spansA.length > 0 ? spansA[0]! : 0
  let firstOfK = 0
  for (let b = first; b < idxB.length; b++) {
    const idx = idxB[b]!
    while (k < spansA.length && start + spansA[k + 1]! <= idx) {
      firstOfK += spansA[k + 1]!
      start += spansA[k + 1]!
      k += 2
      if (k < spansA.length) start += spansA[k]!
    }
    if (k >= spansA.length || start > idx || firstOfK + idx - start >= bucketsA.length) return false
  }
  // Pass 2: add.
  k = 0
  start = spansA.length > 0 ? spansA[0]! : 0
  firstOfK = 0
  for (let b = first; b < idxB.length; b++) {
    const idx = idxB[b]!
    while (start + spansA[k + 1]! <= idx) {
      firstOfK += spansA[k + 1]!
      start += spansA[k + 1]!
      k += 2
      start += spansA[k]!
    }
    const i = firstOfK + idx - start
    bucketsA[i] = bucketsA[i]! + (negate ? -bucketsB[b]! : bucketsB[b]!)
  }
  return true
}

/** The intersection of two sorted custom-bound lists (Prometheus's intersectCustomBucketBounds). */
export function intersectCustomBounds(a: Float64Array | null, b: Float64Array | null): Float64Array | null {
  if (a === null || b === null || a.length === 0 || b.length === 0) return null
  const out: number[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push(a[i]!)
      i++
      j++
    } else if (a[i]! < b[j]!) i++
    else j++
  }
  return out.length === 0 ? null : Float64Array.from(out)
}

/**
 * A ± B for custom-bucket histograms with different bounds, both mapped onto `bounds` (their
 * intersection): a bucket goes to the first target bound at or above its own upper bound, the
 * +Inf bucket to the target +Inf bucket. Buckets are summed in order, A's first; the result
 * keeps only buckets whose sum or Kahan compensation is not zero (a zero sum may carry a
 * compensation, e.g. 1e20 + 1 - 1e20), as Prometheus's addCustomBucketsWithMismatches. With
 * `compA` (FloatHistogram.kahanAdd) each of A's buckets is followed by its compensation, and
 * the result's compensation is returned in `comp`.
 */
export function addCustomSidesMismatched(
  negate: boolean,
  spansA: Int32Array,
  bucketsA: Float64Array,
  boundsA: Float64Array | null,
  spansB: Int32Array,
  bucketsB: Float64Array,
  boundsB: Float64Array | null,
  bounds: Float64Array | null,
  compA?: Float64Array,
): Side & {comp: Float64Array} {
  const nT = (bounds === null ? 0 : bounds.length) + 1
  const sum = newBuckets(nT)
  const comp = newBuckets(nT)
  const map = (spans: Int32Array, buckets: Float64Array, own: Float64Array | null, neg: boolean, ownComp?: Float64Array): void => {
    let src = 0
    let i = 0
    let t = 0
    const nOwn = own === null ? 0 : own.length
    for (let k = 0; k < spans.length; k += 2) {
      src += spans[k]!
      const len = spans[k + 1]!
      for (let j = 0; j < len; j++, src++, i++) {
        if (i >= buckets.length) continue
        let target = nT - 1
        if (src < nOwn) {
          while (t < nT - 1 && bounds![t]! < own![src]!) t++
          target = t
        }
        kahanInc(neg ? -buckets[i]! : buckets[i]!, sum, comp, target)
        if (ownComp) kahanInc(ownComp[i]!, sum, comp, target)
      }
    }
  }
  map(spansA, bucketsA, boundsA, false, compA)
  map(spansB, bucketsB, boundsB, negate)
  const outSpans: number[] = []
  const out: number[] = []
  const outComp: number[] = []
  let last = -2
  for (let i = 0; i < nT; i++) {
    if (sum[i] === 0 && comp[i] === 0) continue
    if (out.length > 0 && i === last + 1) outSpans[outSpans.length - 1]!++
    else outSpans.push(out.length === 0 ? i : i - last - 1, 1)
    out.push(sum[i]!)
    outComp.push(comp[i]!)
    last = i
  }
  return {spans: Int32Array.from(outSpans), buckets: Float64Array.from(out), comp: Float64Array.from(outComp)}
}

/** Neumaier's compensated step, as Prometheus's util/kahansum.Inc, on element i of (sum, comp). */
export function kahanInc(inc: number, sum: Float64Array, comp: Float64Array, i: number): void {
  const s = sum[i]!
  const t = s + inc
  if (t === Infinity || t === -Infinity) comp[i] = 0
  else if (Math.abs(s) >= Math.abs(inc)) comp[i]! += s - t + inc
  else comp[i]! += inc - t + s
  sum[i] = t
}
