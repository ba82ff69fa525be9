/**
 * Which expressions Prometheus evaluates once instead of at every step (engine.go
 * PreprocessExpr / preprocessExprHelper wraps them in a StepInvariantExpr, evaluated with start
 * = end). The engine here evaluates them step by step, with the same result; what differs is
 * what Prometheus sees during evaluation, e.g. no "sort in a range query" warning under one.
 */
import type {Expr} from '../parser/ast.js'

/** Functions whose value depends on the evaluation time itself (functions.go AtModifierUnsafeFunctions). */
const TIME_DEPENDENT = new Set(['days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'end', 'hour', 'minute', 'month', 'year', 'predict_linear', 'range', 'start', 'step', 'time', 'timestamp'])

/** The expression inside any parentheses (PreprocessExpr unwraps call arguments and aggregation operands). */
export function unwrapParens(e: Expr): Expr {
  let x = e
  while (x.kind === 'ParenExpr') x = x.expr
  return x
}

/**
 * Whether `e` is step invariant, so that it (or an ancestor) is evaluated once: selectors and
 * subqueries with @ (or @ start()/end()), literals, and everything built from step-invariant
 * parts alone, except calls of time-dependent functions (timestamp() of an @ selector itself
 * excepted).
 */
export function isStepInvariant(e: Expr): boolean {
  switch (e.kind) {
    case 'VectorSelector':
      return e.timestamp !== undefined || e.startOrEnd !== undefined
    case 'MatrixSelector':
      return isStepInvariant(e.vectorSelector)
    case 'SubqueryExpr':
      return e.timestamp !== undefined || e.startOrEnd !== undefined
    case 'AggregateExpr':
      return isStepInvariant(e.expr)
    case 'BinaryExpr':
      return isStepInvariant(e.lhs) && isStepInvariant(e.rhs)
    case 'Call': {
      const args = e.args.map(unwrapParens)
      const all = args.every(isStepInvariant)
      if (!TIME_DEPENDENT.has(e.func.name)) return all
      return e.func.name === 'timestamp' && all && args.every((a) => a.kind === 'VectorSelector')
    }
    case 'ParenExpr':
    case 'UnaryExpr':
      return isStepInvariant(e.expr)
    case 'NumberLiteral':
    case 'StringLiteral':
    case 'StepInvariantExpr':
      return true
    case 'DurationExpr':
      return false
  }
}
