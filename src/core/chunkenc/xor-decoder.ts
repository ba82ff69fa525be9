/**
 * Decoder for Prometheus XOR chunks as StoreAPI `Chunk.data` carries them (2-byte big-endian
 * sample count, then the Gorilla bit stream of prometheus/tsdb/chunkenc/xor.go: first
 * timestamp as a signed varint and first value as 64 raw bits, second timestamp as an unsigned
 * varint delta, then delta-of-delta buckets of 14/17/20/64 bits and XOR-compressed values).
 *
 * Adapter kept in store/ so the querier's read path is self-contained; the chunk codec proper
 * (encoder + iterator) lives in chunkenc/ (H1). No per-sample allocation: the value's 64 bits
 * are kept as two uint32 halves and turned into a double through one scratch DataView.
 */
import {BadDataError} from '../errors.js'
import type {SampleIterator} from '../promql/queryable.js'

export class XorDecodeIterator implements SampleIterator {
  private pos = 16 // bit position; the first 2 bytes are the sample count
  private readonly total: number
  private read = 0
  private t = 0
  private tDelta = 0
  private vhi = 0
  private vlo = 0
  private v = 0
  private leading = 0
  private trailing = 0

  private readonly bitLen: number

  constructor(private readonly data: Uint8Array) {
    if (data.length < 2) throw new BadDataError('XOR chunk shorter than its header')
    this.bitLen = data.length * 8
    this.total = (data[0]! << 8) | data[1]!
  }

  next(): boolean {
    if (this.read >= this.total) return false
    if (this.read === 0) {
      this.t = zigzag(this.uvarint())
      this.vhi = this.bits(32)
      this.vlo = this.bits(32)
    } else if (this.read === 1) {
      this.tDelta = this.uvarint()
      this.t += this.tDelta
      this.readValue()
    } else {
      this.tDelta += this.readDod()
      this.t += this.tDelta
      this.readValue()
    }
    this.read++
    SCRATCH_U32[HI] = this.vhi
    SCRATCH_U32[LO] = this.vlo
    this.v = SCRATCH_F64[0]!
    return true
  }

  /** Number of samples the chunk holds, from its header. */
  static sampleCount(data: Uint8Array): number {
    return data.length < 2 ? 0 : (data[0]! << 8) | data[1]!
  }

  seek(t: number): boolean {
    if (this.read > 0 && this.t >= t) return true
    while (this.next()) if (this.t >= t) return true
    return false
  }

  atT(): number {
    return this.t
  }

  at(): number {
    return this.v
  }

  /**
   * Whether the current sample is Prometheus's stale marker, decided on the raw bits: V8 may
   * quiet or even canonicalise a signalling NaN once it is a JS number (see chunkenc/value.ts),
   * so `isStaleNaN(at())` alone is not reliable in optimised code.
   */
  atStale(): boolean {
    return (this.vhi & 0xfff7ffff) === 0x7ff00000 && this.vlo === 2
  }

  /**
   * Reads n <= 32 bits, most significant first. Hot path: at most 24 bits come from one
   * big-endian 32-bit window (bit offset in a byte is <= 7, so 7 + 24 < 32); wider reads are
   * split in two.
   */
  private bits(n: number): number {
    if (n > 24) {
      const hi = this.bits(n - 16)
      return hi * 65536 + this.bits(16)
    }
    const pos = this.pos
    if (pos + n > this.bitLen) throw new BadDataError('XOR chunk ends early')
    const d = this.data
    const i = pos >>> 3
    // Reading past the end of a typed array is a slow path in V8: near the end, pad by hand.
    const w =
      i + 3 < d.length
        ? ((d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!) >>> 0
        : ((d[i]! << 24) | ((i + 1 < d.length ? d[i + 1]! : 0) << 16) | ((i + 2 < d.length ? d[i + 2]! : 0) << 8)) >>> 0
    this.pos = pos + n
    return (w >>> (32 - (pos & 7) - n)) & ((1 << n) - 1)
  }

  private uvarint(): number {
    let result = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      const b = this.bits(8)
      result += (b & 0x7f) * mul
      if (b < 0x80) return result
      mul *= 128
    }
    throw new BadDataError('malformed varint in XOR chunk')
  }

