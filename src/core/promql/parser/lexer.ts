/**
 * PromQL tokens. Context that Prometheus's lexer tracks with states (inside braces, inside
 * brackets) is handled here with two flags, so `a:b` is a metric name outside brackets and a
 * subquery colon inside them.
 */
import {ParseError} from './parse-error.js'

export type TokenKind =
  | 'EOF'
  /** A lexer error: the last token; the parser raises it when it reaches it. */
  | 'ERROR'
  | 'IDENT' // identifiers and metric names (may contain ':' outside brackets)
  | 'NUMBER'
  | 'DURATION'
  | 'STRING'
  | '(' | ')' | '{' | '}' | '[' | ']' | ',' | ':' | '@'
  | '=' | '==' | '!=' | '=~' | '!~' | '<' | '<=' | '>' | '>='
  | '</' | '>/' // the native histogram trim operators (lex.go TRIM_UPPER, TRIM_LOWER)
  | '+' | '-' | '*' | '/' | '%' | '^'

export interface Token {
  kind: TokenKind
  /** Source text. */
  text: string
  /** For STRING: the unquoted value. */
  value?: string
  pos: number
  end: number
  /** For ERROR: what the lexer found wrong there. */
  error?: ParseError
}

const KEYWORD_OPS = new Set(['and', 'or', 'unless', 'atan2'])
const AGGREGATORS = new Set(['sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio'])
const KEYWORDS = new Set(['offset', 'smoothed', 'anchored', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'fill', 'fill_left', 'fill_right', 'bool', 'start', 'end', 'step', 'range'])

export function isAggregator(s: string): boolean {
  return AGGREGATORS.has(s)
}

/** Prometheus's Item.desc(): how a token is named in "unexpected ..." messages. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'EOF':
      return 'end of input'
    case 'NUMBER':
      return `number ${JSON.stringify(t.text)}`
    case 'DURATION':
      return `duration ${JSON.stringify(t.text)}`
    case 'STRING':
      return `string ${JSON.stringify(t.value ?? t.text)}`
    case 'IDENT': {
      const lower = t.text
      if (KEYWORD_OPS.has(lower)) return `<op:${lower}>`
      if (AGGREGATORS.has(lower)) return `<aggr:${lower}>`
      if (KEYWORDS.has(lower)) return `<${lower}>`
      return `identifier ${JSON.stringify(t.text)}`
    }
    case '+': case '-': case '*': case '/': case '%': case '^':
    case '==': case '!=': case '<': case '<=': case '>': case '>=': case '=~': case '!~':
    case '</': case '>/':
      return `<op:${t.kind}>`
    default:
      return JSON.stringify(t.kind)
  }
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9'
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_'
const isAlnum = (c: string): boolean => isAlpha(c) || isDigit(c)
const DURATION_RE = /^(?:\d+(?:ms|[smhdwy]))+/
const NUMBER_RE = /^(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/

/**
 * The tokens of `input`, ending with EOF, or with an ERROR token where the lexer found a
 * problem: as lex.go's error item, it becomes the query's error only if the parser gets that
 * far (a syntax error before it is reported instead).
 */
export function lex(input: string): Token[] {
  const out: Token[] = []
  try {
    lexInto(input, out)
  } catch (e) {
    if (!(e instanceof ParseError)) throw e
    const pos = e.positionRange.start
    out.push({kind: 'ERROR', text: '', pos, end: pos, error: e})
  }
  return out
}

