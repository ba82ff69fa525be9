/** Binary operators with Prometheus's vector matching (promql/engine.go VectorBinop/VectorAnd/...). */
import {ExecutionError} from '../../errors.js'
import {labelsKey, labelsToGoString, METRIC_NAME, sortLabels, type Label, type Labels} from '../../labels/labels.js'
import type {BinaryExpr, VectorMatching} from '../parser/ast.js'
import {incompatibleTypesInBinOpInfo} from './annotations.js'
import type {Evaluator} from './evaluator.js'
import {isTrimOp} from './histogram-trim.js'
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
  // the trim operators (engine.go scalarBinop panics with this for them) and anything unknown
  throw new ExecutionError(`operator "${op}" not allowed for Scalar operations`)
}

export function signature(ls: Labels, vm: VectorMatching): string {
  if (vm.on) {
    const keep = new Set(vm.matchingLabels)
    return labelsKey(ls.filter((l) => keep.has(l.name)))
  }
  const drop = new Set([...vm.matchingLabels, METRIC_NAME])
  return labelsKey(ls.filter((l) => !drop.has(l.name)))
}

/** Arithmetic changes what a series measures: its name, type and unit go (engine.go changesMetricSchema). */
function changesMetricSchema(op: string): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === '^' || op === 'atan2'
}

const METADATA_LABELS = new Set([METRIC_NAME, '__type__', '__unit__'])

/**
 * The labels of a vector-vector result (engine.go resultMetric): the lhs labels; without name,
 * type and unit after arithmetic; one-to-one, only the `on` labels (so a comparison with on()
 * drops __name__ unless it is listed) or all but the `ignoring` ones; then group_x's include
 * labels from the "one" side (rhs). `dropName`: the bool comparison's name drop, when not delayed.
 */
