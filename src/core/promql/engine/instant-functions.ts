/**
 * Functions over instant vectors and scalars: math, clamp/round, dates, label manipulation,
 * sorting, absent, scalar/vector/time/timestamp, histogram_quantile over classic buckets.
 */
import {ExecutionError} from '../../errors.js'
import {compileRe2} from '../../labels/re2.js'
import {labelsKey, METRIC_NAME, sortLabels, type Label, type Labels} from '../../labels/labels.js'
import type {Call, Expr, PositionRange} from '../parser/ast.js'
import {formatGoFloat} from '../format-float.js'
import {daysInMonth, goLog, goLog10, goLog2, promDate, type GoDate} from '../functions/go-math.js'
import {isWellFormedUtf16} from '../parser/lexer.js'
import {histogramFraction, histogramQuantile, type Bucket, type Monotonicity} from '../functions/histogram.js'
import {parseGoFloat} from '../format-float.js'
import {badBucketLabelWarning, forcedMonotonicityInfo, invalidQuantileWarning} from './annotations.js'
import {unwrapParens} from './step-invariant.js'
import {absentSeries, selectorOf, type Evaluator} from './evaluator.js'
import type {EvalValue, StepSeries} from './types.js'

export const KEEP_NAME_FUNCTIONS = new Set(['last_over_time', 'first_over_time', 'sort', 'sort_desc', 'sort_by_label', 'sort_by_label_desc', 'label_replace', 'label_join'])

const SIMPLE: Record<string, (v: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  // Go's logarithms, not V8's: they differ in the last bit, and count_values makes labels of them
  ln: goLog,
  log2: goLog2,
  log10: goLog10,
  sgn: (v) => (v > 0 ? 1 : v < 0 ? -1 : v),
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  deg: (v) => (v * 180) / Math.PI,
  rad: (v) => (v * Math.PI) / 180,
}

// Dates as Go's time package computes them from int64(seconds) (see functions/go-math.ts):
// truncation toward zero, and NaN, ±Inf or out-of-range values give the date of MinInt64
const DATE: Record<string, (d: GoDate) => number> = {
  year: (d) => d.year,
  month: (d) => d.month,
  day_of_month: (d) => d.day,
  day_of_week: (d) => d.weekday,
  day_of_year: (d) => d.yearDay,
  days_in_month: daysInMonth,
  hour: (d) => d.hour,
  minute: (d) => d.minute,
}

function mapSeries(ev: Evaluator, series: StepSeries[], f: (v: number, i: number) => number, keepName = false): StepSeries[] {
  return series.map((s) => {
    const r: StepSeries = {labels: s.labels, vals: s.vals.map((v, i) => (s.has[i] ? f(v, i) : 0)), has: s.has}
    return keepName ? r : ev.markDropName(r)
  })
}

function vec(v: EvalValue | undefined, name: string): StepSeries[] {
  if (!v || v.type !== 'vector') throw new ExecutionError(`expected an instant vector argument to ${name}`)
  return v.series
}

function scal(v: EvalValue | undefined, name: string): Float64Array {
  if (!v || v.type !== 'scalar') throw new ExecutionError(`expected a scalar argument to ${name}`)
  return v.vals
}

function str(v: EvalValue | undefined, name: string): string {
  if (!v || v.type !== 'string') throw new ExecutionError(`expected a string argument to ${name}`)
  return v.v
}

export function setLabel(ls: Labels, name: string, value: string): Labels {
  const out: Label[] = ls.filter((l) => l.name !== name)
  if (value !== '') out.push({name, value})
  return sortLabels(out)
}

/** Prometheus 3's label names: any non-empty valid UTF-8 (model.UTF8Validation.IsValidLabelName). */
function validLabelName(n: string): boolean {
  return n !== '' && isWellFormedUtf16(n)
}

/** Carries `from`'s pending __name__ drop over to `to`, unless `dst` (the label set) is the name. */
function keepDrop(ev: Evaluator, from: StepSeries, to: StepSeries, dst: string): StepSeries {
  return dst !== METRIC_NAME && ev.shouldDropName(from) ? ev.markDropName(to) : to
}

