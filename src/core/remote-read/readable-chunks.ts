/**
 * A Readable's chunks as an async iterator, each chunk as it arrived. Node's own async iterator
 * over a byte stream calls read(), which joins everything buffered into one new Buffer: for a
 * remote-read body that is a copy of every byte before frame-reader.ts even looks at it.
 * Flow control stays: the stream is paused while `highWaterBytes` wait unread.
 */
import type {Readable} from 'node:stream'

export async function* readableChunks(r: Readable, highWaterBytes = 1 << 20): AsyncGenerator<Uint8Array> {
  const queue: Uint8Array[] = []
  let queued = 0
  let ended = false
  let failed: {error: unknown} | undefined
  let wake: (() => void) | undefined
  const notify = (): void => {
    const w = wake
    wake = undefined
    w?.()
  }
  const onData = (c: Uint8Array): void => {
    queue.push(c)
    queued += c.length
    if (queued >= highWaterBytes) r.pause()
    notify()
  }
  const onEnd = (): void => {
    ended = true
    notify()
  }
  const onError = (e: unknown): void => {
    failed = {error: e}
    notify()
  }
  // 'close' without 'end' is an aborted body: undici reports the reason through 'error' first.
  const onClose = (): void => {
    if (!ended && !failed) failed = {error: new Error('response body closed before its end')}
    notify()
  }
  r.on('data', onData)
  r.on('end', onEnd)
  r.on('error', onError)
  r.on('close', onClose)
  try {
    for (;;) {
      const c = queue.shift()
      if (c !== undefined) {
        queued -= c.length
        if (queued < highWaterBytes && r.isPaused()) r.resume()
        yield c
        continue
      }
      if (failed) throw failed.error
      if (ended) return
      await new Promise<void>((resolve) => (wake = resolve))
    }
  } finally {
    r.off('data', onData)
    r.off('end', onEnd)
    r.off('error', onError)
    r.off('close', onClose)
    if (!ended) r.destroy()
  }
}
