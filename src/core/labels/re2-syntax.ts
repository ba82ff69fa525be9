/**
 * An RE2 parser: the syntax Prometheus accepts in label matchers and label_replace, with the
 * errors it gives. Prometheus parses regexes with github.com/grafana/regexp/syntax (a copy of
 * Go's regexp/syntax) in Perl mode; this reads the same language (flags `(?imsU-imsU:…)`, named
 * groups `(?P<n>…)` and `(?<n>…)`, `\Q…\E`, `\pL`, POSIX classes, octal and hex escapes, counted
 * repetition up to 1000, nesting up to 1000) and reports a bad pattern with the same
 * `error parsing regexp: <code>: <expr>` text. The tree it builds is for our translation to a
 * V8 RegExp (re2.ts), not a copy of Go's: literals and classes are resolved to code point sets
 * here (case folding included), so the translation never depends on the JS engine's Unicode.
 */
import {InvalidRegexError} from '../errors.js'
import {
  MAX_RUNE,
  PERL_CLASSES,
  POSIX_CLASSES,
  type Ranges,
  cleanRanges,
  foldOrbit,
  foldRanges,
  negateRanges,
  unicodeClass,
} from './charclass.js'

export type Re2Node =
  | {readonly op: 'literal'; readonly cps: number[]; readonly fold: boolean}
  | {readonly op: 'class'; readonly ranges: Ranges}
  | {readonly op: 'anyChar' | 'anyCharNotNL'}
  | {readonly op: 'beginLine' | 'endLine' | 'beginText' | 'endText' | 'wordBoundary' | 'noWordBoundary'}
  | {readonly op: 'empty' | 'noMatch'}
  | {readonly op: 'capture'; readonly index: number; readonly name: string; readonly sub: Re2Node}
  | {readonly op: 'concat' | 'alternate'; readonly subs: readonly Re2Node[]}
  | {readonly op: 'repeat'; readonly kind: '*' | '+' | '?' | '{}'; readonly min: number; readonly max: number; readonly greedy: boolean; readonly sub: Re2Node}

export interface Re2Regexp {
  readonly root: Re2Node
  /** Group names by capture index (index 0 is the whole match, ''); '' for unnamed groups. */
  readonly names: readonly string[]
}

// Go's limits (regexp/syntax/parse.go): counted repetition, nesting height, compiled size.
const MAX_REPEAT = 1000
const MAX_HEIGHT = 1000
const MAX_SIZE = Math.floor((128 << 20) / 40)

const enum Flag {
  FoldCase = 1,
  DotNL = 2,
  OneLine = 4,
  NonGreedy = 8,
}

interface Frame {
  /** flags to restore when the group closes */
  readonly flags: number
  /** capture index, 0 for a non-capturing group or the top level */
  readonly cap: number
  readonly name: string
  readonly branches: Re2Node[]
  items: Re2Node[]
}

function fail(code: string, expr: string): never {
  throw new InvalidRegexError(expr, code)
}

const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)

function unhex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10
  return -1
}

/**
 * Parses an RE2 pattern as Prometheus does for a label matcher (Perl syntax, `.` matching
 * newline: `syntax.Parse(v, syntax.Perl|syntax.DotNL)`).
 * @throws InvalidRegexError (bad_data) with Go's message for a pattern Go rejects.
 */
export function parseRe2(src: string): Re2Regexp {
  return new Re2Parser(src).parse()
}

class Re2Parser {
  private pos = 0
  private flags = Flag.OneLine | Flag.DotNL
  private numCap = 0
  private readonly names: string[] = ['']
  private readonly stack: Frame[] = [{flags: 0, cap: 0, name: '', branches: [], items: []}]

  constructor(private readonly src: string) {}

