/**
 * Serves a ProxyStore over gRPC, so a `thanosts query` can be an endpoint of another querier
 * (stacked queriers, Thanos `query` serving StoreAPI + Info with component type "query").
 *
 * - Info: component "query", the union of the healthy stores' external label sets, store
 *   min/max over them, `supports_without_replica_labels` (the proxy strips for old stores).
 * - Series: the merged stream; equal label sets from several stores become one series with the
 *   chunks of all (identical chunks once), as upstream's proxy; partial-response warnings are
 *   sent as `warning` frames (WARN) or end the call with an error (ABORT); series are packed
 *   into `batch` frames when the client asks for `response_batch_size`; writes respect
 *   backpressure; a client that goes away cancels every store stream.
 * - LabelNames / LabelValues: the proxy's merged answers.
 */
import {
  Server,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js'
import {errorKind, GRPC_CODE} from '../errors.js'
import {labelsKey, type Labels} from '../labels/labels.js'
import type {Logger} from '../log.js'
import {flattenGroup, type ProxyStore} from './proxy.js'
import type {LabelsQuery, SeriesFrame, SeriesQuery, StoreRef, StoreSeries} from './types.js'
import * as wire from './wire.js'

const id = (b: Buffer): Buffer => b
const method = (path: string, responseStream = false) => ({
  path,
  requestStream: false,
  responseStream,
  requestSerialize: id,
  requestDeserialize: id,
  responseSerialize: id,
  responseDeserialize: id,
})

/** grpc-js service definitions keyed by handler name; identity serializers (wire.ts codes). */
export const INFO_SERVICE = {Info: method('/thanos.info.Info/Info')}
export const STORE_SERVICE = {
  Series: method('/thanos.Store/Series', true),
  LabelNames: method('/thanos.Store/LabelNames'),
  LabelValues: method('/thanos.Store/LabelValues'),
}

export interface ProxyGrpcOptions {
  proxy: ProxyStore
  /** The stores behind the proxy, for Info (e.g. `() => endpointSet.storeRefs()`). */
  stores: () => readonly StoreRef[]
  componentType?: string
  logger?: Logger
}

function grpcError(e: unknown): {code: number; details: string} {
  return {code: GRPC_CODE[errorKind(e)] ?? status.INTERNAL, details: e instanceof Error ? e.message : String(e)}
}

const toBuf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength)

/** Info answer for the proxy: union of the stores' label sets, overall time range. */
export function proxyInfo(stores: readonly StoreRef[], componentType = 'query'): wire.EndpointInfo {
  const sets = new Map<string, Labels>()
  let minTime = Number.POSITIVE_INFINITY
  let maxTime = Number.NEGATIVE_INFINITY
  for (const s of stores) {
    for (const ls of s.labelSets) sets.set(labelsKey(ls), ls)
    minTime = Math.min(minTime, s.minTime)
    maxTime = Math.max(maxTime, s.maxTime)
  }
  if (stores.length === 0) {
    // Nothing behind us yet: announce an empty range so upstream queriers prune us.
    minTime = 9223372036854775807
    maxTime = -9223372036854775808
  }
  return {
    componentType,
    labelSets: [...sets.values()],
    store: {minTime, maxTime, supportsSharding: false, supportsWithoutReplicaLabels: true},
  }
}

/**
 * The proxy as a plain StoreAPI implementation (info/series/labelNames/labelValues over our
 * store types), the shape the sidecar's gRPC server (store-grpc-server.ts) serves. Series
 * yields merged series (equal label sets flattened, identical chunks once) and interleaves
 * the partial-response warnings as they appear.
 */
