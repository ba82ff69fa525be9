/**
 * demo/: `thanosts demo`: the seed topology on one machine, to see the HA-gap problem and its
 * fix in minutes. Three Prometheus servers (cluster eu1 replica 0; cluster us1 replicas 0 and 1),
 * each scraping itself and the demo's other components, a sidecar next to each, and a querier
 * deduplicating on `replica`. One replica can be stopped and restarted to watch dedup fill
 * the gap. Everything runs on loopback; temp dirs are removed on stop.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtemp, mkdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import * as yaml from 'js-yaml'
import {UnavailableError} from '../errors.js'
import type {Logger} from '../log.js'
import {MIN_INT64} from '../prometheus/prometheus-client.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../query/querier.js'
import {sleep} from '../server/lifecycle.js'
import {runSidecar, type RunningSidecar} from '../sidecar/sidecar.js'

export interface DemoConfig {
  prometheusBinary: string
  /** First port; the demo uses portBase .. portBase+11. */
  portBase: number
  /** Prometheus scrape interval, e.g. '5s'. */
  scrapeInterval: string
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

export interface RunningDemo {
  replicas: DemoReplica[]
  queryHttp: number
  queryGrpc: number
  querier: RunningQuerier
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

export async function startDemo(cfg: DemoConfig): Promise<RunningDemo> {
  const log = cfg.logger.with({component: 'demo'})
  const root = await mkdtemp(path.join(tmpdir(), 'thanosts-demo-'))
  const queryHttp = cfg.portBase + 10
  const queryGrpc = cfg.portBase + 11
  const replicas: DemoReplica[] = DEMO_REPLICAS.map(([cluster, replica], i) => ({
    name: `${cluster}/${replica}`,
    cluster,
    replica,
    promPort: cfg.portBase + i,
    sidecarGrpc: cfg.portBase + 3 + i * 2,
    sidecarHttp: cfg.portBase + 4 + i * 2,
    dir: path.join(root, `${cluster}-${replica}`),
  }))
  const targets = [...replicas.flatMap((r) => [`127.0.0.1:${r.promPort}`]), ...replicas.map((r) => `127.0.0.1:${r.sidecarHttp}`), `127.0.0.1:${queryHttp}`]

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
      [`--config.file=${path.join(r.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(r.dir, 'data')}`, `--web.listen-address=127.0.0.1:${r.promPort}`, '--web.enable-lifecycle', '--log.level=warn'],
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

  const stopAll = async (querier?: RunningQuerier): Promise<void> => {
    await querier?.lifecycle.stop()
    for (const r of replicas) await r.sidecar?.lifecycle.stop()
    await Promise.all(replicas.map(stopPrometheus))
    await rm(root, {recursive: true, force: true})
  }

  // If this process dies without stop(), take the Prometheus children with it.
  const killChildren = (): void => {
    for (const r of replicas) r.proc?.kill('SIGKILL')
  }
  process.once('exit', killChildren)

  let querier: RunningQuerier | undefined
  try {
    for (const r of replicas) await startPrometheus(r)
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
        logger: cfg.logger,
      })
    }
    querier = await runQuerier(
      querierConfig(
        replicas.map((r) => `127.0.0.1:${r.sidecarGrpc}`),
        cfg.logger,
        {httpAddress: `127.0.0.1:${queryHttp}`, grpcAddress: `127.0.0.1:${queryGrpc}`, infoTimeoutMs: 2_000, replicaLabels: ['replica'], flags: {'query.replica-label': 'replica'}},
      ),
    )
  } catch (e) {
    await stopAll(querier)
    process.off('exit', killChildren)
    throw e
  }
  const q = querier
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
