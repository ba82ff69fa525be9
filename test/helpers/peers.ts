/**
 * The real reference peers, built by `scripts/peers.sh` into .cache/peers/: real Thanos
 * components and Prometheus 3 as processes on free loopback ports, killed by pid.
 *
 *   const q = await startThanosQuery({endpoints: [`127.0.0.1:${sc.grpcPort}`], replicaLabels: ['replica']})
 *   ... q.url (HTTP API), q.grpcAddress (StoreAPI) ...
 *   await q.stop()
 *
 * A missing peer is an error, never a skip: peers.sh is part of the install, and a test that
 * needs a peer it does not have must fail.
 */
import {execFileSync} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {freePort} from './ports.js'
import {startProcess, waitForHttpOk, type ManagedProcess} from './process.js'

export type PeerName = 'thanos' | 'prometheus' | 'weed'

export interface Peer {
  name: PeerName
  version: string
  path: string
}

const peers = new Map<PeerName, Peer>()

/**
 * A peer as `scripts/peers.sh NAME` reports it (`name version path`). The script only checks the
 * cache when the pinned binary is there, so this is cheap after the install.
 */
export function peer(name: PeerName): Peer {
  if (!peers.has(name)) {
    let out: string
    try {
      out = execFileSync('bash', [path.resolve('scripts/peers.sh'), name], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20})
    } catch (e) {
      const err = e as {stderr?: string; message: string}
      throw new Error(`scripts/peers.sh failed, the real peers are missing: ${err.stderr?.slice(-4000) || err.message}`)
    }
    for (const line of out.trim().split('\n')) {
      const [n, version, p] = line.split(' ')
      if (n && version && p) peers.set(n as PeerName, {name: n as PeerName, version, path: p})
    }
  }
  const p = peers.get(name)
  if (!p) throw new Error(`scripts/peers.sh did not report the peer ${name}`)
  return p
}

/** The Prometheus 3 binary and its promtool, from the same build. */
export function prometheus3(): {prometheus: string; promtool: string; version: string} {
  const p = peer('prometheus')
  return {prometheus: p.path, promtool: path.join(path.dirname(p.path), 'promtool'), version: p.version}
}

export interface PeerProcess {
  readonly name: string
  readonly dir: string
  pid(): number
  output(): string
  /** Stops the process (SIGTERM, then SIGKILL) and removes its temp dir. */
  stop(): Promise<void>
}

export interface ThanosQueryHandle extends PeerProcess {
  readonly url: string
  readonly grpcAddress: string
}

export interface ThanosQueryOptions {
  endpoints: string[]
  replicaLabels?: string[]
  extraArgs?: string[]
}

/** A real `thanos query` over `endpoints`. Resolves when every endpoint shows up healthy in /api/v1/stores. */
export async function startThanosQuery(opts: ThanosQueryOptions): Promise<ThanosQueryHandle> {
  const [httpPort, grpcPort] = [await freePort(), await freePort()]
  const args = [
    'query',
    `--http-address=127.0.0.1:${httpPort}`,
    `--grpc-address=127.0.0.1:${grpcPort}`,
    '--log.level=warn',
    // Thanos checks endpoints every 5 s by default; tests should not wait that long.
    '--endpoint.info-timeout=5s',
    '--store.sd-interval=1s',
    ...opts.endpoints.map((e) => `--endpoint=${e}`),
    ...(opts.replicaLabels ?? []).map((l) => `--query.replica-label=${l}`),
    ...(opts.extraArgs ?? []),
  ]
  const url = `http://127.0.0.1:${httpPort}`
  const h = await startPeer('thanos-query', peer('thanos').path, args, `${url}/-/ready`)
  const handle = {...h, url, grpcAddress: `127.0.0.1:${grpcPort}`}
  try {
    await waitForThanosEndpoints(url, opts.endpoints.length)
  } catch (e) {
    await handle.stop()
    throw e
  }
  return handle
}

/** Polls a Thanos querier's /api/v1/stores until `n` endpoints are healthy (lastError null). */
export async function waitForThanosEndpoints(url: string, n: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  for (;;) {
    try {
      const r = await fetch(`${url}/api/v1/stores`, {signal: AbortSignal.timeout(2000)})
      last = await r.text()
      const body = JSON.parse(last) as {data?: Record<string, Array<{lastError: string | null}>>}
      const healthy = Object.values(body.data ?? {})
        .flat()
        .filter((s) => !s.lastError).length
      if (healthy >= n) return
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`thanos query at ${url}: fewer than ${n} healthy endpoints after ${timeoutMs} ms: ${last}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

export interface ThanosSidecarHandle extends PeerProcess {
  readonly grpcAddress: string
  readonly httpUrl: string
}

export interface ThanosSidecarOptions {
  /** Prometheus's data dir: with an objstore config the sidecar ships its blocks. */
  tsdbPath?: string
  /** Bucket configuration YAML (Thanos's objstore format). */
  objstoreConfig?: string
  extraArgs?: string[]
}

/** A real `thanos sidecar` in front of `prom`. Resolves when it is ready (external labels known). */
export async function startThanosSidecar(prom: {url: string}, opts: ThanosSidecarOptions = {}): Promise<ThanosSidecarHandle> {
  const [httpPort, grpcPort] = [await freePort(), await freePort()]
  const dir = await mkdtemp(path.join(tmpdir(), 'thanosts-thanos-sidecar-'))
  const args = [
    'sidecar',
    `--prometheus.url=${prom.url}`,
    `--http-address=127.0.0.1:${httpPort}`,
    `--grpc-address=127.0.0.1:${grpcPort}`,
    '--prometheus.get_config_interval=1s',
    '--log.level=warn',
  ]
  if (opts.tsdbPath) args.push(`--tsdb.path=${opts.tsdbPath}`)
  if (opts.objstoreConfig !== undefined) {
    const cfg = path.join(dir, 'objstore.yml')
    await writeFile(cfg, opts.objstoreConfig)
    args.push(`--objstore.config-file=${cfg}`)
  }
  args.push(...(opts.extraArgs ?? []))
  const httpUrl = `http://127.0.0.1:${httpPort}`
  const h = await startPeer('thanos-sidecar', peer('thanos').path, args, `${httpUrl}/-/ready`, dir)
  return {...h, grpcAddress: `127.0.0.1:${grpcPort}`, httpUrl}
}

/**
 * Starts `bin args` and waits for `readyUrl` to answer 2xx. `dir` (a temp dir, created if not
 * given) is removed on stop().
 */
export async function startPeer(name: string, bin: string, args: string[], readyUrl: string, dir?: string, timeoutMs = 60_000): Promise<PeerProcess> {
  const workDir = dir ?? (await mkdtemp(path.join(tmpdir(), `thanosts-${name}-`)))
  let mp: ManagedProcess | undefined
  const stop = async (): Promise<void> => {
    await mp?.stop()
    await rm(workDir, {recursive: true, force: true})
  }
  try {
    mp = startProcess(name, bin, args, {cwd: workDir})
    await waitForHttpOk(readyUrl, mp, timeoutMs)
  } catch (e) {
    await stop()
    throw e
  }
  const started = mp
  return {name, dir: workDir, pid: () => started.pid, output: () => started.output(), stop}
}
