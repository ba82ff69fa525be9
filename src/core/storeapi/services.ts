/**
 * storeapi/: the StoreAPI contract over gRPC: the client of one endpoint (store-client.ts,
 * channel settings in grpc-client-options.ts) and the server of any implementation
 * (store-grpc-server.ts).
 *
 * grpc-js service definitions of the StoreAPI (`thanos.Store`, upstream
 * pkg/store/storepb/rpc.proto), Info (`thanos.info.Info`, pkg/info/infopb/rpc.proto) and the
 * other APIs of the global view (`thanos.Rules`, `thanos.Targets`, `thanos.Metadata`,
 * `thanos.Exemplars`: pkg/rules/rulespb, pkg/targets/targetspb, pkg/metadata/metadatapb,
 * pkg/exemplars/exemplarspb rpc.proto), keyed by handler name, with identity serializers:
 * messages are coded by storepb/store-wire.ts and globalview/globalview-wire.ts.
 */
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
export const RULES_SERVICE = {Rules: method('/thanos.Rules/Rules', true)}
export const TARGETS_SERVICE = {Targets: method('/thanos.Targets/Targets', true)}
export const METADATA_SERVICE = {MetricMetadata: method('/thanos.Metadata/MetricMetadata', true)}
export const EXEMPLARS_SERVICE = {Exemplars: method('/thanos.Exemplars/Exemplars', true)}

/** The gRPC service (package-qualified) of each handler name, e.g. for grpc_server_* metrics. */
export const SERVICE_OF_METHOD: Readonly<Record<string, string>> = {
  Info: 'thanos.info.Info',
  Series: 'thanos.Store',
  LabelNames: 'thanos.Store',
  LabelValues: 'thanos.Store',
  Rules: 'thanos.Rules',
  Targets: 'thanos.Targets',
  MetricMetadata: 'thanos.Metadata',
  Exemplars: 'thanos.Exemplars',
}
