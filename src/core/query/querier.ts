/**
 * query/: `thanosts query`: the fan-out querier. Wires the endpoint set (stores, health checks),
 * the proxy (fan-out, merge), per-request deduplicating Queryables, the PromQL engine and the
 * Prometheus HTTP API, the global view of rules, alerts, targets, metadata and exemplars
 * (globalview/), and serves the proxy itself over gRPC (StoreAPI, the four global-view APIs,
 * Info "query") so queriers stack. One Lifecycle stops it all on SIGTERM.
 */
import {collectDefaultMetrics, Gauge, Histogram, Registry} from 'prom-client'
import {PrometheusApi} from '../api/api.js'
import {GlobalViewHttp} from '../api/globalview-api.js'
import {GlobalViewFanout} from '../globalview/fanout.js'
import {GlobalView} from '../globalview/global-view.js'
import {registerGlobalViewApis} from '../storeapi/globalview-grpc-server.js'
import type {Logger} from '../log.js'
import {Engine} from '../promql/engine/engine.js'
import {bindGrpcServer, createGrpcServer, stopGrpcServer} from '../server/grpc-server.js'
import {HttpServer} from '../server/http-server.js'
import {Lifecycle} from '../server/lifecycle.js'
import {Prober} from '../server/prober.js'
import {EndpointSet} from '../discovery/endpoint-set.js'
import {proxyAsStoreApi} from '../proxy/proxy-grpc.js'
import {ProxyStore} from '../proxy/proxy.js'
import {registerStoreApi} from '../storeapi/store-grpc-server.js'
import {createStoreQueryable} from '../proxy/store-queryable.js'
import {externalPrefixPath, WebUi} from '../web/web-ui.js'
import type {DedupAlgorithm} from '../dedup/dedup-series-set.js'
import type {ClientTlsOptions} from '../storeapi/grpc-client-options.js'
import {ConcurrencyGate} from './gate.js'

export interface QuerierConfig {
  httpAddress: string
  grpcAddress: string
  stores: string[]
  /**
   * Endpoints kept in the fan-out even while their health checks fail (Thanos's
   * --endpoint-strict): a failure then shows as a partial-response warning or an error.
   */
  strictStores?: string[]
  /** --grpc-client-tls-*: how to reach the stores */
  clientTls?: ClientTlsOptions
  sdFiles: string[]
  sdIntervalMs: number
  infoTimeoutMs: number
  unhealthyTimeoutMs: number
  /** Period of the endpoint health checks when it should differ from infoTimeoutMs (tests). */
  endpointCheckIntervalMs?: number
  responseTimeoutMs: number
  replicaLabels: string[]
  /** --deduplication.func: penalty (Thanos's default), chain, or penalty-fill */
  dedupAlgorithm?: DedupAlgorithm
  partialResponse: boolean
  queryTimeoutMs: number
  maxConcurrent: number
  maxSamples: number
  /** --enable-feature=promql-per-step-stats: per-step sample counts for stats=all, as Prometheus's feature */
  enablePerStepStats?: boolean
  /** --enable-feature=promql-delayed-name-removal: __name__ removed at the end of the query, as Prometheus 3's feature */
  enableDelayedNameRemoval?: boolean
  lookbackDeltaMs?: number
  /** --query.auto-downsampling: range queries without max_source_resolution read data up to step / 5 coarse. */
  autoDownsampling?: boolean
  /** --query.instant.default.max_source_resolution (ms, hidden): `auto` (or auto-downsampling) for instant queries. */
  instantMaxSourceResolutionMs?: number
  routePrefix: string
  /**
   * --web.external-prefix: the URL (or path) under which users reach the querier, e.g. behind
   * a reverse proxy; the UI builds its links and asset/API URLs from its path. When routePrefix
   * is empty it defaults to that path (as Thanos).
   */
  externalPrefix?: string
  /** --web.prefix-header: request header carrying the external prefix (e.g. X-Forwarded-Prefix). */
  prefixHeader?: string
  disableCors: boolean
  httpGracePeriodMs: number
  grpcGracePeriodMs: number
  /** Shown at /api/v1/status/flags. */
  flags: Record<string, string>
  logger: Logger
}

