/**
 * XXH64 (seed 0) and Prometheus's labels.Hash() on top of it. Prometheus 3 builds labels as
 * "stringlabels" (model/labels/labels_stringlabels.go): a label set is one string of
 * length-prefixed names and values, and Hash() is xxhash.Sum64 (cespare/xxhash) of it.
 * limit_ratio selects series by that hash, so ours must be bit-identical. BigInt arithmetic:
 * it runs once per series, not per sample.
 */
import type {Labels} from '../../labels/labels.js'

const P1 = 0x9e3779b185ebca87n
const P2 = 0xc2b2ae3d27d4eb4fn
const P3 = 0x165667b19e3779f9n
const P4 = 0x85ebca77c2b2ae63n
const P5 = 0x27d4eb2f165667c5n
const M = 0xffffffffffffffffn

function rotl(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & M
}

function round(acc: bigint, input: bigint): bigint {
  acc = (acc + input * P2) & M
  return (rotl(acc, 31n) * P1) & M
}

function mergeRound(acc: bigint, val: bigint): bigint {
  acc ^= round(0n, val)
  return (acc * P1 + P4) & M
}

function u64(b: Uint8Array, i: number): bigint {
  const lo = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)
  const hi = b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24)
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)
}

function u32(b: Uint8Array, i: number): bigint {
  return BigInt((b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0)
}

/** XXH64 of the bytes with seed 0, as an unsigned 64-bit BigInt. */
export function xxhash64(b: Uint8Array): bigint {
  const n = b.length
  let i = 0
  let h: bigint
  if (n >= 32) {
    let v1 = (P1 + P2) & M
    let v2 = P2
    let v3 = 0n
    let v4 = (M + 1n - P1) & M
    for (; i + 32 <= n; i += 32) {
      v1 = round(v1, u64(b, i))
      v2 = round(v2, u64(b, i + 8))
      v3 = round(v3, u64(b, i + 16))
      v4 = round(v4, u64(b, i + 24))
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M
    h = mergeRound(h, v1)
    h = mergeRound(h, v2)
    h = mergeRound(h, v3)
    h = mergeRound(h, v4)
  } else {
    h = P5
  }
  h = (h + BigInt(n)) & M
  for (; i + 8 <= n; i += 8) {
    h ^= round(0n, u64(b, i))
    h = (rotl(h, 27n) * P1 + P4) & M
  }
  if (i + 4 <= n) {
    h ^= (u32(b, i) * P1) & M
    h = (rotl(h, 23n) * P2 + P3) & M
    i += 4
  }
  for (; i < n; i++) {
    h ^= (BigInt(b[i]!) * P5) & M
    h = (rotl(h, 11n) * P1) & M
  }
  h ^= h >> 33n
  h = (h * P2) & M
  h ^= h >> 29n
  h = (h * P3) & M
  h ^= h >> 32n
  return h
}

const encoder = new TextEncoder()

/**
 * The stringlabels encoding of a label set sorted by name: each name and value as its UTF-8
 * length (one byte up to 254, else 255 and three bytes little-endian) and bytes.
 */
export function encodeStringLabels(ls: Labels): Uint8Array {
  const parts: Uint8Array[] = []
  let size = 0
  for (const l of ls) {
    for (const s of [l.name, l.value]) {
      const b = encoder.encode(s)
      parts.push(b)
      size += b.length + (b.length <= 254 ? 1 : 4)
    }
  }
  const out = new Uint8Array(size)
  let o = 0
  for (const b of parts) {
    if (b.length <= 254) out[o++] = b.length
    else {
      out[o++] = 255
      out[o++] = b.length & 0xff
      out[o++] = (b.length >> 8) & 0xff
      out[o++] = (b.length >> 16) & 0xff
    }
    out.set(b, o)
    o += b.length
  }
  return out
}

/** Prometheus's labels.Hash() (stringlabels build, the default of its releases). */
export function labelsHash(ls: Labels): bigint {
  return xxhash64(encodeStringLabels(ls))
}
