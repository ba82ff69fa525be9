/**
 * Reads Prometheus's streamed remote-read body: frames of
 *   uvarint(payload length) | 4-byte big-endian CRC32C(payload) | payload
 * (Prometheus storage/remote/chunked.go). Pull-based: a frame is read only when the consumer
 * asks for it, so a slow consumer slows the HTTP body and bounds memory to about one frame.
 */
import {BadDataError} from '../errors.js'
import {crc32c} from './crc32c.js'

/** Prometheus's config.DefaultChunkedReadLimit. */
export const DEFAULT_MAX_FRAME_BYTES = 50 * 1024 * 1024

export class FrameChecksumError extends BadDataError {
  constructor(expected: number, got: number) {
    super(`remote read: frame checksum mismatch: expected ${expected.toString(16)}, got ${got.toString(16)}`)
  }
}

export async function* readFrames(body: AsyncIterable<Uint8Array>, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): AsyncGenerator<Uint8Array> {
  let buf = new Uint8Array(0)
  let pos = 0
  const it = body[Symbol.asyncIterator]()
  let done = false

  // Ensures at least n unread bytes are buffered; false at a clean end of stream. Network
  // chunks are gathered first and joined once, so a large frame costs one copy, not many.
  const fill = async (n: number): Promise<boolean> => {
    let have = buf.length - pos
    if (have >= n) return true
    const parts: Uint8Array[] = [buf.subarray(pos)]
    while (have < n && !done) {
      const r = await it.next()
      if (r.done) {
        done = true
        break
      }
      parts.push(r.value)
      have += r.value.length
    }
    const next = new Uint8Array(have)
    let o = 0
    for (const part of parts) {
      next.set(part, o)
      o += part.length
    }
    buf = next
    pos = 0
    return have >= n
  }

  try {
    for (;;) {
      if (!(await fill(1))) return
      // uvarint, up to 10 bytes
      let len = 0
      let mul = 1
      let i = 0
      for (;;) {
        if (!(await fill(i + 1))) throw new BadDataError('remote read: stream ended inside a frame header')
        const b = buf[pos + i]!
        len += (b & 0x7f) * mul
        i++
        if (b < 0x80) break
        mul *= 128
        if (i >= 10) throw new BadDataError('remote read: malformed frame length')
      }
      if (len > maxFrameBytes) throw new BadDataError(`remote read: frame of ${len} bytes exceeds the limit of ${maxFrameBytes}`)
      if (!(await fill(i + 4 + len))) throw new BadDataError('remote read: stream ended inside a frame')
      const p = pos + i
      const want = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0
      const payload = buf.subarray(p + 4, p + 4 + len)
      const got = crc32c(payload)
      if (got !== want) throw new FrameChecksumError(want, got)
      pos = p + 4 + len
      yield payload
    }
  } finally {
    if (!done) await it.return?.()
  }
}
