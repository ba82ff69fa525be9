/**
 * Bounds-checked decoding of the integers the TSDB formats use (prometheus/tsdb/encoding
 * `Decbuf`): big-endian fixed widths and Go's `encoding/binary` varints. Every failure is a
 * BlockCorruptionError with the absolute file offset, so a corrupt length can never read past
 * its buffer, loop, or ask for a giant allocation.
 *
 * Values are JS numbers: 64-bit fields (offsets, chunk refs, timestamps) are exact only below
 * 2^53, and anything larger is reported as corruption rather than silently rounded. Real
 * blocks stay far below: timestamps are ~2^41 ms, refs are segment<<32|offset with a few
 * thousand segments at most.
 */
import {frameChecksum} from '../remote-read/crc32c.js'
import {BlockCorruptionError} from './errors.js'

/** Where a buffer came from, for error messages. */
export interface FileContext {
  block: string
  file: string
}

export class Decbuf {
  pos: number

  /**
   * @param b bytes fetched from the file
   * @param base file offset of b[0]
   * @param start, end the part of b to decode
   */
  constructor(
    readonly b: Uint8Array,
    readonly base: number,
    readonly ctx: FileContext,
    start = 0,
    readonly end = b.length,
  ) {
    this.pos = start
  }

  /** File offset of the next byte. */
  offset(): number {
    return this.base + this.pos
  }

  remaining(): number {
    return this.end - this.pos
  }

  fail(reason: string, at = this.pos): never {
    throw new BlockCorruptionError(this.ctx.block, this.ctx.file, this.base + at, reason)
  }

  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) this.fail(`${what}: needs ${n} bytes, ${this.end - this.pos} left`)
  }

  byte(): number {
    if (this.pos >= this.end) this.fail('unexpected end of data')
    return this.b[this.pos++]!
  }

  be32(): number {
    this.need(4, 'uint32')
    const b = this.b
    const p = this.pos
    this.pos = p + 4
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0
  }

  be64(): number {
    const at = this.pos
    const hi = this.be32()
    const lo = this.be32()
    if (hi >= 0x200000) this.fail('uint64 exceeds 2^53', at)
    return hi * 0x100000000 + lo
  }

  /** Go's Uvarint (≤ 10 bytes); values ≥ 2^53 are corruption for us. */
  uvarint(): number {
    const at = this.pos
    let result = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('varint runs past the end', at)
      const x = this.b[this.pos++]!
      if (x < 0x80) {
        result += x * mul
        if (result > Number.MAX_SAFE_INTEGER) this.fail('varint exceeds 2^53', at)
        return result
      }
      result += (x & 0x7f) * mul
      mul *= 128
    }
    return this.fail('varint longer than 10 bytes', at)
  }

  /** A uvarint that must fit 32 bits (symbol references, counts). */
  uvarint32(): number {
    const at = this.pos
    const v = this.uvarint()
    if (v > 0xffffffff) this.fail('varint exceeds 32 bits', at)
    return v
  }

  /** Go's Varint: zig-zag signed. */
  varint(): number {
    const u = this.uvarint()
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2
  }

  skip(n: number): void {
    this.need(n, 'skip')
    this.pos += n
  }

  /** A uvarint length followed by that many bytes; returns the start of the bytes (length via this.pos). */
  uvarintBytesStart(): number {
    const n = this.uvarint()
    this.need(n, 'string')
    const start = this.pos
    this.pos += n
    return start
  }
}

/** Big-endian uint32 at p, no bounds check (callers checked). */
export function readBE32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0
}

/** UTF-8 text of b[start, end). */
export function utf8(b: Uint8Array, start: number, end: number): string {
  return Buffer.isBuffer(b) ? b.toString('utf8', start, end) : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8', start, end)
}

/** CRC32-C of b[start, end) (the native implementation where it loads). */
export function crc32cOf(b: Uint8Array, start: number, end: number): number {
  return frameChecksum(b.subarray(start, end))
}
