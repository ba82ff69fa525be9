/**
 * The values a regex matcher can match when it is a plain alternation of literals
 * (`a|b|c`, `(a|b)`, `(?:a|b)`, `foo\.bar`), so postings are looked up directly instead of
 * scanning every value of the label: Prometheus's `Matcher.SetMatches` (model/labels/regexp.go
 * findSetMatches), used the same way by Thanos's toPostingGroup. Deliberately conservative:
 * anything else (classes, repetition, flags, escapes other than escaped punctuation) returns
 * undefined and the caller filters values with the matcher, which is always correct.
 */

const META = new Set(['.', '+', '*', '?', '(', ')', '[', ']', '{', '}', '^', '$', '|', '\\'])

export function regexSetMatches(re: string): string[] | undefined {
  let body = re
  if (body.startsWith('(?:') && body.endsWith(')')) body = body.slice(3, -1)
  else if (body.startsWith('(') && !body.startsWith('(?') && body.endsWith(')')) body = body.slice(1, -1)
  const out = new Set<string>()
  let cur = ''
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!
    if (c === '|') {
      out.add(cur)
      cur = ''
    } else if (c === '\\') {
      const n = body[i + 1]
      // Only escaped ASCII punctuation is a literal; \d, \w, \n, \Q... are not.
      if (n === undefined || !/^[!-/:-@[-`{-~]$/.test(n)) return undefined
      cur += n
      i++
    } else if (META.has(c)) {
      return undefined
    } else {
      cur += c
    }
  }
  out.add(cur)
  return [...out]
}
