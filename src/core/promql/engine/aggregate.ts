/** Aggregation operators, grouped per step as Prometheus does (promql/engine.go aggregation). */
import {ExecutionError} from '../../errors.js'
import {labelsKey, METRIC_NAME, sortLabels, type Labels} from '../../labels/labels.js'
import {formatGoFloat, formatGoG} from '../format-float.js'
import {labelsHash} from '../functions/xxhash64.js'
import {kahanOut, kahanSumInc} from '../functions/kahan.js'
import {quantileOfSorted, sortNaNFirst} from '../functions/quantile.js'
import {kahanMean} from '../functions/range-kernels.js'
import {histogramString} from '../functions/native-histogram.js'
import {isWellFormedUtf16} from '../parser/lexer.js'
import type {AggregateExpr} from '../parser/ast.js'
import {invalidQuantileWarning, invalidRatioWarning} from './annotations.js'
import type {Evaluator} from './evaluator.js'
import {unwrapParens} from './step-invariant.js'
import type {EvalValue, StepSeries} from './types.js'

/** A Go-quoted string (strconv.Quote) of a value whose invalid UTF-8 bytes are lone surrogates (lexer.ts decodeUtf8Escaped). */
function goQuoteBytes(s: string): string {
  return JSON.stringify(s).replace(/\\udc([89a-f][0-9a-f])/gi, (_, b: string) => `\\x${b.toLowerCase()}`)
}

function groupLabels(ls: Labels, grouping: string[], without: boolean): Labels {
  if (without) {
    const drop = new Set([...grouping, METRIC_NAME])
    return ls.filter((l) => !drop.has(l.name))
  }
  const keep = new Set(grouping)
  return ls.filter((l) => keep.has(l.name))
}

export function evalAggregate(ev: Evaluator, e: AggregateExpr, input: StepSeries[], param: EvalValue | undefined, n: number): EvalValue {
  const groups = new Map<string, {labels: Labels; members: StepSeries[]}>()
  const order: string[] = []
  for (const s of input) {
    // grouped by the labels as they are: a name due to be dropped still partitions (Prometheus 3
    // delayed name removal: sum by (__name__) (rate(x[5m])) keeps one group per metric name)
    const labels = groupLabels(s.labels, e.grouping, e.without)
    const k = labelsKey(labels)
    let g = groups.get(k)
    if (!g) {
      g = {labels, members: []}
      groups.set(k, g)
      order.push(k)
    }
    g.members.push(s)
  }
  const p = param?.type === 'scalar' ? param.vals : undefined
  switch (e.op) {
    case 'topk':
    case 'bottomk':
    case 'limitk': {
      // as rangeEvalAgg: all k below 1 is an empty result before NaN or range checks
      if (!p || max(p) < 1) return {type: 'vector', series: []}
      if (p.some((x) => Number.isNaN(x))) throw new ExecutionError('Parameter value is NaN')
      const lo = min(p)
      const hi = max(p)
      if (lo <= -9223372036854775808) throw new ExecutionError(`Scalar value ${formatGoG(lo)} underflows int64`)
      if (hi >= 9223372036854775807) throw new ExecutionError(`Scalar value ${formatGoG(hi)} overflows int64`)
      return {type: 'vector', series: selectK(e.op, groups, input.length, p, n, ev)}
    }
    case 'limit_ratio': {
      if (!p || (max(p) === 0 && min(p) === 0)) return {type: 'vector', series: []}
      if (p.some((x) => Number.isNaN(x))) throw new ExecutionError('Ratio value is NaN')
      // engine.go rangeEvalAgg: ratios beyond ±1 are capped, with a warning per side
      const pos = unwrapParens(e.param!).posRange
      if (max(p) > 1) ev.annotate(invalidRatioWarning(max(p), 1, pos))
      if (min(p) < -1) ev.annotate(invalidRatioWarning(min(p), -1, pos))
      return {type: 'vector', series: selectK(e.op, groups, input.length, p, n, ev)}
    }
    case 'count_values': {
      const label = param?.type === 'string' ? param.v : ''
      // engine.go: checked before anything is counted; any valid UTF-8 but the empty string
      if (label === '' || !isWellFormedUtf16(label)) throw new ExecutionError(`invalid label name ${goQuoteBytes(label)}`)
      return {type: 'vector', series: countValues(label, groups, n, e.without && e.grouping.includes(label))}
    }
    case 'quantile':
      // engine.go rangeEvalAgg, before any group is looked at: NaN, then the extremes over
      // all steps (Go's math.Max/Min, where a NaN makes both NaN)
      if (p) {
        const pos = unwrapParens(e.param!).posRange
        if (p.some((x) => Number.isNaN(x))) ev.annotate(invalidQuantileWarning(NaN, pos))
        if (max(p) > 1) ev.annotate(invalidQuantileWarning(max(p), pos))
        if (min(p) < 0) ev.annotate(invalidQuantileWarning(min(p), pos))
      }
      break
  }
  const out: StepSeries[] = []
  for (const k of order) {
    const g = groups.get(k)!
    const vals = new Float64Array(n)
    const has = new Uint8Array(n)
    const buf: number[] = []
    const drops = g.members.map((s) => ev.shouldDropName(s))
    // the output drops its name when a member present at the group's last step does (engine.go
    // aggregation sets the series' DropName at every step it is seen, the last one wins)
    let dropName = false
    for (let i = 0; i < n; i++) {
      buf.length = 0
      let drop = false
      for (let m = 0; m < g.members.length; m++) {
        const s = g.members[m]!
        if (!s.has[i]) continue
        buf.push(s.vals[i]!)
        drop ||= drops[m]!
      }
      if (buf.length === 0) continue
      has[i] = 1
      dropName = drop
      vals[i] = aggregateValues(e.op, buf, p ? p[i]! : NaN)
    }
    if (has.includes(1)) {
      const res: StepSeries = {labels: g.labels, vals, has}
      out.push(dropName ? ev.markDropName(res) : res)
    }
  }
  return {type: 'vector', series: out}
}

