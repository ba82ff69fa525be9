/**
 * Real Prometheus servers for tests, in one place (sidecar, querier, demo tests reuse it).
 *
 *   const prom = await startPrometheus({externalLabels: {cluster: 'us1', replica: '0'}, series: [...]})
 *   ... prom.url ...
 *   await prom.stop()   // kills by pid, removes the temp dir
 *
 * Data is backfilled with `promtool tsdb create-blocks-from openmetrics` before the server
 * starts (fast, deterministic, any timestamps); retention is set far out so old backfilled
 * blocks are not deleted. The server runs with --web.enable-lifecycle so reloads work.
 */
import {execFile} from 'node:child_process'
import {cp, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import * as yaml from 'js-yaml'
import {Agent, type RequestInit} from 'undici'
import {toOpenMetrics, type SeriesSpec} from './openmetrics.js'
import {prometheus3} from './peers.js'
import {freePort} from './ports.js'
import {startProcess, waitForHttpOk, type ManagedProcess} from './process.js'
import {selfSignedCert, type SelfSignedCert} from './tls.js'

const execFileP = promisify(execFile)

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? 'prometheus'
export const PROMTOOL_BIN = process.env.PROMTOOL_BIN ?? 'promtool'

export interface PrometheusOptions {
  /**
   * Which Prometheus: Debian's 2.42 on PATH (the default, as the demo uses), or the 3.x that
   * scripts/peers.sh builds (`3`), whose promtool then backfills too.
   */
  version?: 2 | 3
  externalLabels?: Record<string, string>
  /** Backfilled before start. */
  series?: SeriesSpec[]
  /** Or raw OpenMetrics text. */
  openMetrics?: string
  /** Or a directory of ready TSDB blocks, copied into the data dir before start (the benchmark's cached data set). */
  blocksFrom?: string
  /** Scrape itself every `scrapeInterval` (default off: tests want exact data). */
  scrapeSelf?: boolean
  scrapeInterval?: string
  /** Extra top-level config merged into prometheus.yml. */
  config?: Record<string, unknown>
  extraArgs?: string[]
  port?: number
  /**
   * Prometheus's web config (--web.config.file): HTTPS with a self-signed certificate, and/or
   * basic auth for one user (`bcryptHash` of `password`, as Prometheus wants it).
   */
  web?: {tls?: boolean; basicAuth?: {username: string; password: string; bcryptHash: string}}
}

export interface PrometheusHandle {
  readonly url: string
  /** With `web.tls`: the certificate clients must trust. */
  readonly caFile?: string
  /** Headers and dispatcher that get a test's own requests through `web` (auth, TLS). */
  readonly fetchInit: RequestInit
  readonly port: number
  readonly dir: string
  readonly configPath: string
  pid(): number
  /** Rewrites prometheus.yml (does not reload). */
  writeConfig(config: Record<string, unknown>): Promise<void>
  configObject(): Record<string, unknown>
  /** Stops the process, keeps the data (for restart()). */
  kill(): Promise<void>
  /** Starts again on the same port and data. */
  restart(): Promise<void>
  /** Stops and removes the temp dir. */
  stop(): Promise<void>
}

export function prometheusConfig(opts: PrometheusOptions, port: number): Record<string, unknown> {
  const global: Record<string, unknown> = {scrape_interval: opts.scrapeInterval ?? '15s'}
  if (opts.externalLabels && Object.keys(opts.externalLabels).length > 0) global.external_labels = opts.externalLabels
  const cfg: Record<string, unknown> = {global, ...opts.config}
  if (opts.scrapeSelf) cfg.scrape_configs = [{job_name: 'prometheus', static_configs: [{targets: [`127.0.0.1:${port}`]}]}]
  return cfg
}

export async function backfill(openMetrics: string, dataDir: string, workDir: string, promtool = PROMTOOL_BIN): Promise<void> {
  const file = path.join(workDir, 'backfill.om')
  await writeFile(file, openMetrics)
  try {
    await execFileP(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', file, dataDir], {maxBuffer: 16 << 20})
  } catch (e) {
    const err = e as {stderr?: string; stdout?: string; message: string}
    throw new Error(`promtool backfill failed: ${err.stderr || err.stdout || err.message}`)
  }
}

export async function startPrometheus(opts: PrometheusOptions = {}): Promise<PrometheusHandle> {
  const bins = opts.version === 3 ? prometheus3() : {prometheus: PROMETHEUS_BIN, promtool: PROMTOOL_BIN}
  const dir = await mkdtemp(path.join(tmpdir(), 'thanosts-prom-'))
  const dataDir = path.join(dir, 'data')
  const configPath = path.join(dir, 'prometheus.yml')
  const port = opts.port ?? (await freePort())
  let config = prometheusConfig(opts, port)
  await writeFile(configPath, yaml.dump(config))
  const om = opts.openMetrics ?? (opts.series && opts.series.length > 0 ? toOpenMetrics(opts.series) : undefined)
  if (om !== undefined) await backfill(om, dataDir, dir, bins.promtool)
  if (opts.blocksFrom !== undefined) await cp(opts.blocksFrom, dataDir, {recursive: true})
  const web = opts.web ? await webConfig(opts.web, dir) : undefined
  const url = `${web?.cert ? 'https' : 'http'}://127.0.0.1:${port}`
  const args = [
    `--config.file=${configPath}`,
    `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
    '--storage.tsdb.retention.time=100y',
    '--log.level=warn',
    ...(web ? [`--web.config.file=${web.file}`] : []),
    ...(opts.extraArgs ?? []),
  ]
  const fetchInit = web?.fetchInit ?? {}
  let mp: ManagedProcess | undefined
  const launch = async (): Promise<void> => {
    mp = startProcess(`prometheus:${port}`, bins.prometheus, args)
    await waitForHttpOk(`${url}/-/ready`, mp, 30_000, fetchInit)
  }
  try {
    await launch()
  } catch (e) {
    await mp?.stop()
    await rm(dir, {recursive: true, force: true})
    throw e
  }
  return {
    url,
    caFile: web?.cert?.certFile,
    fetchInit,
    port,
    dir,
    configPath,
    pid: () => mp!.pid,
    configObject: () => config,
    async writeConfig(c) {
      config = c
      await writeFile(configPath, yaml.dump(c))
    },
    async kill() {
      await mp?.stop()
    },
    async restart() {
      await mp?.stop()
      await launch()
    },
    async stop() {
      await mp?.stop()
      await rm(dir, {recursive: true, force: true})
    },
  }
}

/** Several servers in parallel, e.g. an HA pair. */
export async function startPrometheusSet(list: PrometheusOptions[]): Promise<PrometheusHandle[]> {
  const started = await Promise.allSettled(list.map((o) => startPrometheus(o)))
  const ok = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  const failed = started.find((r) => r.status === 'rejected')
  if (failed) {
    await Promise.all(ok.map((p) => p.stop()))
    throw (failed as PromiseRejectedResult).reason
  }
  return ok
}

async function webConfig(web: NonNullable<PrometheusOptions['web']>, dir: string): Promise<{file: string; cert?: SelfSignedCert; fetchInit: RequestInit}> {
  const cert = web.tls ? await selfSignedCert(dir, 'prometheus') : undefined
  const cfg: Record<string, unknown> = {}
  if (cert) cfg.tls_server_config = {cert_file: cert.certFile, key_file: cert.keyFile}
  if (web.basicAuth) cfg.basic_auth_users = {[web.basicAuth.username]: web.basicAuth.bcryptHash}
  const file = path.join(dir, 'web.yml')
  await writeFile(file, yaml.dump(cfg))
  const headers: Record<string, string> = web.basicAuth ? {authorization: `Basic ${Buffer.from(`${web.basicAuth.username}:${web.basicAuth.password}`).toString('base64')}`} : {}
  const init: RequestInit = {headers}
  if (cert) init.dispatcher = new Agent({connect: {ca: await readFile(cert.certFile)}})
  return {file, cert, fetchInit: init}
}