  /** Delta of delta: '0' → 0, '10' → 14 bits, '110' → 17, '1110' → 20, '1111' → 64. */
  private readDod(): number {
    if (this.bits(1) === 0) return 0
    if (this.bits(1) === 0) return signed(this.bits(14), 8192, 16384)
    if (this.bits(1) === 0) return signed(this.bits(17), 65536, 131072)
    if (this.bits(1) === 0) return signed(this.bits(20), 524288, 1048576)
    const hi = this.bits(32)
    const lo = this.bits(32)
    return (hi >= 0x80000000 ? hi - 0x100000000 : hi) * 0x100000000 + lo
  }

  private readValue(): void {
    if (this.bits(1) === 0) return // same value
    if (this.bits(1) === 1) {
      this.leading = this.bits(5)
      let mbits = this.bits(6)
      if (mbits === 0) mbits = 64
      this.trailing = 64 - this.leading - mbits
    }
    const mbits = 64 - this.leading - this.trailing
    const bh = mbits > 32 ? this.bits(mbits - 32) : 0
    const bl = this.bits(mbits > 32 ? 32 : mbits)
    const s = this.trailing
    let h: number
    let l: number
    if (s === 0) {
      h = bh
      l = bl
    } else if (s < 32) {
      h = ((bh << s) | (bl >>> (32 - s))) >>> 0
      l = (bl << s) >>> 0
    } else {
      h = (bl << (s - 32)) >>> 0
      l = 0
    }
    this.vhi = (this.vhi ^ h) >>> 0
    this.vlo = (this.vlo ^ l) >>> 0
  }
}

// One shared scratch double: the value's two 32-bit halves go in, the float64 comes out.
const SCRATCH_F64 = new Float64Array(1)
const SCRATCH_U32 = new Uint32Array(SCRATCH_F64.buffer)
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const HI = LITTLE_ENDIAN ? 1 : 0
const LO = LITTLE_ENDIAN ? 0 : 1

/** Same sign convention as Prometheus: an sz-bit value above 2^(sz-1) is negative. */
function signed(bits: number, half: number, full: number): number {
  return bits > half ? bits - full : bits
}

function zigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2
}

export function decodeXorChunk(data: Uint8Array): XorDecodeIterator {
  return new XorDecodeIterator(data)
}

// ---------------------------------------------------------------------------------------------
// Bulk decoding (the engine's hot path)

/**
 * The chunk as big-endian 32-bit words, so any read of up to 32 bits touches at most two
 * words. Reused across calls (decoding is synchronous); zero padding after the data lets a
 * sample's reads run past the end harmlessly, and the position is checked once per sample.
 */
let WORDS = new Int32Array(1024)
const PAD_WORDS = 8

function loadWords(d: Uint8Array): Int32Array {
  const nWords = (d.length + 3) >>> 2
  if (WORDS.length < nWords + PAD_WORDS) WORDS = new Int32Array((nWords + PAD_WORDS) * 2)
  const w = WORDS
  const full = d.length >>> 2
  for (let i = 0, j = 0; i < full; i++, j += 4) w[i] = (d[j]! << 24) | (d[j + 1]! << 16) | (d[j + 2]! << 8) | d[j + 3]!
  if (full < nWords) {
    const j = full * 4
    const r = d.length - j
    w[full] = (d[j]! << 24) | (r > 1 ? d[j + 1]! << 16 : 0) | (r > 2 ? d[j + 2]! << 8 : 0)
  }
  w.fill(0, nWords, nWords + PAD_WORDS)
  return w
}

/** The n (1..32) bits at bit position pos, as an unsigned number. */
function peek(w: Int32Array, pos: number, n: number): number {
  const i = pos >>> 5
  const off = pos & 31
  const win = off === 0 ? w[i]! : (w[i]! << off) | (w[i + 1]! >>> (32 - off))
  return n === 32 ? win >>> 0 : win >>> (32 - n)
}

/**
 * Decodes one XOR chunk into the arrays from index `at`, keeping samples with
 * mint <= t <= maxt. Returns the new length, or its bitwise complement (~n, negative) when it
 * stopped at a sample past maxt: callers stop the series there, as the iterator does.
 * Same format and checks as XorDecodeIterator, with all state in locals so that V8 keeps it
 * in registers: about three times the iterator's speed.
 */
