/**
 * An endpoint for tests of the querier's merges: real gRPC on loopback serving Info (a
 * "sidecar" with external labels, announcing the Rules, Targets, Metadata and Exemplars APIs
 * as Thanos's sidecar does, and an empty StoreAPI) and the four APIs from fixed answers, coded
 * by our wire code. It lets a test put in front of a real thanos query and our querier alike
 * the answers that exercise the merge rules (replicas that disagree on states, times,
 * health), which real Prometheus servers cannot be made to give on demand.
 */
import type {Server} from '@grpc/grpc-js'
import type {ExemplarsFrame, MetadataFrame, RulesFrame, TargetsFrame} from '../../src/core/globalview/messages.js'
import type {Labels} from '../../src/core/labels/labels.js'
import {bindGrpcServer, createGrpcServer, stopGrpcServer} from '../../src/core/server/grpc-server.js'
import {registerGlobalViewApis} from '../../src/core/storeapi/globalview-grpc-server.js'
import {registerStoreApi} from '../../src/core/storeapi/store-grpc-server.js'

export interface GlobalViewAnswers {
  externalLabels: Labels
  rules?: RulesFrame[]
  targets?: TargetsFrame[]
  metadata?: MetadataFrame[]
  exemplars?: ExemplarsFrame[]
}

export interface GlobalViewTestServer {
  address: string
  stop(): Promise<void>
}

export async function startGlobalViewTestServer(a: GlobalViewAnswers): Promise<GlobalViewTestServer> {
  const server: Server = createGrpcServer()
  registerStoreApi(server, {
    info: () => ({
      componentType: 'sidecar',
      labelSets: [a.externalLabels],
      store: {minTime: 0, maxTime: 1, supportsSharding: false, supportsWithoutReplicaLabels: true},
      rules: true,
      metricMetadata: true,
      targets: true,
      exemplars: {minTime: 0, maxTime: 0},
    }),
    series: () => ({[Symbol.asyncIterator]: async function* () {}}),
    labelNames: async () => ({names: [], warnings: []}),
    labelValues: async () => ({values: [], warnings: []}),
  })
  registerGlobalViewApis(server, {
    rules: async () => a.rules ?? [],
    targets: async () => a.targets ?? [{targets: {activeTargets: [], droppedTargets: []}}],
    metricMetadata: async () => a.metadata ?? [{metadata: {metadata: {}}}],
    exemplars: async () => a.exemplars ?? [],
  })
  const port = await bindGrpcServer(server, '127.0.0.1:0')
  return {address: `127.0.0.1:${port}`, stop: () => stopGrpcServer(server, 200)}
}