function aggregateValues(op: string, xs: number[], param: number): number {
  switch (op) {
    case 'sum': {
      let sum = 0, c = 0
      for (const x of xs) {
        sum = kahanSumInc(x, sum, c)
        c = kahanOut.c
      }
      return Number.isFinite(sum + c) ? sum + c : sum
    }
    case 'avg':
      return kahanMean(xs, 0, xs.length)
    case 'count':
      return xs.length
    case 'group':
      return 1
    case 'min': {
      let m = xs[0]!
      for (const x of xs) if (x < m || Number.isNaN(m)) m = x
      return m
    }
    case 'max': {
      let m = xs[0]!
      for (const x of xs) if (x > m || Number.isNaN(m)) m = x
      return m
    }
    case 'stddev':
    case 'stdvar': {
      let count = 0, mean = 0, cMean = 0, aux = 0, cAux = 0
      for (const x of xs) {
        count++
        const delta = x - (mean + cMean)
        mean = kahanSumInc(delta / count, mean, cMean)
        cMean = kahanOut.c
        aux = kahanSumInc(delta * (x - (mean + cMean)), aux, cAux)
        cAux = kahanOut.c
      }
      const v = (aux + cAux) / count
      return op === 'stddev' ? Math.sqrt(v) : v
    }
    case 'quantile':
      return quantileOfSorted(param, sortNaNFirst(Float64Array.from(xs)))
  }
  throw new ExecutionError(`aggregation "${op}" is not supported yet`)
}

/** Go's math.Max/Min over the steps: NaN wins. */
function max(p: Float64Array): number {
  let m = -Number.MAX_VALUE
  for (const x of p) m = Number.isNaN(x) || Number.isNaN(m) ? NaN : Math.max(m, x)
  return m
}

function min(p: Float64Array): number {
  let m = Number.MAX_VALUE
  for (const x of p) m = Number.isNaN(x) || Number.isNaN(m) ? NaN : Math.min(m, x)
  return m
}

/**
 * A binary heap of member indices ordered by their value at one step, as Go's container/heap
 * over engine.go's vectorByValueHeap (top: NaN or smallest first) or vectorByReverseValueHeap
 * (bottom: NaN or largest first). The array order is what Prometheus outputs for limitk and
 * limit_ratio and what topk/bottomk sort from, so it follows Go's push/fix exactly.
 */
class StepHeap {
  readonly idx: number[] = []
  private vals: Float64Array[] = []
  private i = 0

  constructor(private readonly top: boolean) {}

  reset(members: StepSeries[], i: number): void {
    this.idx.length = 0
    this.vals = members.map((m) => m.vals)
    this.i = i
  }

  value(j: number): number {
    return this.vals[this.idx[j]!]![this.i]!
  }

  less(a: number, b: number): boolean {
    const x = this.value(a)
    if (Number.isNaN(x)) return true
    const y = this.value(b)
    return this.top ? x < y : x > y
  }

  private swap(a: number, b: number): void {
    const t = this.idx[a]!
    this.idx[a] = this.idx[b]!
    this.idx[b] = t
  }

  private up(j: number): void {
    while (j > 0) {
      const p = (j - 1) >> 1
      if (!this.less(j, p)) break
      this.swap(p, j)
      j = p
    }
  }

  private down(i0: number): boolean {
    const n = this.idx.length
    let x = i0
    for (;;) {
      const j1 = 2 * x + 1
      if (j1 >= n) break
      let j = j1
      if (j1 + 1 < n && this.less(j1 + 1, j1)) j = j1 + 1
      if (!this.less(j, x)) break
      this.swap(x, j)
      x = j
    }
    return x > i0
  }