/** Defaults as `thanosts query`'s flags, for callers that start a querier in-process. */
export function querierConfig(stores: string[], logger: Logger, overrides: Partial<QuerierConfig> = {}): QuerierConfig {
  return {
    httpAddress: '127.0.0.1:0',
    grpcAddress: '127.0.0.1:0',
    stores,
    sdFiles: [],
    sdIntervalMs: 300_000,
    infoTimeoutMs: 5_000,
    unhealthyTimeoutMs: 300_000,
    responseTimeoutMs: 0,
    replicaLabels: [],
    partialResponse: true,
    queryTimeoutMs: 120_000,
    maxConcurrent: 20,
    maxSamples: 50_000_000,
    routePrefix: '',
    disableCors: false,
    httpGracePeriodMs: 1_000,
    grpcGracePeriodMs: 1_000,
    flags: {},
    logger,
    ...overrides,
  }
}

export interface RunningQuerier {
  httpPort: number
  grpcPort: number
  lifecycle: Lifecycle
  endpoints: EndpointSet
}

export const VERSION = '0.1.0'

/**
 * /api/v1/status/flags with the settings the UI explains (replica labels next to the dedup
 * checkbox, the partial-response default) filled in when the caller did not pass them.
 */
function uiFlags(cfg: QuerierConfig): Record<string, string> {
  return {
    'query.replica-label': cfg.replicaLabels.join(','),
    'query.partial-response': String(cfg.partialResponse),
    'deduplication.func': cfg.dedupAlgorithm ?? 'penalty',
    ...cfg.flags,
  }
}

