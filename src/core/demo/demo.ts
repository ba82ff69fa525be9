/**
 * demo/: `thanosts demo`: the seed topology on one machine, to see the HA-gap problem and its
 * fix in minutes. Three Prometheus servers (cluster eu1 replica 0; cluster us1 replicas 0 and 1),
 * each scraping itself and the demo's other components, a sidecar next to each shipping blocks
 * to a bucket, a store gateway over that bucket, and a querier over the sidecars and the store
 * gateway deduplicating on `replica`. The bucket starts with days of history (history.ts), so a
 * query over days is answered from object storage and the live range from the sidecars. One
 * replica can be stopped and restarted to watch dedup fill the gap. Everything runs on
 * loopback; temp dirs, and what the demo put in a bucket it was given, are removed on stop.
 *   demo.ts     (this file) the topology: start, stop, stop/start one replica
 *   history.ts  the bucket's generated history (promtool blocks, uploaded with external labels)
 *   outage.ts   --outage and the explain view printed after it
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtemp, mkdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import * as yaml from 'js-yaml'
import {UnavailableError} from '../errors.js'
import type {Logger} from '../log.js'
import {bucketFromConfig, parseBucketConfig} from '../objstore/config.js'
import {MIN_INT64} from '../prometheus/prometheus-client.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../query/querier.js'
import {sleep} from '../server/lifecycle.js'
import {runSidecar, type RunningSidecar} from '../sidecar/sidecar.js'
import {runStoreGateway, type RunningStoreGateway} from '../storegateway/store-gateway.js'
import {parseTimeOrDuration} from '../storegateway/time-or-duration.js'
import {writeHistory, type History} from './history.js'

export interface DemoConfig {
  prometheusBinary: string
  /** Writes the history's blocks (Debian's 2.42 `promtool` by default). */
  promtoolBinary?: string
  /** First port; the demo uses portBase .. portBase+13. */
  portBase: number
  /** Prometheus scrape interval, e.g. '5s'. */
  scrapeInterval: string
  /**
   * A bucket configuration (Thanos's YAML, --objstore.config-file) to use instead of a
   * FILESYSTEM bucket in the demo's temp dir; the demo works under a prefix of its own in it.
   */
  objstoreConfig?: string
  /** Days of generated history in the bucket (default 3; 0 = none). */
  historyDays?: number
  /** Start-up progress, one line at a time. */
  progress?: (line: string) => void
  /** Ctrl-C during start-up: what started is stopped, the temp dirs removed, and startDemo rejects. */
  signal?: AbortSignal
  logger: Logger
}

export interface DemoReplica {
  name: string // e.g. "us1/0"
  cluster: string
  replica: string
  promPort: number
  sidecarGrpc: number
  sidecarHttp: number
  dir: string
  proc?: ChildProcess
  sidecar?: RunningSidecar
}

export interface DemoBucket {
  /** "FILESYSTEM /tmp/thanosts-demo-x/bucket" or "S3 my-bucket (prefix p/thanosts-demo-x)". */
  description: string
  /** The configuration every component of the demo uses. */
  config: string
}

export interface RunningDemo {
  replicas: DemoReplica[]
  queryHttp: number
  queryGrpc: number
  querier: RunningQuerier
  storeGrpc: number
  storeHttp: number
  store: RunningStoreGateway
  bucket: DemoBucket
  /** Undefined with historyDays 0. */
  history?: History
  stopReplica(name: string): Promise<void>
  startReplica(name: string): Promise<void>
  stop(): Promise<void>
}

export const DEMO_REPLICAS: [string, string][] = [
  ['eu1', '0'],
  ['us1', '0'],
  ['us1', '1'],
]

async function waitReady(url: string, proc: ChildProcess | undefined, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const r = await fetch(url, {signal: AbortSignal.timeout(2000)})
      if (r.ok) return
    } catch {
      // not yet
    }
    if (proc && proc.exitCode !== null) throw new UnavailableError(`${url}: the process exited (${proc.exitCode})`)
    if (Date.now() > deadline) throw new UnavailableError(`${url} not ready after ${timeoutMs} ms`)
    await sleep(100)
  }
}

/**
 * The demo's bucket: a FILESYSTEM bucket in its temp dir, or the one configured, under a prefix
 * of the demo's own (`<prefix>/thanosts-demo-…`) so that stopping can remove exactly what the
 * demo put there and nothing else.
 */
