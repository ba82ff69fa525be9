/**
 * remote-read/: Prometheus remote-read client (POST /api/v1/read). Asks for
 * STREAMED_XOR_CHUNKS first and reads the response frame by frame, so memory stays bounded by
 * one series; falls back to the SAMPLES response when that is all the server speaks, and
 * re-encodes those samples into XOR chunks so callers always see chunks.
 *
 * Cancellation: the HTTP request is aborted when the signal fires or the consumer stops
 * iterating (for-await break / return()).
 */
import {Agent, request, type Dispatcher} from 'undici'
import {encodeXorChunks} from '../chunkenc/xor-encoder.js'
import {BadDataError, CanceledError, ThanostsError, UnavailableError} from '../errors.js'
import {labelsEqual} from '../labels/labels.js'
import {readFrameBatches, DEFAULT_MAX_FRAME_BYTES} from './frame-reader.js'
import {readableChunks} from './readable-chunks.js'
import {
  decodeChunkedReadResponse,
  decodeReadResponse,
  encodeReadRequest,
  PROM_CHUNK_XOR,
  type ChunkedSeries,
  type RemoteReadQuery,
} from './remote-read-codec.js'
import {snappyCompress, snappyUncompress} from './snappy.js'

export type {ChunkedSeries, PromChunk, RemoteReadQuery, ReadHints} from './remote-read-codec.js'

export const USER_AGENT = 'thanosts/0.1'

export interface RemoteReadClientOptions {
  dispatcher?: Dispatcher
  maxFrameBytes?: number
  /** Largest SAMPLES body accepted after decompression. */
  maxSampledBytes?: number
  headers?: Record<string, string>
}

export class RemoteReadClient {
  private readonly url: URL
  private readonly dispatcher: Dispatcher

  constructor(
    baseUrl: string,
    private readonly opts: RemoteReadClientOptions = {},
  ) {
    this.url = new URL('api/v1/read', baseUrl.endsWith('/') ? baseUrl : baseUrl + '/')
    this.dispatcher = opts.dispatcher ?? new Agent({keepAliveTimeout: 30_000, connections: 16})
  }

  /** Series in Prometheus's order (sorted by labels), each with all its chunks. */
  async *read(q: RemoteReadQuery, signal?: AbortSignal): AsyncGenerator<ChunkedSeries> {
    for await (const batch of this.readBatches(q, signal)) yield* batch
  }

  /** The same series in batches: those complete in each network read (see readFrameBatches). */
  async *readBatches(q: RemoteReadQuery, signal?: AbortSignal): AsyncGenerator<ChunkedSeries[]> {
    const ac = new AbortController()
    const onAbort = (): void => ac.abort(signal?.reason)
    if (signal?.aborted) throw new CanceledError('remote read canceled')
    signal?.addEventListener('abort', onAbort, {once: true})
    let res: Dispatcher.ResponseData | undefined
    let complete = false
    try {
      try {
        res = await request(this.url, {
          method: 'POST',
          dispatcher: this.dispatcher,
          signal: ac.signal,
          headers: {
            'content-encoding': 'snappy',
            'content-type': 'application/x-protobuf',
            'x-prometheus-remote-read-version': '0.1.0',
            'user-agent': USER_AGENT,
            ...this.opts.headers,
          },
          body: snappyCompress(encodeReadRequest(q)),
        })
      } catch (e) {
        throw this.wrapError(e, signal)
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        const text = (await res.body.text().catch(() => '')).trim()
        const msg = `remote read from ${this.url.origin}: HTTP ${res.statusCode}: ${text}`
        throw res.statusCode >= 400 && res.statusCode < 500 ? new BadDataError(msg) : new UnavailableError(msg)
      }
      const ct = String(res.headers['content-type'] ?? '')
      if (ct.startsWith('application/x-streamed-protobuf')) {
        yield* this.readStreamed(res.body, signal)
      } else {
        // re-encoded a few series at a time, as they are consumed
        let batch: ChunkedSeries[] = []
        for await (const x of this.readSampled(res.body)) {
          batch.push(x)
          if (batch.length >= 64) {
            yield batch
            batch = []
          }
        }
        if (batch.length > 0) yield batch
      }
      complete = true
    } finally {
      signal?.removeEventListener('abort', onAbort)
      // Stops the transfer if the consumer left early or it failed. Not after a complete read:
      // abort() without a reason builds a DOMException with a stack, a visible cost per request.
      if (!complete) ac.abort()
      res?.body.resume()
    }
  }

  private async *readStreamed(body: Dispatcher.ResponseData['body'], signal?: AbortSignal): AsyncGenerator<ChunkedSeries[]> {
    // One series may span several frames: consecutive frames with equal labels continue it,
    // so the last series of a batch waits for the next batch (or the end).
    let pending: ChunkedSeries | undefined
    try {
      for await (const frames of readFrameBatches(readableChunks(body), this.opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES)) {
        const out: ChunkedSeries[] = []
        for (const frame of frames) {
          const {series} = decodeChunkedReadResponse(frame)
          for (const s of series) {
            if (pending && labelsEqual(pending.labels, s.labels)) {
              for (const c of s.chunks) pending.chunks.push(c)
              continue
            }
            if (pending) out.push(pending)
            pending = s
          }
        }
        if (out.length > 0) yield out
      }
    } catch (e) {
      throw this.wrapError(e, signal)
    }
    if (pending) yield [pending]
  }

  private async *readSampled(body: Dispatcher.ResponseData['body']): AsyncGenerator<ChunkedSeries> {
    const raw = new Uint8Array(await body.arrayBuffer())
    const max = this.opts.maxSampledBytes ?? 1 << 30
    let decoded: Uint8Array
    try {
      decoded = snappyUncompress(raw, max)
    } catch (e) {
      throw new BadDataError(`remote read: cannot decompress SAMPLES response: ${(e as Error).message}`)
    }
    const results = decodeReadResponse(decoded)
    for (const s of results[0] ?? []) {
      // Empty series carry nothing the StoreAPI could express (Thanos issue #381).
      if (s.ts.length === 0) continue
      yield {
        labels: s.labels,
        chunks: encodeXorChunks(s.ts, s.vs).map((c) => ({minTime: c.minTime, maxTime: c.maxTime, type: PROM_CHUNK_XOR, data: c.data})),
      }
    }
  }

  private wrapError(e: unknown, signal?: AbortSignal): ThanostsError {
    if (e instanceof ThanostsError) return e
    if (signal?.aborted) return new CanceledError('remote read canceled')
    return new UnavailableError(`remote read from ${this.url.origin}: ${(e as Error).message}`, {cause: e})
  }

  async close(): Promise<void> {
    if (!this.opts.dispatcher) await this.dispatcher.close()
  }
}