  parse(): Re2Regexp {
    const s = this.src
    // the start of the previous token if it was a repetition operator, else -1
    let lastRepeat = -1
    while (this.pos < s.length) {
      let repeat = -1
      const c = s.charCodeAt(this.pos)
      switch (c) {
        case 0x28: // (
          this.openGroup()
          break
        case 0x7c: // |
          this.top().branches.push(this.concat(this.top().items))
          this.top().items = []
          this.pos++
          break
        case 0x29: // )
          this.closeGroup()
          this.pos++
          break
        case 0x5e: // ^
          this.push({op: this.flags & Flag.OneLine ? 'beginText' : 'beginLine'})
          this.pos++
          break
        case 0x24: // $
          this.push({op: this.flags & Flag.OneLine ? 'endText' : 'endLine'})
          this.pos++
          break
        case 0x2e: // .
          this.push({op: this.flags & Flag.DotNL ? 'anyChar' : 'anyCharNotNL'})
          this.pos++
          break
        case 0x5b: // [
          this.parseClass()
          break
        case 0x2a: // *
        case 0x2b: // +
        case 0x3f: {
          // ?
          repeat = this.pos
          this.pos++
          const [min, max] = c === 0x2a ? [0, -1] : c === 0x2b ? [1, -1] : [0, 1]
          this.repeat(c === 0x2a ? '*' : c === 0x2b ? '+' : '?', min, max, repeat, lastRepeat)
          break
        }
        case 0x7b: {
          // {
          const r = this.parseRepeatBraces()
          if (!r) {
            this.literal(0x7b)
            this.pos++
            break
          }
          repeat = this.pos
          const [min, max, end] = r
          if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) fail('invalid repeat count', s.slice(this.pos, end))
          this.pos = end
          this.repeat('{}', min, max, repeat, lastRepeat)
          break
        }
        case 0x5c: // backslash
          this.parseBackslash()
          break
        default:
          this.literal(this.nextRune())
      }
      lastRepeat = repeat
    }
    const top = this.top()
    top.branches.push(this.concat(top.items))
    const root = this.alternate(top.branches)
    if (this.stack.length !== 1) fail('missing closing )', s)
    this.checkLimits(root)
    // Prometheus then compiles `^(?s:<re>)$`, a concatenation one level up (unless the
    // pattern is one already) and two instructions larger, and reports that text when the
    // wrapped pattern is over a limit. (It prints the parsed tree back for <re>; the source
    // is the same text for the patterns that get there, deep nests and huge repetitions.)
    const wrapped = `^(?s:${s})$`
    if (calcSize(root) + 2 > MAX_SIZE) fail('expression too large', wrapped)
    if (height(root) + (root.op === 'concat' ? 0 : 1) > MAX_HEIGHT) fail('expression nests too deeply', wrapped)
    return {root, names: this.names}
  }

  private top(): Frame {
    return this.stack[this.stack.length - 1]!
  }

  private push(n: Re2Node): void {
    this.top().items.push(n)
  }

  /** The code point at pos (advancing past it); a lone surrogate is Go's invalid UTF-8. */
  private nextRune(): number {
    const c = this.src.codePointAt(this.pos)!
    if (c >= 0xd800 && c <= 0xdfff) fail('invalid UTF-8', this.src.slice(this.pos))
    this.pos += c > 0xffff ? 2 : 1
    return c
  }

  private literal(c: number): void {
    this.push({op: 'literal', cps: [c], fold: (this.flags & Flag.FoldCase) !== 0})
  }

  private repeat(kind: '*' | '+' | '?' | '{}', min: number, max: number, start: number, lastRepeat: number): void {
    let greedy = (this.flags & Flag.NonGreedy) === 0
    if (this.src.charCodeAt(this.pos) === 0x3f) {
      this.pos++
      greedy = !greedy
    }
    // Perl forbids stacked repetition: a** is an error, not (a*)*
    if (lastRepeat >= 0) fail('invalid nested repetition operator', this.src.slice(lastRepeat, this.pos))
    const items = this.top().items
    if (items.length === 0) fail('missing argument to repetition operator', this.src.slice(start, this.pos))
    const node: Re2Node = {op: 'repeat', kind, min, max, greedy, sub: items[items.length - 1]!}
    items[items.length - 1] = node
    this.checkLimits(node)
    if (kind === '{}' && (min >= 2 || max >= 2) && !repeatIsValid(node, MAX_REPEAT)) fail('invalid repeat count', this.src.slice(start, this.pos))
  }

  /**
   * `{n}`, `{n,}`, `{n,m}` at pos: [min, max (-1: unbounded), end], or undefined when the text is
   * not of that form (then `{` is a literal). Numbers with leading zeros are not numbers.
   */
  private parseRepeatBraces(): [number, number, number] | undefined {
    const s = this.src
    let i = this.pos + 1
    const int = (): number | undefined => {
      const start = i
      while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++
      if (i === start || (i - start > 1 && s[start] === '0')) return undefined
      return Number(s.slice(start, i))
    }
    const min = int()
    if (min === undefined || i >= s.length) return undefined
    let max = min
    if (s[i] === ',') {
      i++
      if (i >= s.length) return undefined
      if (s[i] === '}') max = -1
      else {
        const m = int()
        if (m === undefined) return undefined
        max = m
      }
    }
    if (s[i] !== '}') return undefined
    return [min, max, i + 1]
  }

  private openGroup(): void {
    const s = this.src
    const start = this.pos
    if (s[start + 1] !== '?') {
      this.names.push('')
      this.stack.push({flags: this.flags, cap: ++this.numCap, name: '', branches: [], items: []})
      this.pos++
      return
    }
    const rest = s.length - start
    const withP = rest > 4 && s[start + 2] === 'P' && s[start + 3] === '<'
    const withName = rest > 3 && s[start + 2] === '<'
    if (withP || withName) {
      const end = s.indexOf('>', start)
      if (end < 0) {
        this.checkUTF8(s.slice(start))
        fail('invalid named capture', s.slice(start))
      }
      const name = s.slice(start + (withP ? 4 : 3), end)
      this.checkUTF8(name)
      if (!/^[A-Za-z0-9_]+$/.test(name)) fail('invalid named capture', s.slice(start, end + 1))
      this.names.push(name)
      this.stack.push({flags: this.flags, cap: ++this.numCap, name, branches: [], items: []})
      this.pos = end + 1
      return
    }
    // flags and/or a non-capturing group: (?i) (?i-s:…) (?:…)
    this.pos = start + 2
    let flags = this.flags
    let negate = false
    let sawFlag = false
    while (this.pos < s.length) {
      const c = this.nextRune()
      let bit = 0
      if (c === 0x69) bit = Flag.FoldCase // i
      else if (c === 0x73) bit = Flag.DotNL // s
      else if (c === 0x55) bit = Flag.NonGreedy // U
      if (bit !== 0) {
        flags = negate ? flags & ~bit : flags | bit
        sawFlag = true
        continue
      }
      if (c === 0x6d) {
        // m: ^ and $ match at line ends, i.e. not OneLine
        flags = negate ? flags | Flag.OneLine : flags & ~Flag.OneLine
        sawFlag = true
        continue
      }
      if (c === 0x2d && !negate) {
        // -
        negate = true
        sawFlag = false
        continue
      }
      if ((c === 0x3a || c === 0x29) && !(negate && !sawFlag)) {
        // : or )
        if (c === 0x3a) this.stack.push({flags: this.flags, cap: 0, name: '', branches: [], items: []})
        this.flags = flags
        return
      }
      break
    }
    fail('invalid or unsupported Perl syntax', s.slice(start, this.pos))
  }

  private closeGroup(): void {
    if (this.stack.length < 2) fail('unexpected )', this.src)
    const f = this.stack.pop()!
    f.branches.push(this.concat(f.items))
    let node = this.alternate(f.branches)
    this.flags = f.flags
    if (f.cap > 0) node = {op: 'capture', index: f.cap, name: f.name, sub: node}
    this.checkLimits(node)
    this.push(node)
  }

  private checkUTF8(s: string): void {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0xdc00 && c <= 0xdfff) fail('invalid UTF-8', s.slice(i))
      if (c >= 0xd800 && c <= 0xdbff) {
        const d = s.charCodeAt(i + 1)
        if (!(d >= 0xdc00 && d <= 0xdfff)) fail('invalid UTF-8', s.slice(i))
        i++
      }
    }
  }

  private parseBackslash(): void {
    const s = this.src
    const start = this.pos
    switch (s[start + 1]) {
      case 'A':
        this.push({op: 'beginText'})
        this.pos += 2
        return
      case 'b':
        this.push({op: 'wordBoundary'})
        this.pos += 2
        return
      case 'B':
        this.push({op: 'noWordBoundary'})
        this.pos += 2
        return
      case 'C':
        // \C (any byte) is not supported by RE2 in Go
        fail('invalid escape sequence', '\\C')
      case 'Q': {
        // \Q…\E: everything up to \E (or the end) is literal
        const end = s.indexOf('\\E', start + 2)
        const lit = end < 0 ? s.slice(start + 2) : s.slice(start + 2, end)
        this.pos = start + 2
        const stop = start + 2 + lit.length
        while (this.pos < stop) this.literal(this.nextRune())
        this.pos = end < 0 ? s.length : end + 2
        return
      }
      case 'z':
        this.push({op: 'endText'})
        this.pos += 2
        return
    }
    if (s[start + 1] === 'p' || s[start + 1] === 'P') {
      this.push({op: 'class', ranges: this.parseUnicodeClass()})
      return
    }
    const perl = this.parsePerlClass()
    if (perl) {
      this.push({op: 'class', ranges: perl})
      return
    }
    this.literal(this.parseEscape())
  }

  /** `\d \D \s \S \w \W` at pos, folded under (?i) (then negated, as Go does). */
  private parsePerlClass(): number[] | undefined {
    const s = this.src
    if (s[this.pos] !== '\\') return undefined
    const l = s[this.pos + 1]
    const base = l !== undefined ? PERL_CLASSES[l.toLowerCase()] : undefined
    if (base === undefined || !'dswDSW'.includes(l!)) return undefined
    this.pos += 2
    return this.group(base, l === l!.toUpperCase())
  }

  private group(base: Ranges, negated: boolean): number[] {
    const r = this.flags & Flag.FoldCase ? foldRanges(base) : [...base]
    return negated ? negateRanges(r) : r
  }

  /** `\pL`, `\p{Greek}`, `\P{…}`, `\p{^…}` at pos. */
  private parseUnicodeClass(): number[] {
    const s = this.src
    const start = this.pos
    let negated = s[start + 1] === 'P'
    this.pos = start + 2
    let seqEnd: number
    let name: string
    if (this.pos >= s.length) {
      seqEnd = this.pos
      name = ''
    } else if (s[this.pos] !== '{') {
      this.nextRune()
      seqEnd = this.pos
      name = s.slice(start + 2, seqEnd)
    } else {
      const end = s.indexOf('}', start)
      if (end < 0) {
        this.checkUTF8(s.slice(start))
        fail('invalid character class range', s.slice(start))
      }
      seqEnd = end + 1
      name = s.slice(start + 3, end)
      this.checkUTF8(name)
      this.pos = seqEnd
    }
    if (name.startsWith('^')) {
      negated = !negated
      name = name.slice(1)
    }
    const table = unicodeClass(name)
    if (!table) fail('invalid character class range', s.slice(start, seqEnd))
    return this.group(table, negated)
  }

  /** One escape sequence at pos (the backslash) standing for a single code point. */
  private parseEscape(): number {
    const s = this.src
    const start = this.pos
    this.pos++
    if (this.pos >= s.length) fail('trailing backslash at end of expression', '')
    const c = this.nextRune()
    const bad = (): never => fail('invalid escape sequence', s.slice(start, this.pos))
    const isOctal = (i: number): boolean => i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x37
    if (c < 0x80 && !isAlnum(c)) return c // escaped punctuation is itself
    if (c >= 0x31 && c <= 0x37 && !isOctal(this.pos)) return bad() // \1: a backreference
    if (c >= 0x30 && c <= 0x37) {
      // octal: up to three digits in all
      let r = c - 0x30
      for (let k = 1; k < 3 && isOctal(this.pos); k++) r = r * 8 + s.charCodeAt(this.pos++) - 0x30
      return r
    }
    switch (c) {
      case 0x78: {
        // x
        if (this.pos >= s.length) return bad()
        const d = this.nextRune()
        if (d === 0x7b) {
          // \x{…}: at least one hex digit, at most U+10FFFF
          let r = 0
          let n = 0
          for (;;) {
            if (this.pos >= s.length) return bad()
            const h = this.nextRune()
            if (h === 0x7d) break
            const v = unhex(h)
            if (v < 0) return bad()
            r = r * 16 + v
            if (r > MAX_RUNE) return bad()
            n++
          }
          if (n === 0) return bad()
          return r
        }
        const x = unhex(d)
        const e = this.pos < s.length ? this.nextRune() : -1
        const y = e < 0 ? -1 : unhex(e)
        if (x < 0 || y < 0) return bad()
        return x * 16 + y
      }
      case 0x61: // a
        return 7
      case 0x66: // f
        return 12
      case 0x6e: // n
        return 10
      case 0x72: // r
        return 13
      case 0x74: // t
        return 9
      case 0x76: // v
        return 11
    }
    return bad()
  }

  /** A bracketed class at pos. */
  private parseClass(): void {
    const s = this.src
    const whole = s.slice(this.pos)
    this.pos++
    let negated = false
    if (s[this.pos] === '^') {
      negated = true
      this.pos++
    }
    const fold = (this.flags & Flag.FoldCase) !== 0
    const acc: number[] = []
    let first = true // ] is a literal as the first character
    while (this.pos >= s.length || s[this.pos] !== ']' || first) {
      first = false
      if (s.length - this.pos > 2 && s[this.pos] === '[' && s[this.pos + 1] === ':') {
        const close = s.indexOf(':]', this.pos + 2)
        if (close >= 0) {
          let name = s.slice(this.pos + 2, close)
          const neg = name.startsWith('^')
          if (neg) name = name.slice(1)
          const base = Object.hasOwn(POSIX_CLASSES, name) ? POSIX_CLASSES[name] : undefined
          if (!base) fail('invalid character class range', s.slice(this.pos, close + 2))
          acc.push(...this.group(base, neg))
          this.pos = close + 2
          continue
        }
      }
      if (s[this.pos] === '\\' && (s[this.pos + 1] === 'p' || s[this.pos + 1] === 'P')) {
        acc.push(...this.parseUnicodeClass())
        continue
      }
      const perl = this.parsePerlClass()
      if (perl) {
        acc.push(...perl)
        continue
      }
      const rangeStart = this.pos
      const lo = this.parseClassChar(whole)
      let hi = lo
      if (s.length - this.pos >= 2 && s[this.pos] === '-' && s[this.pos + 1] !== ']') {
        this.pos++
        hi = this.parseClassChar(whole)
        if (hi < lo) fail('invalid character class range', s.slice(rangeStart, this.pos))
      }
      if (fold) acc.push(...foldRanges([lo, hi]))
      else acc.push(lo, hi)
    }
    this.pos++ // ]
    let ranges = cleanRanges(acc)
    if (negated) ranges = negateRanges(ranges)
    this.push({op: 'class', ranges})
  }

  private parseClassChar(whole: string): number {
    if (this.pos >= this.src.length) fail('missing closing ]', whole)
    if (this.src[this.pos] === '\\') return this.parseEscape()
    return this.nextRune()
  }

  // ---- building the tree ----

  /** A concatenation, runs of literals merged (as Go's parser merges them). */
  private concat(items: readonly Re2Node[]): Re2Node {
    const flat: Re2Node[] = []
    for (const it of items) {
      const n = asLiteral(it)
      if (n.op === 'concat') flat.push(...n.subs)
      else flat.push(n)
    }
    const out: Re2Node[] = []
    for (const n of flat) {
      const prev = out[out.length - 1]
      if (prev?.op === 'literal' && n.op === 'literal' && prev.fold === n.fold) out[out.length - 1] = {op: 'literal', cps: [...prev.cps, ...n.cps], fold: n.fold}
      else out.push(n)
    }
    if (out.length === 0) return {op: 'empty'}
    if (out.length === 1) return out[0]!
    const node: Re2Node = {op: 'concat', subs: out}
    this.checkLimits(node)
    return node
  }

  /** An alternation, runs of single-character branches merged into one class. */
  private alternate(branches: readonly Re2Node[]): Re2Node {
    const flat: Re2Node[] = []
    for (const b of branches) {
      if (b.op === 'alternate') flat.push(...b.subs)
      else flat.push(b)
    }
    const out: Re2Node[] = []
    let run: number[] | undefined
    for (const b of flat) {
      const cls = charClassOf(b)
      if (cls) {
        run = run ? [...run, ...cls] : [...cls]
        continue
      }
      if (run) out.push(classNode(run))
      run = undefined
      if (b.op === 'empty' && out[out.length - 1]?.op === 'empty') continue
      out.push(b)
    }
    if (run) out.push(classNode(run))
    if (out.length === 0) return {op: 'noMatch'}
    if (out.length === 1) return out[0]!
    const node: Re2Node = {op: 'alternate', subs: out}
    this.checkLimits(node)
    return node
  }

  private checkLimits(n: Re2Node): void {
    if (calcSize(n) > MAX_SIZE) fail('expression too large', this.src)
    if (height(n) > MAX_HEIGHT) fail('expression nests too deeply', this.src)
  }
}

