/**
 * Bit streams of the histogram chunk codecs, most significant bit first, as Prometheus's
 * bstream (prometheus/tsdb/chunkenc/bstream.go), with the varbit integers of varbit.go and
 * the Gorilla XOR float encoding of xor.go (xorWrite/xorRead).
 *
 * 64-bit quantities travel as two uint32 halves, so float bits (NaN payloads, the stale
 * marker) never pass through a JS number. Floats live in Float64Arrays and are read and
 * written through a Uint32Array view of the same memory: the XOR state *is* the value.
 */
import {BadDataError} from '../errors.js'

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
/** Position of the low and high halves of a double in a Uint32Array view. */
export const LO = LITTLE_ENDIAN ? 0 : 1
export const HI = LITTLE_ENDIAN ? 1 : 0

export class BitReader {
  private data: Uint8Array = new Uint8Array(0)
  /** Bit position. */
  pos = 0
  private bitLen = 0

  constructor(private readonly what: string) {}

  reset(data: Uint8Array, startByte: number): void {
    this.data = data
    this.pos = startByte * 8
    this.bitLen = data.length * 8
  }

  /**
   * The next n ≤ 25 bits without consuming them; bits past the end read as 0 (callers
   * consume with skip(), which checks the end).
   */
  peek(n: number): number {
    const d = this.data
    const pos = this.pos
    const i = pos >>> 3
    const w =
      i + 3 < d.length
        ? ((d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!) >>> 0
        : (((i < d.length ? d[i]! : 0) << 24) | ((i + 1 < d.length ? d[i + 1]! : 0) << 16) | ((i + 2 < d.length ? d[i + 2]! : 0) << 8)) >>> 0
    // offset ≤ 7 and n ≤ 25: the bits lie within these four bytes.
    return (w >>> (32 - (pos & 7) - n)) & ((1 << n) - 1)
  }

  remainingBits(): number {
    return this.bitLen - this.pos
  }

  skip(n: number): void {
    this.pos += n
    if (this.pos > this.bitLen) throw new BadDataError(`${this.what} ends early`)
  }

  /** Reads n ≤ 32 bits as an unsigned number. */
  bits(n: number): number {
    if (n > 25) {
      const hi = this.peek(n - 16)
      this.skip(n - 16)
      const lo = this.peek(16)
      this.skip(16)
      return hi * 65536 + lo
    }
    const v = this.peek(n)
    this.skip(n)
    return v
  }

  bit(): number {
    const v = this.peek(1)
    this.skip(1)
    return v
  }

  /**
   * A varbit-encoded signed integer (varbit.go readVarbitInt): a prefix of up to eight bits
   * ('0', '10', ..., '11111111') selects 0, 3, 6, 9, 12, 18, 25, 56 or 64 payload bits in
   * two's complement. Exact while |v| ≤ 2^53.
   */
  varbitInt(): number {
    const ones = leadingOnes8(this.peek(8))
    if (ones === 0) {
      this.skip(1)
      return 0
    }
    if (ones === 8) {
      this.skip(8)
      const hi = this.bits(32) | 0
      return hi * 4294967296 + this.bits(32)
    }
    this.skip(ones + 1)
    const sz = VARBIT_SIZES[ones]!
    if (sz === 56) {
      const hi = this.bits(24)
      const lo = this.bits(32)
      // Negative iff above 2^55; keep the halves apart so that the value stays exact.
      if (hi > 0x800000 || (hi === 0x800000 && lo > 0)) return (hi - 0x1000000) * 4294967296 + lo
      return hi * 4294967296 + lo
    }
    const v = this.bits(sz)
    return v > 1 << (sz - 1) ? v - (1 << sz) : v
  }

  /**
   * For every i: deltas[i] += varbitInt(); values[i] += deltas[i]. The histogram chunk's
   * buckets, whose delta of delta is mostly 0 ('0') or tiny ('10' + 3 bits, '110' + 6 bits):
   * those are read here from one 32-bit window, the rest by varbitInt.
   */
  addVarbitInts(values: Float64Array, deltas: Float64Array): void {
    const d = this.data
    const n = values.length
    // below this bit position four whole bytes can be read at pos >>> 3
    const direct = (d.length - 4) * 8
    let pos = this.pos
    for (let i = 0; i < n; i++) {
      if (pos < direct) {
        const b = pos >>> 3
        const top = (((d[b]! << 24) | (d[b + 1]! << 16) | (d[b + 2]! << 8) | d[b + 3]!) << (pos & 7)) >>> 0
        if (top < 0x80000000) {
          pos += 1
          values[i]! += deltas[i]!
          continue
        }
        if (top < 0xc0000000) {
          const v = (top >>> 27) & 7
          deltas[i]! += v > 4 ? v - 8 : v
          values[i]! += deltas[i]!
          pos += 5
          continue
        }
        if (top < 0xe0000000) {
          const v = (top >>> 23) & 63
          deltas[i]! += v > 32 ? v - 64 : v
          values[i]! += deltas[i]!
          pos += 9
          continue
        }
      }
      this.pos = pos
      deltas[i]! += this.varbitInt()
      values[i]! += deltas[i]!
      pos = this.pos
    }
    this.pos = pos
  }

  /** A varbit-encoded unsigned integer (varbit.go readVarbitUint), same prefixes. Exact up to 2^53. */
  varbitUint(): number {
    const ones = leadingOnes8(this.peek(8))
    if (ones === 0) {
      this.skip(1)
      return 0
    }
    if (ones === 8) {
      this.skip(8)
      const hi = this.bits(32)
      return hi * 4294967296 + this.bits(32)
    }
    this.skip(ones + 1)
    const sz = VARBIT_SIZES[ones]!
    if (sz === 56) {
      const hi = this.bits(24)
      return hi * 4294967296 + this.bits(32)
    }
    return this.bits(sz)
  }

  /** 64 raw bits into words[at + HI], words[at + LO] (at: index of the double × 2). */
  raw64(words: Uint32Array, at: number): void {
    words[at + HI] = this.bits(32)
    words[at + LO] = this.bits(32)
  }

  /**
   * One Gorilla-XOR value (xor.go xorRead) against the bits in words at `at`, updating them
   * and the leading/trailing-zero state in lt[ltAt], lt[ltAt + 1]: '0' same value; '10' the
   * previous window; '11' a 5-bit leading count, a 6-bit length (0 means 64), then the bits.
   */
  xor(words: Uint32Array, at: number, lt: Uint8Array, ltAt: number): void {
    const p = this.peek(2)
    if (p < 2) {
      this.skip(1)
      return
    }
    this.skip(2)
    if (p === 3) {
      const leading = this.bits(5)
      let mbits = this.bits(6)
      if (mbits === 0) mbits = 64
      lt[ltAt] = leading
      lt[ltAt + 1] = 64 - leading - mbits
    }
    const trailing = lt[ltAt + 1]!
    const mbits = 64 - lt[ltAt]! - trailing
    const bh = mbits > 32 ? this.bits(mbits - 32) : 0
    const bl = this.bits(mbits > 32 ? 32 : mbits)
    let h: number
    let l: number
    if (trailing === 0) {
      h = bh
      l = bl
    } else if (trailing < 32) {
      h = ((bh << trailing) | (bl >>> (32 - trailing))) >>> 0
      l = (bl << trailing) >>> 0
    } else {
      h = (bl << (trailing - 32)) >>> 0
      l = 0
    }
    words[at + HI] = (words[at + HI]! ^ h) >>> 0
    words[at + LO] = (words[at + LO]! ^ l) >>> 0
  }
}

/** Payload bits for a prefix of n leading ones. */
const VARBIT_SIZES = [0, 3, 6, 9, 12, 18, 25, 56, 64]

function leadingOnes8(p: number): number {
  return Math.clz32(~(p << 24))
}

export class BitWriter {
  private buf = new Uint8Array(128)
  /** Bits written. */
  n = 0

