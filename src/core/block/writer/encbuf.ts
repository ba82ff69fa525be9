/**
 * The writing side of block/decbuf.ts (prometheus/tsdb/encoding `Encbuf`): a growable byte
 * buffer with big-endian fixed widths and Go's `encoding/binary` varints. Reused across
 * records (reset), so encoding a series or a table entry allocates nothing once it has grown.
 *
 * 64-bit values are JS numbers and must be safe integers (below 2^53): refs, offsets and
 * timestamps of real blocks are far below that, and the decoders refuse larger ones anyway.
 */
import {crc32c, crc32cUpdate} from '../../remote-read/crc32c.js'

export class Encbuf {
  private buf: Buffer
  len = 0

  constructor(initial = 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initial))
  }

  reset(): void {
    this.len = 0
  }

  /** A view of the bytes written since the last reset (valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len)
  }

  /** Copies the bytes into `target` at `at` (no view allocated). */
  copyTo(target: Uint8Array, at: number): void {
    this.buf.copy(target, at, 0, this.len)
  }

  /** CRC32-C of bytes [from, len), continuing `prev`. */
  crc(prev = 0, from = 0): number {
    return this.len - from < 256 ? crc32c(this.buf, from, this.len, prev) : crc32cUpdate(prev, this.buf.subarray(from, this.len))
  }

  /** Appends the bytes of another buffer. */
  putEnc(e: Encbuf): void {
    this.grow(e.len)
    e.copyTo(this.buf, this.len)
    this.len += e.len
  }

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return
    let cap = this.buf.length * 2
    while (cap < this.len + n) cap *= 2
    const next = Buffer.allocUnsafe(cap)
    this.buf.copy(next, 0, 0, this.len)
    this.buf = next
  }

  putByte(b: number): void {
    this.grow(1)
    this.buf[this.len++] = b
  }

  putBE32(v: number): void {
    this.grow(4)
    this.buf.writeUInt32BE(v >>> 0, this.len)
    this.len += 4
  }

  putBE64(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`uint64 ${v} is not a safe non-negative integer`)
    this.grow(8)
    this.buf.writeUInt32BE(Math.floor(v / 0x100000000), this.len)
    this.buf.writeUInt32BE(v % 0x100000000, this.len + 4)
    this.len += 8
  }

  /** Go's PutUvarint. */
  putUvarint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`uvarint ${v} is not a safe non-negative integer`)
    this.grow(10)
    const b = this.buf
    let p = this.len
    // Bit operations are 32-bit: divide while the value is above that.
    while (v >= 0x80000000) {
      b[p++] = (v % 128) | 0x80
      v = Math.floor(v / 128)
    }
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    b[p++] = v
    this.len = p
  }

  /**
   * Go's PutVarint: zig-zag, so small negative values stay short. The zig-zag form must be a
   * safe integer, so v is in [-2^52, 2^52) (timestamps are far inside: 2^52 ms is 142,000 years).
   */
  putVarint(v: number): void {
    if (!Number.isSafeInteger(v) || v >= 2 ** 52 || v < -(2 ** 52)) throw new RangeError(`varint ${v} is outside [-2^52, 2^52)`)
    this.putUvarint(v >= 0 ? v * 2 : -v * 2 - 1)
  }

  putBytes(b: Uint8Array): void {
    this.grow(b.length)
    this.buf.set(b, this.len)
    this.len += b.length
  }

  putZeros(n: number): void {
    this.grow(n)
    this.buf.fill(0, this.len, this.len + n)
    this.len += n
  }

  /** A uvarint byte length and the UTF-8 bytes of `s` (PutUvarintStr). */
  putUvarintStr(s: string): void {
    const n = Buffer.byteLength(s)
    this.putUvarint(n)
    this.grow(n)
    this.buf.write(s, this.len, n, 'utf8')
    this.len += n
  }
}