function lexInto(input: string, out: Token[]): void {
  let i = 0
  let braceOpen = false
  let bracketDepth = 0
  let parenDepth = 0
  const err = (pos: number, msg: string): never => {
    throw new ParseError({start: pos, end: pos + 1}, msg, input)
  }
  while (i < input.length) {
    const c = input[i]!
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
      continue
    }
    if (c === '#') {
      while (i < input.length && input[i] !== '\n') i++
      continue
    }
    const start = i
    const push = (kind: TokenKind, len: number, value?: string): void => {
      out.push({kind, text: input.slice(start, start + len), value, pos: start, end: start + len})
      i = start + len
    }
    if (isDigit(c) || (c === '.' && isDigit(input[i + 1] ?? ''))) {
      const rest = input.slice(i)
      const d = DURATION_RE.exec(rest)
      const n = NUMBER_RE.exec(rest)
      if (d && (!n || d[0].length >= n[0].length)) {
        if (isAlnum(rest[d[0].length] ?? '')) err(i, `bad number or duration syntax: ${JSON.stringify(rest.slice(0, d[0].length + 1))}`)
        push('DURATION', d[0].length)
      } else if (n) {
        if (isAlnum(rest[n[0].length] ?? '') || rest[n[0].length] === '.') err(i, `bad number or duration syntax: ${JSON.stringify(rest.slice(0, n[0].length + 1))}`)
        push('NUMBER', n[0].length)
      } else err(i, `bad number or duration syntax: ${JSON.stringify(rest.slice(0, 1))}`)
      continue
    }
    if (isAlpha(c) || (c === ':' && bracketDepth === 0 && !braceOpen)) {
      let j = i + 1
      while (j < input.length && (isAlnum(input[j]!) || (input[j] === ':' && bracketDepth === 0 && !braceOpen))) j++
      push('IDENT', j - i)
      // keywords, aggregators and keyword operators are case-insensitive, as in Prometheus
      const lower = out[out.length - 1]!.text.toLowerCase()
      if (KEYWORD_OPS.has(lower) || AGGREGATORS.has(lower) || KEYWORDS.has(lower)) out[out.length - 1]!.text = lower
      continue
    }
    if (c === '"' || c === "'" || c === '`') {
      const {value, end} = readString(input, i, err)
      push('STRING', end - i, value)
      continue
    }
    const two = input.slice(i, i + 2)
    // as lex.go, `<` or `>` directly followed by `/` is always a trim operator
    if (two === '==' || two === '!=' || two === '=~' || two === '!~' || two === '<=' || two === '>=' || two === '</' || two === '>/') {
      push(two as TokenKind, 2)
      continue
    }
    switch (c) {
      case '{':
        if (braceOpen) err(i, 'unexpected left brace \'{\'')
        braceOpen = true
        push('{', 1)
        continue
      case '}':
        if (!braceOpen) err(i, "unexpected right brace '}'")
        braceOpen = false
        push('}', 1)
        continue
      case '[':
        bracketDepth++
        push('[', 1)
        continue
      case ']':
        if (bracketDepth === 0) err(i, "unexpected right bracket ']'")
        bracketDepth--
        push(']', 1)
        continue
      case '!':
        err(i, `unexpected character after '!': ${JSON.stringify(input[i + 1] ?? '')}`)
        break
      // lex.go counts parentheses: a stray ')' and an open '(' at the end are lexer errors
      case '(':
        parenDepth++
        push('(', 1)
        continue
      case ')':
        // lex.go reports it after consuming the ')'
        if (parenDepth === 0) err(i + 1, "unexpected right parenthesis ')'")
        parenDepth--
        push(')', 1)
        continue
      case ',': case ':': case '@': case '=': case '<': case '>':
      case '+': case '-': case '*': case '/': case '%': case '^':
        push(c as TokenKind, 1)
        continue
    }
    err(i, `unexpected character: ${JSON.stringify(c)}`)
  }
  if (braceOpen) err(input.length, 'unexpected end of input inside braces')
  if (parenDepth !== 0) err(input.length, 'unclosed left parenthesis')
  out.push({kind: 'EOF', text: '', pos: input.length, end: input.length})
}

/**
 * Reads a Go-style quoted string starting at `start`; returns the unquoted value. As Go's
 * strconv.Unquote the value is bytes: `\x` and octal escapes are raw bytes, so "\xc3\xa9" is
 * "é"; bytes that do not form UTF-8 become lone surrogates (see decodeUtf8Escaped), which
 * keeps them apart from any valid text and lets label-name checks see the string is invalid.
 */
