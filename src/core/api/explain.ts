/**
 * `explain=true` (issue 18): maps each result series of a query back to the selected series
 * that fed it, and attaches their replica spans (proxy/select-explain.ts collects them per
 * select; dedup/spans.ts defines spans, holes and switches).
 *
 * The engine is not asked anything: the mapping is read off the AST. Walking from the root
 * down to every selector, each node contributes how its output labels relate to its input's,
 * as one of two forms:
 *   on(A)        output and input agree on the labels A (an aggregation `by (A)`);
 *   ignoring(B)  they agree on every label outside B (a function that drops the metric name:
 *                ignoring(__name__); label_replace(…, "dst", …): ignoring(dst); a selector
 *                itself: ignoring()).
 * Forms compose down the tree (on(A)∘ignoring(B) = on(A∖B), on(A)∘on(B) = on(A∩B),
 * ignoring(A)∘ignoring(B) = ignoring(A∪B), ignoring(A)∘on(B) = on(B∖A)), and a selected series
 * feeds a result series when they agree under the selector's composed form. So `sum by (job)
 * (rate(x[5m]))` lists, for each job, every x series of that job.
 *
 * Traced: selectors, range selectors, subqueries, offset and @, unary minus, functions
 * (label-keeping ones, label_replace/label_join, histogram_quantile's `le`), aggregations
 * (by, without; topk/bottomk/limitk/limit_ratio keep their input's labels; count_values),
 * binary operators with on/ignoring and group_left/group_right as Prometheus builds result
 * labels (promql/engine.go resultMetric), set operators, scalar operands (a selector inside
 * scalar() or any scalar argument feeds every result series). Not traced: info() (it adds
 * labels from a selector it builds while evaluating); those selectors are listed as
 * `untraced`. Approximate: inputs are matched on labels, not on time, so an input is listed
 * for a result series even at steps where it did not contribute (e.g. filtered by a
 * comparison, or the right side of `unless`).
 */
import {getLabel, labelsKey, labelsToRecord, type Labels} from '../labels/labels.js'
import {KEEP_NAME_FUNCTIONS} from '../promql/engine/instant-functions.js'
import type {QueryValue} from '../promql/engine/types.js'
import {exprType, formatExpr, type BinaryExpr, type Expr, type VectorSelector} from '../promql/parser/index.js'
import type {SelectExplainCollector, SelectedSeries, SeriesSpans} from '../proxy/select-explain.js'
import type {ApiExplain, ApiExplainInput} from './api-types.js'

/** How a result series' labels relate to a selected series' labels (see the header). */
export interface Trace {
  on: boolean
  names: ReadonlySet<string>
}

/** The labels removed with the metric name (Prometheus 3 drops type and unit with it). */
const NAME_LABELS = ['__name__', '__type__', '__unit__']
const IDENTITY: Trace = {on: false, names: new Set()}
const ALL: Trace = {on: true, names: new Set()}

const on = (names: Iterable<string>): Trace => ({on: true, names: new Set(names)})
const ignoring = (names: Iterable<string>): Trace => ({on: false, names: new Set(names)})

export function compose(outer: Trace, inner: Trace): Trace {
  const o = outer.names
  const i = inner.names
  if (outer.on && inner.on) return on([...o].filter((n) => i.has(n)))
  if (outer.on) return on([...o].filter((n) => !i.has(n)))
  if (inner.on) return on([...i].filter((n) => !o.has(n)))
  return ignoring([...o, ...i])
}

export interface TracedSelector {
  selector: VectorSelector
  /** undefined: cannot be traced (see the header). */
  trace: Trace | undefined
}

