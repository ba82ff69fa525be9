/**
 * Character classes as RE2 sees them: sets of code points kept as sorted, disjoint, non-abutting
 * ranges `[lo0, hi0, lo1, hi1, …]` (the "clean" form of Go's `regexp/syntax`), with the named
 * classes Go's parser knows (Perl `\d \s \w`, POSIX `[:alpha:]`, Unicode `\p{Greek}`) and case
 * folding by `unicode.SimpleFold` orbits. Everything is computed from Go's own tables
 * (unicode-tables.ts), never from the JS engine's, so `\pL` or `(?i)k` match what they match in
 * Prometheus whatever Unicode version Node ships.
 */
import {CATEGORIES, FOLD_ORBITS, SCRIPTS} from './unicode-tables.js'

/** Sorted, disjoint, non-abutting inclusive ranges, flattened. */
export type Ranges = readonly number[]

export const MAX_RUNE = 0x10ffff

/** Sorts and merges overlapping or abutting ranges (any order in). */
export function cleanRanges(r: readonly number[]): number[] {
  const pairs: [number, number][] = []
  for (let i = 0; i < r.length; i += 2) pairs.push([r[i]!, r[i + 1]!])
  pairs.sort((a, b) => a[0] - b[0] || b[1] - a[1])
  const out: number[] = []
  for (const [lo, hi] of pairs) {
    const n = out.length
    if (n > 0 && lo <= out[n - 1]! + 1) {
      if (hi > out[n - 1]!) out[n - 1] = hi
    } else out.push(lo, hi)
  }
  return out
}

export function negateRanges(r: Ranges): number[] {
  const out: number[] = []
  let next = 0
  for (let i = 0; i < r.length; i += 2) {
    if (r[i]! > next) out.push(next, r[i]! - 1)
    next = r[i + 1]! + 1
  }
  if (next <= MAX_RUNE) out.push(next, MAX_RUNE)
  return out
}

export function inRanges(r: Ranges, c: number): boolean {
  let lo = 0
  let hi = r.length / 2 - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (c < r[2 * mid]!) hi = mid - 1
    else if (c > r[2 * mid + 1]!) lo = mid + 1
    else return true
  }
  return false
}

// ---- case folding ----

let orbitOf: Map<number, readonly number[]> | undefined

/** The SimpleFold orbits (k, K, KELVIN SIGN…), decoded on first use. */
function orbits(): Map<number, readonly number[]> {
  if (orbitOf) return orbitOf
  orbitOf = new Map()
  for (const o of FOLD_ORBITS.split(',')) {
    const cps = o.split(' ').map((x) => parseInt(x, 36))
    for (const c of cps) orbitOf.set(c, cps)
  }
  return orbitOf
}

/** The code points case-equivalent to c, c included (Go's SimpleFold cycle). */
export function foldOrbit(c: number): readonly number[] {
  return orbits().get(c) ?? [c]
}

/** r plus every code point that folds to one in r: what `(?i)` makes of a class. */
export function foldRanges(r: Ranges): number[] {
  const extra: number[] = []
  const seen = new Set<readonly number[]>()
  for (const o of orbits().values()) {
    if (seen.has(o)) continue
    seen.add(o)
    if (o.some((c) => inRanges(r, c))) for (const c of o) extra.push(c, c)
  }
  return extra.length === 0 ? [...r] : cleanRanges([...r, ...extra])
}

// ---- named classes ----

/** Perl classes: ASCII only in RE2 (`\s` has no \v). */
export const PERL_CLASSES: Readonly<Record<string, Ranges>> = {
  d: [0x30, 0x39],
  s: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20],
  w: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
}

/** POSIX classes valid inside brackets, `[[:alpha:]]`; ASCII only. */
export const POSIX_CLASSES: Readonly<Record<string, Ranges>> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
}

const unicodeCache = new Map<string, Ranges>()

function decodeTable(enc: string): number[] {
  const nums = enc.split(',').map((x) => parseInt(x, 36))
  const out: number[] = []
  let prev = -1
  for (let i = 0; i < nums.length; i += 2) {
    const lo = prev + 1 + nums[i]!
    const hi = lo + nums[i + 1]!
    out.push(lo, hi)
    prev = hi
  }
  return out
}

/**
 * A Unicode class by name as Prometheus's regexp (github.com/grafana/regexp) looks it up:
 * `Any`, then a general category (`L`, `Lu`, `LC`…), then a script (`Greek`), names matched
 * exactly (no aliases, no case-insensitivity: newer Go's `\p{greek}` is an error there).
 */
export function unicodeClass(name: string): Ranges | undefined {
  const cached = unicodeCache.get(name)
  if (cached) return cached
  let r: Ranges | undefined
  if (name === 'Any') r = [0, MAX_RUNE]
  else if (Object.hasOwn(CATEGORIES, name)) r = decodeTable(CATEGORIES[name]!)
  else if (Object.hasOwn(SCRIPTS, name)) r = decodeTable(SCRIPTS[name]!)
  if (r) unicodeCache.set(name, r)
  return r
}