export function demoBucket(root: string, given: string | undefined): DemoBucket {
  if (given === undefined) {
    const directory = path.join(root, 'bucket')
    return {description: `FILESYSTEM ${directory}`, config: yaml.dump({type: 'FILESYSTEM', config: {directory}})}
  }
  const parsed = parseBucketConfig(given) // a bad configuration fails here, before anything starts
  const doc = yaml.load(given) as Record<string, unknown>
  const prefix = [parsed.prefix.replace(/^\/+|\/+$/g, ''), path.basename(root)].filter((p) => p !== '').join('/')
  const where = parsed.type === 'S3' ? `${parsed.config.bucket} at ${parsed.config.endpoint}` : parsed.config.directory
  return {description: `${parsed.type} ${where} (prefix ${prefix})`, config: yaml.dump({...doc, prefix})}
}

/** Deletes every object under the demo's prefix of a configured bucket. */
async function emptyBucket(config: string, log: Logger): Promise<void> {
  const bucket = bucketFromConfig(config)
  try {
    const keys: string[] = []
    for await (const k of bucket.iter('', {recursive: true})) keys.push(k)
    for (const k of keys) await bucket.delete(k)
  } catch (e) {
    log.warn('could not remove the demo blocks from the bucket', {err: e})
  } finally {
    await bucket.close()
  }
}

