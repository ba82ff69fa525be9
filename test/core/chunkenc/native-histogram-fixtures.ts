/**
 * Deterministic native-histogram series for the chunk tests: counters whose buckets grow
 * (forcing chunk recoding), that reset, change schema and zero threshold, go stale and come
 * back; gauges whose layout shrinks and grows; float flavours; custom buckets (NHCB) whose
 * bounds change; and long series that Prometheus cuts by size. Counts always equal zero
 * count + buckets, as Prometheus validates.
 */
import {targetIndex} from '../../../src/core/histogram/bounds.js'
import {FloatHistogram} from '../../../src/core/histogram/float-histogram.js'
import {Histogram} from '../../../src/core/histogram/histogram.js'
import {CounterResetHint} from '../../../src/core/histogram/schema.js'
import {STALE_NAN} from '../../../src/core/chunkenc/value.js'
import type {HistogramSeries} from '../../helpers/native-histogram-remote-write.js'

/** mulberry32 */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Absolute counts by bucket index. */
type Side = Map<number, number>

interface State {
  schema: number
  zeroThreshold: number
  zeroCount: number
  sum: number
  pos: Side
  neg: Side
  customValues: number[] | null
}

/** Spans and values for the indices of a side (sorted); `extra` indices are included with count 0. */
function layout(side: Side, extra: number[]): {spans: number[]; values: number[]} {
  const idx = [...new Set([...side.keys(), ...extra])].sort((a, b) => a - b)
  const spans: number[] = []
  const values: number[] = []
  let last = 0
  for (let i = 0; i < idx.length; i++) {
    const b = idx[i]!
    if (i > 0 && b === last + 1) spans[spans.length - 1]!++
    else spans.push(i === 0 ? b : b - last - 1, 1)
    values.push(side.get(b) ?? 0)
    last = b
  }
  return {spans, values}
}

function deltas(values: number[]): number[] {
  return values.map((v, i) => v - (i > 0 ? values[i - 1]! : 0))
}

function total(s: State): number {
  let n = s.zeroCount
  for (const v of s.pos.values()) n += v
  for (const v of s.neg.values()) n += v
  return n
}

function toHistogram(s: State, hint: CounterResetHint, extraPos: number[], extraNeg: number[]): Histogram {
  const p = layout(s.pos, extraPos)
  const n = layout(s.neg, extraNeg)
  return Histogram.of({
    counterResetHint: hint,
    schema: s.schema,
    zeroThreshold: s.zeroThreshold,
    zeroCount: s.zeroCount,
    count: total(s),
    sum: s.sum,
    positiveSpans: p.spans,
    positiveBuckets: deltas(p.values),
    negativeSpans: n.spans,
    negativeBuckets: deltas(n.values),
    customValues: s.customValues,
  })
}

function toFloatHistogram(s: State, hint: CounterResetHint, extraPos: number[], extraNeg: number[]): FloatHistogram {
  const p = layout(s.pos, extraPos)
  const n = layout(s.neg, extraNeg)
  return FloatHistogram.of({
    counterResetHint: hint,
    schema: s.schema,
    zeroThreshold: s.zeroThreshold,
    zeroCount: s.zeroCount,
    count: total(s),
    sum: s.sum,
    positiveSpans: p.spans,
    positiveBuckets: p.values,
    negativeSpans: n.spans,
    negativeBuckets: n.values,
    customValues: s.customValues,
  })
}

function stale(float: boolean): Histogram | FloatHistogram {
  const h = float ? new FloatHistogram() : new Histogram()
  h.sum = STALE_NAN
  return h
}

function fresh(schema: number, zeroThreshold: number, customValues: number[] | null = null): State {
  return {schema, zeroThreshold, zeroCount: 0, sum: 0, pos: new Map(), neg: new Map(), customValues}
}

function reduce(side: Side, from: number, to: number): Side {
  const out: Side = new Map()
  for (const [i, v] of [...side.entries()].sort((a, b) => a[0] - b[0])) {
    const t = targetIndex(i, from, to)
    out.set(t, (out.get(t) ?? 0) + v)
  }
  return out
}

