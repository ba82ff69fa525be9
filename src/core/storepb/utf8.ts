/**
 * UTF-8 for the protobuf hot paths. Label names and values are short and nearly always
 * ASCII, and every series carries a dozen of them, so the per-call cost of the platform's
 * converters is what counts: on Node 20, TextDecoder.decode takes ~350 ns per label string
 * and Buffer.byteLength + Buffer.write ~125 ns, where Node's buffer slicing takes ~95 ns and
 * a charCode loop over an ASCII string ~40 ns. Strings that are not ASCII take the platform's
 * path.
 */

type Utf8Slice = (this: Uint8Array, start: number, end: number) => string
/** Node's own UTF-8 decoder behind Buffer#toString, without its argument checks; it takes any Uint8Array. */
const nodeUtf8Slice = (Buffer.prototype as unknown as {utf8Slice?: Utf8Slice}).utf8Slice
const textDecoder = new TextDecoder()

/** buf[start, end) as a string (invalid sequences become U+FFFD, as TextDecoder's). */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  if (start === end) return ''
  return nodeUtf8Slice ? nodeUtf8Slice.call(buf, start, end) : textDecoder.decode(buf.subarray(start, end))
}

/** The UTF-8 length of s (Buffer.byteLength), counted in place for ASCII. */
export function utf8Length(s: string): number {
  const n = s.length
  if (n > 64) return Buffer.byteLength(s)
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s)
  return n
}

/**
 * Writes s at buf[pos] if it is ASCII and fits, returning the end; -1 (nothing promised about
 * buf[pos...]) otherwise, for the caller to use Buffer#write.
 */
export function writeAscii(buf: Uint8Array, pos: number, s: string): number {
  const n = s.length
  if (n > 64 || pos + n > buf.length) return -1
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x80) return -1
    buf[pos + i] = c
  }
  return pos + n
}

/**
 * Label strings recur: every series of a metric repeats its name, label names and most values.
 * Decoding them through one table (keyed by an FNV-1a hash of the bytes, confirmed byte for
 * byte) hands out the same string for the same bytes, which saves the decode, the memory of
 * one copy per series, and later comparisons (equal strings are then identical ones). Only
 * short ASCII strings are kept; the table is dropped when it grows past INTERN_MAX_ENTRIES,
 * so high-cardinality values cannot make it grow without bound.
 */
const INTERN_MAX_BYTES = 64
const INTERN_MAX_ENTRIES = 1 << 16
let internTable = new Map<number, string>()

/** decodeUtf8, through the table of recurring label strings. */
export function decodeLabelUtf8(buf: Uint8Array, start: number, end: number): string {
  const n = end - start
  if (n === 0) return ''
  if (n > INTERN_MAX_BYTES) return decodeUtf8(buf, start, end)
  let h = 0x811c9dc5 ^ n
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193)
  const hit = internTable.get(h)
  if (hit !== undefined && hit.length === n) {
    let i = 0
    while (i < n && hit.charCodeAt(i) === buf[start + i] && buf[start + i]! < 0x80) i++
    if (i === n) return hit
  }
  const s = decodeUtf8(buf, start, end)
  if (s.length === n) {
    if (internTable.size >= INTERN_MAX_ENTRIES) internTable = new Map()
    internTable.set(h, s)
  }
  return s
}