  constructor(initialBytes = 0) {
    if (initialBytes > 0) this.zeroBytes(initialBytes)
  }

  /** Appends `count` zero bytes (headers patched later). */
  zeroBytes(count: number): void {
    this.ensure(count * 8)
    this.n += count * 8
  }

  private ensure(bits: number): void {
    const need = (this.n + bits + 7) >>> 3
    if (need <= this.buf.length) return
    const b = new Uint8Array(Math.max(need, this.buf.length * 2))
    b.set(this.buf)
    this.buf = b
  }

  /** Writes the low `count` ≤ 32 bits of v (an unsigned or int32 number), most significant first. */
  bits(v: number, count: number): void {
    if (count === 0) return
    this.ensure(count)
    const buf = this.buf
    let n = this.n
    for (let i = count - 1; i >= 0; ) {
      const free = 8 - (n & 7)
      const take = Math.min(free, i + 1)
      // `take` bits of v starting at bit i (downwards) into the free low bits of the byte.
      const chunk = (v >>> (i + 1 - take)) & ((1 << take) - 1)
      buf[n >>> 3]! |= chunk << (free - take)
      n += take
      i -= take
    }
    this.n = n
  }

  bit(b: number): void {
    this.bits(b, 1)
  }

  byte(b: number): void {
    this.bits(b, 8)
  }

  /** Low `count` ≤ 64 bits of the 64-bit value hi:lo. */
  bits64(hi: number, lo: number, count: number): void {
    if (count > 32) {
      this.bits(hi, count - 32)
      this.bits(lo, 32)
    } else this.bits(lo, count)
  }

