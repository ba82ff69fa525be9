/**
 * Postings lists (prometheus/tsdb/docs/format/index.md): `len(4B) | #entries(4B) |
 * ref(4B)* | CRC32-C`, refs ascending. In v2 a ref is the series' offset / 16 (its ID); in v1
 * its offset. Decoded into Uint32Array, and combined with the set operations the store
 * gateway needs (thanos-io/thanos pkg/store/lazy_postings.go: intersect the groups' unions,
 * subtract the removals), all on sorted typed arrays.
 */
import {crc32cOf, Decbuf, readBE32, type FileContext} from './decbuf.js'

export const EMPTY_POSTINGS = new Uint32Array(0)

/**
 * Decodes the list whose `len` field is at b[at]; `base` is the file offset of b[0] and the
 * list must end within b.
 */
export function decodePostingsList(b: Uint8Array, at: number, base: number, ctx: FileContext): Uint32Array {
  const d = new Decbuf(b, base, ctx, at)
  const len = d.be32()
  d.need(len + 4, 'postings list')
  const bodyEnd = d.pos + len
  if (crc32cOf(b, d.pos, bodyEnd) !== readBE32(b, bodyEnd)) d.fail('postings list: CRC32-C mismatch', at)
  const n = d.be32()
  if (len !== 4 + 4 * n) d.fail(`postings list: ${n} entries do not match length ${len}`, at)
  const out = new Uint32Array(n)
  let p = d.pos
  let prev = -1
  for (let i = 0; i < n; i++, p += 4) {
    const v = readBE32(b, p)
    if (v <= prev) d.fail('postings list: refs not increasing', p)
    out[i] = v
    prev = v
  }
  return out
}

/** Sorted union without duplicates. */
export function unionPostings(lists: readonly Uint32Array[]): Uint32Array {
  const nonEmpty = lists.filter((l) => l.length > 0)
  if (nonEmpty.length === 0) return EMPTY_POSTINGS
  if (nonEmpty.length === 1) return nonEmpty[0]!
  if (nonEmpty.length === 2) return merge2(nonEmpty[0]!, nonEmpty[1]!)
  // Many lists (a regex over many values): concatenating and sorting numerically beats a heap
  // in JS, and is O(n log n) in the total size.
  let total = 0
  for (const l of nonEmpty) total += l.length
  const all = new Uint32Array(total)
  let o = 0
  for (const l of nonEmpty) {
    all.set(l, o)
    o += l.length
  }
  all.sort()
  let w = 0
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[w - 1]) all[w++] = all[i]!
  return all.subarray(0, w)
}

function merge2(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length)
  let i = 0
  let j = 0
  let w = 0
  while (i < a.length && j < b.length) {
    const x = a[i]!
    const y = b[j]!
    if (x < y) {
      out[w++] = x
      i++
    } else if (y < x) {
      out[w++] = y
      j++
    } else {
      out[w++] = x
      i++
      j++
    }
  }
  while (i < a.length) out[w++] = a[i++]!
  while (j < b.length) out[w++] = b[j++]!
  return out.subarray(0, w)
}

/** Sorted intersection; the smallest list drives, the others are galloped through. */
export function intersectPostings(lists: readonly Uint32Array[]): Uint32Array {
  if (lists.length === 0) return EMPTY_POSTINGS
  const sorted = [...lists].sort((a, b) => a.length - b.length)
  let acc = sorted[0]!
  for (let k = 1; k < sorted.length && acc.length > 0; k++) acc = intersect2(acc, sorted[k]!)
  return acc
}

function intersect2(small: Uint32Array, big: Uint32Array): Uint32Array {
  const out = new Uint32Array(small.length)
  let w = 0
  let j = 0
  for (let i = 0; i < small.length && j < big.length; i++) {
    const x = small[i]!
    j = seek(big, j, x)
    if (j < big.length && big[j] === x) out[w++] = x
  }
  return out.subarray(0, w)
}

/** a \ b. */
export function subtractPostings(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (a.length === 0 || b.length === 0) return a
  const out = new Uint32Array(a.length)
  let w = 0
  let j = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    j = seek(b, j, x)
    if (j >= b.length || b[j] !== x) out[w++] = x
  }
  return out.subarray(0, w)
}

/** First index >= from with l[index] >= x: exponential then binary search. */
function seek(l: Uint32Array, from: number, x: number): number {
  if (from >= l.length || l[from]! >= x) return from
  let step = 1
  let lo = from
  let hi = from + 1
  while (hi < l.length && l[hi]! < x) {
    lo = hi
    step *= 2
    hi = from + step
  }
  if (hi > l.length) hi = l.length
  // l[lo] < x, and l[hi] >= x or hi === length
  while (lo + 1 < hi) {
    const mid = (lo + hi) >>> 1
    if (l[mid]! < x) lo = mid
    else hi = mid
  }
  return hi
}
