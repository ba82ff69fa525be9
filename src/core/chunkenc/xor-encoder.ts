/**
 * chunkenc/: Prometheus's XOR chunk format (tsdb/chunkenc/xor.go): a 2-byte big-endian sample
 * count, then the first timestamp (varint) and value (64 bits), the second timestamp as a
 * uvarint delta, then delta-of-delta timestamps in 1/14/17/20/64-bit buckets and values XORed
 * with the previous one, reusing the previous leading/trailing-zero window when it fits.
 *
 * The encoder works on 32-bit halves of the float bits (no BigInt, no per-sample objects).
 * Chunks hold at most MAX_SAMPLES_PER_CHUNK samples, as Prometheus cuts them.
 */

export const MAX_SAMPLES_PER_CHUNK = 120

import {canonicalStaleHi} from './value.js'

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer) // little-endian host: [lo, hi]

function ctz32(x: number): number {
  return x === 0 ? 32 : 31 - Math.clz32(x & -x)
}

class BitWriter {
  buf = new Uint8Array(64)
  /** bits written */
  n = 0

  private ensure(bits: number): void {
    const need = (this.n + bits + 7) >> 3
    if (need <= this.buf.length) return
    const b = new Uint8Array(Math.max(need, this.buf.length * 2))
    b.set(this.buf)
    this.buf = b
  }

  /** Writes the low `count` (≤ 32) bits of v, most significant first. */
  bits(v: number, count: number): void {
    if (count === 0) return
    this.ensure(count)
    for (let i = count - 1; i >= 0; i--) {
      if ((v >>> i) & 1) this.buf[this.n >> 3]! |= 0x80 >> (this.n & 7)
      this.n++
    }
  }

  /** Writes the low `count` (≤ 64) bits of the 64-bit value hi:lo. */
  bits64(hi: number, lo: number, count: number): void {
    if (count > 32) {
      this.bits(hi, count - 32)
      this.bits(lo, 32)
    } else this.bits(lo, count)
  }

  byte(b: number): void {
    this.bits(b, 8)
  }

  uvarint(v: number): void {
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80)
      v = Math.floor(v / 0x80)
    }
    this.byte(v)
  }

  varint(v: number): void {
    // zig-zag; exact for |v| < 2^52
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1)
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, (this.n + 7) >> 3)
  }
}

/** Two's complement of a (possibly negative) integer as hi:lo 32-bit halves. */
function splitInt64(v: number): [number, number] {
  const lo = v >>> 0 === v ? v : Number(BigInt.asUintN(32, BigInt(v)))
  const hi = Number(BigInt.asUintN(32, BigInt(v) >> 32n))
  return [hi, lo]
}

function fitsBits(dod: number, nbits: number): boolean {
  // Prometheus's bitRange: -(2^(n-1) - 1) <= x <= 2^(n-1)
  const lim = 2 ** (nbits - 1)
  return -(lim - 1) <= dod && dod <= lim
}

export class XorChunkEncoder {
  private readonly w = new BitWriter()
  private count = 0
  private t = 0
  private tDelta = 0
  private vHi = 0
  private vLo = 0
  private leading = 0xff
  private trailing = 0
  minTime = 0
  maxTime = 0

  constructor() {
    this.w.bits(0, 16) // sample count, patched in bytes()
  }

  get numSamples(): number {
    return this.count
  }

  append(t: number, v: number): void {
    f64[0] = v
    const lo = u32[0]!
    const hi = canonicalStaleHi(u32[1]!, lo)
    const w = this.w
    if (this.count === 0) {
      w.varint(t)
      w.bits(hi, 32)
      w.bits(lo, 32)
      this.minTime = t
    } else {
      if (this.count === 1) {
        this.tDelta = t - this.t
        w.uvarint(this.tDelta)
      } else {
        const delta = t - this.t
        const dod = delta - this.tDelta
        if (dod === 0) w.bits(0, 1)
        else if (fitsBits(dod, 14)) {
          w.bits(0b10, 2)
          w.bits(dod & 0x3fff, 14)
        } else if (fitsBits(dod, 17)) {
          w.bits(0b110, 3)
          w.bits(dod & 0x1ffff, 17)
        } else if (fitsBits(dod, 20)) {
          w.bits(0b1110, 4)
          w.bits(dod & 0xfffff, 20)
        } else {
          w.bits(0b1111, 4)
          const [dh, dl] = splitInt64(dod)
          w.bits(dh, 32)
          w.bits(dl, 32)
        }
        this.tDelta = delta
      }
      this.writeValue(hi, lo)
    }
    this.t = t
    this.vHi = hi
    this.vLo = lo
    this.maxTime = t
    this.count++
  }

  private writeValue(hi: number, lo: number): void {
    const w = this.w
    const xh = (hi ^ this.vHi) >>> 0
    const xl = (lo ^ this.vLo) >>> 0
    if (xh === 0 && xl === 0) {
      w.bits(0, 1)
      return
    }
    w.bits(1, 1)
    let lz = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl)
    const tz = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh)
    // the leading-zero count is stored in 5 bits
    if (lz >= 32) lz = 31
    if (this.leading !== 0xff && lz >= this.leading && tz >= this.trailing) {
      w.bits(0, 1)
      this.writeSignificant(xh, xl, this.leading, this.trailing)
    } else {
      this.leading = lz
      this.trailing = tz
      w.bits(1, 1)
      w.bits(lz, 5)
      const sig = 64 - lz - tz
      // 64 significant bits are written as 0 (overflow of the 6-bit field), as upstream
      w.bits(sig & 63, 6)
      this.writeSignificant(xh, xl, lz, tz)
    }
  }

  /** Writes bits [trailing, 64 - leading) of xh:xl, i.e. (x >> trailing) in (64-l-t) bits. */
  private writeSignificant(xh: number, xl: number, leading: number, trailing: number): void {
    let h = xh
    let l = xl
    if (trailing >= 32) {
      l = h >>> (trailing - 32)
      h = 0
    } else if (trailing > 0) {
      l = ((l >>> trailing) | (h << (32 - trailing))) >>> 0
      h = h >>> trailing
    }
    this.w.bits64(h, l, 64 - leading - trailing)
  }

  /** The chunk bytes (header patched with the sample count). */
  bytes(): Uint8Array {
    const b = this.w.bytes()
    b[0] = this.count >>> 8
    b[1] = this.count & 0xff
    return b.slice()
  }
}

export interface EncodedChunk {
  minTime: number
  maxTime: number
  data: Uint8Array
}

/** Cuts a series into XOR chunks of at most MAX_SAMPLES_PER_CHUNK samples. */
export function encodeXorChunks(ts: ArrayLike<number>, vs: ArrayLike<number>, perChunk = MAX_SAMPLES_PER_CHUNK): EncodedChunk[] {
  const out: EncodedChunk[] = []
  let enc: XorChunkEncoder | undefined
  for (let i = 0; i < ts.length; i++) {
    if (!enc || enc.numSamples >= perChunk) {
      if (enc) out.push({minTime: enc.minTime, maxTime: enc.maxTime, data: enc.bytes()})
      enc = new XorChunkEncoder()
    }
    enc.append(ts[i]!, vs[i]!)
  }
  if (enc && enc.numSamples > 0) out.push({minTime: enc.minTime, maxTime: enc.maxTime, data: enc.bytes()})
  return out
}
