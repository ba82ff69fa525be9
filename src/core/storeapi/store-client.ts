/**
 * gRPC client for one StoreAPI endpoint: `thanos.info.Info/Info` and `thanos.Store/Series`,
 * `/LabelNames`, `/LabelValues` (upstream pkg/store/storepb/rpc.proto, pkg/info/infopb/rpc.proto), and the
 * global-view APIs through `globalView` (globalview-client.ts). One channel per client, reused by every call;
 * channel settings as Thanos (grpc-client-options.ts). Every call takes an AbortSignal, which
 * cancels the gRPC call (RST_STREAM) so the store stops working for a query nobody waits for.
 *
 * A call's failure is classified by what happened to it: aborted through its AbortSignal, it
 * was canceled (CanceledError, or the signal's own reason); otherwise the store failed, and
 * the gRPC status says how: DEADLINE_EXCEEDED → TimeoutError, INVALID_ARGUMENT →
 * BadDataError, everything else (UNAVAILABLE, CANCELLED, UNIMPLEMENTED, INTERNAL, …) →
 * UnavailableError naming the store. CANCELLED is among the store's failures because we only
 * cancel through the signal: a CANCELLED we did not ask for is a store whose server reset the
 * stream (a sidecar stopping after its grace period), or a dropped connection that Node
 * reports as RST_STREAM CANCEL before grpc-js learns of the disconnect (grpc-js then says
 * "Call cancelled", not "Connection dropped"). Mapping it to CanceledError made a dying store
 * answer a waiting client 499.
 */
import {Client, Metadata, status, type ClientReadableStream, type ServiceError} from '@grpc/grpc-js'
import {BadDataError, CanceledError, ThanostsError, TimeoutError, UnavailableError} from '../errors.js'
import {channelCredentials, channelOptions, type StoreClientOptions} from './grpc-client-options.js'
import {GlobalViewClient} from './globalview-client.js'
import type {LabelsQuery, SeriesFrame, SeriesQuery, StoreCaller} from '../storepb/store-types.js'
import * as wire from '../storepb/store-wire.js'
import type {EndpointInfo} from '../storepb/store-wire.js'

export type {EndpointInfo} from '../storepb/store-wire.js'
export type {StoreClientOptions} from './grpc-client-options.js'

const INFO_PATH = '/thanos.info.Info/Info'
const SERIES_PATH = '/thanos.Store/Series'
const LABEL_NAMES_PATH = '/thanos.Store/LabelNames'
const LABEL_VALUES_PATH = '/thanos.Store/LabelValues'

const identity = (b: Buffer): Buffer => b
const toBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength)

/** The typed error for a failed call that we did not cancel (see the header). */
export function grpcErrorToThanosts(e: unknown, what: string): ThanostsError {
  if (e instanceof ThanostsError) return e
  const se = e as Partial<ServiceError>
  const detail = se.details || se.message || String(e)
  switch (se.code) {
    case status.DEADLINE_EXCEEDED:
      return new TimeoutError(`${what}: deadline exceeded: ${detail}`, {cause: e})
    case status.INVALID_ARGUMENT:
      return new BadDataError(`${what}: ${detail}`, {cause: e})
    case status.UNIMPLEMENTED:
      return new UnavailableError(`${what}: not implemented by the endpoint (not a Thanos StoreAPI, or too old): ${detail}`, {cause: e})
    default:
      return new UnavailableError(`${what}: ${se.code !== undefined ? `rpc error: code = ${status[se.code]} desc = ` : ''}${detail}`, {cause: e})
  }
}

export class StoreClient implements StoreCaller {
  private readonly client: Client
  /** The endpoint's Rules, Targets, Metadata and Exemplars APIs, on the same channel. */
  readonly globalView: GlobalViewClient

  constructor(
    readonly address: string,
    opts?: StoreClientOptions,
  ) {
    this.client = new Client(address, channelCredentials(opts?.tls), channelOptions(opts))
    this.globalView = new GlobalViewClient(this.client, address)
  }

  close(): void {
    this.client.close()
  }