interface CounterOptions {
  name: string
  float: boolean
  n: number
  seed: number
  schema: number
  zeroThreshold: number
  /** Observation weight: integer 1 for integer histograms, fractional for float ones. */
  weight: () => number
  /** Index range new observations land in. */
  lo: number
  hi: number
  negative: boolean
  /** Events by sample number. */
  resetAt?: number[]
  resetHintAt?: number[]
  schemaAt?: Record<number, number>
  zeroThresholdAt?: Record<number, number>
  staleAt?: number[]
  customValuesAt?: Record<number, number[]>
  /** Include empty neighbour buckets now and then (backward/forward inserts). */
  emptyNeighbours?: boolean
  gauge?: boolean
}

function series(o: CounterOptions): {name: string; samples: Array<{t: number; h: Histogram | FloatHistogram}>} {
  const rnd = prng(o.seed)
  const nhcb = o.customValuesAt !== undefined
  let s = fresh(o.schema, o.zeroThreshold, nhcb ? o.customValuesAt![0]! : null)
  const out: Array<{t: number; h: Histogram | FloatHistogram}> = []
  for (let k = 0; k < o.n; k++) {
    const t = k * 15_000 + (k % 3) * 7
    let hint: CounterResetHint = o.gauge ? CounterResetHint.Gauge : CounterResetHint.Unknown
    if (o.staleAt?.includes(k)) {
      out.push({t, h: stale(o.float)})
      continue
    }
    if (o.resetAt?.includes(k)) s = fresh(s.schema, s.zeroThreshold, s.customValues)
    if (o.resetHintAt?.includes(k)) hint = CounterResetHint.CounterReset
    if (o.schemaAt?.[k] !== undefined) {
      const to = o.schemaAt[k]!
      if (to < s.schema) {
        s.pos = reduce(s.pos, s.schema, to)
        s.neg = reduce(s.neg, s.schema, to)
        s.schema = to
      } else s = fresh(to, s.zeroThreshold) // a higher resolution starts over (a reset)
    }
    if (o.zeroThresholdAt?.[k] !== undefined) s = fresh(s.schema, o.zeroThresholdAt[k]!)
    if (nhcb && o.customValuesAt![k] !== undefined && k > 0) s = fresh(-53, 0, o.customValuesAt![k]!)
    // Observations.
    const m = 1 + Math.floor(rnd() * 4)
    for (let j = 0; j < m; j++) {
      const w = o.weight()
      const r = rnd()
      const maxIdx = nhcb ? s.customValues!.length : o.hi
      const minIdx = nhcb ? 0 : o.lo
      if (!nhcb && r < 0.1) s.zeroCount += w
      else {
        const side = !nhcb && o.negative && r < 0.35 ? s.neg : s.pos
        const i = minIdx + Math.floor(rnd() * (maxIdx - minIdx + 1))
        side.set(i, (side.get(i) ?? 0) + w)
      }
      s.sum += w * (r - 0.3) * 10
    }
    if (o.gauge) {
      // Gauges also lose observations and whole buckets.
      for (const side of [s.pos, s.neg]) {
        for (const [i, v] of side) {
          if (rnd() < 0.15) side.delete(i)
          else if (rnd() < 0.3) side.set(i, Math.max(o.float ? 0.25 : 1, v - (o.float ? 0.5 : 1)))
        }
      }
      if (rnd() < 0.2) s.zeroCount = 0
    }
    const extraPos: number[] = []
    const extraNeg: number[] = []
    if (o.emptyNeighbours && rnd() < 0.5) {
      for (const i of s.pos.keys()) if (rnd() < 0.3 && !s.pos.has(i + 1) && (!nhcb || i + 1 <= s.customValues!.length)) extraPos.push(i + 1)
      if (!nhcb) for (const i of s.neg.keys()) if (rnd() < 0.3 && !s.neg.has(i - 1)) extraNeg.push(i - 1)
    }
    out.push({t, h: o.float ? toFloatHistogram(s, hint, extraPos, extraNeg) : toHistogram(s, hint, extraPos, extraNeg)})
  }
  return {name: o.name, samples: out}
}