export function callInstantFunction(ev: Evaluator, c: Call, args: EvalValue[], times: Float64Array): EvalValue {
  const name = c.func.name
  const n = times.length
  const simple = SIMPLE[name]
  if (simple) return {type: 'vector', series: mapSeries(ev, vec(args[0], name), simple)}
  const date = DATE[name]
  if (date) {
    if (args.length === 0) {
      // time.Unix(enh.Ts/1000, 0): integer division, toward zero
      return {type: 'vector', series: [{labels: [], vals: times.map((t) => date(promDate(Math.trunc(t / 1000)))), has: new Uint8Array(n).fill(1)}]}
    }
    return {type: 'vector', series: mapSeries(ev, vec(args[0], name), (v) => date(promDate(v)))}
  }
  switch (name) {
    case 'time':
      return {type: 'scalar', vals: times.map((t) => t / 1000)}
    case 'pi':
      return {type: 'scalar', vals: new Float64Array(n).fill(Math.PI)}
    // Prometheus 3.x: the query's own step, start, end and range (end - start), in seconds
    case 'step':
      return {type: 'scalar', vals: new Float64Array(n).fill(ev.ctx.step / 1000)}
    case 'start':
      return {type: 'scalar', vals: new Float64Array(n).fill(ev.ctx.start / 1000)}
    case 'end':
      return {type: 'scalar', vals: new Float64Array(n).fill(ev.ctx.end / 1000)}
    case 'min_of':
    case 'max_of': {
      const [a, b] = [scal(args[0], name), scal(args[1], name)]
      // Go's math.Min/Max: NaN wins
      return {type: 'scalar', vals: a.map((x, i) => (Number.isNaN(x) || Number.isNaN(b[i]!) ? NaN : name === 'min_of' ? Math.min(x, b[i]!) : Math.max(x, b[i]!)))}
    }
    case 'range':
      return {type: 'scalar', vals: new Float64Array(n).fill((ev.ctx.end - ev.ctx.start) / 1000)}
    case 'vector': {
      const s = scal(args[0], name)
      return {type: 'vector', series: [{labels: [], vals: s.slice(), has: new Uint8Array(n).fill(1)}]}
    }
    case 'scalar': {
      const series = vec(args[0], name)
      const vals = new Float64Array(n).fill(NaN)
      for (let i = 0; i < n; i++) {
        let count = 0
        let v = NaN
        for (const s of series) if (s.has[i]) { count++; v = s.vals[i]! }
        if (count === 1) vals[i] = v
      }
      return {type: 'scalar', vals}
    }
    case 'timestamp': {
      const series = vec(args[0], name)
      return {type: 'vector', series: series.map((s) => ev.markDropName({labels: s.labels, has: s.has, vals: s.vals.map((_, i) => (s.sampleTs ? s.sampleTs[i]! : times[i]!) / 1000)}))}
    }
    case 'start_timestamp': {
      // Prometheus 3: the start timestamps of a selector's samples (0 when unknown); over any
      // other expression the STs are gone and the result is empty, as Prometheus
      if (c.args[0]!.kind !== 'VectorSelector') return {type: 'vector', series: []}
      const series = vec(args[0], name)
      return {
        type: 'vector',
        series: series.map((s) => ev.markDropName({labels: s.labels, has: s.has, vals: s.sampleSt ? s.sampleSt.map((st) => st / 1000) : new Float64Array(n)})),
      }
    }
    case 'clamp': {
      const [lo, hi] = [scal(args[1], name), scal(args[2], name)]
      const series = vec(args[0], name)
      // min > max gives an empty result, as Prometheus
      return {type: 'vector', series: mapSeries(ev, series, (v, i) => Math.max(lo[i]!, Math.min(hi[i]!, v))).map((s) => ev.markDropName({...s, has: s.has.map((h, i) => (lo[i]! > hi[i]! ? 0 : h))}))}
    }
    case 'clamp_min': {
      const lo = scal(args[1], name)
      return {type: 'vector', series: mapSeries(ev, vec(args[0], name), (v, i) => (Number.isNaN(lo[i]!) ? NaN : Math.max(lo[i]!, v)))}
    }
    case 'clamp_max': {
      const hi = scal(args[1], name)
      return {type: 'vector', series: mapSeries(ev, vec(args[0], name), (v, i) => (Number.isNaN(hi[i]!) ? NaN : Math.min(hi[i]!, v)))}
    }
    case 'round': {
      const to = args[1] ? scal(args[1], name) : new Float64Array(n).fill(1)
      return {
        type: 'vector',
        series: mapSeries(ev, vec(args[0], name), (v, i) => {
          const inv = 1 / to[i]!
          return Math.floor(v * inv + 0.5) / inv
        }),
      }
    }
    case 'absent':
      return {type: 'vector', series: absentSeries(vec(args[0], name), n, c.args[0] && selectorOf(c.args[0]))}
    case 'sort':
    case 'sort_desc': {
      const series = vec(args[0], name)
      if (n !== 1) return {type: 'vector', series}
      const desc = name === 'sort_desc'
      // NaN sorts last in both directions, as Prometheus
      return {type: 'vector', series: [...series].sort((a, b) => cmpVal(a.vals[0]!, b.vals[0]!, desc))}
    }
    case 'sort_by_label':
    case 'sort_by_label_desc': {
      const series = vec(args[0], name)
      const names = args.slice(1).map((a) => str(a, name))
      const desc = name === 'sort_by_label_desc'
      const get = (s: StepSeries, l: string) => s.labels.find((x) => x.name === l)?.value ?? ''
      return {
        type: 'vector',
        series: [...series].sort((a, b) => {
          for (const l of names) {
            const r = naturalCompare(get(a, l), get(b, l))
            if (r !== 0) return desc ? -r : r
          }
          const r = labelsKey(a.labels) < labelsKey(b.labels) ? -1 : labelsKey(a.labels) > labelsKey(b.labels) ? 1 : 0
          return desc ? -r : r
        }),
      }
    }
    case 'label_replace': {
      const series = vec(args[0], name)
      const [dst, repl, src, regex] = [str(args[1], name), str(args[2], name), str(args[3], name), str(args[4], name)]
      // as evalLabelReplace: the regex first, then the destination name (any valid UTF-8 but empty)
      let re: ReturnType<typeof compileRe2>
      try {
        re = compileRe2(regex)
      } catch {
        throw new ExecutionError(`invalid regular expression in label_replace(): ${regex}`)
      }
      if (!validLabelName(dst)) throw new ExecutionError(`invalid destination label name in label_replace(): ${dst}`)
      return {
        type: 'vector',
        series: dedupCheck(
          series.map((s) => {
            const v = s.labels.find((l) => l.name === src)?.value ?? ''
            const m = re.exec(v)
            if (!m) return s
            const value = repl.replace(/\$\{(\w+)\}|\$(\w+)/g, (_x, a: string | undefined, b: string | undefined) => {
              const k = a ?? b!
              const idx = /^\d+$/.test(k) ? Number(k) : undefined
              return (idx !== undefined ? m[idx] : m.groups?.[k]) ?? ''
            })
            // a pending name drop survives unless the name itself is set (engine.go evalLabelReplace)
            return keepDrop(ev, s, {...s, labels: setLabel(s.labels, dst, value)}, dst)
          }),
        ),
      }
    }
    case 'label_join': {
      const series = vec(args[0], name)
      const dst = str(args[1], name)
      const sep = str(args[2], name)
      const srcs = args.slice(3).map((a) => str(a, name))
      for (const l of srcs) if (!validLabelName(l)) throw new ExecutionError(`invalid source label name in label_join(): ${l}`)
      if (!validLabelName(dst)) throw new ExecutionError(`invalid destination label name in label_join(): ${dst}`)
      return {
        type: 'vector',
        series: dedupCheck(series.map((s) => keepDrop(ev, s, {...s, labels: setLabel(s.labels, dst, srcs.map((l) => s.labels.find((x) => x.name === l)?.value ?? '').join(sep))}, dst))),
      }
    }
    case 'histogram_quantile': {
      const q = scal(args[0], name)
      checkQuantiles(ev, q, c.args[0]!)
      const pos = argPos(c, 1)
      const log = new MonotonicityLog(n)
      const series = classicHistogram(ev, vec(args[1], name), n, pos, quantileOf(ev, q, log), times)
      log.emit(ev, pos)
      return {type: 'vector', series}
    }
    case 'histogram_quantiles': {
      // one output series per quantile, told apart by a label holding the quantile
      const series = vec(args[0], name)
      const label = str(args[1], name)
      const qs = args.slice(2).map((a, k) => {
        const q = scal(a, name)
        checkQuantiles(ev, q, c.args[k + 2]!)
        return q
      })
      const pos = argPos(c, 0)
      const out: StepSeries[] = []
      // Prometheus makes a group's buckets monotonic in place: only the first quantile that
      // looks at them (per step) can find them needing it
      const checked = new Set<string>()
      const log = new MonotonicityLog(n)
      for (const q of qs) {
        for (const s of classicHistogram(ev, series, n, pos, quantileOf(ev, q, log, checked), times)) {
          out.push(ev.markDropName({...s, labels: setLabel(s.labels, label, quantileLabel(q[0]!))}))
        }
      }
      log.emit(ev, pos)
      return {type: 'vector', series: out}
    }
    case 'histogram_fraction': {
      const [lo, hi] = [scal(args[0], name), scal(args[1], name)]
      return {type: 'vector', series: classicHistogram(ev, vec(args[2], name), n, argPos(c, 2), (b, i) => histogramFraction(lo[i]!, hi[i]!, b))}
    }
  }
  throw new ExecutionError(`function "${name}" is not supported yet`)
}