  /** `thanos.info.Info/Info` with a deadline; an unreachable store fails at once (UNAVAILABLE). */
  info(opts: {timeoutMs: number; signal?: AbortSignal}): Promise<EndpointInfo> {
    return this.unary(INFO_PATH, new Uint8Array(0), wire.decodeInfoResponse, opts.signal, opts.timeoutMs, 'info')
  }

  series(q: SeriesQuery, signal: AbortSignal, timeoutMs?: number): AsyncIterable<SeriesFrame> {
    const batches = this.seriesBatches(q, signal, timeoutMs)
    return {
      [Symbol.asyncIterator]: async function* (): AsyncGenerator<SeriesFrame> {
        for await (const frames of batches) yield* frames
      },
    }
  }

  seriesBatches(q: SeriesQuery, signal: AbortSignal, timeoutMs?: number): AsyncIterable<readonly SeriesFrame[]> {
    const req = toBuffer(wire.encodeSeriesRequest(q))
    const client = this.client
    const address = this.address
    return {
      [Symbol.asyncIterator]: async function* (): AsyncGenerator<readonly SeriesFrame[]> {
        if (signal.aborted) throw new CanceledError('series call canceled before start')
        const call: ClientReadableStream<Buffer> = client.makeServerStreamRequest(SERIES_PATH, identity, identity, req, new Metadata(), {
          deadline: timeoutMs !== undefined ? Date.now() + timeoutMs : Infinity,
        })
        const onAbort = () => call.cancel()
        signal.addEventListener('abort', onAbort, {once: true})
        try {
          for await (const buf of call as AsyncIterable<Buffer>) yield wire.decodeSeriesResponse(buf)
        } catch (e) {
          if (signal.aborted) {
            const r: unknown = signal.reason
            throw r instanceof ThanostsError ? r : new CanceledError(`series from ${address} canceled`)
          }
          throw grpcErrorToThanosts(e, `series from ${address}`)
        } finally {
          signal.removeEventListener('abort', onAbort)
          // The consumer may stop early: make sure the server stops streaming too.
          call.cancel()
        }
      },
    }
  }

  labelNames(q: LabelsQuery, signal: AbortSignal, timeoutMs?: number): Promise<{names: string[]; warnings: string[]}> {
    return this.unary(LABEL_NAMES_PATH, wire.encodeLabelNamesRequest(q), wire.decodeLabelNamesResponse, signal, timeoutMs, 'label names')
  }

  labelValues(name: string, q: LabelsQuery, signal: AbortSignal, timeoutMs?: number): Promise<{values: string[]; warnings: string[]}> {
    return this.unary(LABEL_VALUES_PATH, wire.encodeLabelValuesRequest(name, q), wire.decodeLabelValuesResponse, signal, timeoutMs, 'label values')
  }

  private unary<T>(path: string, req: Uint8Array, decode: (b: Uint8Array) => T, signal: AbortSignal | undefined, timeoutMs: number | undefined, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(new CanceledError(`${what} from ${this.address} canceled`))
      const call = this.client.makeUnaryRequest(
        path,
        identity,
        identity,
        toBuffer(req),
        // Fail fast (grpc-go's default, which Thanos uses): a store that is down answers
        // UNAVAILABLE at once instead of holding the call, and with it a partial-response
        // answer or a health check, until the deadline.
        new Metadata(),
        {deadline: timeoutMs !== undefined ? Date.now() + timeoutMs : Infinity},
        (err, res) => {
          signal?.removeEventListener('abort', onAbort)
          if (err && signal?.aborted) return reject(signal.reason instanceof ThanostsError ? signal.reason : new CanceledError(`${what} from ${this.address} canceled`))
          if (err) return reject(grpcErrorToThanosts(err, `${what} from ${this.address}`))
          try {
            resolve(decode(res ?? Buffer.alloc(0)))
          } catch (e) {
            reject(new UnavailableError(`${what} from ${this.address}: bad response: ${(e as Error).message}`, {cause: e}))
          }
        },
      )
      const onAbort = () => call.cancel()
      signal?.addEventListener('abort', onAbort, {once: true})
    })
  }
}
