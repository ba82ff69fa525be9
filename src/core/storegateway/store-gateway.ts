/**
 * storegateway/: `thanosts store`, the store gateway: the blocks of a bucket served over the
 * Thanos StoreAPI (thanos cmd/thanos/store.go, pkg/store/bucket.go).
 *   meta-fetcher.ts      which blocks the bucket holds (listing, meta.json, partial/corrupt blocks)
 *   filters.ts           which of them to serve (time partition, label sharding, consistency delay, deletion marks, duplicates)
 *   selector-relabel.ts  --selector.relabel-config (keep, drop, hashmod on external labels)
 *   bucket-store.ts      the served blocks and the StoreAPI over them (Info, Series, LabelNames, LabelValues)
 *   metrics.ts           Thanos's metric names
 *   series-gate.ts       --store.grpc.series-max-concurrency
 *   blocks-api.ts        GET /api/v1/blocks (the blocks of the last sync)
 *   time-or-duration.ts  --min-time / --max-time values
 *   store-gateway.ts     (this file) the process: bucket, initial sync, periodic resync, gRPC and HTTP
 *
 * Start-up as upstream's runStore: /-/healthy answers at once; the initial sync is retried every
 * 10 s for up to 30 s (runutil.Retry in store.go), and failing that the store exits; only after
 * it does gRPC listen and /-/ready turn ready. Then the blocks are re-synced every
 * --sync-block-duration; a failing resync is logged and the blocks already loaded stay served.
 */
import {collectDefaultMetrics, Counter, Histogram, Registry} from 'prom-client'
import {ThanostsError} from '../errors.js'
import type {Logger} from '../log.js'
import type {Bucket} from '../objstore/bucket.js'
import {bucketFromConfig} from '../objstore/config.js'
import {bindGrpcServer, createGrpcServer, stopGrpcServer} from '../server/grpc-server.js'
import {HttpServer} from '../server/http-server.js'
import {Lifecycle, sleep} from '../server/lifecycle.js'
import {Prober} from '../server/prober.js'
import {SERVICE_OF_METHOD} from '../storeapi/services.js'
import {registerStoreApi, type GrpcCallObserver} from '../storeapi/store-grpc-server.js'
import {BlocksApi} from './blocks-api.js'
import {BucketStore} from './bucket-store.js'
import {consistencyDelayFilter, deduplicateFilter, ignoreDeletionMarkFilter, labelShardedFilter, timePartitionFilter} from './filters.js'
import {MetaFetcher} from './meta-fetcher.js'
import {SeriesGate} from './series-gate.js'
import {parseSelectorRelabelConfig} from './selector-relabel.js'
import {storeGatewayMetrics} from './metrics.js'
import {timestampOf, type TimeOrDuration} from './time-or-duration.js'

export interface StoreGatewayConfig {
  /** The bucket configuration YAML (--objstore.config(-file)); or `bucket` directly (tests). */
  objstoreConfig?: string
  bucket?: Bucket
  grpcAddress: string
  httpAddress: string
  grpcGracePeriodMs: number
  httpGracePeriodMs: number
  /** --sync-block-duration */
  syncIntervalMs: number
  /** --block-sync-concurrency */
  blockSyncConcurrency: number
  /** --block-meta-fetch-concurrency */
  blockMetaFetchConcurrency: number
  minTime: TimeOrDuration
  maxTime: TimeOrDuration
  /** --consistency-delay */
  consistencyDelayMs: number
  /** --ignore-deletion-marks-delay */
  ignoreDeletionMarksDelayMs: number
  /** --store.limits.request-series (0 = none). */
  seriesLimit: number
  /** --store.limits.request-samples / --store.grpc.series-sample-limit (0 = none). */
  samplesLimit: number
  /** --selector.relabel-config(-file) YAML; none = every block. */
  selectorRelabelConfig?: string
  /** --bucket-web-label: the label of the blocks API's answer. */
  bucketWebLabel?: string
  /** --web.disable: no /api/v1/blocks. */
  disableWeb?: boolean
  /** --store.grpc.series-max-concurrency (0 = no limit). */
  seriesMaxConcurrency?: number
  logger: Logger
  /** Initial sync retries (upstream: every 10 s for 30 s); tests shorten them. */
  initialSyncRetryMs?: number
  initialSyncTimeoutMs?: number
}

export interface RunningStoreGateway {
  grpcPort: number
  httpPort: number
  lifecycle: Lifecycle
  store: BucketStore
  registry: Registry
  /** One more sync now (tests; the loop keeps its own schedule). */
  sync(): Promise<void>
}

const GRPC_CODE_NAMES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated']

