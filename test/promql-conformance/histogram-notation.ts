/**
 * promqltest's native histogram notation (promql/parser/lex.go, generated_parser.y
 * series_item, parse.go buildHistogramFromMap): `{{schema:0 sum:5 count:4 buckets:[1 2 1]}}`
 * with keys schema, sum, count, z_bucket, z_bucket_w, buckets, offset, n_buckets, n_offset,
 * counter_reset_hint, custom_values (each once, missing ones 0/empty), one span per side; the
 * expansions `{{A}}xN` (N+1 copies) and `{{A}}+{{B}}xN` / `{{A}}-{{B}}xN` (A, A+B, A+2B, ...).
 * Also the comparison promqltest makes (test.go compareNativeHistogram).
 */
import {FloatHistogram} from '../../src/core/histogram/float-histogram.js'
import {spansMatch} from '../../src/core/histogram/layout.js'
import {CounterResetHint, customBoundsMatch} from '../../src/core/histogram/schema.js'
import {parseNumber} from '../../src/core/promql/parser/parser.js'

/** A histogram of a test script, and whether its counter_reset_hint was written (then it is compared). */
export interface HistValue {
  h: FloatHistogram
  hintSet: boolean
}

export function isHistValue(v: unknown): v is HistValue {
  return typeof v === 'object' && v !== null && 'h' in v
}

const HINTS: Record<string, CounterResetHint> = {
  unknown: CounterResetHint.Unknown,
  reset: CounterResetHint.CounterReset,
  not_reset: CounterResetHint.NotCounterReset,
  gauge: CounterResetHint.Gauge,
}

const KEYS = new Set(['schema', 'sum', 'count', 'z_bucket', 'z_bucket_w', 'buckets', 'offset', 'n_buckets', 'n_offset', 'counter_reset_hint', 'custom_values'])

/** The body between `{{` and `}}`. */
export function parseHistogramBody(body: string): HistValue {
  const desc = new Map<string, string | number[]>()
  let i = 0
  const s = body
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++
    if (i >= s.length) break
    const m = /^([a-zA-Z_]+)\s*:\s*/.exec(s.slice(i))
    if (!m) throw new Error(`bad histogram description ${JSON.stringify(body)} at ${i}`)
    const key = m[1]!.toLowerCase()
    if (!KEYS.has(key)) throw new Error(`bad histogram descriptor ${JSON.stringify(key)}`)
    if (desc.has(key)) throw new Error(`duplicate key "${key}" in histogram`)
    i += m[0].length
    if (s[i] === '[') {
      const end = s.indexOf(']', i)
      if (end < 0) throw new Error(`unterminated list in ${JSON.stringify(body)}`)
      desc.set(key, s.slice(i + 1, end).split(/[\s,]+/).filter(Boolean).map(parseNumber))
      i = end + 1
    } else {
      const v = /^\S+/.exec(s.slice(i))![0]
      desc.set(key, v)
      i += v.length
    }
  }
  const num = (k: string): number => {
    const v = desc.get(k)
    if (v === undefined) return 0
    if (typeof v !== 'string') throw new Error(`${k} must be a number`)
    return parseNumber(v)
  }
  const list = (k: string): number[] => {
    const v = desc.get(k)
    if (v === undefined) return []
    if (typeof v === 'string') throw new Error(`${k} must be a list`)
    return v
  }
  const hintText = desc.get('counter_reset_hint')
  if (hintText !== undefined && (typeof hintText !== 'string' || HINTS[hintText] === undefined)) throw new Error(`error parsing counter_reset_hint: ${String(hintText)}`)
  const pos = list('buckets')
  const neg = list('n_buckets')
  const cv = desc.get('custom_values')
  const h = FloatHistogram.of({
    schema: num('schema'),
    sum: num('sum'),
    count: num('count'),
    zeroCount: num('z_bucket'),
    zeroThreshold: num('z_bucket_w'),
    positiveBuckets: pos,
    positiveSpans: pos.length > 0 ? [num('offset'), pos.length] : [],
    negativeBuckets: neg,
    negativeSpans: neg.length > 0 ? [num('n_offset'), neg.length] : [],
    customValues: cv !== undefined ? list('custom_values') : null,
    counterResetHint: hintText !== undefined ? HINTS[hintText as string] : CounterResetHint.Unknown,
  })
  return {h, hintSet: hintText !== undefined}
}