export function proxyAsStoreApi(opts: ProxyGrpcOptions) {
  return {
    info: (): wire.EndpointInfo => proxyInfo(opts.stores(), opts.componentType),
    series: (q: SeriesQuery, signal: AbortSignal): AsyncIterable<SeriesFrame> => ({
      [Symbol.asyncIterator]: async function* () {
        const res = opts.proxy.series(q, signal)
        let sent = 0
        for await (const g of res.groups) {
          while (sent < res.warnings.length) yield {warning: res.warnings[sent++]!}
          yield {series: flattenGroup(g)}
        }
        while (sent < res.warnings.length) yield {warning: res.warnings[sent++]!}
      },
    }),
    labelNames: (q: LabelsQuery, signal: AbortSignal) => opts.proxy.labelNames(q, signal),
    labelValues: (name: string, q: LabelsQuery, signal: AbortSignal) => opts.proxy.labelValues(name, q, signal),
  }
}

/** Registers Info and Store services for the proxy on a grpc-js server. */
export function registerProxyGrpc(server: Server, opts: ProxyGrpcOptions): void {
  const info: UntypedServiceImplementation = {
    Info: (_call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => {
      cb(null, toBuf(wire.encodeInfoResponse(proxyInfo(opts.stores(), opts.componentType))))
    },
  }
  const store: UntypedServiceImplementation = {
    Series: (call: ServerWritableStream<Buffer, Buffer>) => {
      void serveSeries(call, opts).catch((e) => {
        if (call.cancelled) return // the client left; nothing to answer
        opts.logger?.warn('serving Series failed', {err: e instanceof Error ? e.message : String(e)})
        call.emit('error', grpcError(e))
      })
    },
    LabelNames: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => {
      const ctl = cancelOnClose(call)
      Promise.resolve()
        .then(() => opts.proxy.labelNames(wire.decodeLabelNamesRequest(call.request), ctl.signal))
        .then((r) => cb(null, toBuf(wire.encodeStringsResponse(r.names, r.warnings))))
        .catch((e) => cb(grpcError(e)))
    },
    LabelValues: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => {
      const ctl = cancelOnClose(call)
      Promise.resolve()
        .then(() => {
          const {name, q} = wire.decodeLabelValuesRequest(call.request)
          return opts.proxy.labelValues(name, q, ctl.signal)
        })
        .then((r) => cb(null, toBuf(wire.encodeStringsResponse(r.values, r.warnings))))
        .catch((e) => cb(grpcError(e)))
    },
  }
  server.addService(INFO_SERVICE as unknown as ServiceDefinition, info)
  server.addService(STORE_SERVICE as unknown as ServiceDefinition, store)
}

function cancelOnClose(call: {on(ev: 'cancelled', f: () => void): unknown}): AbortController {
  const ctl = new AbortController()
  call.on('cancelled', () => ctl.abort())
  return ctl
}

async function serveSeries(call: ServerWritableStream<Buffer, Buffer>, opts: ProxyGrpcOptions): Promise<void> {
  const q = wire.decodeSeriesRequest(call.request)
  const ctl = cancelOnClose(call)
  const res = opts.proxy.series(q, ctl.signal)
  const batchSize = q.responseBatchSize !== undefined && q.responseBatchSize > 1 ? Math.min(q.responseBatchSize, 1024) : 1
  let sentWarnings = 0
  let batch: StoreSeries[] = []
  const write = async (b: Uint8Array): Promise<void> => {
    if (!call.write(toBuf(b))) await new Promise<void>((resolve) => {
      const done = () => {
        call.off('drain', done)
        call.off('cancelled', done)
        resolve()
      }
      call.on('drain', done)
      call.on('cancelled', done)
    })
  }
  const flushWarnings = async () => {
    while (sentWarnings < res.warnings.length) await write(wire.encodeSeriesResponse({warning: res.warnings[sentWarnings++]!}))
  }
  const flushBatch = async () => {
    if (batch.length === 0) return
    await write(batchSize > 1 ? wire.encodeSeriesBatchResponse(batch) : wire.encodeSeriesResponse({series: batch[0]!}))
    batch = []
  }
  for await (const g of res.groups) {
    if (ctl.signal.aborted) return
    await flushWarnings()
    batch.push(flattenGroup(g))
    if (batch.length >= batchSize) await flushBatch()
  }
  await flushBatch()
  await flushWarnings()
  call.end()
}
