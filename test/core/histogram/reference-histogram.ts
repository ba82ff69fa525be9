/**
 * A deliberately simple model of native histograms for the property tests: each side is a
 * map from bucket index to count, and the operations are written from the documented
 * semantics (prometheus/model/histogram, docs/specs/native_histograms.md) without spans,
 * typed arrays or in-place tricks. Bounds come from 2^(i/2^schema) by Math.pow, which is
 * close enough for the integer-ish test data (thresholds are powers of two).
 */
import fc from 'fast-check'
import {FloatHistogram} from '../../../src/core/histogram/float-histogram.js'
import {bucketIndices} from '../../../src/core/histogram/layout.js'

export type SideMap = Map<number, number>

export interface RefHistogram {
  schema: number
  zeroThreshold: number
  zeroCount: number
  count: number
  sum: number
  pos: SideMap
  neg: SideMap
  customValues: number[] | null
}

export function sideMap(spans: Int32Array, buckets: ArrayLike<number>, dropEmpty = true): SideMap {
  const idx = bucketIndices(spans, buckets.length)
  const m: SideMap = new Map()
  for (let i = 0; i < buckets.length; i++) {
    if (dropEmpty && buckets[i] === 0) continue
    m.set(idx[i]!, (m.get(idx[i]!) ?? 0) + buckets[i]!)
  }
  return m
}

export function toRef(h: FloatHistogram): RefHistogram {
  return {
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    zeroCount: h.zeroCount,
    count: h.count,
    sum: h.sum,
    pos: sideMap(h.positiveSpans, h.positiveBuckets),
    neg: sideMap(h.negativeSpans, h.negativeBuckets),
    customValues: h.customValues ? [...h.customValues] : null,
  }
}

export function mapEntries(m: SideMap): Array<[number, number]> {
  return [...m.entries()].filter(([, v]) => v !== 0).sort((a, b) => a[0] - b[0])
}

/** Upper bound of an exponential bucket by the textbook formula. */
export function refBound(idx: number, schema: number): number {
  return Math.pow(2, idx / 2 ** schema)
}

export function refReduce(m: SideMap, from: number, to: number): SideMap {
  const out: SideMap = new Map()
  for (const [i, v] of [...m.entries()].sort((a, b) => a[0] - b[0])) {
    const t = Math.floor((i - 1) / 2 ** (from - to)) + 1
    out.set(t, (out.get(t) ?? 0) + v)
  }
  return out
}

/** Folds buckets inside [-zt, zt] into the zero count; returns the (possibly raised) threshold. */
function fold(h: RefHistogram, zt: number): number {
  for (;;) {
    let raised = false
    for (const side of [h.pos, h.neg]) {
      for (const [i, v] of [...side.entries()].sort((a, b) => a[0] - b[0])) {
        const lower = refBound(i - 1, h.schema)
        const upper = refBound(i, h.schema)
        if (upper <= zt) {
          h.zeroCount += v
          side.delete(i)
        } else if (lower < zt) {
          if (v !== 0) {
            zt = upper
            raised = true
            break
          }
          side.delete(i)
        }
      }
      if (raised) break
    }
    if (!raised) return zt
  }
}

function clone(h: RefHistogram): RefHistogram {
  return {...h, pos: new Map(h.pos), neg: new Map(h.neg), customValues: h.customValues ? [...h.customValues] : null}
}

/** a ± b for exponential schemas: larger zero threshold (raised past populated buckets), lower schema. */
export function refAdd(a0: RefHistogram, b0: RefHistogram, negate: boolean): RefHistogram {
  const a = clone(a0)
  const b = clone(b0)
  // Only a zero bucket narrower than the other one grows (possibly beyond it, to the edge of a
  // populated bucket), until both agree; equal thresholds leave the buckets as they are.
  let za = a.zeroThreshold
  let zb = b.zeroThreshold
  while (za !== zb) {
    if (za < zb) za = fold(a, zb)
    else zb = fold(b, za)
  }
  const zt = za
  const schema = Math.min(a.schema, b.schema)
  const sign = negate ? -1 : 1
  const out: RefHistogram = {
    schema,
    zeroThreshold: zt,
    zeroCount: a.zeroCount + sign * b.zeroCount,
    count: a.count + sign * b.count,
    sum: a.sum + sign * b.sum,
    pos: refReduce(a.pos, a.schema, schema),
    neg: refReduce(a.neg, a.schema, schema),
    customValues: null,
  }
  // As Prometheus, b's buckets are reduced as b has them (not folded) and then those ending at
  // or below the threshold are skipped: their counts are in b's zero count. (A reduced bucket
  // straddling the threshold thus counts folded observations twice; Prometheus does the same.)
  for (const [side, other] of [
    [out.pos, refReduce(b0.pos, b0.schema, schema)],
    [out.neg, refReduce(b0.neg, b0.schema, schema)],
  ] as const) {
    for (const [i, v] of other) {
      if (refBound(i, schema) <= zt) continue
      side.set(i, (side.get(i) ?? 0) + sign * v)
    }
  }
  return out
}

