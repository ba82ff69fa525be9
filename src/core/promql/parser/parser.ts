/**
 * Recursive-descent PromQL parser with precedence climbing for binary operators, producing
 * the AST of ast.ts with Prometheus's type checks (promql/parser/parse.go checkAST) and error
 * texts where we reproduce them. Precedence as Prometheus's grammar: or < and/unless <
 * comparisons < + - < * / % atan2 < ^ (right-associative); unary minus binds like `*`, so
 * `-2^2` is -4; postfix [range], [range:step], offset and @ bind tightest.
 */
import {InvalidRegexError} from '../../errors.js'
import {Matcher, MatchType} from '../../labels/matcher.js'
import {
  children,
  exprType,
  type AggregateOp,
  type BinaryOp,
  type DurationExpr,
  type Expr,
  type PositionRange,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
} from './ast.js'
import {parseDuration} from './duration.js'
import {getFunction} from './functions.js'
import {describeToken, isAggregator, lex, type Token, type TokenKind} from './lexer.js'
import {ParseError} from './parse-error.js'

export interface ParseOptions {
  /** Allow experimental functions (limitk, sort_by_label, ...). Default true, as the 3.x test runner. */
  experimentalFunctions?: boolean
}

const PRECEDENCE: Record<string, number> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '<=': 3,
  '<': 3,
  '>=': 3,
  '>': 3,
  // generated_parser.y: the trim operators share the comparisons' precedence
  '</': 3,
  '>/': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  atan2: 5,
  '^': 6,
}
const UNARY_PRECEDENCE = 5

/**
 * The deepest expression we accept: parentheses, calls, aggregations, unary and binary
 * operators (a chain `a + b + …` is as deep as it is long) and duration expressions, 1000 levels.
 * Prometheus's yacc parser has no limit (10k nested parentheses parse, in 1.4 s); our parser,
 * engine and printer recurse on the JS stack, which a few thousand levels exhaust (a
 * RangeError, an internal error to the API), so past this we give a bad_data error instead.
 */
export const MAX_NESTING = 1000
const COMPARISON = new Set(['==', '!=', '<=', '<', '>=', '>'])
const SET_OPS = new Set(['and', 'or', 'unless'])

/** A duration expression: seconds as a function of the query's step and range (seconds). */
interface DurValue {
  f: (stepSec: number, rangeSec: number) => number
  dynamic: boolean
  /** nesting of the closures in f, which run recursively */
  height: number
}

const TYPE_NAMES: Record<ValueType, string> = {vector: 'instant vector', matrix: 'range vector', scalar: 'scalar', string: 'string', none: 'none'}

export function parseExpr(input: string, opts: ParseOptions = {}): Expr {
  const p = new Parser(input, opts)
  const e = p.parseTop()
  return e
}

class Parser {
  private readonly toks: Token[]
  private i = 0
  /** recursion depth of parseBinary and durationExpr */
  private depth = 0
  private readonly heights = new WeakMap<Expr, number>()

  constructor(
    private readonly input: string,
    private readonly opts: ParseOptions,
  ) {
    this.toks = lex(input)
  }

  /** The current token; reaching the lexer's ERROR token raises its error (lex.go's error item). */
  private get tok(): Token {
    const t = this.toks[this.i]!
    if (t.error) throw t.error
    return t
  }

  /** Current token kind (a method, so TypeScript does not narrow it across next()). */
  private k(): TokenKind {
    return this.tok.kind
  }