  push(m: number): void {
    this.idx.push(m)
    this.up(this.idx.length - 1)
  }

  /** Replaces the root and restores the heap (heap.Fix(h, 0)). */
  replaceRoot(m: number): void {
    this.idx[0] = m
    if (this.idx.length > 1 && !this.down(0)) this.up(0)
  }

  /** sort.Sort(sort.Reverse(h)): best first, NaN last. Go sorts up to 12 elements by insertion, which this is. */
  sortReverse(): void {
    const a = this.idx
    for (let i = 1; i < a.length; i++) for (let j = i; j > 0 && this.less(j - 1, j); j--) this.swap(j, j - 1)
  }
}

/**
 * topk, bottomk, limitk and limit_ratio, step by step as engine.go aggregationK: per group in
 * order of first appearance, the members in input order go through a heap. topk/bottomk keep
 * the k best (a member replaces the root only when strictly better, so ties keep earlier
 * series) and, for an instant query, come out best first; limitk keeps the first k
 * (k = min(param, number of input series)); limit_ratio keeps the members whose label hash
 * falls in the ratio (HashRatioSampler). A k below 1 or a ratio of 0 empties that step.
 */
function selectK(op: string, groups: Map<string, {labels: Labels; members: StepSeries[]}>, inputLen: number, p: Float64Array, n: number, ev: Evaluator): StepSeries[] {
  const out = new Map<StepSeries, StepSeries>()
  const ordered: StepSeries[] = []
  const heap = new StepHeap(op !== 'bottomk')
  const offsets = new Map<StepSeries, number>()
  const sampleOffset = (s: StepSeries): number => {
    let o = offsets.get(s)
    if (o === undefined) offsets.set(s, (o = Number(labelsHash(s.labels)) / 18446744073709551616))
    return o
  }
  for (let i = 0; i < n; i++) {
    const param = p[i]!
    let k = 0
    let r = 0
    if (op === 'limit_ratio') {
      if (param === 0) continue
      r = Math.max(-1, Math.min(1, param))
    } else {
      k = Math.min(Math.trunc(param), inputLen)
      if (k < 1) continue
    }
    for (const g of groups.values()) {
      const members = g.members
      heap.reset(members, i)
      for (let m = 0; m < members.length; m++) {
        const s = members[m]!
        if (!s.has[i]) continue
        if (op === 'limit_ratio') {
          const off = sampleOffset(s)
          if (r >= 0 ? off < r : off >= 1 + r) heap.push(m)
        } else if (heap.idx.length < k) heap.push(m)
        else if (op !== 'limitk') {
          const root = heap.value(0)
          const x = s.vals[i]!
          const better = op === 'topk' ? root < x : root > x
          if (better || (Number.isNaN(root) && !Number.isNaN(x))) heap.replaceRoot(m)
        }
      }
      if (n === 1 && (op === 'topk' || op === 'bottomk')) heap.sortReverse()
      for (const m of heap.idx) {
        const s = members[m]!
        let o = out.get(s)
        if (!o) {
          o = {labels: s.labels, vals: new Float64Array(n), has: new Uint8Array(n)}
          if (ev.shouldDropName(s)) ev.markDropName(o)
          out.set(s, o)
          ordered.push(o)
        }
        o.vals[i] = s.vals[i]!
        o.has[i] = 1
        // limitk/limit_ratio select histograms too (topk/bottomk only ever see floats)
        if (s.hists) (o.hists ??= new Array(n))[i] = s.hists[i]
      }
    }
  }
  // an instant query's result keeps this order (groups in order, each group's heap order)
  return ordered
}

/**
 * count_values (engine.go aggregationCountValues): the value as a label (a float as
 * strconv.FormatFloat 'f' -1, a histogram as its String()), replacing a label of that name,
 * then counted per group; `dropped` when the label is one `without` removes again.
 */
function countValues(label: string, groups: Map<string, {labels: Labels; members: StepSeries[]}>, n: number, dropped: boolean): StepSeries[] {
  const out = new Map<string, StepSeries>()
  for (const g of groups.values()) {
    for (let i = 0; i < n; i++) {
      for (const s of g.members) {
        if (!s.has[i]) continue
        const h = s.hists?.[i]
        const rest = g.labels.filter((l) => l.name !== label)
        const labels = dropped ? rest : sortLabels([...rest, {name: label, value: h ? histogramString(h) : formatGoFloat(s.vals[i]!)}])
        const key = labelsKey(labels)
        let o = out.get(key)
        if (!o) {
          o = {labels, vals: new Float64Array(n), has: new Uint8Array(n)}
          out.set(key, o)
        }
        o.vals[i] = (o.has[i] ? o.vals[i]! : 0) + 1
        o.has[i] = 1
      }
    }
  }
  return [...out.values()]
}