const one = (): number => 1

/** The series, timestamps relative to 0 (the caller shifts them). */
export function nativeHistogramSeries(): Array<{name: string; samples: Array<{t: number; h: Histogram | FloatHistogram}>}> {
  const frac = prng(99)
  const fracWeight = (): number => [0.5, 0.25, 1.5, 0.1, 3][Math.floor(frac() * 5)]!
  return [
    series({
      name: 'nh_exp',
      float: false,
      n: 140,
      seed: 1,
      schema: 3,
      zeroThreshold: 2 ** -128,
      weight: one,
      lo: -10,
      hi: 25,
      negative: true,
      resetAt: [50],
      schemaAt: {80: 1, 110: 4},
      staleAt: [95, 96],
      emptyNeighbours: true,
    }),
    series({name: 'nh_neg_schema', float: false, n: 60, seed: 2, schema: -2, zeroThreshold: 0.001, weight: one, lo: -3, hi: 8, negative: true, resetAt: [30]}),
    series({name: 'nh_zero_threshold', float: false, n: 50, seed: 3, schema: 0, zeroThreshold: 0.5, weight: one, lo: -4, hi: 6, negative: true, zeroThresholdAt: {25: 2}}),
    series({name: 'nh_hint', float: false, n: 40, seed: 4, schema: 2, zeroThreshold: 2 ** -128, weight: one, lo: 0, hi: 10, negative: false, resetHintAt: [20]}),
    series({name: 'nh_gauge', float: false, n: 60, seed: 5, schema: 1, zeroThreshold: 2 ** -128, weight: one, lo: -6, hi: 6, negative: true, gauge: true, staleAt: [40]}),
    series({
      name: 'nh_float',
      float: true,
      n: 80,
      seed: 6,
      schema: 5,
      zeroThreshold: 2 ** -128,
      weight: fracWeight,
      lo: -20,
      hi: 40,
      negative: true,
      resetAt: [40],
      staleAt: [60],
      emptyNeighbours: true,
    }),
    series({name: 'nh_float_gauge', float: true, n: 50, seed: 7, schema: 0, zeroThreshold: 0.001, weight: fracWeight, lo: -5, hi: 5, negative: true, gauge: true}),
    series({
      name: 'nh_nhcb',
      float: false,
      n: 60,
      seed: 8,
      schema: -53,
      zeroThreshold: 0,
      weight: one,
      lo: 0,
      hi: 0,
      negative: false,
      customValuesAt: {0: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], 35: [0.01, 0.1234567, 1, 100000]},
      resetAt: [20],
      emptyNeighbours: true,
    }),
    series({
      name: 'nh_nhcb_float',
      float: true,
      n: 40,
      seed: 9,
      schema: -53,
      zeroThreshold: 0,
      weight: fracWeight,
      lo: 0,
      hi: 0,
      negative: false,
      customValuesAt: {0: [-1, 0, 1, 2, 4, 8], 25: [-1, 0, 2, 8]},
    }),
    series({name: 'nh_long', float: false, n: 420, seed: 10, schema: 4, zeroThreshold: 2 ** -128, weight: one, lo: -30, hi: 60, negative: true}),
    series({name: 'nh_float_long', float: true, n: 300, seed: 11, schema: 2, zeroThreshold: 2 ** -128, weight: fracWeight, lo: -12, hi: 24, negative: true}),
  ]
}

/** The series with timestamps from t0, as remote-write input. */
export function nativeHistogramWriteSeries(t0: number): HistogramSeries[] {
  return nativeHistogramSeries().map((s) => ({labels: {__name__: s.name, job: 'nh'}, samples: s.samples.map(({t, h}) => ({t: t0 + t, h}))}))
}