export async function runQuerier(cfg: QuerierConfig): Promise<RunningQuerier> {
  const log = cfg.logger.with({component: 'query'})
  const lifecycle = new Lifecycle(log)
  const registry = new Registry()
  collectDefaultMetrics({register: registry})
  const prober = new Prober()
  const endpoints = new EndpointSet({
    addresses: cfg.stores,
    strictAddresses: cfg.strictStores,
    sdFiles: cfg.sdFiles,
    sdIntervalMs: cfg.sdIntervalMs,
    infoTimeoutMs: cfg.infoTimeoutMs,
    updateIntervalMs: cfg.endpointCheckIntervalMs,
    unhealthyTimeoutMs: cfg.unhealthyTimeoutMs,
    client: cfg.clientTls ? {tls: cfg.clientTls} : undefined,
    registry,
    logger: log,
  })
  const proxy = new ProxyStore({stores: () => endpoints.storeRefs(), responseTimeoutMs: cfg.responseTimeoutMs, logger: log})
  // rules, targets, metadata, exemplars: fanned out to every endpoint that announces them
  const globalFanout = new GlobalViewFanout({endpoints: (a) => endpoints.globalViewEndpoints(a), logger: log})
  const engine = new Engine({timeout: cfg.queryTimeoutMs, maxSamples: cfg.maxSamples, lookbackDelta: cfg.lookbackDeltaMs, enablePerStepStats: cfg.enablePerStepStats, enableDelayedNameRemoval: cfg.enableDelayedNameRemoval, logger: log})
  const gate = new ConcurrencyGate(cfg.maxConcurrent, registry)
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Tracks the latencies for HTTP requests.',
    labelNames: ['handler', 'code'],
    buckets: [0.001, 0.01, 0.1, 0.3, 0.6, 1, 3, 6, 9, 20, 30, 60, 90, 120],
    registers: [registry],
  })
  new Gauge({
    name: 'thanos_store_nodes_healthy',
    help: 'Number of healthy StoreAPI endpoints.',
    registers: [registry],
    collect() {
      this.set(endpoints.storeRefs().length)
    },
  })
  const api = new PrometheusApi({
    engine,
    queryable: (o) =>
      createStoreQueryable(proxy, {
        replicaLabels: o.replicaLabels,
        dedup: o.dedup,
        partialResponse: o.partialResponse,
        timeoutMs: cfg.queryTimeoutMs,
        storeMatchers: o.storeMatchers,
        dedupAlgorithm: cfg.dedupAlgorithm,
        explain: o.explain,
        maxResolutionMs: o.maxSourceResolutionMs,
      }),
    defaults: {
      replicaLabels: cfg.replicaLabels,
      partialResponse: cfg.partialResponse,
      queryTimeoutMs: cfg.queryTimeoutMs,
      lookbackDeltaMs: cfg.lookbackDeltaMs,
      autoDownsampling: cfg.autoDownsampling,
      instantMaxSourceResolutionMs: cfg.instantMaxSourceResolutionMs,
    },
    stores: () => endpoints.status(),
    flags: uiFlags(cfg),
    buildInfo: {version: VERSION, revision: '', branch: '', buildUser: '', buildDate: '', goVersion: `node ${process.version}`},
    logger: log,
    observe: (handler, code, seconds) => duration.observe({handler, code: String(code)}, seconds),
    gate: (f) => gate.run(f),
    globalView: new GlobalViewHttp(new GlobalView(globalFanout)),
  })
  const externalPrefix = externalPrefixPath(cfg.externalPrefix ?? '')
  const prefix = externalPrefixPath(cfg.routePrefix) || externalPrefix
  if (cfg.externalPrefix && externalPrefix !== prefix) log.warn('--web.route-prefix differs from the path of --web.external-prefix: the web UI needs a reverse proxy that maps one to the other', {routePrefix: prefix, externalPrefix})
  // Without an external prefix the browser sees the route prefix as is (no proxy in between).
  const web = new WebUi({externalPrefix: cfg.externalPrefix ? externalPrefix : prefix, prefixHeader: cfg.prefixHeader, logger: log})
  const http = new HttpServer({
    address: cfg.httpAddress,
    registry,
    prober,
    logger: log,
    handler: async (req, res, url) => {
      if (!cfg.disableCors) {
        res.setHeader('Access-Control-Allow-Origin', '*')
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS')
        res.setHeader('Access-Control-Allow-Headers', 'Accept, Authorization, Content-Type, Origin')
        if (req.method === 'OPTIONS') {
          res.writeHead(204)
          res.end()
          return
        }
      }
      // With a route prefix everything (API and UI) lives under it, as in Thanos; /metrics and
      // the probes stay at the root (the HTTP server answers those before this handler).
      let path = url.pathname
      if (prefix) {
        if (path !== prefix && !path.startsWith(prefix + '/')) path = ''
        else path = path.slice(prefix.length) || '/'
      }
      if (path !== '' && (await api.handle(req, res, url, path))) return
      if (path !== '' && web.handle(req, res, url, path)) return
      res.writeHead(404, {'content-type': 'text/plain'})
      res.end('not found')
    },
  })
  const httpAddr = await http.listen()
  lifecycle.add('http', () => http.close(cfg.httpGracePeriodMs))

  await endpoints.start()
  lifecycle.add('endpoints', () => endpoints.stop())

  const grpc = createGrpcServer()
  registerStoreApi(grpc, proxyAsStoreApi({proxy, stores: () => endpoints.storeRefs(), componentType: 'query', logger: log}), {logger: log})
  // undeduplicated, as Thanos's querier serves them: the querier above deduplicates
  registerGlobalViewApis(grpc, globalFanout, {logger: log})
  const grpcPort = await bindGrpcServer(grpc, cfg.grpcAddress)
  lifecycle.add('grpc', () => stopGrpcServer(grpc, cfg.grpcGracePeriodMs))
  prober.setReady()
  log.info('querier ready', {http: `${httpAddr.address}:${httpAddr.port}`, grpc: cfg.grpcAddress.replace(/:\d+$/, `:${grpcPort}`), stores: cfg.stores.join(',')})
  return {httpPort: httpAddr.port, grpcPort, lifecycle, endpoints}
}
