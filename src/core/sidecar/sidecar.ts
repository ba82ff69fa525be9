/**
 * sidecar/: `thanosts sidecar`: one Prometheus served over the Thanos StoreAPI.
 *
 * Start-up as Thanos (cmd/thanos/sidecar.go): wait until Prometheus answers and its external
 * labels are known (retrying every get_config_interval, up to ready_timeout); refuse to run
 * without external labels, since replicas could not be told apart; only then start listening
 * on gRPC. A heartbeat re-reads external labels and the lowest timestamp, and flips
 * readiness (and thanos_sidecar_prometheus_up) when Prometheus goes away or comes back.
 */
import {collectDefaultMetrics, Counter, Gauge, Histogram, Registry} from 'prom-client'
import {ThanostsError} from '../errors.js'
import {labelsEqual, labelsToString} from '../labels/labels.js'
import type {Logger} from '../log.js'
import {prometheusDispatcher, type PrometheusHttpClientConfig} from '../prometheus/http-client-config.js'
import {PrometheusClient, MIN_INT64} from '../prometheus/prometheus-client.js'
import {Reloader} from '../reloader/reloader.js'
import {RemoteReadClient} from '../remote-read/remote-read-client.js'
import {bindGrpcServer, createGrpcServer, stopGrpcServer} from '../server/grpc-server.js'
import {HttpServer} from '../server/http-server.js'
import {Lifecycle, sleep} from '../server/lifecycle.js'
import {Prober} from '../server/prober.js'
import {registerGlobalViewApis} from '../storeapi/globalview-grpc-server.js'
import {SERVICE_OF_METHOD} from '../storeapi/services.js'
import {registerStoreApi, type GrpcCallObserver} from '../storeapi/store-grpc-server.js'
import {PrometheusGlobalView} from './prometheus-globalview.js'
import {PrometheusStore, type SidecarState} from './prometheus-store.js'
import {openShipping, type SidecarShipperConfig} from './shipping.js'

export interface SidecarConfig {
  prometheusUrl: string
  grpcAddress: string
  httpAddress: string
  readyTimeoutMs: number
  getConfigIntervalMs: number
  getConfigTimeoutMs: number
  grpcGracePeriodMs: number
  httpGracePeriodMs: number
  /** Serve only data at or after this time (ms); MIN_INT64 = all. */
  minTime: number
  /** --prometheus.http-client(-file): auth and TLS towards Prometheus; undefined = plain HTTP. */
  prometheusHttpClient?: PrometheusHttpClientConfig
  reloader: {
    configFile?: string
    configEnvsubstFile?: string
    ruleDirs: string[]
    watchIntervalMs: number
    retryIntervalMs: number
  }
  logger: Logger
  /** Uploads of finished blocks (shipping.ts); none without a bucket configuration. */
  shipper?: SidecarShipperConfig
}

export const NO_EXTERNAL_LABELS_MESSAGE =
  'no external labels configured on Prometheus server, uniquely identifying external labels must be configured; see https://thanos.io/tip/thanos/storage.md#external-labels'

export class NoExternalLabelsError extends ThanostsError {
  constructor() {
    super('bad_data', NO_EXTERNAL_LABELS_MESSAGE)
  }
}

export interface RunningSidecar {
  grpcPort: number
  httpPort: number
  lifecycle: Lifecycle
  state: SidecarState
  registry: Registry
}

function sidecarMetrics(registry: Registry) {
  const registers = [registry]
  return {
    up: new Gauge({name: 'thanos_sidecar_prometheus_up', help: 'Boolean indicator whether the sidecar can reach its Prometheus peer.', registers}),
    heartbeat: new Gauge({
      name: 'thanos_sidecar_last_heartbeat_success_time_seconds',
      help: 'Timestamp of the last successful heartbeat in seconds.',
      registers,
    }),
    handled: new Counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
      registers,
    }),
    handling: new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
      labelNames: ['grpc_service', 'grpc_method'],
      buckets: [0.001, 0.01, 0.1, 0.3, 0.6, 1, 3, 6, 9, 20, 30, 60, 90, 120],
      registers,
    }),
  }
}

const GRPC_CODE_NAMES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated']