/** A call argument's position, inside any parentheses (as PreprocessExpr leaves it). */
function argPos(c: Call, i: number): PositionRange {
  return unwrapParens(c.args[i]!).posRange
}

/** functions.go validateQuantile, at every step (the function runs even over no buckets). */
function checkQuantiles(ev: Evaluator, q: Float64Array, arg: Expr): void {
  for (const x of q) if (!(x >= 0 && x <= 1)) ev.annotate(invalidQuantileWarning(x, unwrapParens(arg).posRange))
}

/**
 * Where one histogram_quantile(s) call had to make counts monotonic, per metric name and step,
 * turned into Prometheus's info once the call is evaluated. The info's sample count is not
 * the number of such samples: engine.go's rangeEval merges the call's annotations, which the
 * function-call closure returns cumulatively, into its own set at every step, and the info's
 * Merge adds to the earlier object in place, so an info already there doubles (plus one) at
 * each later step, as in Prometheus's answers.
 */
class MonotonicityLog {
  private readonly byName = new Map<string, {adds: Uint32Array; minTs: number; maxTs: number; minBucket: number; maxBucket: number; maxDiff: number}>()

  constructor(private readonly steps: number) {}

  add(metricName: string, step: number, ts: number, m: Monotonicity): void {
    let e = this.byName.get(metricName)
    if (!e) this.byName.set(metricName, (e = {adds: new Uint32Array(this.steps), minTs: ts, maxTs: ts, minBucket: m.minBucket, maxBucket: m.maxBucket, maxDiff: m.maxDiff}))
    e.adds[step]!++
    e.minTs = Math.min(e.minTs, ts)
    e.maxTs = Math.max(e.maxTs, ts)
    if (m.minBucket < e.minBucket) e.minBucket = m.minBucket
    if (m.maxBucket > e.maxBucket) e.maxBucket = m.maxBucket
    if (m.maxDiff > e.maxDiff) e.maxDiff = m.maxDiff
  }

