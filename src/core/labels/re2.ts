/**
 * RE2 → JavaScript regex translation for label matchers.
 *
 * Prometheus compiles matcher regexes with Go's RE2 as `^(?s:<re>)$`: fully anchored, `.`
 * matching newlines. JS regexes differ in a few places that matter for matchers; we
 * translate what has a faithful JS equivalent and reject what does not, with a clear error,
 * rather than silently matching something else.
 */
import {InvalidRegexError} from '../errors.js'

const regexCache = new Map<string, RegExp>()

export function compileRe2(src: string): RegExp {
  const cached = regexCache.get(src)
  if (cached) return cached
  let body = src
  let flags = 's'
  // A leading flag group `(?i)` / `(?s)` / `(?is)`: JS has no inline flags on Node 20.
  const m = /^\(\?([imsU]+)\)/.exec(body)
  if (m) {
    for (const f of m[1]!) {
      if (f === 'i' && !flags.includes('i')) flags += 'i'
      else if (f === 'm' && !flags.includes('m')) flags += 'm'
      else if (f === 'U') throw new InvalidRegexError(src, 'the U (ungreedy) flag is not supported')
    }
    body = body.slice(m[0].length)
  }
  body = translateBody(src, body)
  let re: RegExp
  try {
    re = new RegExp(`^(?:${body})$`, flags)
  } catch (e) {
    throw new InvalidRegexError(src, (e as Error).message)
  }
  if (regexCache.size > 10000) regexCache.clear()
  regexCache.set(src, re)
  return re
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
}

function caseFold(c: string): string {
  const lo = c.toLowerCase()
  const up = c.toUpperCase()
  return lo === up ? c : `[${lo}${up}]`
}

/**
 * Copies an RE2 body as JS regex source. Case-insensitive groups `(?i:…)` and `(?i)` inside a
 * group have no JS equivalent on Node 20, so their letters are expanded to `[aA]` classes.
 */
function translateBody(src: string, body: string): string {
  let out = ''
  // case-insensitivity per open group; index 0 is the top level
  const ci: boolean[] = [false]
  const inCI = (): boolean => ci[ci.length - 1]!
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!
    if (c === '\\') {
      const n = body[i + 1]
      if (n === undefined) throw new InvalidRegexError(src, 'trailing backslash at end of expression')
      if (n === 'z') out += '$'
      else if (n === 'A') out += '^'
      else if (n >= '1' && n <= '9') throw new InvalidRegexError(src, `invalid escape sequence: \`\\${n}\``)
      else if (n === 'Q') {
        const end = body.indexOf('\\E', i + 2)
        const lit = end < 0 ? body.slice(i + 2) : body.slice(i + 2, end)
        for (const ch of lit) out += inCI() && /[a-zA-Z]/.test(ch) ? caseFold(ch) : ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
        i = end < 0 ? body.length : end + 1
        continue
      } else out += c + n
      i++
      continue
    }
    if (c === '[') {
      // copy a character class, translating [:name:] and folding case where needed
      let j = i + 1
      let cls = '['
      if (body[j] === '^') { cls += '^'; j++ }
      if (body[j] === ']') { cls += '\\]'; j++ }
      for (; j < body.length && body[j] !== ']'; j++) {
        if (body[j] === '[' && body[j + 1] === ':') {
          const close = body.indexOf(':]', j + 2)
          if (close > 0) {
            let name = body.slice(j + 2, close)
            const neg = name.startsWith('^')
            if (neg) name = name.slice(1)
            const rep = POSIX_CLASSES[name]
            if (rep === undefined) throw new InvalidRegexError(src, `invalid character class range: [:${name}:]`)
            if (neg) throw new InvalidRegexError(src, 'negated POSIX classes are not supported')
            cls += rep
            j = close + 1
            continue
          }
        }
        if (body[j] === '\\') { cls += body[j]! + (body[j + 1] ?? ''); j++; continue }
        if (body[j] === '[') { cls += '\\['; continue }
        const ch = body[j]!
        if (inCI() && /[a-zA-Z]/.test(ch) && body[j + 1] === '-' && /[a-zA-Z]/.test(body[j + 2] ?? '')) {
          const to = body[j + 2]!
          cls += `${ch.toLowerCase()}-${to.toLowerCase()}${ch.toUpperCase()}-${to.toUpperCase()}`
          j += 2
          continue
        }
        cls += inCI() && /[a-zA-Z]/.test(ch) ? ch.toLowerCase() + ch.toUpperCase() : ch
      }
      if (j >= body.length) throw new InvalidRegexError(src, 'missing closing ]')
      out += cls + ']'
      i = j
      continue
    }
    if (c === '(') {
      if (body[i + 1] === '?') {
        const m = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(body.slice(i))
        if (m && m[1] !== 'P' && !(m[1] === '' && m[3] === ')')) {
          const on = m[1]!
          const off = m[2] ?? ''
          for (const f of on + off) if (!'imsU'.includes(f)) throw new InvalidRegexError(src, `invalid or unsupported Perl syntax: \`(?${on}\``)
          if (on.includes('U') || on.includes('m') || off.includes('m')) throw new InvalidRegexError(src, 'the U and m flags are not supported in groups')
          const fold = on.includes('i') ? true : off.includes('i') ? false : inCI()
          if (m[3] === ':') {
            ci.push(fold)
            out += '(?:'
          } else {
            // `(?i)` inside a group: applies to the rest of the enclosing group
            ci[ci.length - 1] = fold
          }
          i += m[0].length - 1
          continue
        }
        if (body.startsWith('(?P<', i)) {
          ci.push(inCI())
          out += '(?<'
          i += 3
          continue
        }
        if (body.startsWith('(?=', i) || body.startsWith('(?!', i) || body.startsWith('(?<=', i) || body.startsWith('(?<!', i)) {
          throw new InvalidRegexError(src, `invalid or unsupported Perl syntax: \`${body.slice(i, i + 3)}\``)
        }
      }
      ci.push(inCI())
      out += c
      continue
    }
    if (c === ')') {
      if (ci.length > 1) ci.pop()
      out += c
      continue
    }
    out += inCI() && /[a-zA-Z]/.test(c) ? caseFold(c) : c
  }
  return out
}