  /** A signed integer in varbit encoding (varbit.go putVarbitInt). |v| must be ≤ 2^53. */
  varbitInt(v: number): void {
    if (v === 0) return this.bit(0)
    // bitRange: -(2^(n-1) - 1) <= v <= 2^(n-1)
    if (v >= -3 && v <= 4) return this.prefixed(0b10, 2, v, 3)
    if (v >= -31 && v <= 32) return this.prefixed(0b110, 3, v, 6)
    if (v >= -255 && v <= 256) return this.prefixed(0b1110, 4, v, 9)
    if (v >= -2047 && v <= 2048) return this.prefixed(0b11110, 5, v, 12)
    if (v >= -131071 && v <= 131072) return this.prefixed(0b111110, 6, v, 18)
    if (v >= -16777215 && v <= 16777216) return this.prefixed(0b1111110, 7, v, 25)
    const [hi, lo] = split64(v)
    // -(2^55 - 1) ≤ v ≤ 2^55, written so that the bound is exact in doubles (-2^55 needs 64 bits).
    if (v > -(2 ** 55) && v <= 2 ** 55) {
      this.bits(0b11111110, 8)
      this.bits64(hi, lo, 56)
      return
    }
    this.bits(0b11111111, 8)
    this.bits64(hi, lo, 64)
  }

  /** An unsigned integer in varbit encoding (varbit.go putVarbitUint). Must be ≤ 2^53. */
  varbitUint(v: number): void {
    if (v === 0) return this.bit(0)
    if (v < 8) return this.prefixed(0b10, 2, v, 3)
    if (v < 64) return this.prefixed(0b110, 3, v, 6)
    if (v < 512) return this.prefixed(0b1110, 4, v, 9)
    if (v < 4096) return this.prefixed(0b11110, 5, v, 12)
    if (v < 262144) return this.prefixed(0b111110, 6, v, 18)
    if (v < 33554432) return this.prefixed(0b1111110, 7, v, 25)
    const [hi, lo] = split64(v)
    if (v < 2 ** 56) {
      this.bits(0b11111110, 8)
      this.bits64(hi, lo, 56)
      return
    }
    this.bits(0b11111111, 8)
    this.bits64(hi, lo, 64)
  }

  private prefixed(prefix: number, prefixBits: number, v: number, sz: number): void {
    this.bits(prefix, prefixBits)
    this.bits(v & ((1 << sz) - 1), sz)
  }

  /** The double at `at` of a Uint32Array view, raw. */
  raw64(words: Uint32Array, at: number): void {
    this.bits(words[at + HI]!, 32)
    this.bits(words[at + LO]!, 32)
  }

  /**
   * Gorilla XOR of the new value (words at `at`) against the previous one (prev at `prevAt`),
   * with the leading/trailing state in lt[ltAt..ltAt+1] (leading 0xff: none yet), as
   * Prometheus's xorWrite. Does not update prev.
   */
  xor(words: Uint32Array, at: number, prev: Uint32Array, prevAt: number, lt: Uint8Array, ltAt: number): void {
    const xh = (words[at + HI]! ^ prev[prevAt + HI]!) >>> 0
    const xl = (words[at + LO]! ^ prev[prevAt + LO]!) >>> 0
    if (xh === 0 && xl === 0) return this.bit(0)
    this.bit(1)
    let lz = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl)
    const tz = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh)
    if (lz >= 32) lz = 31 // the leading count has 5 bits
    const leading = lt[ltAt]!
    const trailing = lt[ltAt + 1]!
    if (leading !== 0xff && lz >= leading && tz >= trailing) {
      this.bit(0)
      this.significant(xh, xl, leading, trailing)
      return
    }
    lt[ltAt] = lz
    lt[ltAt + 1] = tz
    this.bit(1)
    this.bits(lz, 5)
    // 64 significant bits do not fit the 6 bits: written as 0, read back as 64.
    this.bits((64 - lz - tz) & 63, 6)
    this.significant(xh, xl, lz, tz)
  }

  /** Bits [trailing, 64 - leading) of xh:xl. */
  private significant(xh: number, xl: number, leading: number, trailing: number): void {
    let h = xh
    let l = xl
    if (trailing >= 32) {
      l = h >>> (trailing - 32)
      h = 0
    } else if (trailing > 0) {
      l = ((l >>> trailing) | (h << (32 - trailing))) >>> 0
      h = h >>> trailing
    }
    this.bits64(h, l, 64 - leading - trailing)
  }

  /** Number of bytes the bits occupy (the chunk's length, as bstream.bytes()). */
  byteLength(): number {
    return (this.n + 7) >>> 3
  }

  /** The bytes so far, as a view (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.byteLength())
  }

  setByte(i: number, b: number): void {
    this.buf[i] = b
  }

  getByte(i: number): number {
    return this.buf[i]!
  }
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x)
}

/** Two's complement halves of an integer with |v| ≤ 2^53. */
function split64(v: number): [number, number] {
  const lo = ((v % 4294967296) + 4294967296) % 4294967296
  const hi = Math.floor(v / 4294967296)
  return [hi >>> 0, lo]
}
