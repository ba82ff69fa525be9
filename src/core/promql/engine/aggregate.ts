/** Aggregation operators, grouped per step as Prometheus does (promql/engine.go aggregation). */
import {ExecutionError} from '../../errors.js'
import {labelsKey, METRIC_NAME, sortLabels, type Labels} from '../../labels/labels.js'
import {formatGoFloat} from '../format-float.js'
import {kahanOut, kahanSumInc} from '../functions/kahan.js'
import {quantileOfSorted, sortNaNFirst} from '../functions/quantile.js'
import {kahanMean} from '../functions/range-kernels.js'
import type {AggregateExpr} from '../parser/ast.js'
import type {Evaluator} from './evaluator.js'
import type {EvalValue, StepSeries} from './types.js'

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
    case 'limitk':
      if (p?.some((x) => Number.isNaN(x))) throw new ExecutionError('Parameter value is NaN')
      return {type: 'vector', series: selectK(e.op, groups, p!, n, ev)}
    case 'limit_ratio':
      if (p?.some((x) => Number.isNaN(x))) throw new ExecutionError('Ratio value is NaN')
      throw new ExecutionError('limit_ratio is not supported yet')
    case 'count_values':
      return {type: 'vector', series: countValues(param?.type === 'string' ? param.v : '', groups, n)}
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

/**
 * topk/bottomk at one step as Prometheus picks them: members in input order go through a
 * binary heap of size k (Go's container/heap), and a series replaces the heap's root only when
 * strictly better, so ties keep the earlier series exactly as Prometheus does. O(n log k),
 * where sorting every step's members was O(n log n) with a closure per comparison.
 */
function heapSelect(members: StepSeries[], i: number, k: number, top: boolean, heap: number[]): number[] {
  heap.length = 0
  const v = (j: number): number => members[heap[j]!]!.vals[i]!
  // root = the worst kept: smallest for topk, largest for bottomk; NaN is worse than anything
  const less = (a: number, b: number): boolean => {
    const x = v(a)
    const y = v(b)
    if (Number.isNaN(x) && !Number.isNaN(y)) return true
    return top ? x < y : x > y
  }
  const swap = (a: number, b: number): void => {
    const t = heap[a]!
    heap[a] = heap[b]!
    heap[b] = t
  }
  const up = (j: number): void => {
    for (;;) {
      const p = (j - 1) >> 1
      if (j <= 0 || !less(j, p)) break
      swap(p, j)
      j = p
    }
  }
  const down = (i0: number): boolean => {
    const n = heap.length
    let x = i0
    for (;;) {
      const j1 = 2 * x + 1
      if (j1 >= n) break
      let j = j1
      if (j1 + 1 < n && less(j1 + 1, j1)) j = j1 + 1
      if (!less(j, x)) break
      swap(x, j)
      x = j
    }
    return x > i0
  }
  for (let m = 0; m < members.length; m++) {
    const s = members[m]!
    if (!s.has[i]) continue
    if (heap.length < k) {
      heap.push(m)
      up(heap.length - 1)
      continue
    }
    const root = v(0)
    const x = s.vals[i]!
    const better = top ? root < x : root > x
    if (better || (Number.isNaN(root) && !Number.isNaN(x))) {
      heap[0] = m
      if (k > 1 && !down(0)) up(0)
    }
  }
  return heap
}

function selectK(op: string, groups: Map<string, {labels: Labels; members: StepSeries[]}>, k: Float64Array, n: number, ev: Evaluator): StepSeries[] {
  const out = new Map<StepSeries, StepSeries>()
  const heap: number[] = []
  for (const g of groups.values()) {
    for (let i = 0; i < n; i++) {
      const kk = Math.floor(k[i]!)
      if (!(kk >= 1)) continue
      let chosen: StepSeries[]
      if (op === 'limitk') chosen = g.members.filter((s) => s.has[i]).slice(0, kk)
      else chosen = heapSelect(g.members, i, kk, op === 'topk', heap).map((j) => g.members[j]!)
      for (const s of chosen) {
        let o = out.get(s)
        if (!o) {
          o = {labels: s.labels, vals: new Float64Array(n), has: new Uint8Array(n)}
          if (ev.shouldDropName(s)) ev.markDropName(o)
          out.set(s, o)
        }
        o.vals[i] = s.vals[i]!
        o.has[i] = 1
      }
    }
  }
  const res = [...out.values()]
  // instant queries: Prometheus returns topk/bottomk results best first, NaN last
  if (n === 1 && op !== 'limitk') {
    res.sort((a, b) => {
      const x = a.vals[0]!
      const y = b.vals[0]!
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1
      return op === 'topk' ? y - x : x - y
    })
  }
  return res
}

function countValues(label: string, groups: Map<string, {labels: Labels; members: StepSeries[]}>, n: number): StepSeries[] {
  const out = new Map<string, StepSeries>()
  for (const g of groups.values()) {
    for (let i = 0; i < n; i++) {
      for (const s of g.members) {
        if (!s.has[i]) continue
        const labels = sortLabels([...g.labels.filter((l) => l.name !== label), {name: label, value: formatGoFloat(s.vals[i]!)}])
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
