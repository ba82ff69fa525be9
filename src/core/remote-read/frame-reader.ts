/**
 * Reads Prometheus's streamed remote-read body: frames of
 *   uvarint(payload length) | 4-byte big-endian CRC32C(payload) | payload
 * (Prometheus storage/remote/chunked.go). Pull-based: a frame is read only when the consumer
 * asks for it, so a slow consumer slows the HTTP body and bounds memory to about one frame.
 */
import {BadDataError} from '../errors.js'
import {frameChecksum} from './crc32c.js'

/** Prometheus's config.DefaultChunkedReadLimit. */
export const DEFAULT_MAX_FRAME_BYTES = 50 * 1024 * 1024

export class FrameChecksumError extends BadDataError {
  constructor(expected: number, got: number) {
    super(`remote read: frame checksum mismatch: expected ${expected.toString(16)}, got ${got.toString(16)}`)
  }
}

/**
 * Yields each frame's payload. Network chunks are queued as they come: a frame that lies inside
 * one chunk is yielded as a view of it (no copy, the common case for frames smaller than the
 * socket reads), and only a frame that straddles chunks is copied, once, into its own buffer.
 */
export async function* readFrames(body: AsyncIterable<Uint8Array>, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): AsyncGenerator<Uint8Array> {
  for await (const frames of readFrameBatches(body, maxFrameBytes)) yield* frames
}

/**
 * The frames as readFrames gives them, in batches: every frame that is complete in what has
 * arrived, at once. Prometheus flushes a frame per series, so a network read holds dozens:
 * their consumer then takes one asynchronous step per read, not per series.
 */
export async function* readFrameBatches(body: AsyncIterable<Uint8Array>, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): AsyncGenerator<Uint8Array[]> {
  const it = body[Symbol.asyncIterator]()
  const queue: Uint8Array[] = [] // unread network chunks; the first is read from `head` on
  let head = 0
  let buffered = 0 // unread bytes over the whole queue
  let done = false

  const more = async (): Promise<boolean> => {
    while (!done) {
      const r = await it.next()
      if (r.done) {
        done = true
        break
      }
      if (r.value.length === 0) continue
      queue.push(r.value)
      buffered += r.value.length
      return true
    }
    return false
  }

  // The k-th unread byte (k < buffered).
  const byteAt = (k: number): number => {
    let i = 0
    let off = head + k
    while (off >= queue[i]!.length) {
      off -= queue[i]!.length
      i++
    }
    return queue[i]![off]!
  }

  const consume = (n: number, into?: Uint8Array): void => {
    let o = 0
    buffered -= n
    while (o < n) {
      const c = queue[0]!
      const k = Math.min(c.length - head, n - o)
      into?.set(c.subarray(head, head + k), o)
      o += k
      head += k
      if (head === c.length) {
        queue.shift()
        head = 0
      }
    }
  }

  const take = (n: number): Uint8Array => {
    if (n === 0) return new Uint8Array(0)
    const first = queue[0]!
    if (first.length - head >= n) {
      const view = first.subarray(head, head + n)
      consume(n)
      return view
    }
    const out = new Uint8Array(n)
    consume(n, out)
    return out
  }

  // whether the last complete() stopped inside a frame's length (for the error at a truncated end)
  let inHeader = false
  /** The next frame if all of it has arrived (consumed), else undefined (nothing consumed). */
  const complete = (): Uint8Array | undefined => {
    // uvarint payload length, up to 10 bytes
    let len = 0
    let mul = 1
    let i = 0
    inHeader = true
    for (;;) {
      if (buffered <= i) return undefined
      const b = byteAt(i)
      len += (b & 0x7f) * mul
      i++
      if (b < 0x80) break
      mul *= 128
      if (i >= 10) throw new BadDataError('remote read: malformed frame length')
    }
    inHeader = false
    if (len > maxFrameBytes) throw new BadDataError(`remote read: frame of ${len} bytes exceeds the limit of ${maxFrameBytes}`)
    if (buffered < i + 4 + len) return undefined
    consume(i)
    const want = ((byteAt(0) << 24) | (byteAt(1) << 16) | (byteAt(2) << 8) | byteAt(3)) >>> 0
    consume(4)
    const payload = take(len)
    const got = frameChecksum(payload)
    if (got !== want) throw new FrameChecksumError(want, got)
    return payload
  }

  try {
    for (;;) {
      const batch: Uint8Array[] = []
      for (let f = complete(); f !== undefined; f = complete()) batch.push(f)
      if (batch.length > 0) yield batch
      if (!(await more())) {
        if (buffered === 0) return
        throw new BadDataError(inHeader ? 'remote read: stream ended inside a frame header' : 'remote read: stream ended inside a frame')
      }
    }
  } finally {
    if (!done) await it.return?.()
  }
}