export async function startDemo(cfg: DemoConfig): Promise<RunningDemo> {
  const log = cfg.logger.with({component: 'demo'})
  const say = cfg.progress ?? ((): void => undefined)
  const root = await mkdtemp(path.join(tmpdir(), 'thanosts-demo-'))
  let bucket: DemoBucket
  try {
    bucket = demoBucket(root, cfg.objstoreConfig)
  } catch (e) {
    await rm(root, {recursive: true, force: true})
    throw e
  }
  const queryHttp = cfg.portBase + 10
  const queryGrpc = cfg.portBase + 11
  const storeGrpc = cfg.portBase + 12
  const storeHttp = cfg.portBase + 13
  const replicas: DemoReplica[] = DEMO_REPLICAS.map(([cluster, replica], i) => ({
    name: `${cluster}/${replica}`,
    cluster,
    replica,
    promPort: cfg.portBase + i,
    sidecarGrpc: cfg.portBase + 3 + i * 2,
    sidecarHttp: cfg.portBase + 4 + i * 2,
    dir: path.join(root, `${cluster}-${replica}`),
  }))
  const targets = [
    ...replicas.map((r) => `127.0.0.1:${r.promPort}`),
    ...replicas.map((r) => `127.0.0.1:${r.sidecarHttp}`),
    `127.0.0.1:${queryHttp}`,
    `127.0.0.1:${storeHttp}`,
  ]

  const startPrometheus = async (r: DemoReplica): Promise<void> => {
    await mkdir(r.dir, {recursive: true})
    const config = {
      global: {scrape_interval: cfg.scrapeInterval, evaluation_interval: cfg.scrapeInterval, external_labels: {cluster: r.cluster, replica: r.replica}},
      scrape_configs: [
        {job_name: 'prometheus', static_configs: [{targets: targets.slice(0, replicas.length)}]},
        {job_name: 'thanosts', static_configs: [{targets: targets.slice(replicas.length)}]},
      ],
    }
    await writeFile(path.join(r.dir, 'prometheus.yml'), yaml.dump(config))
    r.proc = spawn(
      cfg.prometheusBinary,
      [
        `--config.file=${path.join(r.dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(r.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${r.promPort}`,
        // compaction off, as a sidecar that ships blocks needs (Thanos's check of these flags)
        '--storage.tsdb.min-block-duration=2h',
        '--storage.tsdb.max-block-duration=2h',
        '--web.enable-lifecycle',
        '--log.level=warn',
      ],
      {stdio: 'ignore'},
    )
    await waitReady(`http://127.0.0.1:${r.promPort}/-/ready`, r.proc)
  }

  const stopPrometheus = async (r: DemoReplica): Promise<void> => {
    const p = r.proc
    r.proc = undefined
    if (!p || p.exitCode !== null) return
    const exited = new Promise((res) => p.once('exit', res))
    p.kill('SIGTERM')
    if ((await Promise.race([exited, sleep(10_000).then(() => 'timeout')])) === 'timeout') {
      p.kill('SIGKILL')
      await exited
    }
  }

  let store: RunningStoreGateway | undefined
  const stopAll = async (querier?: RunningQuerier): Promise<void> => {
    await querier?.lifecycle.stop()
    await store?.lifecycle.stop()
    for (const r of replicas) await r.sidecar?.lifecycle.stop()
    await Promise.all(replicas.map(stopPrometheus))
    if (cfg.objstoreConfig !== undefined) await emptyBucket(bucket.config, log)
    await rm(root, {recursive: true, force: true})
  }

  // If this process dies without stop(), take the Prometheus children with it.
  const killChildren = (): void => {
    for (const r of replicas) r.proc?.kill('SIGKILL')
  }
  process.once('exit', killChildren)

  let querier: RunningQuerier | undefined
  let history: History | undefined
  try {
    const days = cfg.historyDays ?? 3
    if (days > 0) {
      const historyBucket = bucketFromConfig(bucket.config)
      try {
        history = await writeHistory({
          promtoolBinary: cfg.promtoolBinary ?? 'promtool',
          bucket: historyBucket,
          replicas,
          instances: targets.slice(0, replicas.length),
          // ten minutes before Prometheus starts: the first minutes of the demo (and an
          // --outage's explain view over them) are the sidecars' alone, the history plainly older
          endMs: Date.now() - 10 * 60_000,
          days,
          stepMs: 30_000,
          workDir: path.join(root, 'history'),
          logger: cfg.logger,
          progress: say,
          signal: cfg.signal,
        })
      } finally {
        await historyBucket.close()
      }
      await rm(path.join(root, 'history'), {recursive: true, force: true})
    }
    const check = (): void => cfg.signal?.throwIfAborted()
    check()
    say(`starting ${replicas.length} Prometheus servers...`)
    for (const r of replicas) {
      await startPrometheus(r)
      check()
    }
    say('starting a sidecar for each (StoreAPI; shipping blocks to the bucket)...')
    for (const r of replicas) {
      r.sidecar = await runSidecar({
        prometheusUrl: `http://127.0.0.1:${r.promPort}`,
        grpcAddress: `127.0.0.1:${r.sidecarGrpc}`,
        httpAddress: `127.0.0.1:${r.sidecarHttp}`,
        readyTimeoutMs: 60_000,
        getConfigIntervalMs: 2_000,
        getConfigTimeoutMs: 5_000,
        grpcGracePeriodMs: 1_000,
        httpGracePeriodMs: 1_000,
        minTime: MIN_INT64,
        reloader: {configFile: path.join(r.dir, 'prometheus.yml'), ruleDirs: [], watchIntervalMs: 30_000, retryIntervalMs: 5_000},
        shipper: {tsdbPath: path.join(r.dir, 'data'), objstoreConfig: bucket.config},
        logger: cfg.logger,
      })
    }
    check()
    say(`starting the store gateway over the bucket (${bucket.description})...`)
    store = await runStoreGateway({
      objstoreConfig: bucket.config,
      grpcAddress: `127.0.0.1:${storeGrpc}`,
      httpAddress: `127.0.0.1:${storeHttp}`,
      grpcGracePeriodMs: 1_000,
      httpGracePeriodMs: 1_000,
      // upstream's default is 15m; the demo wants the sidecars' uploads served soon after they land
      syncIntervalMs: 60_000,
      blockSyncConcurrency: 20,
      blockMetaFetchConcurrency: 32,
      minTime: parseTimeOrDuration('0000-01-01T00:00:00Z'),
      maxTime: parseTimeOrDuration('9999-12-31T23:59:59Z'),
      consistencyDelayMs: 0,
      ignoreDeletionMarksDelayMs: 24 * 3_600_000,
      seriesLimit: 0,
      samplesLimit: 0,
      logger: cfg.logger,
    })
    check()
    say('starting the querier over the sidecars and the store gateway...')
    querier = await runQuerier(
      querierConfig([...replicas.map((r) => `127.0.0.1:${r.sidecarGrpc}`), `127.0.0.1:${storeGrpc}`], cfg.logger, {
        httpAddress: `127.0.0.1:${queryHttp}`,
        grpcAddress: `127.0.0.1:${queryGrpc}`,
        infoTimeoutMs: 2_000,
        replicaLabels: ['replica'],
        flags: {'query.replica-label': 'replica'},
      }),
    )
  } catch (e) {
    await stopAll(querier)
    process.off('exit', killChildren)
    throw e
  }
  const q = querier
  const sg = store
  const find = (name: string): DemoReplica => {
    const r = replicas.find((x) => x.name === name)
    if (!r) throw new UnavailableError(`no replica ${JSON.stringify(name)}; the demo has ${replicas.map((x) => x.name).join(', ')}`)
    return r
  }
  return {
    replicas,
    queryHttp,
    queryGrpc,
    querier: q,
    storeGrpc,
    storeHttp,
    store: sg,
    bucket,
    history,
    async stopReplica(name) {
      log.info('stopping Prometheus replica', {replica: name})
      await stopPrometheus(find(name))
    },
    async startReplica(name) {
      log.info('starting Prometheus replica', {replica: name})
      await startPrometheus(find(name))
    },
    stop: async () => {
      await stopAll(q)
      process.off('exit', killChildren)
    },
  }
}
