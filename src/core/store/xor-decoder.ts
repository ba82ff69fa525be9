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
  private readonly scratch = new DataView(new ArrayBuffer(8))

  constructor(private readonly data: Uint8Array) {
    if (data.length < 2) throw new BadDataError('XOR chunk shorter than its header')
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
    this.scratch.setUint32(0, this.vhi)
    this.scratch.setUint32(4, this.vlo)
    this.v = this.scratch.getFloat64(0)
    return true
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

  /** Reads n <= 32 bits, most significant first. */
  private bits(n: number): number {
    const d = this.data
    let v = 0
    while (n > 0) {
      const byteIdx = this.pos >>> 3
      if (byteIdx >= d.length) throw new BadDataError('XOR chunk ends early')
      const off = this.pos & 7
      const avail = 8 - off
      const take = avail < n ? avail : n
      v = v * (1 << take) + ((d[byteIdx]! >>> (avail - take)) & ((1 << take) - 1))
      n -= take
      this.pos += take
    }
    return v
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

  private readDod(): number {
    let d = 0
    for (let i = 0; i < 4; i++) {
      d <<= 1
      if (this.bits(1) === 0) break
      d |= 1
    }
    let sz: number
    switch (d) {
      case 0b0:
        return 0
      case 0b10:
        sz = 14
        break
      case 0b110:
        sz = 17
        break
      case 0b1110:
        sz = 20
        break
      default: {
        const hi = this.bits(32)
        const lo = this.bits(32)
        return (hi >= 0x80000000 ? hi - 0x100000000 : hi) * 0x100000000 + lo
      }
    }
    const bits = this.bits(sz)
    // Same sign convention as Prometheus: values above 2^(sz-1) are negative.
    return bits > 2 ** (sz - 1) ? bits - 2 ** sz : bits
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

function zigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2
}

export function decodeXorChunk(data: Uint8Array): SampleIterator {
  return new XorDecodeIterator(data)
}
