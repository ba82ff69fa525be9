/**
 * Text as the Go standard library prints and parses it, for the tables of `tools bucket`:
 * time.Duration's String and ParseDuration, time.Format/Parse with time.RFC3339, strconv's
 * ParseUint and Unquote, and golang.org/x/text/message's `%d` for language.English (digit
 * groups of three). Durations are kept in nanoseconds as bigint, as Go's int64 Duration.
 */
import {BadDataError} from '../errors.js'

const NS_PER_MS = 1_000_000n
const UNIT_NS: Record<string, bigint> = {ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n}

/** time.Duration(ms * time.Millisecond).String(). */
export function goDurationMs(ms: number): string {
  return goDuration(BigInt(Math.trunc(ms)) * NS_PER_MS)
}

/** time.Duration.String(): `1h2m3.004s`, `1.5ms`, `0s`; largest unit hours. */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return '0s'
  const neg = ns < 0n
  const u = neg ? -ns : ns
  let out: string
  if (u < 1_000_000_000n) {
    // Below a second Go uses the largest unit that keeps an integer part: ns, µs or ms.
    const [unit, scale] = u < 1_000n ? ['ns', 1n] : u < 1_000_000n ? ['µs', 1_000n] : ['ms', 1_000_000n]
    out = fixed(u, scale) + unit
  } else {
    const h = u / UNIT_NS.h!
    const m = (u % UNIT_NS.h!) / UNIT_NS.m!
    const s = fixed(u % UNIT_NS.m!, UNIT_NS.s!)
    out = h > 0n ? `${h}h${m}m${s}s` : m > 0n ? `${m}m${s}s` : `${s}s`
  }
  return neg ? `-${out}` : out
}

/** v / scale with the fraction's trailing zeros dropped (Go's fmtFrac). */
function fixed(v: bigint, scale: bigint): string {
  const int = v / scale
  const frac = v % scale
  if (frac === 0n) return String(int)
  const digits = String(scale).length - 1
  return `${int}.${String(frac).padStart(digits, '0').replace(/0+$/, '')}`
}

/** time.ParseDuration: `[-+]` then one or more `<decimal><unit>`, or `0`; undefined when invalid. */
export function parseGoDuration(s: string): bigint | undefined {
  let rest = s
  let neg = false
  if (rest.startsWith('-') || rest.startsWith('+')) {
    neg = rest[0] === '-'
    rest = rest.slice(1)
  }
  if (rest === '0') return 0n
  if (rest === '') return undefined
  const re = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/y
  let total = 0n
  while (rest.length > 0) {
    re.lastIndex = 0
    const m = re.exec(rest)
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return undefined
    const unit = UNIT_NS[m[3]!]!
    const frac = m[2] ?? ''
    total += BigInt(m[1] || '0') * unit
    if (frac !== '') total += (BigInt(frac) * unit) / 10n ** BigInt(frac.length)
    rest = rest.slice(m[0].length)
  }
  return neg ? -total : total
}

/** time.Unix(sec, 0).UTC().Format(time.RFC3339): `2024-01-01T12:00:00Z`. */
export function goRfc3339Utc(sec: number): string {
  const d = new Date(sec * 1000)
  const y = d.getUTCFullYear()
  const year = y >= 0 ? String(y).padStart(4, '0') : `-${String(-y).padStart(4, '0')}`
  const p = (n: number) => String(n).padStart(2, '0')
  return `${year}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}Z`
}