/** A class of one code point (or one case pair) is a literal to Go's parser. */
function asLiteral(n: Re2Node): Re2Node {
  if (n.op !== 'class') return n
  const r = n.ranges
  if (r.length === 2 && r[0] === r[1]) return {op: 'literal', cps: [r[0]!], fold: false}
  const pair = r.length === 4 && r[0] === r[1] && r[2] === r[3] ? [r[0]!, r[2]!] : r.length === 2 && r[0]! + 1 === r[1] ? [r[0]!, r[1]!] : undefined
  if (pair) {
    const o = foldOrbit(pair[0]!)
    if (o.length === 2 && o[1] === pair[1]) return {op: 'literal', cps: [pair[0]!], fold: true}
  }
  return n
}

function classNode(r: number[]): Re2Node {
  const ranges = cleanRanges(r)
  if (ranges.length === 2 && ranges[0] === 0 && ranges[1] === MAX_RUNE) return {op: 'anyChar'}
  return {op: 'class', ranges}
}

/** The code points a single-character node matches, or undefined if it is not one. */
function charClassOf(n: Re2Node): Ranges | undefined {
  switch (n.op) {
    case 'literal':
      if (n.cps.length !== 1) return undefined
      return n.fold ? cleanRanges(foldOrbit(n.cps[0]!).flatMap((c) => [c, c])) : [n.cps[0]!, n.cps[0]!]
    case 'class':
      return n.ranges
    case 'anyChar':
      return [0, MAX_RUNE]
    case 'anyCharNotNL':
      return [0, 9, 11, MAX_RUNE]
    default:
      return undefined
  }
}

