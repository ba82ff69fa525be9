/**
 * A ProxyStore as a StoreAPI (served by store-grpc-server.ts), so a `thanosts query` can be an
 * endpoint of another querier (stacked queriers, Thanos `query` serving StoreAPI + Info with
 * component type "query").
 *
 * - Info: component "query", the union of the healthy stores' external label sets, store
 *   min/max over them, `supports_without_replica_labels` (the proxy strips for old stores).
 * - Series: the merged stream; equal label sets from several stores become one series with the
 *   chunks of all (identical chunks once), as upstream's proxy; partial-response warnings are
 *   sent as `warning` frames (WARN) or end the call with an error (ABORT); series are packed
 *   into `batch` frames when the client asks for `response_batch_size`; writes respect
 *   backpressure; a client that goes away cancels every store stream.
 * - LabelNames / LabelValues: the proxy's merged answers.
 * - Info also announces the Rules, Targets, Metadata and Exemplars APIs, which the querier
 *   serves from its global-view fan-out (globalview/fanout.ts, registered in query/querier.ts).
 */
import {labelsKey, type Labels} from '../labels/labels.js'
import type {Logger} from '../log.js'
import {flattenGroup, type ProxyStore} from './proxy.js'
import type {LabelsQuery, SeriesFrame, SeriesQuery, StoreRef} from '../storepb/store-types.js'
import * as wire from '../storepb/store-wire.js'

export interface ProxyGrpcOptions {
  proxy: ProxyStore
  /** The stores behind the proxy, for Info (e.g. `() => endpointSet.storeRefs()`). */
  stores: () => readonly StoreRef[]
  componentType?: string
  logger?: Logger
}

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
    // served by globalview/fanout.ts, announced as Thanos's querier does (cmd/thanos/query.go):
    // always, with empty infos
    rules: true,
    metricMetadata: true,
    targets: true,
    exemplars: {minTime: 0, maxTime: 0},
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
