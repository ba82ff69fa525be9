/**
 * CRC32-C (Castagnoli), as Prometheus's streamed remote read checksums each frame
 * (big-endian on the wire). Every byte a sidecar serves passes through here, and the check was
 * its largest single cost, so `frameChecksum` uses @node-rs/crc32 (prebuilt, SSE4.2/ARMv8 CRC
 * instructions, ~5x our JS) where it loads. It is an optional dependency: on a platform
 * without a prebuilt binary the slicing-by-8 JS version below does the work.
 */
import {createRequire} from 'node:module'

const POLY = 0x82f63b78
const T = new Uint32Array(8 * 256)
for (let i = 0; i < 256; i++) {
  let c = i
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
  T[i] = c >>> 0
}
for (let i = 0; i < 256; i++) {
  for (let s = 1; s < 8; s++) T[s * 256 + i] = (T[(s - 1) * 256 + i]! >>> 8) ^ T[T[(s - 1) * 256 + i]! & 0xff]!
}

export function crc32c(data: Uint8Array, start = 0, end = data.length, prev = 0): number {
  let c = ~prev >>> 0
  let i = start
  // hot loop: 8 bytes per iteration
  for (; i + 8 <= end; i += 8) {
    const a = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0
    c =
      T[7 * 256 + (a & 0xff)]! ^
      T[6 * 256 + ((a >>> 8) & 0xff)]! ^
      T[5 * 256 + ((a >>> 16) & 0xff)]! ^
      T[4 * 256 + (a >>> 24)]! ^
      T[3 * 256 + data[i + 4]!]! ^
      T[2 * 256 + data[i + 5]!]! ^
      T[256 + data[i + 6]!]! ^
      T[data[i + 7]!]!
  }
  for (; i < end; i++) c = T[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}

type NativeCrc32c = (input: Buffer, initial?: number) => number

function loadNative(): NativeCrc32c | undefined {
  if (process.env.THANOSTS_JS_CRC32C === '1') return undefined
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as {crc32c?: NativeCrc32c}
    return typeof mod.crc32c === 'function' ? mod.crc32c : undefined
  } catch {
    return undefined
  }
}

const native = loadNative()

/** Which implementation frameChecksum uses (the tests check the native one loads on CI). */
export const CRC32C_IMPLEMENTATION: 'native' | 'js' = native ? 'native' : 'js'

/** CRC32-C of a whole frame payload: native when available, else crc32c(). */
export function frameChecksum(data: Uint8Array): number {
  if (native === undefined) return crc32c(data)
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return native(buf) >>> 0
}

const SMALL = 256

/**
 * The CRC32-C of `prev`'s bytes followed by `data` (`prev` = 0 to start), for checksums over
 * sections written in pieces (the block writer's postings offset table).
 */
export function crc32cUpdate(prev: number, data: Uint8Array): number {
  // Below a few hundred bytes the call into the native module costs more than the JS loop.
  if (native === undefined || data.length < SMALL) return crc32c(data, 0, data.length, prev)
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return native(buf, prev) >>> 0
}
