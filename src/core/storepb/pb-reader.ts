/**
 * A minimal protobuf reader for hand-written hot-path decoders: fields are walked in place,
 * strings decoded straight from the buffer, bytes returned as zero-copy views.
 */
import {BadDataError} from '../errors.js'
import {decodeLabelUtf8, decodeUtf8} from './utf8.js'

export const WIRE_VARINT = 0
export const WIRE_I64 = 1
export const WIRE_LEN = 2
export const WIRE_I32 = 5


export class PbReader {
  pos: number
  /** Made on the first double(): most messages have none, and readers are made per message. */
  private view: DataView | undefined

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
    private readonly what = 'protobuf message',
  ) {
    this.pos = start
  }

  get more(): boolean {
    return this.pos < this.end
  }

  /** Unsigned varint; exact below 2^53. */
  varint(): number {
    let result = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new BadDataError(`truncated varint in ${this.what}`)
      const b = this.buf[this.pos++]!
      result += (b & 0x7f) * mul
      if (b < 0x80) return result
      mul *= 128
    }
    throw new BadDataError(`malformed varint in ${this.what}`)
  }

  /** int64: a ten-byte varint is negative (two's complement). */
  int64(): number {
    const start = this.pos
    const v = this.varint()
    return this.pos - start === 10 ? negativeInt64(this.buf, start) : v
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new BadDataError(`truncated double in ${this.what}`)
    this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)
    const v = this.view.getFloat64(this.pos, true)
    this.pos += 8
    return v
  }

  /** [start, end) of a length-delimited payload, skipped over. */
  lenDelim(): [number, number] {
    const n = this.varint()
    const s = this.pos
    if (s + n > this.end) throw new BadDataError(`truncated field in ${this.what}`)
    this.pos = s + n
    return [s, s + n]
  }

  string(): string {
    const [s, e] = this.lenDelim()
    return decodeUtf8(this.buf, s, e)
  }

  /** A label name or value: recurring strings come from one table (utf8.ts). */
  labelString(): string {
    const [s, e] = this.lenDelim()
    return decodeLabelUtf8(this.buf, s, e)
  }

  bytes(): Uint8Array {
    const [s, e] = this.lenDelim()
    return this.buf.subarray(s, e)
  }

  /** The raw field key (field number × 8 + wire type): for decoders that switch on it, no tuple. */
  key(): number {
    return this.varint()
  }

  /** Skips a length-delimited payload and returns its end; it starts at `pos` before the call + length. */
  lenEnd(): number {
    const n = this.varint()
    const e = this.pos + n
    if (e > this.end) throw new BadDataError(`truncated field in ${this.what}`)
    return e
  }

  /** Returns [field number, wire type]. */
  tag(): [number, number] {
    const t = this.varint()
    return [Math.floor(t / 8), t & 7]
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint()
        return
      case WIRE_I64:
        this.pos += 8
        break
      case WIRE_LEN:
        this.lenDelim()
        return
      case WIRE_I32:
        this.pos += 4
        break
      default:
        throw new BadDataError(`unsupported wire type ${wireType} in ${this.what}`)
    }
    if (this.pos > this.end) throw new BadDataError(`truncated field in ${this.what}`)
  }
}

/**
 * The ten-byte varint at `at` as a negative int64. Not `varint() - 2 ** 64`: 2^64 - n rounds to
 * 2^64 as a double for small n, which made -5 decode as 0; BigInt is exact (and rare here).
 */
export function negativeInt64(buf: Uint8Array, at: number): number {
  let v = 0n
  for (let i = 9; i >= 0; i--) v = (v << 7n) | BigInt(buf[at + i]! & 0x7f)
  return Number(BigInt.asIntN(64, v))
}