export function decodeXorInto(data: Uint8Array, ts: Float64Array, vs: Float64Array, stale: Uint8Array, at: number, mint: number, maxt: number): number {
  if (data.length < 2) throw new BadDataError('XOR chunk shorter than its header')
  const total = (data[0]! << 8) | data[1]!
  if (total === 0) return at
  const w = loadWords(data)
  const bitLen = data.length * 8
  let pos = 16
  let n = at
  // first sample: varint timestamp, raw 64-bit value
  let u = 0
  let mul = 1
  for (let k = 0; ; k++) {
    if (k === 10) throw new BadDataError('malformed varint in XOR chunk')
    const b = peek(w, pos, 8)
    pos += 8
    u += (b & 0x7f) * mul
    if (b < 0x80) break
    mul *= 128
  }
  let t = u % 2 === 0 ? u / 2 : -(u + 1) / 2
  let vhi = peek(w, pos, 32)
  let vlo = peek(w, pos + 32, 32)
  pos += 64
  let tDelta = 0
  let leading = 0
  let trailing = 0
  for (let read = 0; ; ) {
    if (pos > bitLen) throw new BadDataError('XOR chunk ends early')
    if (t > maxt) return ~n
    if (t >= mint) {
      ts[n] = t
      SCRATCH_U32[HI] = vhi
      SCRATCH_U32[LO] = vlo
      vs[n] = SCRATCH_F64[0]!
      stale[n] = (vhi & 0xfff7ffff) === 0x7ff00000 && vlo === 2 ? 1 : 0
      n++
    }
    if (++read === total) return n
    // timestamp
    if (read === 1) {
      u = 0
      mul = 1
      for (let k = 0; ; k++) {
        if (k === 10) throw new BadDataError('malformed varint in XOR chunk')
        const b = peek(w, pos, 8)
        pos += 8
        u += (b & 0x7f) * mul
        if (b < 0x80) break
        mul *= 128
      }
      tDelta = u
    } else {
      // delta of delta: '0' → 0, '10' → 14 bits, '110' → 17, '1110' → 20, '1111' → 64
      const p4 = peek(w, pos, 4)
      if (p4 < 8) {
        pos += 1
      } else if (p4 < 12) {
        const x = peek(w, pos + 2, 14)
        pos += 16
        tDelta += x > 8192 ? x - 16384 : x
      } else if (p4 < 14) {
        const x = peek(w, pos + 3, 17)
        pos += 20
        tDelta += x > 65536 ? x - 131072 : x
      } else if (p4 < 15) {
        const x = peek(w, pos + 4, 20)
        pos += 24
        tDelta += x > 524288 ? x - 1048576 : x
      } else {
        const hi = peek(w, pos + 4, 32)
        const lo = peek(w, pos + 36, 32)
        pos += 68
        tDelta += (hi >= 0x80000000 ? hi - 0x100000000 : hi) * 0x100000000 + lo
      }
    }
    t += tDelta
    // value: '0' same; '10' reuse leading/trailing; '11' new leading (5) and length (6)
    const p2 = peek(w, pos, 2)
    if (p2 < 2) {
      pos += 1
      continue
    }
    pos += 2
    if (p2 === 3) {
      leading = peek(w, pos, 5)
      let mb = peek(w, pos + 5, 6)
      pos += 11
      if (mb === 0) mb = 64
      trailing = 64 - leading - mb
    }
    const mbits = 64 - leading - trailing
    let bh = 0
    let bl: number
    if (mbits > 32) {
      bh = peek(w, pos, mbits - 32)
      bl = peek(w, pos + mbits - 32, 32)
    } else bl = peek(w, pos, mbits)
    pos += mbits
    const s = trailing
    if (s === 0) {
      vhi = (vhi ^ bh) >>> 0
      vlo = (vlo ^ bl) >>> 0
    } else if (s < 32) {
      vhi = (vhi ^ ((bh << s) | (bl >>> (32 - s)))) >>> 0
      vlo = (vlo ^ (bl << s)) >>> 0
    } else {
      vhi = (vhi ^ (bl << (s - 32))) >>> 0
    }
  }
}