/** a ± b for custom buckets: both mapped onto the shared bounds (bucket → first shared bound ≥ its own). */
export function refAddCustom(a: RefHistogram, b: RefHistogram, negate: boolean): RefHistogram {
  const bounds = a.customValues!.filter((v) => b.customValues!.includes(v))
  const map = (h: RefHistogram): SideMap => {
    const m: SideMap = new Map()
    for (const [i, v] of h.pos) {
      const own = i < h.customValues!.length ? h.customValues![i]! : Infinity
      let t = bounds.findIndex((x) => x >= own)
      if (t < 0) t = bounds.length
      m.set(t, (m.get(t) ?? 0) + v)
    }
    return m
  }
  const pos = map(a)
  const sign = negate ? -1 : 1
  for (const [i, v] of map(b)) pos.set(i, (pos.get(i) ?? 0) + sign * v)
  return {schema: -53, zeroThreshold: 0, zeroCount: 0, count: a.count + sign * b.count, sum: a.sum + sign * b.sum, pos, neg: new Map(), customValues: bounds}
}

/** Spans for sorted indices, optionally split into adjacent spans (offset 0) and with zero-length spans. */
export function spansFor(idx: number[], splits: boolean[] = [], empties: boolean[] = []): number[] {
  const spans: number[] = []
  let last = 0
  for (let i = 0; i < idx.length; i++) {
    const b = idx[i]!
    if (i > 0 && b === last + 1 && !splits[i]) spans[spans.length - 1]!++
    else {
      let off = i === 0 ? b : b - last - 1
      if (empties[i] && i > 0 && off > 0) {
        // A zero-length span taking part of the gap.
        spans.push(1, 0)
        off -= 1
      }
      spans.push(off, 1)
    }
    last = b
  }
  return spans
}

/** A float histogram with integer-valued counts (exact in any summation order). */
export function arbFloatHistogram(opts: {schema?: fc.Arbitrary<number>; zeroThreshold?: fc.Arbitrary<number>; withEmpty?: boolean} = {}): fc.Arbitrary<FloatHistogram> {
  const side = fc
    .uniqueArray(fc.integer({min: -40, max: 40}), {maxLength: 12})
    .map((a) => a.sort((x, y) => x - y))
    .chain((idx) =>
      fc.tuple(
        fc.constant(idx),
        fc.array(opts.withEmpty === false ? fc.integer({min: 1, max: 20}) : fc.oneof(fc.constant(0), fc.integer({min: 1, max: 20})), {minLength: idx.length, maxLength: idx.length}),
        fc.array(fc.boolean(), {minLength: idx.length, maxLength: idx.length}),
        fc.array(fc.boolean(), {minLength: idx.length, maxLength: idx.length}),
      ),
    )
  return fc
    .record({
      schema: opts.schema ?? fc.integer({min: -4, max: 8}),
      zeroThreshold: opts.zeroThreshold ?? fc.constantFrom(0, 2 ** -128, 0.25, 1, 4),
      zeroCount: fc.integer({min: 0, max: 10}),
      sum: fc.integer({min: -100, max: 100}),
      hint: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<0 | 1 | 2 | 3>,
      pos: side,
      neg: side,
    })
    .map((r) => {
      const [pi, pv, ps, pe] = r.pos
      const [ni, nv, ns, ne] = r.neg
      const count = r.zeroCount + pv.reduce((a, b) => a + b, 0) + nv.reduce((a, b) => a + b, 0)
      return FloatHistogram.of({
        counterResetHint: r.hint,
        schema: r.schema,
        zeroThreshold: r.zeroThreshold,
        zeroCount: r.zeroCount,
        count,
        sum: r.sum,
        positiveSpans: spansFor(pi, ps, pe),
        positiveBuckets: pv,
        negativeSpans: spansFor(ni, ns, ne),
        negativeBuckets: nv,
      })
    })
}

/** A custom-buckets float histogram over a random subset of `pool` as bounds. */
export function arbCustomHistogram(pool: number[]): fc.Arbitrary<FloatHistogram> {
  return fc
    .subarray(pool, {minLength: 1})
    .chain((bounds) =>
      fc.tuple(
        fc.constant(bounds),
        fc.uniqueArray(fc.integer({min: 0, max: bounds.length}), {maxLength: bounds.length + 1}).map((a) => a.sort((x, y) => x - y)),
      ),
    )
    .chain(([bounds, idx]) => fc.tuple(fc.constant(bounds), fc.constant(idx), fc.array(fc.integer({min: 0, max: 9}), {minLength: idx.length, maxLength: idx.length})))
    .map(([bounds, idx, vals]) =>
      FloatHistogram.of({
        schema: -53,
        count: vals.reduce((a, b) => a + b, 0),
        sum: 3,
        positiveSpans: spansFor(idx),
        positiveBuckets: vals,
        customValues: bounds,
      }),
    )
}
