/**
 * storeapi/: the StoreAPI contract over gRPC: the client of one endpoint (store-client.ts,
 * channel settings in grpc-client-options.ts) and the server of any implementation
 * (store-grpc-server.ts).
 *
 * grpc-js service definitions of the StoreAPI (`thanos.Store`, upstream
 * pkg/store/storepb/rpc.proto) and Info (`thanos.info.Info`, pkg/info/infopb/rpc.proto), keyed by
 * handler name, with identity serializers: messages are coded by storepb/store-wire.ts.
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
