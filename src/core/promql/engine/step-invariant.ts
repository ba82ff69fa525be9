/**
 * The subtrees Prometheus evaluates once and repeats at every step: the nodes its
 * PreprocessExpr wraps in a StepInvariantExpr (promql/engine.go preprocessExprHelper), at the
 * highest level that is step-invariant (an `@` selector or subquery, literals, functions of
 * those that do not depend on the evaluation time). The engine evaluates them over the first
 * step only, as a child evaluator there does, so that their samples are counted as upstream
 * counts them (once, then one more per further step), and what Prometheus sees during their
 * evaluation differs as there: they run over a single step, so e.g. no "sort in a range query"
 * warning is given under one.
 */
import type {Expr} from '../parser/ast.js'

/** engine.go's AtModifierUnsafeFunctions (promql/functions.go): results that depend on the evaluation time. */
const TIME_DEPENDENT = new Set([
  'days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'end', 'hour', 'minute', 'month', 'year',
  'predict_linear', 'range', 'start', 'step', 'time', 'timestamp',
])

/** The expression inside any parentheses (PreprocessExpr unwraps call arguments and aggregation operands). */
export function unwrapParens(e: Expr): Expr {
  let x = e
  while (x.kind === 'ParenExpr') x = x.expr
  return x
}

/** The nodes to evaluate once (the top expression itself when the whole query is invariant). */
export function stepInvariantNodes(top: Expr): Set<Expr> {
  const wrapped = new Set<Expr>()
  // [the subtree is step-invariant, it would be wrapped by its parent]
  const visit = (e: Expr): [boolean, boolean] => {
    switch (e.kind) {
      case 'VectorSelector': {
        const fixed = e.timestamp !== undefined || e.startOrEnd !== undefined
        return [fixed, fixed]
      }
      case 'AggregateExpr':
        // only the aggregated expression decides (the parameter is not looked at)
        return visit(unwrapParens(e.expr))
      case 'BinaryExpr': {
        const [li, lw] = visit(e.lhs)
        const [ri, rw] = visit(e.rhs)
        if (li && ri) return [true, true]
        if (lw) wrapped.add(unwrapParens(e.lhs))
        if (rw) wrapped.add(unwrapParens(e.rhs))
        return [false, false]
      }
      case 'Call': {
        let invariant = !TIME_DEPENDENT.has(e.func.name)
        // timestamp(x @ t) is invariant although timestamp() is not
        let timestampOfFixed = e.func.name === 'timestamp'
        const wrap = e.args.map((a) => {
          const arg = unwrapParens(a)
          const [ai, aw] = visit(arg)
          invariant &&= ai
          if (!ai || arg.kind !== 'VectorSelector') timestampOfFixed = false
          return aw
        })
        if (invariant || timestampOfFixed) return [true, true]
        e.args.forEach((a, i) => {
          if (wrap[i]) wrapped.add(unwrapParens(a))
        })
        return [false, false]
      }
      case 'MatrixSelector':
        // range functions read matrix selectors directly: never wrapped themselves
        return [visit(e.vectorSelector)[0], false]
      case 'SubqueryExpr': {
        // the inside of a subquery is wrapped whenever it is invariant, @ or not
        if (visit(e.expr)[0]) wrapped.add(unwrapParens(e.expr))
        const fixed = e.timestamp !== undefined || e.startOrEnd !== undefined
        return [fixed, fixed]
      }
      case 'ParenExpr':
      case 'UnaryExpr':
      case 'StepInvariantExpr':
        return visit(e.expr)
      case 'NumberLiteral':
      case 'StringLiteral':
      case 'DurationExpr':
        return [true, false]
    }
  }
  if (visit(top)[1]) wrapped.add(unwrapParens(top))
  return wrapped
}
