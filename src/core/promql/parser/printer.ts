/**
 * AST → canonical PromQL, as Prometheus's String() (promql/parser/printer.go): used by
 * /api/v1/format_query and round-trip tests. Duration expressions are printed with their
 * computed value (we fold constant duration arithmetic at parse time).
 */
import {METRIC_NAME} from '../../labels/labels.js'
import {MatchType, type Matcher} from '../../labels/matcher.js'
import {formatGoFloat} from '../format-float.js'
import type {Expr, VectorMatching, VectorSelector} from './ast.js'
import {formatDuration} from './duration.js'

const LEGACY_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const LEGACY_METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/

function goQuote(s: string): string {
  // JSON.stringify differs from Go's strconv.Quote only for a few control/non-printable runes
  return JSON.stringify(s).replace(/\\u007f/g, '\\x7f')
}

function labelName(s: string): string {
  return LEGACY_LABEL.test(s) ? s : goQuote(s)
}

function labelList(ls: string[]): string {
  return ls.map(labelName).join(', ')
}

function matcherString(m: Matcher): string {
  const op = m.type === MatchType.EQ ? '=' : m.type === MatchType.NEQ ? '!=' : m.type === MatchType.RE ? '=~' : '!~'
  return `${labelName(m.name)}${op}${goQuote(m.value)}`
}

function atString(ts: number | undefined, startOrEnd: 'start' | 'end' | undefined): string {
  if (ts !== undefined) return ` @ ${(ts / 1000).toFixed(3)}`
  if (startOrEnd) return ` @ ${startOrEnd}()`
  return ''
}

function durText(ms: number, e: {dynamic?: unknown; text?: string} | undefined): string {
  return e?.dynamic && e.text ? e.text : formatDuration(ms)
}

function offsetString(o: number, e?: {dynamic?: unknown; text?: string}): string {
  if (e?.dynamic && e.text) return ` offset ${e.text}`
  return o > 0 ? ` offset ${formatDuration(o)}` : o < 0 ? ` offset -${formatDuration(-o)}` : ''
}

function selectorString(vs: VectorSelector, withModifiers: boolean): string {
  const parts: string[] = []
  let name = vs.name
  for (const m of vs.labelMatchers) {
    if (m.name === METRIC_NAME && m.type === MatchType.EQ && m.value === vs.name && m.value !== '') continue
    parts.push(matcherString(m))
  }
  let out: string
  if (name !== '' && !LEGACY_METRIC.test(name)) {
    // quoted metric names live inside the braces
    parts.unshift(goQuote(name))
    name = ''
  }
  out = name
  if (parts.length > 0) {
    const sorted = name === '' && parts[0]?.startsWith('"') ? [parts[0], ...parts.slice(1).sort()] : parts.sort()
    out += `{${sorted.join(',')}}`
  }
  if (withModifiers) {
    out += atString(vs.timestamp, vs.startOrEnd)
    if (vs.anchored) out += ' anchored'
    else if (vs.smoothed) out += ' smoothed'
    out += offsetString(vs.originalOffset, vs.originalOffsetExpr)
  }
  return out
}

function matchingString(vm: VectorMatching | undefined): string {
  if (!vm) return ''
  let out = ''
  const grouped = vm.card === 'many-to-one' || vm.card === 'one-to-many'
  if (vm.matchingLabels.length > 0 || vm.on || grouped) out += ` ${vm.on ? 'on' : 'ignoring'} (${labelList(vm.matchingLabels)})`
  if (grouped) out += ` group_${vm.card === 'many-to-one' ? 'left' : 'right'} (${labelList(vm.include)})`
  if (vm.fillLeft !== undefined || vm.fillRight !== undefined) {
    if (vm.fillLeft !== undefined && vm.fillRight !== undefined && Object.is(vm.fillLeft, vm.fillRight)) out += ` fill (${formatGoFloat(vm.fillLeft)})`
    else {
      if (vm.fillLeft !== undefined) out += ` fill_left (${formatGoFloat(vm.fillLeft)})`
      if (vm.fillRight !== undefined) out += ` fill_right (${formatGoFloat(vm.fillRight)})`
    }
  }
  return out
}

export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case 'AggregateExpr': {
      let op: string = e.op
      if (e.without) op += ` without (${labelList(e.grouping)}) `
      else if (e.grouping.length > 0) op += ` by (${labelList(e.grouping)}) `
      return `${op}(${e.param ? formatExpr(e.param) + ', ' : ''}${formatExpr(e.expr)})`
    }
    case 'BinaryExpr':
      return `${formatExpr(e.lhs)} ${e.op}${e.returnBool ? ' bool' : ''}${matchingString(e.vectorMatching)} ${formatExpr(e.rhs)}`
    case 'Call':
      return `${e.func.name}(${e.args.map(formatExpr).join(', ')})`
    case 'MatrixSelector': {
      const vs = e.vectorSelector
      const ext = vs.anchored ? ' anchored' : vs.smoothed ? ' smoothed' : ''
      return `${selectorString(vs, false)}[${durText(e.range, e.rangeExpr)}]${ext}${atString(vs.timestamp, vs.startOrEnd)}${offsetString(vs.originalOffset, vs.originalOffsetExpr)}`
    }
    case 'SubqueryExpr':
      return `${formatExpr(e.expr)}[${durText(e.range, e.rangeExpr)}:${e.stepExpr?.dynamic ? durText(e.step, e.stepExpr) : e.step !== 0 ? formatDuration(e.step) : ''}]${atString(e.timestamp, e.startOrEnd)}${offsetString(e.originalOffset, e.originalOffsetExpr)}`
    case 'NumberLiteral':
      if (e.duration) return e.val < 0 ? `-${formatDuration(-e.val * 1000)}` : formatDuration(e.val * 1000)
      return formatGoFloat(e.val)
    case 'ParenExpr':
      return `(${formatExpr(e.expr)})`
    case 'StringLiteral':
      return goQuote(e.val)
    case 'UnaryExpr':
      return `${e.op}${formatExpr(e.expr)}`
    case 'VectorSelector':
      return selectorString(e, true)
    case 'StepInvariantExpr':
      return formatExpr(e.expr)
    case 'DurationExpr':
      return ''
  }
}