/** Seconds of a Prometheus timestamp as Go's `ms/1000` (integer division truncates toward zero). */
export function unixSeconds(ms: number): number {
  return Math.trunc(ms / 1000)
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/

/** time.Parse(time.RFC3339, s) as nanoseconds since the epoch; undefined when s is not one. */
export function parseGoRfc3339(s: string): bigint | undefined {
  const m = RFC3339.exec(s)
  if (!m) return undefined
  const [, y, mo, d, h, mi, sec, frac = '', zone] = m
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return undefined
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec))
  const check = new Date(ms)
  if (check.getUTCDate() !== Number(d)) return undefined // 2024-02-30
  let offsetMin = 0
  if (zone !== 'Z') offsetMin = (zone![0] === '-' ? -1 : 1) * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)))
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear puts them back.
  check.setUTCFullYear(Number(y))
  const nsFrac = frac === '' ? 0n : BigInt(frac.slice(0, 9).padEnd(9, '0'))
  return (BigInt(check.getTime()) - BigInt(offsetMin) * 60_000n) * NS_PER_MS + nsFrac
}

const UINT64_MAX = (1n << 64n) - 1n

/** strconv.ParseUint(s, 10, 64); undefined when invalid or out of range. */
export function parseGoUint(s: string): bigint | undefined {
  if (!/^\d+$/.test(s)) return undefined
  const v = BigInt(s)
  return v > UINT64_MAX ? undefined : v
}

/** message.NewPrinter(language.English).Sprintf("%d", n): `1,234,567`. */
export function goEnglishInt(n: number): string {
  const neg = n < 0
  const digits = String(Math.abs(Math.trunc(n)))
  const grouped = digits.replace(/\B(?=(\d{3})+$)/g, ',')
  return neg ? `-${grouped}` : grouped
}

/**
 * strconv.Unquote of a Go string literal: `"..."` with Go escapes, `` `...` `` raw, or a
 * one-character `'...'`. @throws BadDataError `invalid syntax` as strconv.ErrSyntax.
 */
export function goUnquote(s: string): string {
  const syntax = (): never => {
    throw new BadDataError('invalid syntax')
  }
  if (s.length < 2) return syntax()
  const q = s[0]!
  if (q !== s[s.length - 1]) return syntax()
  const body = s.slice(1, -1)
  if (q === '`') {
    if (body.includes('`')) return syntax()
    return body.replace(/\r/g, '')
  }
  if (q !== '"' && q !== "'") return syntax()
  let out = ''
  for (let i = 0; i < body.length; ) {
    const c = body[i]!
    if (c === q || c === '\n') return syntax()
    if (c !== '\\') {
      const cp = body.codePointAt(i)!
      out += String.fromCodePoint(cp)
      i += cp > 0xffff ? 2 : 1
      continue
    }
    const e = body[i + 1]
    i += 2
    switch (e) {
      case 'a': out += '\x07'; break
      case 'b': out += '\b'; break
      case 'f': out += '\f'; break
      case 'n': out += '\n'; break
      case 'r': out += '\r'; break
      case 't': out += '\t'; break
      case 'v': out += '\v'; break
      case '\\': out += '\\'; break
      case "'":
      case '"':
        if (e !== q) return syntax()
        out += e
        break
      case 'x':
      case 'u':
      case 'U': {
        const n = e === 'x' ? 2 : e === 'u' ? 4 : 8
        const hex = body.slice(i, i + n)
        if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) return syntax()
        i += n
        const v = parseInt(hex, 16)
        if (e === 'x') {
          // A \x byte in a Go string is a raw byte; only ASCII round-trips into a JS string.
          if (v > 0x7f) return syntax()
          out += String.fromCharCode(v)
        } else {
          if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) return syntax()
          out += String.fromCodePoint(v)
        }
        break
      }
      default: {
        if (e === undefined || !/[0-7]/.test(e)) return syntax()
        const oct = body.slice(i - 1, i + 2)
        if (!/^[0-7]{3}$/.test(oct)) return syntax()
        i += 2
        const v = parseInt(oct, 8)
        if (v > 0x7f) return syntax()
        out += String.fromCharCode(v)
      }
    }
  }
  // strconv.Unquote takes `''` as the empty string; otherwise a rune literal holds one character.
  if (q === "'" && body !== '' && [...out].length !== 1) return syntax()
  return out
}
