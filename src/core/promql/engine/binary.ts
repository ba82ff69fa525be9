/** Binary operators with Prometheus's vector matching (promql/engine.go VectorBinop/VectorAnd/...). */
import {ExecutionError} from '../../errors.js'
import {labelsKey, labelsToString, METRIC_NAME, sortLabels, type Label, type Labels} from '../../labels/labels.js'
import type {BinaryExpr, VectorMatching} from '../parser/ast.js'
import type {Evaluator} from './evaluator.js'
import type {EvalValue, StepSeries} from './types.js'

const COMPARISON = new Set(['==', '!=', '>', '<', '>=', '<='])

/** Go math.Pow special cases where JS differs (1^NaN = 1). */
function pow(a: number, b: number): number {
  if (a === 1 || b === 0) return 1
  return a ** b
}

export function arith(op: string, a: number, b: number): number {
  switch (op) {
    case '+': return a + b
    case '-': return a - b
    case '*': return a * b
    case '/': return a / b
    case '%': return a % b
    case '^': return pow(a, b)
    case 'atan2': return Math.atan2(a, b)
    case '==': return a === b ? 1 : 0
    case '!=': return a !== b ? 1 : 0
    case '>': return a > b ? 1 : 0
    case '<': return a < b ? 1 : 0
    case '>=': return a >= b ? 1 : 0
    case '<=': return a <= b ? 1 : 0
  }
  throw new ExecutionError(`operator "${op}" not allowed here`)
}

function signature(ls: Labels, vm: VectorMatching): string {
  if (vm.on) {
    const keep = new Set(vm.matchingLabels)
    return labelsKey(ls.filter((l) => keep.has(l.name)))
  }
  const drop = new Set([...vm.matchingLabels, METRIC_NAME])
  return labelsKey(ls.filter((l) => !drop.has(l.name)))
}

function resultLabels(ev: Evaluator, lhs: StepSeries, rhs: StepSeries, vm: VectorMatching, op: string, returnBool: boolean): Labels {
  let ls: Label[] = [...lhs.labels]
  if (vm.card === 'one-to-one') {
    if (vm.on) {
      const keep = new Set(vm.matchingLabels)
      ls = ls.filter((l) => keep.has(l.name) || (l.name === METRIC_NAME && !(!COMPARISON.has(op) || returnBool)))
    } else {
      const drop = new Set(vm.matchingLabels)
      ls = ls.filter((l) => !drop.has(l.name))
    }
  }
  for (const name of vm.include) {
    const v = rhs.labels.find((l) => l.name === name)
    ls = ls.filter((l) => l.name !== name)
    if (v) ls.push(v)
  }
  void ev
  return sortLabels(ls)
}

export function evalBinary(ev: Evaluator, e: BinaryExpr, l: EvalValue, r: EvalValue, n: number): EvalValue {
  const op = e.op
  const dropsName = !COMPARISON.has(op) || e.returnBool
  if (l.type === 'scalar' && r.type === 'scalar') {
    const vals = new Float64Array(n)
    for (let i = 0; i < n; i++) vals[i] = arith(op, l.vals[i]!, r.vals[i]!)
    return {type: 'scalar', vals}
  }
  if (l.type === 'vector' && r.type === 'scalar') return {type: 'vector', series: vectorScalar(ev, l.series, r.vals, op, e.returnBool, false, dropsName)}
  if (l.type === 'scalar' && r.type === 'vector') return {type: 'vector', series: vectorScalar(ev, r.series, l.vals, op, e.returnBool, true, dropsName)}
  if (l.type !== 'vector' || r.type !== 'vector') throw new ExecutionError('binary expression must contain only scalar and instant vector types')
  const vm = e.vectorMatching ?? {card: 'one-to-one', matchingLabels: [], on: false, include: []}
  switch (op) {
    case 'and':
    case 'or':
    case 'unless':
      return {type: 'vector', series: setOp(ev, op, l.series, r.series, vm, n)}
  }
  return {type: 'vector', series: vectorVector(ev, e, l.series, r.series, vm, n, dropsName)}
}

function vectorScalar(ev: Evaluator, vs: StepSeries[], sc: Float64Array, op: string, returnBool: boolean, scalarLeft: boolean, dropsName: boolean): StepSeries[] {
  const isCmp = COMPARISON.has(op)
  const out: StepSeries[] = []
  for (const s of vs) {
    const vals = new Float64Array(s.vals.length)
    const has = new Uint8Array(s.vals.length)
    let any = false
    for (let i = 0; i < vals.length; i++) {
      if (!s.has[i]) continue
      const a = scalarLeft ? sc[i]! : s.vals[i]!
      const b = scalarLeft ? s.vals[i]! : sc[i]!
      const v = arith(op, a, b)
      if (isCmp && !returnBool) {
        if (v === 0) continue
        vals[i] = s.vals[i]!
      } else vals[i] = v
      has[i] = 1
      any = true
    }
    if (!any) continue
    const res: StepSeries = {labels: s.labels, vals, has}
    if (dropsName || ev.shouldDropName(s)) ev.markDropName(res)
    out.push(res)
  }
  return out
}