/** Every selector of `e` with the composed form from the root down to it. */
export function traceSelectors(e: Expr): TracedSelector[] {
  const out: TracedSelector[] = []
  const visit = (n: Expr, t: Trace | undefined): void => {
    const via = (child: Expr, step: Trace): void => visit(child, t && compose(t, step))
    switch (n.kind) {
      case 'VectorSelector':
        out.push({selector: n, trace: t})
        return
      case 'MatrixSelector':
        out.push({selector: n.vectorSelector, trace: t})
        return
      case 'ParenExpr':
      case 'StepInvariantExpr':
      case 'SubqueryExpr':
        return visit(n.expr, t)
      case 'UnaryExpr':
        return via(n.expr, n.op === '-' ? ignoring(NAME_LABELS) : IDENTITY)
      case 'AggregateExpr': {
        if (n.param) via(n.param, ALL)
        const keeps = n.op === 'topk' || n.op === 'bottomk' || n.op === 'limitk' || n.op === 'limit_ratio'
        return via(n.expr, keeps ? IDENTITY : n.without ? ignoring([...n.grouping, ...NAME_LABELS]) : on(n.grouping))
      }
      case 'BinaryExpr':
        return binary(n, via)
      case 'Call': {
        const name = n.func.name
        if (name === 'info') {
          for (const a of n.args) visit(a, undefined)
          return
        }
        let step = KEEP_NAME_FUNCTIONS.has(name) ? IDENTITY : ignoring(NAME_LABELS)
        if (name === 'label_replace' || name === 'label_join') {
          const dst = n.args[1]
          step = ignoring(dst?.kind === 'StringLiteral' ? [dst.val] : [])
        } else if (name === 'histogram_quantile') step = ignoring(['le', ...NAME_LABELS])
        for (const a of n.args) {
          const ty = exprType(a)
          via(a, ty === 'vector' || ty === 'matrix' ? step : ALL)
        }
        return
      }
      default:
        for (const c of childrenOf(n)) visit(c, t && compose(t, ALL))
    }
  }
  visit(e, IDENTITY)
  return out
}

function childrenOf(n: Expr): Expr[] {
  return n.kind === 'DurationExpr' ? [n.lhs, n.rhs].filter((x): x is Expr => x !== undefined) : []
}

/** Prometheus's resultMetric (promql/engine.go): which labels of which side the output keeps. */
function binary(n: BinaryExpr, via: (child: Expr, step: Trace) => void): void {
  const lt = exprType(n.lhs)
  const rt = exprType(n.rhs)
  // engine.go changesMetricSchema: comparisons, set operators and the histogram trims </ >/ keep the name
  const arithmetic = !['==', '!=', '>', '<', '>=', '<=', '</', '>/', 'and', 'or', 'unless'].includes(n.op)
  const dropsName = arithmetic || n.returnBool
  const keep = dropsName ? ignoring(NAME_LABELS) : IDENTITY
  if (lt !== 'vector' || rt !== 'vector') {
    via(n.lhs, lt === 'vector' ? keep : ALL)
    via(n.rhs, rt === 'vector' ? keep : ALL)
    return
  }
  const vm = n.vectorMatching ?? {card: 'one-to-one', matchingLabels: [], on: false, include: []}
  const m = vm.matchingLabels
  const matched = vm.on ? on(m) : ignoring([...m, ...NAME_LABELS])
  if (n.op === 'or') {
    via(n.lhs, IDENTITY)
    via(n.rhs, IDENTITY)
    return
  }
  if (n.op === 'and' || n.op === 'unless') {
    via(n.lhs, IDENTITY)
    via(n.rhs, matched)
    return
  }
  if (vm.card === 'one-to-one') {
    // with on(...) only those labels stay; else the matching labels go
    if (vm.on) {
      via(n.lhs, matched)
      via(n.rhs, matched)
    } else {
      via(n.lhs, ignoring([...m, ...(dropsName ? NAME_LABELS : [])]))
      via(n.rhs, matched)
    }
    return
  }
  // group_left / group_right: the "many" side's labels, with `include` copied from the "one" side
  const many = ignoring([...vm.include, ...(dropsName ? NAME_LABELS : [])])
  const inc = new Set(vm.include)
  const one = vm.on ? on([...m, ...vm.include]) : ignoring([...m, ...NAME_LABELS].filter((x) => !inc.has(x)))
  const [manySide, oneSide] = vm.card === 'many-to-one' ? [n.lhs, n.rhs] : [n.rhs, n.lhs]
  via(manySide, many)
  via(oneSide, one)
}

