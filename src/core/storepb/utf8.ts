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