export async function runStoreGateway(cfg: StoreGatewayConfig): Promise<RunningStoreGateway> {
  const log = cfg.logger.with({component: 'store'})
  if (timestampOf(cfg.minTime) > timestampOf(cfg.maxTime)) {
    throw new ThanostsError('bad_data', `invalid argument: --min-time '${cfg.minTime.text}' can't be greater than --max-time '${cfg.maxTime.text}'`)
  }
  if ((cfg.seriesMaxConcurrency ?? 0) < 0) throw new ThanostsError('bad_data', `max concurrency value cannot be lower than 0 (got ${cfg.seriesMaxConcurrency})`)
  if (cfg.blockSyncConcurrency < 1) throw new ThanostsError('bad_data', '--block-sync-concurrency must be equal or greater than 1')
  const selector = parseSelectorRelabelConfig(cfg.selectorRelabelConfig ?? '')
  const bucket = cfg.bucket ?? (cfg.objstoreConfig !== undefined ? bucketFromConfig(cfg.objstoreConfig, {logger: log}) : undefined)
  if (!bucket) throw new ThanostsError('bad_data', 'no bucket configuration: --objstore.config-file or --objstore.config is required')

  const lifecycle = new Lifecycle(log)
  lifecycle.add('bucket', () => bucket.close())
  const registry = new Registry()
  collectDefaultMetrics({register: registry})
  const metrics = storeGatewayMetrics(registry)
  const prober = new Prober()
  const blocksApi = cfg.disableWeb ? undefined : new BlocksApi(cfg.bucketWebLabel ?? '')
  const http = new HttpServer({
    address: cfg.httpAddress,
    registry,
    prober,
    logger: log,
    handler: (req, res, url) => {
      if (blocksApi?.handle(req, res, url)) return
      res.writeHead(404, {'content-type': 'text/plain'})
      res.end('not found')
    },
  })
  let httpPort: number
  try {
    httpPort = (await http.listen()).port
  } catch (e) {
    await lifecycle.stop()
    throw e
  }
  lifecycle.add('http', () => http.close(cfg.httpGracePeriodMs))
  prober.setNotReady('initial sync of the bucket store in progress')
  log.info('listening for metrics and probes', {address: cfg.httpAddress.replace(/:\d+$/, `:${httpPort}`)})

  const fetcher = new MetaFetcher(bucket, {
    concurrency: cfg.blockMetaFetchConcurrency,
    logger: log.with({component: 'block.MetaFetcher'}),
    filters: [
      timePartitionFilter(cfg.minTime, cfg.maxTime),
      labelShardedFilter(selector),
      consistencyDelayFilter(cfg.consistencyDelayMs, log),
      ignoreDeletionMarkFilter(bucket, cfg.ignoreDeletionMarksDelayMs, cfg.blockMetaFetchConcurrency, log),
      deduplicateFilter(),
    ],
  })
  const store = new BucketStore({
    bucket,
    fetcher,
    logger: log,
    metrics,
    blockSyncConcurrency: cfg.blockSyncConcurrency,
    minTime: cfg.minTime,
    maxTime: cfg.maxTime,
    seriesLimit: cfg.seriesLimit,
    samplesLimit: cfg.samplesLimit,
    seriesGate: new SeriesGate(cfg.seriesMaxConcurrency ?? 20, registry),
    onView: (metas, failed) => blocksApi?.setLoaded(metas, failed),
  })

  log.info('initializing bucket store')
  const begin = Date.now()
  const deadline = begin + (cfg.initialSyncTimeoutMs ?? 30_000)
  for (;;) {
    try {
      await store.syncBlocks(lifecycle.signal)
      break
    } catch (e) {
      if (lifecycle.signal.aborted || Date.now() >= deadline) {
        await lifecycle.stop()
        throw new ThanostsError('unavailable', `bucket store initial sync: ${(e as Error).message}`, {cause: e})
      }
      log.warn('initial sync failed; retrying', {err: e})
      await sleep(Math.min(cfg.initialSyncRetryMs ?? 10_000, Math.max(0, deadline - Date.now())), lifecycle.signal)
    }
  }
  store.setReady()
  log.info('bucket store ready', {init_duration: `${((Date.now() - begin) / 1000).toFixed(3)}s`, blocks: store.blockIds().length})

  const handled = new Counter({
    name: 'grpc_server_handled_total',
    help: 'Total number of RPCs completed on the server, regardless of success or failure.',
    labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
    registers: [registry],
  })
  const handling = new Histogram({
    name: 'grpc_server_handling_seconds',
    help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
    labelNames: ['grpc_service', 'grpc_method'],
    buckets: [0.001, 0.01, 0.1, 0.3, 0.6, 1, 3, 6, 9, 20, 30, 60, 90, 120],
    registers: [registry],
  })
  const observe: GrpcCallObserver = (method, code, seconds) => {
    const service = SERVICE_OF_METHOD[method] ?? 'thanos.Store'
    handled.inc({grpc_service: service, grpc_method: method, grpc_code: GRPC_CODE_NAMES[code] ?? String(code)})
    handling.observe({grpc_service: service, grpc_method: method}, seconds)
  }
  const grpc = createGrpcServer()
  registerStoreApi(grpc, store, {logger: log, observe})
  let grpcPort: number
  try {
    grpcPort = await bindGrpcServer(grpc, cfg.grpcAddress)
  } catch (e) {
    await lifecycle.stop()
    throw e
  }
  lifecycle.add('grpc', () => stopGrpcServer(grpc, cfg.grpcGracePeriodMs))
  prober.setReady()
  log.info('listening for StoreAPI and Info gRPC', {address: cfg.grpcAddress.replace(/:\d+$/, `:${grpcPort}`)})

  // One sync at a time: the loop's and any asked for through sync().
  let running: Promise<void> = Promise.resolve()
  const sync = (): Promise<void> => {
    const next = running.then(() => store.syncBlocks(lifecycle.signal))
    running = next.catch(() => undefined)
    return next
  }
  const loop = (async () => {
    while (await sleep(cfg.syncIntervalMs, lifecycle.signal)) {
      try {
        await sync()
      } catch (e) {
        if (lifecycle.signal.aborted) return
        log.warn('syncing blocks failed', {err: e})
      }
    }
  })()
  lifecycle.add('sync', () => loop)

  return {grpcPort, httpPort, lifecycle, store, registry, sync}
}