/** The key two label sets share exactly when they agree under `t`. */
export function traceKey(ls: Labels, t: Trace): string {
  if (t.on) {
    let s = ''
    for (const n of [...t.names].sort()) s += n + '\xff' + getLabel(ls, n) + '\xfe'
    return s
  }
  return labelsKey(t.names.size === 0 ? ls : ls.filter((l) => !t.names.has(l.name)))
}

/** Labels of each result series in the order of `data` (one empty set for scalars and strings). */
function resultLabels(v: QueryValue): Labels[] {
  switch (v.type) {
    case 'vector':
      return v.samples.map((s) => s.labels)
    case 'matrix':
      return v.series.map((s) => s.labels)
    default:
      return [[]]
  }
}

/**
 * The explain answer: per result series, the selected series that fed it with their spans.
 * Each selected series' spans are computed once (they run its merge again), and only here.
 */
export function buildExplain(expr: Expr, value: QueryValue, collector: SelectExplainCollector): ApiExplain {
  const traced = traceSelectors(expr)
  const cache = new Map<SelectedSeries, ApiExplainInput>()
  const input = (text: string, s: SelectedSeries): ApiExplainInput => {
    let v = cache.get(s)
    if (!v) cache.set(s, (v = inputJson(text, s.labels, s.spans())))
    return v
  }
  const untraced: string[] = []
  const indexes: {trace: Trace; text: string; byKey: Map<string, SelectedSeries[]>}[] = []
  for (const ts of traced) {
    const text = formatExpr(ts.selector)
    if (!ts.trace) {
      untraced.push(text)
      continue
    }
    const byKey = new Map<string, SelectedSeries[]>()
    const seen = new Set<string>()
    for (const sel of selectsOf(ts.selector, collector)) {
      for (const s of sel.series) {
        // the same selector selected twice (e.g. prefetch and evaluation) lists a series once
        const id = `${sel.start}:${sel.end}:${labelsKey(s.labels)}`
        if (seen.has(id)) continue
        seen.add(id)
        const k = traceKey(s.labels, ts.trace)
        const l = byKey.get(k)
        if (l) l.push(s)
        else byKey.set(k, [s])
      }
    }
    indexes.push({trace: ts.trace, text, byKey})
  }
  const series = resultLabels(value).map((ls) => ({
    metric: labelsToRecord(ls),
    inputs: indexes.flatMap((ix) => (ix.byKey.get(traceKey(ls, ix.trace)) ?? []).map((s) => input(ix.text, s))),
  }))
  return untraced.length > 0 ? {series, untraced} : {series}
}

/** The selects the engine made for this selector: by its matcher array, else by equal matchers. */
function selectsOf(vs: VectorSelector, c: SelectExplainCollector) {
  const same = c.selects.filter((s) => s.matchers === vs.labelMatchers)
  if (same.length > 0) return same
  const text = vs.labelMatchers.map(String).join(',')
  return c.selects.filter((s) => s.matchers.map(String).join(',') === text)
}

const sec = (ms: number): number => ms / 1000

function inputJson(selector: string, labels: Labels, sp: SeriesSpans): ApiExplainInput {
  return {
    selector,
    metric: labelsToRecord(labels),
    spans: sp.spans.map((s) => ({replica: labelsToRecord(s.replica.labels), store: s.replica.store, from: sec(s.from), to: sec(s.to), samples: s.samples})),
    holes: sp.holes.map((h) => ({from: sec(h.from), to: sec(h.to)})),
    switches: sp.switches.map((s) => ({at: sec(s.at), fromSpan: s.fromSpan, toSpan: s.toSpan})),
    interval: sec(sp.interval),
    tolerance: sec(sp.tolerance),
  }
}
