/**
 * parser/: PromQL lexer, parser, AST, printer and ParseError. Knows nothing of evaluation.
 *
 * ast.ts is the contract between the parser and the engine. Nodes are plain objects with a
 * `kind` discriminant (TypeScript narrows on it); positions are 0-based UTF-16 offsets into
 * the query string, [start, end), as Prometheus's posrange.PositionRange.
 */
import type {Matcher} from '../../labels/matcher.js'

export interface PositionRange {
  start: number
  end: number
}

export type ValueType = 'none' | 'vector' | 'scalar' | 'matrix' | 'string'

export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'count'
  | 'min'
  | 'max'
  | 'group'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'count_values'
  | 'quantile'
  | 'limitk'
  | 'limit_ratio'

export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | 'atan2'
  | '=='
  | '!='
  | '>'
  | '<'
  | '>='
  | '<='
  | '</'
  | '>/'
  | 'and'
  | 'or'
  | 'unless'

export type VectorMatchCardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many'

export interface VectorMatching {
  card: VectorMatchCardinality
  /** Labels that define equality of a pair (with `on`), or that are ignored (with `ignoring`). */
  matchingLabels: string[]
  /** True for `on(...)`, false for `ignoring(...)` or no modifier. */
  on: boolean
  /** group_left/group_right extra labels from the "one" side. */
  include: string[]
  /** Prometheus 3 fill modifiers: value used when the left/right side has no match. */
  fillLeft?: number
  fillRight?: number
}

export type StartOrEnd = 'start' | 'end' | undefined

/** Prometheus 3 duration expressions, e.g. `[5m+1m]`, `offset (1h*2)`, `step()`. */
export interface DurationExpr {
  kind: 'DurationExpr'
  op: '+' | '-' | '*' | '/' | '%' | '^' | 'step' | 'min' | 'max' | 'number'
  lhs?: Expr
  rhs?: Expr
  wrapped: boolean
  posRange: PositionRange
  /**
   * Set when the value depends on the query (step(), range()): computes the duration in ms from
   * the query's step and range (end - start), both in ms. Constant expressions are folded at
   * parse time into the node's range/offset/step field instead.
   */
  dynamic?: (stepMs: number, rangeMs: number) => number
  /** Source text of a dynamic expression, for printing. */
  text?: string
}

export interface AggregateExpr {
  kind: 'AggregateExpr'
  op: AggregateOp
  expr: Expr
  param?: Expr
  grouping: string[]
  without: boolean
  posRange: PositionRange
}

export interface BinaryExpr {
  kind: 'BinaryExpr'
  op: BinaryOp
  lhs: Expr
  rhs: Expr
  /** Set when both sides are vectors. */
  vectorMatching?: VectorMatching
  returnBool: boolean
  posRange: PositionRange
}

export interface FunctionDef {
  name: string
  argTypes: ValueType[]
  /** -1: unlimited trailing args of the last type; n>0: up to n optional args. */
  variadic: number
  returnType: ValueType
  experimental: boolean
}

export interface Call {
  kind: 'Call'
  func: FunctionDef
  args: Expr[]
  posRange: PositionRange
}

export interface MatrixSelector {
  kind: 'MatrixSelector'
  vectorSelector: VectorSelector
  /** Range in ms. */
  range: number
  rangeExpr?: DurationExpr
  posRange: PositionRange
}

export interface SubqueryExpr {
  kind: 'SubqueryExpr'
  expr: Expr
  /** ms */
  range: number
  rangeExpr?: DurationExpr
  /** As written in the query, ms. */
  originalOffset: number
  originalOffsetExpr?: DurationExpr
  /** Offset used at evaluation (the engine may rewrite it), ms. */
  offset: number
  /** `@` timestamp in ms, when given. */
  timestamp?: number
  startOrEnd: StartOrEnd
  /** ms; 0 means "use the default evaluation interval". */
  step: number
  stepExpr?: DurationExpr
  posRange: PositionRange
}

export interface NumberLiteral {
  kind: 'NumberLiteral'
  val: number
  /** Written as a duration (e.g. `5m` used as a number); the printer keeps that form. */
  duration: boolean
  posRange: PositionRange
}

export interface ParenExpr {
  kind: 'ParenExpr'
  expr: Expr
  posRange: PositionRange
}

export interface StringLiteral {
  kind: 'StringLiteral'
  val: string
  posRange: PositionRange
}

export interface UnaryExpr {
  kind: 'UnaryExpr'
  op: '+' | '-'
  expr: Expr
  posRange: PositionRange
}

export interface VectorSelector {
  kind: 'VectorSelector'
  /** Metric name if given outside braces (or via `__name__=` / a quoted name), else ''. */
  name: string
  labelMatchers: Matcher[]
  originalOffset: number
  originalOffsetExpr?: DurationExpr
  offset: number
  timestamp?: number
  startOrEnd: StartOrEnd
  /** Prometheus 3 extended range selectors (`anchored`, `smoothed` modifiers). */
  anchored: boolean
  smoothed: boolean
  /** info()'s second argument may omit a non-empty matcher. */
  bypassEmptyMatcherCheck: boolean
  posRange: PositionRange
}

/** Engine-internal wrapper for subtrees whose value is the same at every step. */
export interface StepInvariantExpr {
  kind: 'StepInvariantExpr'
  expr: Expr
  posRange: PositionRange
}

export type Expr =
  | AggregateExpr
  | BinaryExpr
  | Call
  | MatrixSelector
  | SubqueryExpr
  | NumberLiteral
  | ParenExpr
  | StringLiteral
  | UnaryExpr
  | VectorSelector
  | StepInvariantExpr
  | DurationExpr

/** The type an expression evaluates to, as Prometheus's Expr.Type(). */
export function exprType(e: Expr): ValueType {
  switch (e.kind) {
    case 'AggregateExpr':
    case 'VectorSelector':
      return 'vector'
    case 'Call':
      return e.func.returnType
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix'
    case 'NumberLiteral':
    case 'DurationExpr':
      return 'scalar'
    case 'StringLiteral':
      return 'string'
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return exprType(e.expr)
    case 'BinaryExpr':
      return exprType(e.lhs) === 'scalar' && exprType(e.rhs) === 'scalar' ? 'scalar' : 'vector'
  }
}

/** Direct children, in source order (as Prometheus's parser.Children). */
export function children(e: Expr): Expr[] {
  switch (e.kind) {
    case 'AggregateExpr':
      return e.param ? [e.expr, e.param] : [e.expr]
    case 'BinaryExpr':
      return [e.lhs, e.rhs]
    case 'Call':
      return e.args
    case 'MatrixSelector':
      return [e.vectorSelector]
    case 'SubqueryExpr':
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return [e.expr]
    case 'DurationExpr':
      return [e.lhs, e.rhs].filter((x): x is Expr => x !== undefined)
    default:
      return []
  }
}

/** Depth-first walk; `visit` receives the node and its ancestors (root first). */
export function inspect(e: Expr, visit: (node: Expr, path: readonly Expr[]) => void, path: Expr[] = []): void {
  visit(e, path)
  path.push(e)
  for (const c of children(e)) inspect(c, visit, path)
  path.pop()
}