  emit(ev: Evaluator, pos: PositionRange): void {
    for (const [name, e] of this.byName) {
      // the merged count, step by step: k adds at the step the info first appears make k - 1;
      // after that each step adds its k and then doubles with one more
      let count: bigint | undefined
      for (let i = 0; i < this.steps; i++) {
        const k = BigInt(e.adds[i]!)
        if (count === undefined) {
          if (k > 0n) count = k - 1n
        } else count = BigInt.asIntN(64, 2n * (count + k) + 1n)
      }
      ev.annotate(forcedMonotonicityInfo(name, pos, e.minTs, e.minBucket, e.maxBucket, e.maxDiff, count ?? 0n, e.maxTs))
    }
  }
}

/** histogram_quantile of one group's buckets at step i, logging where counts were made monotonic. */
function quantileOf(ev: Evaluator, q: Float64Array, log: MonotonicityLog, checked?: Set<string>): (b: Bucket[], i: number, labels: Labels, ts: number) => number {
  const mono: Monotonicity = {checked: false, forced: false, minBucket: 0, maxBucket: 0, maxDiff: 0}
  return (b, i, labels, ts) => {
    const v = histogramQuantile(q[i]!, b, mono)
    if (checked && mono.checked) {
      const key = `${labelsKey(labels)}@${i}`
      if (checked.has(key)) return v
      checked.add(key)
    }
    if (mono.forced) log.add(annotationName(ev, labels), i, ts, mono)
    return v
  }
}