/**
 * Reads one histogram item at `at` (which starts with `{{`): the values it expands to and the
 * index after it.
 */
export function readHistogramItem(s: string, at: number): {values: HistValue[]; end: number} {
  const close = (from: number): number => {
    const e = s.indexOf('}}', from)
    if (e < 0) throw new Error(`unterminated histogram in ${JSON.stringify(s)}`)
    return e
  }
  const e1 = close(at + 2)
  const a = parseHistogramBody(s.slice(at + 2, e1))
  let i = e1 + 2
  let m = /^x(\d+)/.exec(s.slice(i))
  if (m) {
    const n = Number(m[1])
    return {values: Array.from({length: n + 1}, () => a), end: i + m[0].length}
  }
  if ((s[i] === '+' || s[i] === '-') && s.startsWith('{{', i + 1)) {
    const op = s[i]
    const e2 = close(i + 3)
    const b = parseHistogramBody(s.slice(i + 3, e2))
    i = e2 + 2
    m = /^x(\d+)/.exec(s.slice(i))
    if (!m) throw new Error(`expected xN after a histogram increment in ${JSON.stringify(s)}`)
    const n = Number(m[1])
    // the flag of the last histogram parsed (parse.go lastHistogramCounterResetHintSet): B's
    const out: HistValue[] = [{h: a.h, hintSet: b.hintSet}]
    let cur = a.h
    for (let k = 1; k <= n; k++) {
      if (cur.schema > b.h.schema) throw new Error(`error combining histograms: cannot merge from schema ${b.h.schema} to ${cur.schema}`)
      const next = cur.copy()
      if (op === '+') next.add(b.h)
      else next.sub(b.h)
      out.push({h: next, hintSet: b.hintSet})
      cur = next
    }
    return {values: out, end: i + m[0].length}
  }
  return {values: [a], end: i}
}

const EPSILON = 0.000001
const MIN_NORMAL = 2.2250738585072014e-308

function almost(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true
  if (a === b) return true
  const absSum = Math.abs(a) + Math.abs(b)
  const diff = Math.abs(a - b)
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < EPSILON * MIN_NORMAL
  return diff / Math.min(absSum, Number.MAX_VALUE) < EPSILON
}

function bucketsMatch(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (!almost(a[i]!, b[i]!)) return false
  return true
}

/** test.go compareNativeHistogram over Compact(0) copies of both. */
export function histogramsMatch(want: HistValue, got: FloatHistogram): boolean {
  const e = want.h.copy().compact(0)
  const c = got.copy().compact(0)
  if (e.schema !== c.schema || !almost(e.count, c.count) || !almost(e.sum, c.sum)) return false
  if (e.usesCustomBuckets() && !customBoundsMatch(e.customValues, c.customValues)) return false
  if (e.zeroThreshold !== c.zeroThreshold || !almost(e.zeroCount, c.zeroCount)) return false
  if (!spansMatch(e.negativeSpans, c.negativeSpans) || !bucketsMatch(e.negativeBuckets, c.negativeBuckets)) return false
  if (!spansMatch(e.positiveSpans, c.positiveSpans) || !bucketsMatch(e.positiveBuckets, c.positiveBuckets)) return false
  if (want.hintSet && want.h.counterResetHint !== got.counterResetHint) return false
  return true
}

/** For failure messages. */
export function describeHistogram(h: FloatHistogram): string {
  const c = h.copy().compact(0)
  const parts = [`schema:${c.schema}`, `count:${c.count}`, `sum:${c.sum}`]
  if (c.zeroThreshold) parts.push(`z_bucket_w:${c.zeroThreshold}`)
  if (c.zeroCount) parts.push(`z_bucket:${c.zeroCount}`)
  if (c.positiveBuckets.length) parts.push(`pos:${Array.from(c.positiveSpans).join(',')}/[${Array.from(c.positiveBuckets).join(' ')}]`)
  if (c.negativeBuckets.length) parts.push(`neg:${Array.from(c.negativeSpans).join(',')}/[${Array.from(c.negativeBuckets).join(' ')}]`)
  if (c.customValues) parts.push(`custom_values:[${Array.from(c.customValues).join(' ')}]`)
  parts.push(`hint:${h.counterResetHint}`)
  return `{{${parts.join(' ')}}}`
}