function setOp(ev: Evaluator, op: string, lhs: StepSeries[], rhs: StepSeries[], vm: VectorMatching, n: number): StepSeries[] {
  const keepMark = (from: StepSeries, to: StepSeries): StepSeries => (ev.shouldDropName(from) ? ev.markDropName(to) : to)
  const lsig = lhs.map((s) => signature(s.labels, vm))
  const rsig = rhs.map((s) => signature(s.labels, vm))
  const out: StepSeries[] = []
  const present = (sigs: string[], series: StepSeries[], i: number): Set<string> => {
    const set = new Set<string>()
    series.forEach((s, k) => {
      if (s.has[i]) set.add(sigs[k]!)
    })
    return set
  }
  const rPresent: Set<string>[] = []
  const lPresent: Set<string>[] = []
  for (let i = 0; i < n; i++) {
    rPresent.push(present(rsig, rhs, i))
    if (op === 'or') lPresent.push(present(lsig, lhs, i))
  }
  lhs.forEach((s, k) => {
    if (op === 'or') return out.push(s)
    const has = s.has.map((h, i) => (h && (op === 'and' ? rPresent[i]!.has(lsig[k]!) : !rPresent[i]!.has(lsig[k]!)) ? 1 : 0))
    if (has.includes(1)) out.push(keepMark(s, {...s, has}))
  })
  if (op === 'or') {
    rhs.forEach((s, k) => {
      const has = s.has.map((h, i) => (h && !lPresent[i]!.has(rsig[k]!) ? 1 : 0))
      if (has.includes(1)) out.push(keepMark(s, {...s, has}))
    })
  }
  return out
}

function vectorVector(ev: Evaluator, e: BinaryExpr, lhsIn: StepSeries[], rhsIn: StepSeries[], vm: VectorMatching, n: number, dropsName: boolean): StepSeries[] {
  const op = e.op
  const isCmp = COMPARISON.has(op)
  const swap = vm.card === 'one-to-many'
  const lhs = swap ? rhsIn : lhsIn
  const rhs = swap ? lhsIn : rhsIn
  const lsig = lhs.map((s) => signature(s.labels, vm))
  const rsig = rhs.map((s) => signature(s.labels, vm))
  const out = new Map<string, StepSeries>()
  const fillL = swap ? vm.fillRight : vm.fillLeft
  const fillR = swap ? vm.fillLeft : vm.fillRight
  for (let i = 0; i < n; i++) {
    const rmap = new Map<string, number>()
    rhs.forEach((s, k) => {
      if (!s.has[i]) return
      const sig = rsig[k]!
      if (rmap.has(sig)) {
        const side = swap ? 'left' : 'right'
        throw new ExecutionError(`found duplicate series for the match group ${labelsToString(matchGroup(s.labels, vm))} on the ${side} hand-side of the operation: [${labelsToString(rhs[rmap.get(sig)!]!.labels)}, ${labelsToString(s.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`)
      }
      rmap.set(sig, k)
    })
    const seenL = new Map<string, number>()
    const matchedR = new Set<string>()
    lhs.forEach((s, k) => {
      if (!s.has[i]) return
      const sig = lsig[k]!
      let rk = rmap.get(sig)
      let rs: StepSeries | undefined = rk !== undefined ? rhs[rk] : undefined
      if (rs === undefined && fillR === undefined) return
      if (vm.card === 'one-to-one') {
        if (seenL.has(sig)) throw new ExecutionError(`multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)`)
        seenL.set(sig, k)
      }
      matchedR.add(sig)
      let a = s.vals[i]!
      let b = rs ? rs.vals[i]! : fillR!
      if (swap) [a, b] = [b, a]
      const v = arith(op, a, b)
      if (isCmp && !e.returnBool && v === 0) return
      rs ??= {labels: s.labels, vals: new Float64Array(0), has: new Uint8Array(0)}
      emit(s, rs, isCmp && !e.returnBool ? (swap ? b : a) : v)
    })
    if (fillL !== undefined) {
      rhs.forEach((s, k) => {
        if (!s.has[i] || matchedR.has(rsig[k]!)) return
        let a = fillL
        let b = s.vals[i]!
        if (swap) [a, b] = [b, a]
        const v = arith(op, a, b)
        if (isCmp && !e.returnBool && v === 0) return
        emit(s, s, isCmp && !e.returnBool ? (swap ? b : a) : v)
      })
    }
    function emit(ls: StepSeries, rs: StepSeries, v: number): void {
      const labels = resultLabels(ev, ls, rs, vm, op, e.returnBool)
      const key = labelsKey(labels)
      let o = out.get(key)
      if (!o) {
        o = {labels, vals: new Float64Array(n), has: new Uint8Array(n)}
        if (dropsName || ev.shouldDropName(ls)) ev.markDropName(o)
        out.set(key, o)
      } else if (o.has[i]) {
        if (vm.card !== 'one-to-one') throw new ExecutionError('multiple matches for labels: grouping labels must ensure unique matches')
        throw new ExecutionError('vector cannot contain metrics with the same labelset')
      }
      o.vals[i] = v
      o.has[i] = 1
    }
  }
  return [...out.values()]
}

function matchGroup(ls: Labels, vm: VectorMatching): Labels {
  if (vm.on) return ls.filter((l) => vm.matchingLabels.includes(l.name))
  return ls.filter((l) => l.name !== METRIC_NAME && !vm.matchingLabels.includes(l.name))
}