function subsOf(n: Re2Node): readonly Re2Node[] {
  switch (n.op) {
    case 'capture':
    case 'repeat':
      return [n.sub]
    case 'concat':
    case 'alternate':
      return n.subs
    default:
      return []
  }
}

/** Go's repeatIsValid: the product of nested counted repetitions stays within n copies. */
function repeatIsValid(n: Re2Node, limit: number): boolean {
  if (n.op === 'repeat' && n.kind === '{}') {
    let m = n.max
    if (m === 0) return true
    if (m < 0) m = n.min
    if (m > limit) return false
    if (m > 0) limit = Math.floor(limit / m)
  }
  return subsOf(n).every((s) => repeatIsValid(s, limit))
}

const sizes = new WeakMap<Re2Node, number>()

/** The number of instructions Go would compile n to, as its parser estimates it. */
function calcSize(n: Re2Node): number {
  const cached = sizes.get(n)
  if (cached !== undefined) return cached
  let size = 0
  switch (n.op) {
    case 'literal':
      size = n.cps.length
      break
    case 'capture':
      size = 2 + calcSize(n.sub)
      break
    case 'concat':
      for (const s of n.subs) size += calcSize(s)
      break
    case 'alternate':
      for (const s of n.subs) size += calcSize(s)
      size += n.subs.length - 1
      break
    case 'repeat': {
      const sub = calcSize(n.sub)
      if (n.kind === '*') size = 2 + sub
      else if (n.kind === '+' || n.kind === '?') size = 1 + sub
      else if (n.max === -1) size = n.min === 0 ? 2 + sub : 1 + n.min * sub
      else size = n.max * sub + (n.max - n.min)
      break
    }
  }
  size = Math.max(1, size)
  sizes.set(n, size)
  return size
}

const heights = new WeakMap<Re2Node, number>()

function height(n: Re2Node): number {
  const cached = heights.get(n)
  if (cached !== undefined) return cached
  let h = 1
  for (const s of subsOf(n)) h = Math.max(h, 1 + height(s))
  heights.set(n, h)
  return h
}