export function resultLabels(lhs: Labels, rhs: Labels, vm: VectorMatching, op: string, dropName = false): Labels {
  let ls: Label[] = dropName || changesMetricSchema(op) ? lhs.filter((l) => !METADATA_LABELS.has(l.name)) : [...lhs]
  if (vm.card === 'one-to-one') {
    const names = new Set(vm.matchingLabels)
    ls = ls.filter((l) => names.has(l.name) === vm.on)
  }
  if (vm.include.length === 0) return ls
  for (const name of vm.include) {
    const v = rhs.find((l) => l.name === name)
    ls = ls.filter((l) => l.name !== name)
    if (v && v.value !== '') ls.push(v)
  }
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
  if (isTrimOp(op) && (l.type === 'scalar') !== (r.type === 'scalar')) {
    // the trim operators take a histogram on the left (histogram-ops.ts): a float sample with a
    // scalar has no result, only the info vectorElemBinop returns (incompatible sample types)
    const vs = l.type === 'vector' ? l.series : r.type === 'vector' ? r.series : []
    if (vs.some((s) => s.has.includes(1))) ev.annotate(incompatibleTypesInBinOpInfo('float', op, 'float', e.posRange))
    return {type: 'vector', series: []}
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
  return {type: 'vector', series: vectorVector(ev, e, l.series, r.series, vm, n, e.returnBool)}
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

/**
 * Vector-vector arithmetic and comparisons at every step, as engine.go VectorBinop: the rhs
 * (the "one" side; sides swapped for group_right) is indexed by match signature, every lhs
 * series looks up its match, a missing match takes the fill value (`fill_right`, a sample with
 * the lhs's match-group labels), and with `fill_left` unmatched rhs series meet the fill value.
 * Fill values are not swapped with the sides. Duplicate result labels are errors even for
 * results a comparison then filters out.
 */
function vectorVector(ev: Evaluator, e: BinaryExpr, lhsIn: StepSeries[], rhsIn: StepSeries[], vm: VectorMatching, n: number, dropsName: boolean): StepSeries[] {
  const op = e.op
  const isCmp = COMPARISON.has(op)
  const filter = isCmp && !e.returnBool
  const swap = vm.card === 'one-to-many'
  const lhs = swap ? rhsIn : lhsIn
  const rhs = swap ? lhsIn : rhsIn
  const lsig = lhs.map((s) => signature(s.labels, vm))
  const rsig = rhs.map((s) => signature(s.labels, vm))
  const out = new Map<string, StepSeries>()
  const fillR = vm.fillRight
  const fillL = vm.fillLeft
  // result labels per (lhs labels, rhs labels) pair, computed once for all steps
  const labelCache = new Map<Labels, Map<Labels, {labels: Labels; key: string}>>()
  const result = (l: Labels, r: Labels): {labels: Labels; key: string} => {
    let m = labelCache.get(l)
    if (!m) labelCache.set(l, (m = new Map()))
    let x = m.get(r)
    if (!x) {
      // a bool comparison drops the name here without delayed name removal (VectorBinop's
      // dropMetricName), so that the match checks below see the labels without it
      const labels = resultLabels(l, r, vm, op, dropsName && !ev.delayedNameRemoval)
      m.set(r, (x = {labels, key: labelsKey(labels)}))
    }
    return x
  }
  const noFill = fillR === undefined && fillL === undefined
  const trim = isTrimOp(op)
  if (noFill && !trim) {
    const fast = staticVectorVector(lhs, rhs, lsig, rsig, vm.card === 'one-to-one', result, op, swap, filter, n)
    if (fast) {
      if (dropsName) for (const o of fast) ev.markDropName(o)
      return fast
    }
  }
  const lFillLabels = new Map<number, Labels>()
  const rFillLabels = new Map<number, Labels>()
  const rmap = new Map<string, number>()
  const matched = new Map<string, Set<string> | true>()
  let trimInfo = false
  for (let i = 0; i < n; i++) {
    // engine.go VectorBinop short-circuits a step where either side is empty (both, with a fill
    // modifier): nothing can match, so neither side's duplicates are an error there
    let lAny = false
    let rAny = false
    for (const s of lhs) if (s.has[i]) { lAny = true; break }
    for (const s of rhs) if (s.has[i]) { rAny = true; break }
    if (!lAny && !rAny) continue
    if ((!lAny || !rAny) && noFill) continue
    rmap.clear()
    matched.clear()
    rhs.forEach((s, k) => {
      if (!s.has[i]) return
      const sig = rsig[k]!
      if (rmap.has(sig)) {
        const side = swap ? 'left' : 'right'
        throw new ExecutionError(`found duplicate series for the match group ${labelsToGoString(matchGroup(s.labels, vm))} on the ${side} hand-side of the operation: [${labelsToGoString(s.labels)}, ${labelsToGoString(rhs[rmap.get(sig)!]!.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`)
      }
      rmap.set(sig, k)
    })
    const binop = (lLabels: Labels, lv: number, rLabels: Labels, rv: number, sig: string): void => {
      if (trim) {
        // vectorElemBinop: floats cannot be trimmed; the pair has no result and, returning
        // before the match checks, cannot be a duplicate match either
        trimInfo = true
        return
      }
      const [a, b] = swap ? [rv, lv] : [lv, rv]
      const v = arith(op, a, b)
      const res = result(lLabels, rLabels)
      if (vm.card === 'one-to-one') {
        if (matched.has(sig)) throw new ExecutionError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)')
        matched.set(sig, true)
      } else {
        let seen = matched.get(sig) as Set<string> | undefined
        if (!seen) matched.set(sig, (seen = new Set()))
        if (seen.has(res.key)) throw new ExecutionError('multiple matches for labels: grouping labels must ensure unique matches')
        seen.add(res.key)
      }
      if (filter && v === 0) return
      let o = out.get(res.key)
      if (!o) {
        o = {labels: res.labels, vals: new Float64Array(n), has: new Uint8Array(n)}
        // as VectorBinop's DropName: returnBool; the lhs's own pending name drop is not carried
        // over (after arithmetic the name is gone already, see resultLabels)
        if (dropsName) ev.markDropName(o)
        out.set(res.key, o)
      } else if (o.has[i]) throw new ExecutionError('vector cannot contain metrics with the same labelset')
      // a filtering comparison keeps the original lhs value
      o.vals[i] = filter ? a : v
      o.has[i] = 1
    }
    for (let k = 0; k < lhs.length; k++) {
      const s = lhs[k]!
      if (!s.has[i]) continue
      const sig = lsig[k]!
      const rk = rmap.get(sig)
      if (rk !== undefined) {
        const rs = rhs[rk]!
        binop(s.labels, s.vals[i]!, rs.labels, rs.vals[i]!, sig)
      } else if (fillR !== undefined) {
        let fl = rFillLabels.get(k)
        if (!fl) rFillLabels.set(k, (fl = matchGroup(s.labels, vm)))
        binop(s.labels, s.vals[i]!, fl, fillR, sig)
      }
    }
    if (fillL !== undefined) {
      for (let k = 0; k < rhs.length; k++) {
        const s = rhs[k]!
        if (!s.has[i] || matched.has(rsig[k]!)) continue
        let fl = lFillLabels.get(k)
        if (!fl) lFillLabels.set(k, (fl = matchGroup(s.labels, vm)))
        binop(fl, fillL, s.labels, s.vals[i]!, rsig[k]!)
      }
    }
  }
  if (trimInfo) ev.annotate(incompatibleTypesInBinOpInfo('float', op, 'float', e.posRange))
  return [...out.values()]
}

/**
 * The common case of vectorVector, without the step loop's maps: when no match signature
 * occurs twice on the "one" side (nor, one-to-one, twice among the matched lhs series) and
 * every matched pair has its own result labels, the pairing is the same at every step and
 * none of VectorBinop's per-step errors (duplicate series on a side, multiple matches, equal
 * result labelsets) can happen at any step. So each pair is found once and the operator runs
 * over its whole arrays. undefined = not that case, the step loop decides. The series come
 * out as the step loop makes them: ordered by their first step with a result, then lhs order.
 * Needs no fill modifier (fills match per step) and no trim operator.
 */
function staticVectorVector(
  lhs: StepSeries[],
  rhs: StepSeries[],
  lsig: string[],
  rsig: string[],
  oneToOne: boolean,
  result: (l: Labels, r: Labels) => {labels: Labels; key: string},
  op: string,
  swap: boolean,
  filter: boolean,
  n: number,
): StepSeries[] | undefined {
  const rIndex = new Map<string, number>()
  for (let k = 0; k < rhs.length; k++) {
    if (rIndex.has(rsig[k]!)) return undefined
    rIndex.set(rsig[k]!, k)
  }
  const matchedSigs = oneToOne ? new Set<string>() : undefined
  const keys = new Set<string>()
  const made: {first: number; k: number; s: StepSeries}[] = []
  for (let k = 0; k < lhs.length; k++) {
    const r = rIndex.get(lsig[k]!)
    if (r === undefined) continue
    if (matchedSigs) {
      if (matchedSigs.has(lsig[k]!)) return undefined
      matchedSigs.add(lsig[k]!)
    }
    const ls = lhs[k]!
    const rs = rhs[r]!
    const res = result(ls.labels, rs.labels)
    if (keys.has(res.key)) return undefined
    keys.add(res.key)
    // a is the value of the expression's own left side (the sides are swapped for group_right)
    const av = swap ? rs.vals : ls.vals
    const bv = swap ? ls.vals : rs.vals
    const lh = ls.has
    const rh = rs.has
    let vals: Float64Array | undefined
    let has: Uint8Array | undefined
    let first = -1
    for (let i = 0; i < n; i++) {
      if (!lh[i] || !rh[i]) continue
      const a = av[i]!
      const v = arith(op, a, bv[i]!)
      if (filter && v === 0) continue
      if (first < 0) {
        first = i
        vals = new Float64Array(n)
        has = new Uint8Array(n)
      }
      vals![i] = filter ? a : v
      has![i] = 1
    }
    if (first >= 0) made.push({first, k, s: {labels: res.labels, vals: vals!, has: has!}})
  }
  made.sort((x, y) => x.first - y.first || x.k - y.k)
  return made.map((m) => m.s)
}

function matchGroup(ls: Labels, vm: VectorMatching): Labels {
  if (vm.on) return ls.filter((l) => vm.matchingLabels.includes(l.name))
  return ls.filter((l) => l.name !== METRIC_NAME && !vm.matchingLabels.includes(l.name))
}
