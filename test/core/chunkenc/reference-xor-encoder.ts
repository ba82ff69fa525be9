/**
 * Test-only XOR chunk encoder following prometheus/tsdb/chunkenc/xor.go (xorAppender), to build
 * StoreAPI chunks for tests of the decoder and of chunk series. Real Prometheus chunks are
 * checked in the integration tests (sidecar over a real Prometheus).
 */
class BitWriter {
  bytes: number[] = []
  private count = 0 // free bits in the last byte

  bit(b: number): void {
    if (this.count === 0) {
      this.bytes.push(0)
      this.count = 8
    }
    if (b) this.bytes[this.bytes.length - 1]! |= 1 << (this.count - 1)
    this.count--
  }

  /** Writes the low n bits of v (n <= 64, v as bigint). */
  bits(v: bigint, n: number): void {
    for (let i = n - 1; i >= 0; i--) this.bit(Number((v >> BigInt(i)) & 1n))
  }

  byte(b: number): void {
    this.bits(BigInt(b), 8)
  }
}

function putUvarint(w: BitWriter, v: bigint): void {
  while (v >= 0x80n) {
    w.byte(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  w.byte(Number(v))
}

function putVarint(w: BitWriter, v: bigint): void {
  putUvarint(w, v >= 0n ? v << 1n : ((-v) << 1n) - 1n)
}

function floatBits(f: number): bigint {
  const dv = new DataView(new ArrayBuffer(8))
  dv.setFloat64(0, f)
  return dv.getBigUint64(0)
}

function clz64(x: bigint): number {
  let n = 0
  for (let i = 63; i >= 0 && ((x >> BigInt(i)) & 1n) === 0n; i--) n++
  return n
}
function ctz64(x: bigint): number {
  let n = 0
  for (let i = 0; i < 64 && ((x >> BigInt(i)) & 1n) === 0n; i++) n++
  return n
}

function bitRange(x: bigint, nbits: number): boolean {
  const X = x
  return -((1n << BigInt(nbits - 1)) - 1n) <= X && X <= 1n << BigInt(nbits - 1)
}

export function encodeXorChunk(ts: readonly number[], vs: readonly number[]): Uint8Array {
  const w = new BitWriter()
  let t = 0n
  let tDelta = 0n
  let v = 0n
  let leading = 0xff
  let trailing = 0
  for (let i = 0; i < ts.length; i++) {
    const nt = BigInt(ts[i]!)
    const nv = floatBits(vs[i]!)
    if (i === 0) {
      putVarint(w, nt)
      w.bits(nv, 64)
    } else {
      if (i === 1) {
        tDelta = nt - t
        putUvarint(w, tDelta)
      } else {
        const d = nt - t
        const dod = d - tDelta
        if (dod === 0n) w.bit(0)
        else if (bitRange(dod, 14)) {
          w.bits(0b10n, 2)
          w.bits(BigInt.asUintN(14, dod), 14)
        } else if (bitRange(dod, 17)) {
          w.bits(0b110n, 3)
          w.bits(BigInt.asUintN(17, dod), 17)
        } else if (bitRange(dod, 20)) {
          w.bits(0b1110n, 4)
          w.bits(BigInt.asUintN(20, dod), 20)
        } else {
          w.bits(0b1111n, 4)
          w.bits(BigInt.asUintN(64, dod), 64)
        }
        tDelta = d
      }
      const x = v ^ nv
      if (x === 0n) w.bit(0)
      else {
        w.bit(1)
        let lz = clz64(x)
        const tz = ctz64(x)
        if (lz >= 32) lz = 31
        if (leading !== 0xff && lz >= leading && tz >= trailing) {
          w.bit(0)
          w.bits(x >> BigInt(trailing), 64 - leading - trailing)
        } else {
          leading = lz
          trailing = tz
          w.bit(1)
          w.bits(BigInt(lz), 5)
          const sig = 64 - lz - tz
          w.bits(BigInt(sig & 63), 6)
          w.bits(x >> BigInt(tz), sig)
        }
      }
    }
    t = nt
    v = nv
  }
  const out = new Uint8Array(2 + w.bytes.length)
  out[0] = ts.length >> 8
  out[1] = ts.length & 0xff
  out.set(w.bytes, 2)
  return out
}
