/**
 * RE2 regexes for label matchers and label_replace, run on V8's RegExp engine.
 *
 * Prometheus compiles a matcher regex with Go's RE2 (github.com/grafana/regexp) as
 * `^(?s:<re>)$` after parsing `<re>` on its own (model/labels/regexp.go NewFastRegexMatcher):
 * fully anchored, `.` matching newlines, RE2 syntax and errors. We parse RE2 syntax ourselves
 * (re2-syntax.ts) and print the tree as a V8 pattern in `u` mode that leans on nothing V8 and
 * RE2 could disagree on: every literal, class, `\d \w \s`, `\pL` and `(?i)` fold is spelled out
 * as explicit code point ranges from Go's tables; `^ $` (and their `(?m)` forms) are lookarounds;
 * no `i`, `m` or `s` flag is used. Only `\b \B` are left to V8 (in `u` mode without `i` they are
 * ASCII word boundaries, as in RE2), as are repetition and alternation, whose matches agree
 * because V8 backtracks in the leftmost-first order RE2 simulates.
 *
 * Why V8 and not an RE2 port such as re2js: on typical label regexes (`api|web|db`, `.*foo.*`,
 * `prod-.+`, `(?i)staging.*`, `\pL+`) V8's compiled regexes were 4-22x faster per match than
 * re2js's when this was written (40-140 ns against 0.5-1.3 µs), and matchers run per series.
 * The price is V8's backtracking: a pattern with nested quantifiers (`(a*)*b`) can take
 * exponential time on a long non-matching value, where RE2 is linear. Label values are short,
 * but a hostile regex is a known cost.
 *
 * Where V8 cannot give RE2's capture groups (label_replace only; never whether a value
 * matches): a group inside a loop that an iteration skips (`((a)|b)*` keeps group 2 from an
 * earlier iteration in RE2, ECMAScript clears it), loops over operands that can match empty
 * with groups inside (`([^]*?)*`), and `x{n,m}` over such an operand.
 */
import {type Ranges, MAX_RUNE, foldOrbit, negateRanges} from './charclass.js'
import {type Re2Node, parseRe2} from './re2-syntax.js'

export {parseRe2, type Re2Node, type Re2Regexp} from './re2-syntax.js'

const regexCache = new Map<string, RegExp>()

/**
 * The V8 RegExp matching exactly what Prometheus's `^(?s:<src>)$` matches, with the same capture
 * groups (numbered and named) for label_replace.
 * @throws InvalidRegexError (bad_data) with Go's message for a pattern Go rejects.
 */
export function compileRe2(src: string): RegExp {
  const cached = regexCache.get(src)
  if (cached) return cached
  const {root, names} = parseRe2(src)
  const printer = new V8Printer(names)
  const body = printer.print(root)
  const source = `^(?:${body})$`
  const re = printer.needsNameTable ? new Re2NamedGroupsRegExp(source, names) : new RegExp(source, 'u')
  if (regexCache.size > 10000) regexCache.clear()
  regexCache.set(src, re)
  return re
}

/**
 * RE2 group names a V8 pattern cannot carry (a name starting with a digit, `(?P<1>…)`, or a
 * name used twice, both valid in Go): the groups are printed unnamed and `exec` fills in
 * `groups` itself, a name standing for its first group that took part in the match (Go's
 * `Regexp.Expand`). Only such patterns pay for the overridden `exec`.
 */
class Re2NamedGroupsRegExp extends RegExp {
  constructor(
    source: string,
    private readonly names: readonly string[],
  ) {
    super(source, 'u')
  }

  override exec(s: string): RegExpExecArray | null {
    const m = super.exec(s)
    if (!m) return m
    const groups: Record<string, string | undefined> = {}
    this.names.forEach((name, i) => {
      if (name !== '' && groups[name] === undefined) groups[name] = m[i]
    })
    m.groups = groups as Record<string, string>
    return m
  }
}

function hex(c: number): string {
  return `\\u{${c.toString(16)}}`
}

/** A code point as V8 `u`-mode pattern text, inside or outside a class. */
function char(c: number): string {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f) return String.fromCharCode(c)
  return hex(c)
}

function rangesText(r: Ranges): string {
  let out = ''
  for (let i = 0; i < r.length; i += 2) {
    const lo = r[i]!
    const hi = r[i + 1]!
    out += lo === hi ? char(lo) : hi === lo + 1 ? char(lo) + char(hi) : `${char(lo)}-${char(hi)}`
  }
  return out
}

function classText(r: Ranges): string {
  if (r.length === 0) return '[]'
  if (r.length === 2 && r[0] === 0 && r[1] === MAX_RUNE) return '[^]'
  if (r.length === 2 && r[0] === r[1]) return char(r[0]!)
  const neg = negateRanges(r)
  return neg.length < r.length ? `[^${rangesText(neg)}]` : `[${rangesText(r)}]`
}

class V8Printer {
  needsNameTable = false
  private readonly jsNames = new Set<string>()