  private peek(k = 1): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!
  }

  private next(): Token {
    const t = this.tok
    if (t.kind !== 'EOF') this.i++
    return t
  }

  fail(pos: PositionRange, msg: string): never {
    throw new ParseError(pos, msg, this.input)
  }

  private unexpected(context?: string, expected?: string): never {
    const t = this.tok
    let msg = `unexpected ${describeToken(t)}`
    if (context) msg += ` in ${context}`
    if (expected) msg += `, expected ${expected}`
    this.fail({start: t.pos, end: t.end}, msg)
  }

  private expect(kind: TokenKind, context: string, expected?: string): Token {
    if (this.k() !== kind) this.unexpected(context, expected ?? JSON.stringify(kind))
    return this.next()
  }

  private isIdent(text: string): boolean {
    return this.k() === 'IDENT' && this.tok.text === text
  }

  parseTop(): Expr {
    if (this.k() === 'EOF') this.fail({start: 0, end: 0}, 'no expression found in input')
    const e = this.parseBinary(0)
    if (this.k() !== 'EOF') this.unexpected()
    return e
  }

  // ---- binary expressions --------------------------------------------------------------

  private binaryOp(): string | undefined {
    const t = this.tok
    if (t.kind === 'IDENT') return ['and', 'or', 'unless', 'atan2'].includes(t.text) ? t.text : undefined
    return PRECEDENCE[t.kind] !== undefined ? t.kind : undefined
  }

  private parseBinary(minPrec: number): Expr {
    this.enter()
    try {
      let lhs = this.checkHeight(this.parseUnary())
      for (;;) {
        const op = this.binaryOp()
        if (op === undefined) return lhs
        const prec = PRECEDENCE[op]!
        if (prec < minPrec) return lhs
        const opTok = this.next()
        const mods = this.parseBinaryModifiers(op)
        // left-associative: the right side takes only tighter operators; ^ is right-associative
        const rhs = this.parseBinary(op === '^' ? prec : prec + 1)
        lhs = this.checkHeight(this.buildBinary(op as BinaryOp, lhs, rhs, mods, opTok))
      }
    } finally {
      this.depth--
    }
  }

  /** A DURATION token's ms; a bad one (`10m1m`) is a parse error at the token, as Prometheus's. */
  private durationOf(t: Token): number {
    try {
      return parseDuration(t.text)
    } catch (e) {
      return this.fail({start: t.pos, end: t.end}, (e as Error).message)
    }
  }

  /**
   * A NUMBER token used as a duration, in seconds: out of Go's int64 nanoseconds is Prometheus's
   * "duration out of range" at the token (parse.go durationLiteralOutOfRange).
   */
  private durationSecondsOf(t: Token): number {
    const v = parseNumber(t.text)
    if (v > 2 ** 63 / 1e9 || v < -(2 ** 63) / 1e9) this.fail({start: t.pos, end: t.end}, 'duration out of range')
    return v
  }

  /** One more level of recursion (see MAX_NESTING). */
  private enter(): void {
    if (++this.depth > MAX_NESTING) this.tooDeep(this.tok.pos)
  }

  private tooDeep(pos: number): never {
    this.fail({start: pos, end: pos}, `expression nests too deeply (more than ${MAX_NESTING} levels)`)
  }

  /**
   * e's height, from its children's (known when they were built here, so this does not
   * recurse far): a chain `a + b + c …` deepens the tree without deepening the recursion.
   */
  private checkHeight(e: Expr): Expr {
    if (this.height(e) > MAX_NESTING) this.tooDeep(e.posRange.start)
    return e
  }

  private height(e: Expr): number {
    const known = this.heights.get(e)
    if (known !== undefined) return known
    let h = 1
    for (const c of children(e)) h = Math.max(h, 1 + this.height(c))
    this.heights.set(e, h)
    return h
  }

  private parseBinaryModifiers(op: string): {returnBool: boolean; matching?: VectorMatching; pos: number} {
    const pos = this.tok.pos
    let returnBool = false
    if (this.isIdent('bool')) {
      this.next()
      returnBool = true
    }
    let matching: VectorMatching | undefined
    if (this.isIdent('on') || this.isIdent('ignoring')) {
      const on = this.next().text === 'on'
      matching = {card: 'one-to-one', matchingLabels: this.parseLabelList('grouping opts'), on, include: []}
      if (this.isIdent('group_left') || this.isIdent('group_right')) {
        const left = this.next().text === 'group_left'
        matching.card = left ? 'many-to-one' : 'one-to-many'
        matching.include = this.k() === '(' ? this.parseLabelList('grouping opts') : []
      }
    } else if (this.isIdent('group_left') || this.isIdent('group_right')) {
      this.unexpected('binary expression')
    }
    // fill modifiers only with a parenthesis: `a + fill` adds a metric called fill
    while ((this.isIdent('fill') || this.isIdent('fill_left') || this.isIdent('fill_right')) && this.peek().kind === '(') {
      const which = this.next().text
      this.expect('(', 'fill modifier')
      const v = this.parseSignedNumber('fill modifier')
      this.expect(')', 'fill modifier')
      matching ??= {card: 'one-to-one', matchingLabels: [], on: false, include: []}
      if (which !== 'fill_right') matching.fillLeft = v
      if (which !== 'fill_left') matching.fillRight = v
    }
    void op
    return {returnBool, matching, pos}
  }

  private parseSignedNumber(context: string): number {
    let sign = 1
    if (this.k() === '-' || this.k() === '+') sign = this.next().kind === '-' ? -1 : 1
    const t = this.tok
    if (t.kind === 'NUMBER') return sign * parseNumber(this.next().text)
    if (t.kind === 'IDENT' && /^(inf|nan)$/i.test(t.text)) return sign * parseNumber(this.next().text)
    return this.unexpected(context, 'number')
  }

  private buildBinary(op: BinaryOp, lhs: Expr, rhs: Expr, mods: {returnBool: boolean; matching?: VectorMatching}, opTok: Token): Expr {
    const range: PositionRange = {start: lhs.posRange.start, end: rhs.posRange.end}
    const lt = exprType(lhs)
    const rt = exprType(rhs)
    const bothVectors = lt === 'vector' && rt === 'vector'
    if (mods.returnBool && !COMPARISON.has(op)) this.fail(range, 'bool modifier can only be used on comparison operators')
    if ((lt !== 'scalar' && lt !== 'vector') || (rt !== 'scalar' && rt !== 'vector')) {
      this.fail(range, 'binary expression must contain only scalar and instant vector types')
    }
    if (SET_OPS.has(op)) {
      if (lt === 'scalar' || rt === 'scalar') this.fail(range, `set operator "${op}" not allowed in binary scalar expression`)
    }
    if (COMPARISON.has(op) && lt === 'scalar' && rt === 'scalar' && !mods.returnBool) {
      this.fail(range, 'comparisons between scalars must use BOOL modifier')
    }
    let matching = mods.matching
    if (!bothVectors && matching && (matching.matchingLabels.length > 0 || matching.on || matching.card !== 'one-to-one')) {
      this.fail(range, 'vector matching only allowed between instant vectors')
    }
    if (bothVectors) {
      matching ??= {card: 'one-to-one', matchingLabels: [], on: false, include: []}
      if (SET_OPS.has(op)) {
        if (matching.card === 'many-to-one' || matching.card === 'one-to-many') this.fail(range, `no grouping allowed for "${op}" operation`)
        if (matching.card !== 'one-to-one') this.fail(range, 'set operations must always be many-to-many')
        matching.card = 'many-to-many'
      }
      for (const l of matching.matchingLabels) {
        if (matching.on && matching.include.includes(l)) this.fail(range, `label "${l}" must not occur in ON and GROUP clause at once`)
      }
    } else matching = undefined
    void opTok
    return {kind: 'BinaryExpr', op, lhs, rhs, vectorMatching: matching, returnBool: mods.returnBool, posRange: range}
  }

  // ---- unary and postfix ---------------------------------------------------------------

  private parseUnary(): Expr {
    const t = this.tok
    if (t.kind === '-' || t.kind === '+') {
      this.next()
      const operand = this.parseBinary(UNARY_PRECEDENCE + 1)
      const ty = exprType(operand)
      if (ty !== 'scalar' && ty !== 'vector') this.fail({start: t.pos, end: operand.posRange.end}, `unary expression only allowed on expressions of type scalar or instant vector, got "${TYPE_NAMES[ty]}"`)
      if (operand.kind === 'NumberLiteral') {
        // constant-fold as Prometheus's parser does for number literals
        return {...operand, val: t.kind === '-' ? -operand.val : operand.val, posRange: {start: t.pos, end: operand.posRange.end}}
      }
      return {kind: 'UnaryExpr', op: t.kind, expr: operand, posRange: {start: t.pos, end: operand.posRange.end}}
    }
    return this.parsePostfix(this.parsePrimary())
  }

  private parsePostfix(e: Expr): Expr {
    for (;;) {
      if (this.k() === '[') e = this.parseRangeOrSubquery(e)
      else if (this.isIdent('offset')) e = this.parseOffset(e)
      else if (this.k() === '@') e = this.parseAt(e)
      else if (this.isIdent('anchored') || this.isIdent('smoothed')) {
        const t = this.next()
        const vs = e.kind === 'MatrixSelector' ? e.vectorSelector : e.kind === 'VectorSelector' ? e : undefined
        if (!vs) this.fail({start: t.pos, end: t.end}, `${t.text} modifier must be preceded by an instant vector selector or range vector selector`)
        if (t.text === 'anchored') vs.anchored = true
        else vs.smoothed = true
        e = {...e, posRange: {start: e.posRange.start, end: t.end}} as Expr
      } else return e
    }
  }

  private parseRangeOrSubquery(e: Expr): Expr {
    const open = this.next()
    const range = this.parseDurationValue('range')
    if (this.k() === ']') {
      const close = this.next()
      if (e.kind !== 'VectorSelector') this.fail({start: open.pos, end: close.end}, 'ranges only allowed for vector selectors')
      if (range.ms <= 0 && !range.expr?.dynamic) this.fail({start: open.pos, end: close.end}, `range must be greater than 0`)
      return {kind: 'MatrixSelector', vectorSelector: e, range: range.ms, rangeExpr: range.expr, posRange: {start: e.posRange.start, end: close.end}}
    }
    if (this.k() !== ':') this.unexpected('subquery selector or range', '":" or "]"')
    this.next()
    let step: {ms: number; expr?: DurationExpr} = {ms: 0}
    if (this.k() !== ']') step = this.parseDurationValue('step')
    const close = this.expect(']', 'subquery selector', '"]"')
    const ty = exprType(e)
    if (ty !== 'vector') this.fail({start: e.posRange.start, end: close.end}, `subquery is only allowed on instant vector, got ${TYPE_NAMES[ty]} instead`)
    return {
      kind: 'SubqueryExpr',
      expr: e,
      range: range.ms,
      rangeExpr: range.expr,
      originalOffset: 0,
      offset: 0,
      startOrEnd: undefined,
      step: step.ms,
      stepExpr: step.expr,
      posRange: {start: e.posRange.start, end: close.end},
    }
  }

  /** A duration, a number of seconds, or a duration expression; returns ms (0 when dynamic). */
  private parseDurationValue(context: string): {ms: number; expr?: DurationExpr} {
    const start = this.tok.pos
    const t = this.tok
    if ((t.kind === 'DURATION' || t.kind === 'NUMBER') && [']', ':'].includes(this.peek().kind)) {
      this.next()
      const ms = t.kind === 'DURATION' ? this.durationOf(t) : Math.round(this.durationSecondsOf(t) * 1000)
      // a range, or a subquery's range or step, written as one literal (generated_parser.y positive_duration_expr)
      if (ms <= 0 && context !== 'offset') this.fail({start: t.pos, end: t.end}, 'duration must be greater than 0')
      return {ms}
    }
    return this.finishDuration(this.durationExpr(0, context), start)
  }

  private finishDuration(d: DurValue, start: number): {ms: number; expr: DurationExpr} {
    const expr: DurationExpr = {kind: 'DurationExpr', op: 'number', wrapped: false, posRange: {start, end: this.toks[this.i - 1]!.end}}
    if (!d.dynamic) return {ms: Math.round(d.f(0, 0) * 1000), expr}
    const f = d.f
    expr.dynamic = (stepMs, rangeMs) => Math.round(f(stepMs / 1000, rangeMs / 1000) * 1000)
    expr.text = this.input.slice(start, expr.posRange.end)
    return {ms: 0, expr}
  }

  /**
   * Prometheus 3 duration expressions, in seconds: arithmetic over durations and numbers,
   * step(), range(), min_of(), max_of(). Returns a function of the query's step and range.
   */
  private durationExpr(minPrec: number, context: string): DurValue {
    this.enter()
    try {
      let lhs = this.durationAtom(context)
      for (;;) {
        const k = this.k()
        const prec = k === '+' || k === '-' ? 1 : k === '*' || k === '/' || k === '%' ? 2 : k === '^' ? 3 : 0
        if (prec === 0 || prec < minPrec) return lhs
        const opPos = this.next().pos
        const rhs = this.durationExpr(k === '^' ? prec : prec + 1, context)
        const [a, b] = [lhs.f, rhs.f]
        const op: (x: number, y: number) => number =
          k === '+' ? (x, y) => x + y : k === '-' ? (x, y) => x - y : k === '*' ? (x, y) => x * y : k === '/' ? (x, y) => x / y : k === '%' ? (x, y) => x % y : (x, y) => x ** y
        lhs = {f: (s, r) => op(a(s, r), b(s, r)), dynamic: lhs.dynamic || rhs.dynamic, height: 1 + Math.max(lhs.height, rhs.height)}
        if (lhs.height > MAX_NESTING) this.tooDeep(opPos)
      }
    } finally {
      this.depth--
    }
  }

  private durationAtom(context: string): DurValue {
    const t = this.tok
    if (t.kind === '-' || t.kind === '+') {
      this.next()
      // as in PromQL, a sign binds looser than `^` (`-2^2` is -4) and tighter than `*`
      this.enter()
      try {
        const v = this.durationExpr(3, context)
        if (t.kind === '+') return v
        const f = v.f
        return {f: (s, r) => -f(s, r), dynamic: v.dynamic, height: v.height + 1}
      } finally {
        this.depth--
      }
    }
    if (t.kind === 'DURATION') {
      const v = this.durationOf(this.next()) / 1000
      return {f: () => v, dynamic: false, height: 1}
    }
    if (t.kind === 'NUMBER') {
      const v = this.durationSecondsOf(this.next())
      return {f: () => v, dynamic: false, height: 1}
    }
    if (t.kind === '(') {
      this.next()
      const v = this.durationExpr(0, context)
      this.expect(')', 'duration expression', '")"')
      return v
    }
    if (t.kind === 'IDENT' && (t.text === 'step' || t.text === 'range') && this.peek().kind === '(') {
      this.next()
      this.next()
      this.expect(')', 'duration expression', '")"')
      return t.text === 'step' ? {f: (s) => s, dynamic: true, height: 1} : {f: (_s, r) => r, dynamic: true, height: 1}
    }
    if (t.kind === 'IDENT' && (t.text === 'min_of' || t.text === 'max_of') && this.peek().kind === '(') {
      this.next()
      this.next()
      const a = this.durationExpr(0, context)
      this.expect(',', 'duration expression', '","')
      const b = this.durationExpr(0, context)
      this.expect(')', 'duration expression', '")"')
      const pick = t.text === 'min_of' ? Math.min : Math.max
      return {f: (s, r) => pick(a.f(s, r), b.f(s, r)), dynamic: a.dynamic || b.dynamic, height: 1 + Math.max(a.height, b.height)}
    }
    return this.unexpected(`${context}`, 'duration')
  }

  private selectorTarget(e: Expr, what: string, t: Token): VectorSelector | Extract<Expr, {kind: 'SubqueryExpr'}> {
    if (e.kind === 'VectorSelector') return e
    if (e.kind === 'MatrixSelector') return e.vectorSelector
    if (e.kind === 'SubqueryExpr') return e
    return this.fail({start: t.pos, end: t.end}, `${what} modifier must be preceded by an instant vector selector or range vector selector or a subquery`)
  }

  private parseOffset(e: Expr): Expr {
    const t = this.next()
    const target = this.selectorTarget(e, 'offset', t)
    if (target.originalOffset !== 0 || target.originalOffsetExpr) this.fail({start: t.pos, end: t.end}, 'offset may not be set multiple times')
    const start = this.tok.pos
    // As generated_parser.y's offset_duration_expr: after `offset` comes one (optionally signed)
    // literal, step()/range()/min_of()/max_of() call or signed parenthesis, and what follows is
    // the outer expression's (`x offset step()*2` is (x offset step())*2, `offset 5m + 1` adds
    // 1 to the selector). Only an unsigned parenthesis may continue as a duration expression
    // (`offset (1h) * 2` is offset 2h).
    const sign = this.k() === '-' || this.k() === '+' ? this.tok.kind : undefined
    const at = sign ? this.peek() : this.tok
    const isFn = at.kind === 'IDENT' && ['step', 'range', 'min_of', 'max_of'].includes(at.text) && this.toks[this.toks.indexOf(at) + 1]?.kind === '('
    if (at.kind === '(' && !sign) {
      const d = this.finishDuration(this.durationExpr(0, 'offset'), start)
      target.originalOffset = d.ms
      if (d.expr.dynamic) target.originalOffsetExpr = d.expr
    } else if (at.kind === '(' || isFn) {
      if (sign) this.next()
      const atom = this.durationAtom('offset')
      const f = atom.f
      const d = this.finishDuration(sign === '-' ? {f: (s, r) => -f(s, r), dynamic: atom.dynamic, height: atom.height + 1} : atom, start)
      target.originalOffset = d.ms
      if (d.expr.dynamic) target.originalOffsetExpr = d.expr
    } else {
      const neg = this.k() === '-'
      if (neg || this.k() === '+') this.next()
      const d = this.parseDurationValueForOffset()
      target.originalOffset = neg ? -d.ms : d.ms
    }
    target.offset = target.originalOffset
    return {...e, posRange: {start: e.posRange.start, end: this.toks[this.i - 1]!.end}} as Expr
  }

  private parseDurationValueForOffset(): {ms: number} {
    const t = this.tok
    if (t.kind === 'DURATION') return {ms: this.durationOf(this.next())}
    if (t.kind === 'NUMBER') return {ms: Math.round(this.durationSecondsOf(this.next()) * 1000)}
    return this.unexpected('offset', 'duration')
  }

  private parseAt(e: Expr): Expr {
    const t = this.next()
    const target = this.selectorTarget(e, '@', t)
    if (target.timestamp !== undefined || target.startOrEnd !== undefined) this.fail({start: t.pos, end: t.end}, '@ <timestamp> may not be set multiple times')
    if (this.isIdent('start') || this.isIdent('end')) {
      target.startOrEnd = this.next().text as 'start' | 'end'
      this.expect('(', '@ modifier', '"("')
      this.expect(')', '@ modifier', '")"')
    } else if (this.k() === 'DURATION') {
      target.timestamp = this.durationOf(this.next())
    } else {
      const v = this.parseSignedNumber('@')
      if (!Number.isFinite(v)) this.fail({start: t.pos, end: this.toks[this.i - 1]!.end}, `timestamp out of bounds for @ modifier: ${v}`)
      target.timestamp = Math.round(v * 1000)
    }
    return {...e, posRange: {start: e.posRange.start, end: this.toks[this.i - 1]!.end}} as Expr
  }

  // ---- primary expressions ---------------------------------------------------------------

  private parsePrimary(): Expr {
    const t = this.tok
    switch (t.kind) {
      case 'NUMBER':
        this.next()
        return {kind: 'NumberLiteral', val: parseNumber(t.text), duration: false, posRange: {start: t.pos, end: t.end}}
      case 'DURATION':
        this.next()
        return {kind: 'NumberLiteral', val: this.durationOf(t) / 1000, duration: true, posRange: {start: t.pos, end: t.end}}
      case 'STRING':
        this.next()
        return {kind: 'StringLiteral', val: t.value!, posRange: {start: t.pos, end: t.end}}
      case '(': {
        this.next()
        const inner = this.parseBinary(0)
        const close = this.expect(')', 'paren expression', '")"')
        return {kind: 'ParenExpr', expr: inner, posRange: {start: t.pos, end: close.end}}
      }
      case '{':
        return this.parseSelector('', t.pos)
      case 'IDENT':
        return this.parseIdentExpr()
    }
    return this.unexpected()
  }

  private parseIdentExpr(): Expr {
    const t = this.tok
    const next = this.peek()
    if (/^(inf|nan)$/i.test(t.text) && next.kind !== '(' && next.kind !== '{') {
      this.next()
      return {kind: 'NumberLiteral', val: parseNumber(t.text), duration: false, posRange: {start: t.pos, end: t.end}}
    }
    if (isAggregator(t.text) && (next.kind === '(' || (next.kind === 'IDENT' && (next.text === 'by' || next.text === 'without')))) {
      return this.parseAggregation()
    }
    if (next.kind === '(') return this.parseCall()
    if (['and', 'or', 'unless', 'atan2', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset'].includes(t.text)) this.unexpected()
    this.next()
    return this.parseSelector(t.text, t.pos)
  }

  private parseCall(): Expr {
    const nameTok = this.next()
    const fn = getFunction(nameTok.text)
    if (!fn) this.fail({start: nameTok.pos, end: nameTok.end}, `unknown function with name ${JSON.stringify(nameTok.text)}`)
    if (fn.experimental && this.opts.experimentalFunctions === false) this.fail({start: nameTok.pos, end: nameTok.end}, `function ${JSON.stringify(fn.name)} is not enabled`)
    this.expect('(', 'function call')
    const args: Expr[] = []
    if (this.k() !== ')') {
      for (;;) {
        args.push(this.parseBinary(0))
        if (this.k() === ',') {
          this.next()
          if (this.k() === ')') break // trailing comma
          continue
        }
        break
      }
    }
    const close = this.expect(')', 'function call', '")"')
    const posRange = {start: nameTok.pos, end: close.end}
    const fixed = fn.argTypes.length
    if (fn.variadic === 0 && args.length !== fixed) this.fail(posRange, `expected ${fixed} argument(s) in call to ${JSON.stringify(fn.name)}, got ${args.length}`)
    if (fn.variadic !== 0) {
      const min = fn.variadic > 0 ? fixed - (fn.variadic > 0 ? Math.min(fn.variadic, fixed) : 0) : fixed - 1
      const minArgs = fn.variadic > 0 ? fixed - 1 : fixed
      if (args.length < Math.min(min, minArgs)) this.fail(posRange, `expected at least ${Math.min(min, minArgs)} argument(s) in call to ${JSON.stringify(fn.name)}, got ${args.length}`)
      if (fn.variadic > 0 && args.length > fixed - 1 + fn.variadic) this.fail(posRange, `expected at most ${fixed - 1 + fn.variadic} argument(s) in call to ${JSON.stringify(fn.name)}, got ${args.length}`)
    }
    args.forEach((a, k) => {
      const want = fn.argTypes[Math.min(k, fixed - 1)]!
      const got = exprType(a)
      if (fn.name === 'info' && k === 1 && a.kind === 'VectorSelector') {
        a.bypassEmptyMatcherCheck = true
        return
      }
      if (got !== want) this.fail(a.posRange, `expected type ${TYPE_NAMES[want]} in call to function ${JSON.stringify(fn.name)}, got ${TYPE_NAMES[got]}`)
    })
    return {kind: 'Call', func: fn, args, posRange}
  }

  private parseAggregation(): Expr {
    const opTok = this.next()
    const op = opTok.text as AggregateOp
    let grouping: string[] = []
    let without = false
    let haveGrouping = false
    const parseGrouping = (): void => {
      if (haveGrouping) this.unexpected('aggregation')
      without = this.next().text === 'without'
      grouping = this.parseLabelList('grouping opts')
      haveGrouping = true
    }
    if (this.isIdent('by') || this.isIdent('without')) parseGrouping()
    this.expect('(', 'aggregation', '"("')
    const args: Expr[] = []
    if (this.k() !== ')') {
      for (;;) {
        args.push(this.parseBinary(0))
        if (this.k() === ',') {
          this.next()
          if (this.k() === ')') break
          continue
        }
        break
      }
    }
    const close = this.expect(')', 'aggregation', '")"')
    let end = close.end
    if (this.isIdent('by') || this.isIdent('without')) {
      parseGrouping()
      end = this.toks[this.i - 1]!.end
    }
    const posRange = {start: opTok.pos, end}
    const withParam = ['topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio'].includes(op)
    if (args.length === 0) this.fail(posRange, 'no arguments for aggregate expression provided')
    if (withParam && args.length !== 2) this.fail(posRange, `wrong number of arguments for aggregate expression provided, expected 2, got ${args.length}`)
    if (!withParam && args.length !== 1) this.fail(posRange, `wrong number of arguments for aggregate expression provided, expected 1, got ${args.length}`)
    const expr = args[args.length - 1]!
    const param = withParam ? args[0] : undefined
    if (exprType(expr) !== 'vector') this.fail(expr.posRange, `expected type instant vector in aggregation expression, got ${TYPE_NAMES[exprType(expr)]}`)
    if (param) {
      const want: ValueType = op === 'count_values' ? 'string' : 'scalar'
      if (exprType(param) !== want) this.fail(param.posRange, `expected type ${TYPE_NAMES[want]} in aggregation parameter, got ${TYPE_NAMES[exprType(param)]}`)
    }
    return {kind: 'AggregateExpr', op, expr, param, grouping, without, posRange}
  }

  private parseLabelList(context: string): string[] {
    this.expect('(', context, '"("')
    const out: string[] = []
    while (this.k() !== ')') {
      const t = this.tok
      if (t.kind === 'IDENT' && /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(t.text)) out.push(this.next().text)
      else if (t.kind === 'STRING') out.push(this.next().value!)
      else this.unexpected(context, 'label')
      if (this.k() === ',') this.next()
      else if (this.k() !== ')') this.unexpected(context, '"," or ")"')
    }
    this.next()
    return out
  }

  private parseSelector(name: string, start: number): VectorSelector {
    const matchers: Matcher[] = []
    let end = this.toks[this.i - 1]?.end ?? start
    let metricName = name
    if (name !== '') matchers.push(this.matcher(MatchType.EQ, '__name__', name, {start, end}))
    if (this.k() === '{') {
      this.next()
      while (this.k() !== '}') {
        const t = this.tok
        if (t.kind === 'STRING' && [',', '}'].includes(this.peek().kind)) {
          // a quoted metric name: {"my.metric"}
          this.next()
          if (metricName !== '') this.fail({start: t.pos, end: t.end}, `metric name must not be set twice: ${JSON.stringify(metricName)} or ${JSON.stringify(t.value)}`)
          metricName = t.value!
          matchers.push(this.matcher(MatchType.EQ, '__name__', t.value!, {start: t.pos, end: t.end}))
        } else {
          let label: string
          if (t.kind === 'IDENT' && /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(t.text)) label = this.next().text
          else if (t.kind === 'STRING') label = this.next().value!
          else return this.unexpected('label matching', 'identifier or "}"')
          const opTok = this.tok
          const type = ({'=': MatchType.EQ, '!=': MatchType.NEQ, '=~': MatchType.RE, '!~': MatchType.NRE} as Record<string, MatchType>)[opTok.kind]
          if (type === undefined) this.unexpected('label matching', 'label matching operator')
          this.next()
          const v = this.tok
          if (v.kind !== 'STRING') this.unexpected('label matching', 'string')
          this.next()
          if (label === '__name__' && type === MatchType.EQ) {
            if (metricName !== '') this.fail({start: t.pos, end: v.end}, `metric name must not be set twice: ${JSON.stringify(metricName)} or ${JSON.stringify(v.value)}`)
            metricName = v.value!
          }
          matchers.push(this.matcher(type, label, v.value!, {start: t.pos, end: v.end}))
        }
        if (this.k() === ',') this.next()
        else if (this.k() !== '}') this.unexpected('label matching', '"," or "}"')
      }
      end = this.next().end
    }
    const posRange = {start, end}
    const vs: VectorSelector = {
      kind: 'VectorSelector',
      name: metricName,
      labelMatchers: matchers,
      originalOffset: 0,
      offset: 0,
      startOrEnd: undefined,
      anchored: false,
      smoothed: false,
      bypassEmptyMatcherCheck: false,
      posRange,
    }
    // checked when the selector is complete (info()'s second argument is exempt, see parseCall)
    if (!matchers.some((m) => !m.matches('')) && !this.infoSecondArgAhead()) this.fail(posRange, 'vector selector must contain at least one non-empty matcher')
    return vs
  }

  /** True while parsing info(x, {…}): its label selector may match empty. */
  private infoSecondArgAhead(): boolean {
    // walk back over the tokens to the enclosing call
    let depth = 0
    let commas = 0
    for (let k = this.i - 1; k >= 0; k--) {
      const t = this.toks[k]!
      // commas inside braces and brackets (this selector's own matchers) are not argument separators
      if (t.kind === ')' || t.kind === '}' || t.kind === ']') depth++
      else if (t.kind === '{' || t.kind === '[') depth--
      else if (t.kind === '(') {
        if (depth === 0) return commas === 1 && this.toks[k - 1]?.text === 'info'
        depth--
      } else if (t.kind === ',' && depth === 0) commas++
    }
    return false
  }

  private matcher(type: MatchType, name: string, value: string, pos: PositionRange): Matcher {
    try {
      return new Matcher(type, name, value)
    } catch (e) {
      if (e instanceof InvalidRegexError) this.fail(pos, e.message)
      throw e
    }
  }
}

/** Go's strconv.ParseFloat as PromQL uses it: decimal, hex, exponent, Inf, NaN. */
export function parseNumber(s: string): number {
  const l = s.toLowerCase()
  if (l === 'inf' || l === '+inf') return Infinity
  if (l === '-inf') return -Infinity
  if (l === 'nan') return NaN
  if (/^0x[0-9a-f]+$/.test(l)) return parseInt(l.slice(2), 16)
  return Number(s)
}