/**
 * The metric name histogram_quantile's annotations name: the group's own with delayed name
 * removal, none without (functions.go: `if enh.enableDelayedNameRemoval` around each of them).
 */
function annotationName(ev: Evaluator, labels: Labels): string {
  return ev.delayedNameRemoval ? (labels.find((l) => l.name === METRIC_NAME)?.value ?? '') : ''
}

/** The quantile as a label value: Go's shortest form with at least one decimal ("0.0", "0.25"). */
export function quantileLabel(q: number): string {
  const s = formatGoFloat(q)
  return /^-?\d+$/.test(s) ? `${s}.0` : s
}

function cmpVal(a: number, b: number, desc: boolean): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1
  if (Number.isNaN(b)) return -1
  return desc ? b - a : a - b
}

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', {numeric: true})
}

function dedupCheck(series: StepSeries[]): StepSeries[] {
  const seen = new Map<string, StepSeries>()
  for (const s of series) {
    const k = labelsKey(s.labels)
    const prev = seen.get(k)
    if (prev) {
      for (let i = 0; i < s.has.length; i++) if (s.has[i] && prev.has[i]) throw new ExecutionError('vector cannot contain metrics with the same labelset')
    }
    seen.set(k, s)
  }
  return series
}

/**
 * Groups classic `le` bucket series by all their other labels, the name included, and applies
 * f per step (engine.go resetHistograms). The result loses the name (at once, or at the end of
 * the query with delayed removal), so buckets of two differently named histograms with
 * otherwise equal labels are two results that then collide, as upstream.
 */
function classicHistogram(ev: Evaluator, series: StepSeries[], n: number, pos: PositionRange, f: (buckets: Bucket[], step: number, labels: Labels, ts: number) => number, times?: Float64Array): StepSeries[] {
  const groups = new Map<string, {labels: Labels; members: {le: number; s: StepSeries}[]}>()
  for (const s of series) {
    const le = s.labels.find((l) => l.name === 'le')?.value ?? ''
    // strconv.ParseFloat, as engine.go resetHistograms: what it rejects (a missing le is "") is
    // left out with a warning naming the metric (Prometheus 3 keeps names until the end)
    const upper = parseGoFloat(le)
    if (upper === undefined) {
      if (s.has.includes(1)) ev.annotate(badBucketLabelWarning(annotationName(ev, s.labels), le, pos))
      continue
    }
    const labels = s.labels.filter((l) => l.name !== 'le')
    const k = labelsKey(labels)
    const g = groups.get(k) ?? {labels, members: []}
    g.members.push({le: upper, s})
    groups.set(k, g)
  }
  const out: StepSeries[] = []
  for (const g of groups.values()) {
    const vals = new Float64Array(n)
    const has = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      const buckets: Bucket[] = []
      for (const m of g.members) if (m.s.has[i]) buckets.push({upperBound: m.le, count: m.s.vals[i]!})
      if (buckets.length === 0) continue
      vals[i] = f(buckets, i, g.labels, times?.[i] ?? 0)
      has[i] = 1
    }
    if (has.includes(1)) out.push(ev.markDropName({labels: g.labels, vals, has}))
  }
  return out
}