  constructor(names: readonly string[]) {
    const seen = new Set<string>()
    for (const n of names) {
      if (n === '') continue
      if (seen.has(n) || !/^[A-Za-z_]/.test(n)) this.needsNameTable = true
      seen.add(n)
    }
    if (!this.needsNameTable) for (const n of seen) this.jsNames.add(n)
  }

  print(n: Re2Node): string {
    switch (n.op) {
      case 'literal': {
        let out = ''
        for (const c of n.cps) out += n.fold ? classText(orbitRanges(c)) : char(c)
        return out
      }
      case 'class':
        return classText(n.ranges)
      case 'anyChar':
        return '[^]'
      case 'anyCharNotNL':
        return '[^\\n]'
      case 'beginText':
        return '(?<![^])'
      case 'endText':
        return '(?![^])'
      case 'beginLine':
        return '(?<![^\\n])'
      case 'endLine':
        return '(?![^\\n])'
      case 'wordBoundary':
        return '\\b'
      case 'noWordBoundary':
        return '\\B'
      case 'empty':
        return '(?:)'
      case 'noMatch':
        return '[]'
      case 'capture': {
        const open = this.jsNames.has(n.name) ? `(?<${n.name}>` : '('
        return `${open}${this.print(n.sub)})`
      }
      case 'concat':
        return n.subs.map((s) => (s.op === 'alternate' ? `(?:${this.print(s)})` : this.print(s))).join('')
      case 'alternate':
        return n.subs.map((s) => this.print(s)).join('|')
      case 'repeat':
        return this.repeat(n)
    }
  }

  /**
   * A repetition. ECMAScript drops a loop iteration beyond the minimum that matches the empty
   * string; RE2 keeps it, which shows in the groups of `(a|)?` or `(.*)*` on "" (RE2: group 1
   * is "", V8: unset). Where a group is inside a nullable operand, `x?` is printed as `(?:x|)`
   * and `x*` as `(?:x+|)`, as Go compiles a nullable star (regexp/syntax/compile.go, issue
   * 46123), so that the first iteration is mandatory and kept. `x{n,m}` with n < m over such an
   * operand keeps V8's semantics: RE2 expands it into copies sharing one group, which V8 cannot
   * express; only the groups of label_replace can differ, never whether a value matches.
   */
  private repeat(n: Extract<Re2Node, {op: 'repeat'}>): string {
    const lazy = n.greedy ? '' : '?'
    const x = this.atom(n.sub)
    const emptyIterationShows = nullable(n.sub) && hasCapture(n.sub)
    let kind = n.kind
    if (kind === '{}' && n.max === -1 && n.min <= 1) kind = n.min === 0 ? '*' : '+'
    else if (kind === '{}' && n.min === 0 && n.max === 1) kind = '?'
    switch (kind) {
      case '*':
        return emptyIterationShows ? (n.greedy ? `(?:${x}+|)` : `(?:|${x}+?)`) : `${x}*${lazy}`
      case '?':
        return emptyIterationShows ? (n.greedy ? `(?:${x}|)` : `(?:|${x})`) : `${x}?${lazy}`
      case '+':
        return `${x}+${lazy}`
      default:
        return `${x}${n.max === n.min ? `{${n.min}}` : n.max < 0 ? `{${n.min},}` : `{${n.min},${n.max}}`}${lazy}`
    }
  }

  /** n as something a quantifier can follow. */
  private atom(n: Re2Node): string {
    const text = this.print(n)
    const single =
      n.op === 'capture' ||
      n.op === 'class' ||
      n.op === 'anyChar' ||
      n.op === 'anyCharNotNL' ||
      (n.op === 'literal' && n.cps.length === 1)
    return single ? text : `(?:${text})`
  }
}

function orbitRanges(c: number): number[] {
  const o = [...foldOrbit(c)].sort((a, b) => a - b)
  const r: number[] = []
  for (const x of o) {
    if (r.length > 0 && r[r.length - 1] === x - 1) r[r.length - 1] = x
    else r.push(x, x)
  }
  return r
}

/** Whether n can match the empty string (Go's compiler calls such a fragment nullable). */
function nullable(n: Re2Node): boolean {
  switch (n.op) {
    case 'literal':
    case 'class':
    case 'anyChar':
    case 'anyCharNotNL':
    case 'noMatch':
      return false
    case 'capture':
      return nullable(n.sub)
    case 'concat':
      return n.subs.every(nullable)
    case 'alternate':
      return n.subs.some(nullable)
    case 'repeat':
      return n.min === 0 || nullable(n.sub)
    default:
      return true // empty and the zero-width assertions
  }
}

function hasCapture(n: Re2Node): boolean {
  switch (n.op) {
    case 'capture':
      return true
    case 'repeat':
      return hasCapture(n.sub)
    case 'concat':
    case 'alternate':
      return n.subs.some(hasCapture)
    default:
      return false
  }
}
