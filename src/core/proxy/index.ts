/**
 * Public face of the querier's data path (fan-out + dedup), for `thanosts query` and
 * `query-once`. Typical wiring:
 *
 *   const endpoints = new EndpointSet({addresses, sdFiles, sdIntervalMs, infoTimeoutMs,
 *                                      unhealthyTimeoutMs, client: {tls}, registry, logger})
 *   await endpoints.start()                       // first Info round awaited
 *   const proxy = new ProxyStore({stores: () => endpoints.storeRefs(), responseTimeoutMs, logger})
 *   // per HTTP request (dedup / partial_response / replicaLabels[] / storeMatch[] params):
 *   const queryable = createStoreQueryable(proxy, {replicaLabels, dedup, partialResponse,
 *                                                  timeoutMs, maxConcurrentSelect, storeMatchers,
 *                                                  dedupAlgorithm: 'penalty' (default), 'chain' or 'penalty-fill'})
 *   // GET /api/v1/stores → endpoints.status()
 *   // gRPC (stacked queriers): registerStoreApi(grpcServer, proxyAsStoreApi({proxy, stores: () => endpoints.storeRefs()}))
 *   //   (store-grpc-server.ts)
 *   // shutdown: await endpoints.stop()
 */
export {EndpointSet, isHealthy, type Endpoint, type EndpointSetOptions, type StoreStatus} from '../discovery/endpoint-set.js'
export {resolveSpecs} from '../discovery/dns-sd.js'
export {ProxyStore, NO_STORES_MESSAGE, labelSetsMatch, matchingStores, type ProxyStoreOptions, type SeriesSelection, type ProxySeriesResult} from './proxy.js'
export {createStoreQueryable, type StoreQueryableOptions} from './store-queryable.js'
export {proxyAsStoreApi, proxyInfo, type ProxyGrpcOptions} from './proxy-grpc.js'
export {INFO_SERVICE, STORE_SERVICE} from '../storeapi/services.js'
export {StoreClient, grpcErrorToThanosts, type EndpointInfo} from '../storeapi/store-client.js'
export type {ClientTlsOptions, StoreClientOptions} from '../storeapi/grpc-client-options.js'
export type {StoreRef, StoreCaller, SeriesQuery, LabelsQuery, SeriesFrame, StoreSeries, StoreChunk} from '../storepb/store-types.js'
export type {DedupAlgorithm} from '../dedup/dedup-series-set.js'
