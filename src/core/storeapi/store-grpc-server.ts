/**
 * Serves any StoreAPI implementation (the sidecar's Prometheus store, or anything with the same
 * shape) on a grpc-js server as `/thanos.Store/*` and `/thanos.info.Info/Info`, using the
 * hand-written codecs in wire.ts. Handles what every server needs: backpressure on Series,
 * cancellation when the client goes away, SeriesBatch frames when asked for, and typed errors
 * mapped to gRPC status codes (a handler error never escapes to the process).
 */
import {
  status,
  type sendUnaryData,
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js'
import {CanceledError, errorKind, GRPC_CODE} from '../errors.js'
import type {Logger} from '../log.js'
import {INFO_SERVICE, STORE_SERVICE} from './services.js'
import {singleFrames, type LabelsQuery, type SeriesFrame, type SeriesQuery, type StoreSeries} from '../storepb/store-types.js'
import * as wire from '../storepb/store-wire.js'

export interface StoreApiImpl {
  /** Throws (e.g. UnavailableError) while the store is not ready: Info then fails, as Thanos. */
  info(): wire.EndpointInfo
  /** Series sorted by labels; warnings may be interleaved. */
  series(q: SeriesQuery, signal: AbortSignal): AsyncIterable<SeriesFrame>
  /** The same frames in batches, when the store makes them so (served in preference to series). */
  seriesBatches?(q: SeriesQuery, signal: AbortSignal): AsyncIterable<readonly SeriesFrame[]>
  labelNames(q: LabelsQuery, signal: AbortSignal): Promise<{names: string[]; warnings: string[]}>
  labelValues(name: string, q: LabelsQuery, signal: AbortSignal): Promise<{values: string[]; warnings: string[]}>
}

export interface GrpcCallObserver {
  /** Called once per finished call with the method, the gRPC code and seconds taken. */
  (method: string, code: number, seconds: number): void
}

export function grpcError(e: unknown): {code: number; details: string} {
  return {code: GRPC_CODE[errorKind(e)] ?? status.INTERNAL, details: e instanceof Error ? e.message : String(e)}
}

const toBuf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength)

/**
 * A Series response as handed to grpc-js. It is encoded by the method's serializer, which grpc-js
 * calls when it frames the message and follows with a copy into the frame: so the encoding can
 * go into one reused buffer (wire.seriesResponseView) instead of a fresh copy per message.
 */
type SeriesOut = {series: StoreSeries} | {warning: string} | {batch: readonly StoreSeries[]}

function serializeSeriesOut(m: SeriesOut): Buffer {
  if ('batch' in m) return wire.seriesBatchResponseView(m.batch)
  return wire.seriesResponseView(m)
}

const SERVED_STORE_SERVICE = {
  ...STORE_SERVICE,
  Series: {...STORE_SERVICE.Series, responseSerialize: serializeSeriesOut},
}

/** The reason given to handlers when their client goes away: one shared object, no stack per call. */
const CLIENT_GONE = new CanceledError('the client canceled the call or went away')

/** An AbortController aborted (with a CanceledError) when the call's client goes away. */
export function cancelOnClose(call: {on(ev: 'cancelled', f: () => void): unknown}): AbortController {
  const ctl = new AbortController()
  call.on('cancelled', () => ctl.abort(CLIENT_GONE))
  return ctl
}

export function registerStoreApi(server: Server, impl: StoreApiImpl, opts: {logger?: Logger; observe?: GrpcCallObserver} = {}): void {
  const observe = (method: string, started: number, code: number): void => opts.observe?.(method, code, (performance.now() - started) / 1000)
  const unary = <T>(method: string, run: (req: Buffer, signal: AbortSignal) => Promise<Uint8Array> | Uint8Array) => {
    return (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>): void => {
      const started = performance.now()
      const ctl = cancelOnClose(call)
      Promise.resolve()
        .then(() => run(call.request, ctl.signal))
        .then(
          (b) => {
            observe(method, started, status.OK)
            cb(null, toBuf(b))
          },
          (e: unknown) => {
            const err = grpcError(e)
            observe(method, started, err.code)
            cb(err)
          },
        )
    }
  }
  const info: UntypedServiceImplementation = {
    Info: unary('Info', () => wire.encodeInfoResponse(impl.info())),
  }
  const store: UntypedServiceImplementation = {
    Series: (call: ServerWritableStream<Buffer, SeriesOut>) => {
      const started = performance.now()
      serveSeries(call, impl).then(
        () => observe('Series', started, call.cancelled ? status.CANCELLED : status.OK),
        (e: unknown) => {
          const err = grpcError(e)
          observe('Series', started, call.cancelled ? status.CANCELLED : err.code)
          if (call.cancelled) return
          opts.logger?.debug('Series failed', {err: err.details})
          call.emit('error', err)
        },
      )
    },
    LabelNames: unary('LabelNames', async (req, signal) => {
      const r = await impl.labelNames(wire.decodeLabelNamesRequest(req), signal)
      return wire.encodeStringsResponse(r.names, r.warnings)
    }),
    LabelValues: unary('LabelValues', async (req, signal) => {
      const {name, q} = wire.decodeLabelValuesRequest(req)
      const r = await impl.labelValues(name, q, signal)
      return wire.encodeStringsResponse(r.values, r.warnings)
    }),
  }
  server.addService(INFO_SERVICE as unknown as ServiceDefinition, info)
  server.addService(SERVED_STORE_SERVICE as unknown as ServiceDefinition, store)
}

async function serveSeries(call: ServerWritableStream<Buffer, SeriesOut>, impl: StoreApiImpl): Promise<void> {
  const q = wire.decodeSeriesRequest(call.request)
  const ctl = cancelOnClose(call)
  const batchSize = q.responseBatchSize !== undefined && q.responseBatchSize > 1 ? Math.min(q.responseBatchSize, 1024) : 1
  let batch: StoreSeries[] = []
  const write = async (m: SeriesOut): Promise<void> => {
    if (call.write(m)) return
    await new Promise<void>((resolve) => {
      const done = (): void => {
        call.off('drain', done)
        call.off('cancelled', done)
        resolve()
      }
      call.on('drain', done)
      call.on('cancelled', done)
    })
  }
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return
    await write(batchSize > 1 ? {batch} : {series: batch[0]!})
    batch = []
  }
  const frames = impl.seriesBatches ? impl.seriesBatches(q, ctl.signal) : singleFrames(impl.series(q, ctl.signal))
  for await (const fs of frames) {
    for (const f of fs) {
      if (ctl.signal.aborted) return
      if (f.warning !== undefined) {
        await flush()
        await write({warning: f.warning})
        continue
      }
      batch.push(f.series)
      if (batch.length >= batchSize) await flush()
    }
  }
  await flush()
  call.end()
}