export async function runSidecar(cfg: SidecarConfig): Promise<RunningSidecar> {
  const log = cfg.logger.with({component: 'sidecar'})
  const lifecycle = new Lifecycle(log)
  const registry = new Registry()
  collectDefaultMetrics({register: registry})
  const m = sidecarMetrics(registry)
  const prober = new Prober()
  // With --prometheus.http-client every call to Prometheus shares one dispatcher (auth, TLS).
  const dispatcher = cfg.prometheusHttpClient ? prometheusDispatcher(cfg.prometheusHttpClient) : undefined
  const prom = new PrometheusClient(cfg.prometheusUrl, {timeoutMs: cfg.getConfigTimeoutMs, dispatcher})
  const remote = new RemoteReadClient(cfg.prometheusUrl, {dispatcher})
  const state: SidecarState = {ready: false, externalLabels: [], minTime: MIN_INT64}
  lifecycle.add('clients', async () => {
    await prom.close()
    await remote.close()
    await dispatcher?.close()
  })

  const http = new HttpServer({address: cfg.httpAddress, registry, prober, logger: log})
  const httpAddr = await http.listen()
  lifecycle.add('http', () => http.close(cfg.httpGracePeriodMs))
  log.info('listening for metrics and probes', {address: `${httpAddr.address}:${httpAddr.port}`})

  /** One heartbeat: external labels + lowest timestamp. Throws when Prometheus is not usable. */
  const heartbeat = async (): Promise<void> => {
    const ext = await prom.externalLabels(lifecycle.signal)
    if (ext.length === 0) throw new NoExternalLabelsError()
    const lowest = await prom.lowestTimestamp(lifecycle.signal)
    if (state.externalLabels.length > 0 && !labelsEqual(state.externalLabels, ext)) {
      log.warn('external labels changed', {from: labelsToString(state.externalLabels), to: labelsToString(ext)})
    }
    state.externalLabels = ext
    state.minTime = Math.max(cfg.minTime, lowest)
    state.ready = true
    m.up.set(1)
    m.heartbeat.set(Date.now() / 1000)
    prober.setReady()
  }

  // Initial: wait for Prometheus (and its external labels).
  const deadline = Date.now() + cfg.readyTimeoutMs
  const shipping = await openShipping(cfg.shipper, {...cfg, registry, lifecycle, logger: log, deadline}).catch(async (e: unknown) => {
    await lifecycle.stop()
    throw e
  })
  for (;;) {
    try {
      await heartbeat()
      break
    } catch (e) {
      m.up.set(0)
      if (e instanceof NoExternalLabelsError) {
        await lifecycle.stop()
        throw e
      }
      if (Date.now() >= deadline || lifecycle.signal.aborted) {
        await lifecycle.stop()
        throw new ThanostsError('unavailable', `Prometheus at ${cfg.prometheusUrl} did not become available within the ready timeout: ${(e as Error).message}`)
      }
      log.warn('failed to fetch initial external labels; retrying', {err: e})
      prober.setNotReady((e as Error).message)
      await sleep(Math.min(cfg.getConfigIntervalMs, Math.max(0, deadline - Date.now())), lifecycle.signal)
    }
  }
  log.info('successfully loaded prometheus external labels', {external_labels: labelsToString(state.externalLabels)})

  const grpc = createGrpcServer()
  const observe: GrpcCallObserver = (method, code, seconds) => {
    const service = SERVICE_OF_METHOD[method] ?? 'thanos.Store'
    m.handled.inc({grpc_service: service, grpc_method: method, grpc_code: GRPC_CODE_NAMES[code] ?? String(code)})
    m.handling.observe({grpc_service: service, grpc_method: method}, seconds)
  }
  registerStoreApi(grpc, new PrometheusStore(prom, remote, state), {logger: log, observe})
  registerGlobalViewApis(grpc, new PrometheusGlobalView(prom, state), {logger: log, observe})
  const grpcPort = await bindGrpcServer(grpc, cfg.grpcAddress)
  lifecycle.add('grpc', () => stopGrpcServer(grpc, cfg.grpcGracePeriodMs))
  log.info('listening for StoreAPI, Info, Rules, Targets, Metadata and Exemplars gRPC', {address: cfg.grpcAddress.replace(/:\d+$/, `:${grpcPort}`)})

  // Heartbeat loop.
  const loop = (async () => {
    while (await sleep(cfg.getConfigIntervalMs, lifecycle.signal)) {
      try {
        await heartbeat()
      } catch (e) {
        if (lifecycle.signal.aborted) return
        state.ready = false
        m.up.set(0)
        prober.setNotReady((e as Error).message)
        log.warn('heartbeat failed', {err: e})
      }
    }
  })()
  lifecycle.add('heartbeat', () => loop)

  const reloader = new Reloader({
    ...cfg.reloader,
    reload: (signal) => prom.reload(signal),
    logger: log.with({component: 'reloader'}),
    registry,
  })
  const reloading = reloader.run(lifecycle.signal)
  lifecycle.add('reloader', () => reloading)
  shipping?.start(() => state.externalLabels)

  return {grpcPort, httpPort: httpAddr.port, lifecycle, state, registry}
}
