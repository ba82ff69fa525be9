/**
 * The protobuf writer of our hand-written codecs (StoreAPI in store-wire.ts, remote read in
 * remote-read/remote-read-codec.ts); pb-reader.ts is its reading twin.
 */
import {writeAscii} from './utf8.js'

const MAX_INT64_AS_NUMBER = 9223372036854775807
/** int64 fields from JS numbers: infinities and out-of-range values saturate, fractions truncate. */
export function clampInt64(v: number): number {
  if (v === Number.POSITIVE_INFINITY || v >= MAX_INT64_AS_NUMBER) return MAX_INT64_AS_NUMBER
  if (v === Number.NEGATIVE_INFINITY || v <= -MAX_INT64_AS_NUMBER) return -MAX_INT64_AS_NUMBER
  return Math.trunc(v)
}

/**
 * Protobuf writer over one growing buffer. Nested messages are written in place: `begin()`
 * reserves one byte for the length, `end()` fills it in and, only for bodies of 128 bytes or
 * more, shifts the body right to make room for a longer varint. That avoids a writer and a
 * buffer per nested message (the sidecar writes four levels per chunk: batch, series,
 * AggrChunk, Chunk), which dominated its profile.
 */
export class ProtoWriter {
  private buf: Buffer
  private pos = 0

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize)
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const b = Buffer.allocUnsafe(size)
    this.buf.copy(b, 0, 0, this.pos)
    this.buf = b
  }

  /** Forgets what was written, keeping the buffer (for writers reused across messages). */
  reset(): void {
    this.pos = 0
  }

  varint(n: number): void {
    if (n < 0) return this.negVarint(n)
    this.ensure(10)
    const buf = this.buf
    let pos = this.pos
    if (n < 0x80000000) {
      // lengths, tags, small numbers: 32-bit shifts instead of float division
      while (n > 0x7f) {
        buf[pos++] = (n & 0x7f) | 0x80
        n >>>= 7
      }
      buf[pos++] = n
      this.pos = pos
      return
    }
    if (n >= 2 ** 63) {
      // MaxInt64 is not representable as a double (it rounds up to 2^63, which would encode as
      // MinInt64): write its exact nine bytes.
      for (let i = 0; i < 8; i++) buf[pos++] = 0xff
      buf[pos++] = 0x7f
      this.pos = pos
      return
    }
    // Timestamps and other int64s: as two 32-bit halves (exact for the integers a double holds).
    let lo = n >>> 0
    let hi = (n - lo) / 0x100000000
    while (hi > 0 || lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80
      lo = ((lo >>> 7) | (hi << 25)) >>> 0
      hi >>>= 7
    }
    buf[pos++] = lo
    this.pos = pos
  }

  /** Two's complement, ten bytes, as protobuf encodes negative int64. */
  private negVarint(n: number): void {
    this.ensure(10)
    let v = BigInt.asUintN(64, BigInt(Math.trunc(n)))
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80
      v >>= 7n
    }
    this.buf[this.pos++] = Number(v)
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType)
  }

  int64(field: number, v: number): void {
    if (v === 0) return
    this.tag(field, 0)
    this.varint(clampInt64(v))
  }

  bool(field: number, v: boolean | undefined): void {
    if (!v) return
    this.tag(field, 0)
    this.varint(1)
  }

  /** A string field, always written (also when empty). Its byte length is known up front: no shift. */
  string(field: number, s: string): void {
    this.tag(field, 2)
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.ensure(s.length * 3 + 10)
    if (s.length < 0x80) {
      // ASCII (the usual label) is as long as it is: one length byte, then the characters.
      const end = writeAscii(this.buf, this.pos + 1, s)
      if (end >= 0) {
        this.buf[this.pos] = s.length
        this.pos = end
        return
      }
    }
    this.varint(Buffer.byteLength(s))
    this.pos += this.buf.write(s, this.pos, 'utf8')
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2)
    this.varint(b.length)
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }

  /** Starts a length-delimited field; returns the mark to pass to end(). */
  begin(field: number): number {
    this.tag(field, 2)
    this.ensure(1)
    return this.pos++
  }

  /** Closes the field opened at `mark`: writes its length before the body. */
  end(mark: number): void {
    const len = this.pos - mark - 1
    if (len < 0x80) {
      this.buf[mark] = len
      return
    }
    let extra = 1
    while (len >= 2 ** (7 * (extra + 1))) extra++
    this.ensure(extra)
    this.buf.copyWithin(mark + 1 + extra, mark + 1, this.pos)
    this.pos += extra
    let n = len
    let p = mark
    while (n >= 0x80) {
      this.buf[p++] = (n % 0x80) | 0x80
      n = Math.floor(n / 0x80)
    }
    this.buf[p] = n
  }

  message(field: number, build: (w: ProtoWriter) => void): void {
    const at = this.begin(field)
    build(this)
    this.end(at)
  }

  /** The bytes written so far, as a view into the writer's buffer (valid until reset). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos)
  }

  /** Tag and length of a length-delimited field whose body the caller writes next. */
  lengthDelimited(field: number, len: number): void {
    this.tag(field, 2)
    this.varint(len)
  }
}