function readString(input: string, start: number, err: (pos: number, msg: string) => never): {value: string; end: number} {
  const q = input[start]!
  let i = start + 1
  if (q === '`') {
    const end = input.indexOf('`', i)
    if (end < 0) err(start, 'unterminated raw string')
    return {value: input.slice(i, end), end: end + 1}
  }
  let value = ''
  // from the first raw byte on, the value is collected as bytes and decoded at the end
  let bytes: number[] | undefined
  const flush = (): void => {
    if (bytes) value += decodeUtf8Escaped(bytes)
    bytes = undefined
  }
  const pushText = (t: string): void => {
    if (bytes) for (const b of new TextEncoder().encode(t)) bytes.push(b)
    else value += t
  }
  for (;;) {
    if (i >= input.length || input[i] === '\n') err(start, 'unterminated quoted string')
    const c = input[i]!
    if (c === q) {
      flush()
      return {value, end: i + 1}
    }
    if (c !== '\\') {
      const ch = String.fromCodePoint(input.codePointAt(i)!)
      pushText(ch)
      i += ch.length
      continue
    }
    const e = input[i + 1]
    const simple: Record<string, string> = {a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'"}
    if (e !== undefined && simple[e] !== undefined) {
      if ((e === '"' && q !== '"') || (e === "'" && q !== "'")) err(i, 'unknown escape sequence')
      pushText(simple[e])
      i += 2
      continue
    }
    const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0
    if (hexLen > 0) {
      const h = input.slice(i + 2, i + 2 + hexLen)
      if (!/^[0-9a-fA-F]+$/.test(h) || h.length !== hexLen) err(i, 'invalid escape sequence')
      const cp = parseInt(h, 16)
      if (e === 'x') (bytes ??= []).push(cp)
      else {
        if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) err(i, 'escape sequence is invalid Unicode code point')
        pushText(String.fromCodePoint(cp))
      }
      i += 2 + hexLen
      continue
    }
    if (e !== undefined && e >= '0' && e <= '7') {
      const o = input.slice(i + 1, i + 4)
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) err(i, 'invalid escape sequence')
      ;(bytes ??= []).push(parseInt(o, 8))
      i += 4
      continue
    }
    err(i, 'unknown escape sequence')
  }
}

/**
 * UTF-8 bytes to a string; each byte that is not part of a valid sequence (as Go's utf8
 * decoding sees it: no overlong forms, no surrogates, at most U+10FFFF) becomes the lone
 * surrogate U+DC00 + byte, as Python's "surrogateescape" does.
 */
export function decodeUtf8Escaped(b: readonly number[]): string {
  let out = ''
  let i = 0
  while (i < b.length) {
    const c = b[i]!
    let n = 0
    let cp = 0
    let min = 0
    if (c < 0x80) {
      out += String.fromCharCode(c)
      i++
      continue
    } else if (c >= 0xc2 && c <= 0xdf) [n, cp, min] = [1, c & 0x1f, 0x80]
    else if (c >= 0xe0 && c <= 0xef) [n, cp, min] = [2, c & 0x0f, 0x800]
    else if (c >= 0xf0 && c <= 0xf4) [n, cp, min] = [3, c & 0x07, 0x10000]
    let ok = n > 0
    for (let k = 1; ok && k <= n; k++) {
      const d = b[i + k]
      if (d === undefined || (d & 0xc0) !== 0x80) ok = false
      else cp = (cp << 6) | (d & 0x3f)
    }
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))) ok = false
    if (!ok) {
      out += String.fromCharCode(0xdc00 + c)
      i++
      continue
    }
    out += String.fromCodePoint(cp)
    i += n + 1
  }
  return out
}

/** True when s is valid UTF-8 text, i.e. has no lone surrogate (Go's utf8.ValidString). */
export function isWellFormedUtf16(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)
}
