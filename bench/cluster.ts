/**
 * The benchmark's processes: two real Prometheus 3 replicas on copies of the cached blocks; in
 * front of each a thanosts sidecar and a real thanos sidecar; thanosts queriers Q1 (over one
 * sidecar) and Q2 (both, dedup) and real thanos queriers T1 and T2 the same way over the thanos
 * sidecars. Ours are separate `node bin/run.js ...` processes so that RSS and CPU are their own
 * and they do not share the bench's event loop. Everything is stopped by pid (SIGTERM, so a
 * --cpu-prof profile gets written, then SIGKILL); temp dirs are removed.
 */
import {readFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'
import {startPeer, peer, type PeerProcess} from '../test/helpers/peers.js'
import {freePort} from '../test/helpers/ports.js'
import {startProcess, waitForHttpOk, type ManagedProcess} from '../test/helpers/process.js'
import {startPrometheusSet, type PrometheusHandle} from '../test/helpers/prometheus.js'

const RUN_JS = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface ClusterOptions {
  blocksDir: string
  /** Directory for node --cpu-prof output of sidecars and queriers; undefined = no profiling. */
  cpuProfDir?: string
  log: (s: string) => void
}

export interface NodeComponent {
  readonly name: string
  readonly proc: ManagedProcess
  readonly httpUrl: string
  readonly grpcAddress: string
}

export interface Cluster {
  readonly proms: PrometheusHandle[]
  readonly sidecars: NodeComponent[]
  /** Q1: one sidecar; Q2: both replicas, deduplicated. */
  readonly q1: NodeComponent
  readonly q2: NodeComponent
  /** The real Thanos twins: sidecars A and B, T1 over A, T2 over both. */
  readonly thanosSidecars: ThanosComponent[]
  readonly t1: ThanosComponent
  readonly t2: ThanosComponent
  /** Every process with its pid, for RSS and for checking they are gone. */
  processes(): {name: string; pid: number}[]
  stop(): Promise<void>
}

export interface ThanosComponent {
  readonly name: string
  readonly proc: PeerProcess
  readonly httpUrl: string
  readonly grpcAddress: string
}

const BIG_QUERY_LIMITS = ['--query.max-samples=1000000000', '--query.timeout=10m']

export async function startThanos(name: string, args: string[]): Promise<ThanosComponent> {
  const [httpPort, grpcPort] = [await freePort(), await freePort()]
  const httpUrl = `http://127.0.0.1:${httpPort}`
  const proc = await startPeer(name, peer('thanos').path, [...args, `--http-address=127.0.0.1:${httpPort}`, `--grpc-address=127.0.0.1:${grpcPort}`, '--log.level=warn'], `${httpUrl}/-/ready`)
  return {name, proc, httpUrl, grpcAddress: `127.0.0.1:${grpcPort}`}
}

export async function startNode(name: string, args: string[], cpuProfDir: string | undefined, httpPort: number, grpcPort: number): Promise<NodeComponent> {
  const nodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, `--cpu-prof-name=${name}.cpuprofile`] : []
  const proc = startProcess(name, process.execPath, [
    ...nodeArgs,
    RUN_JS,
    ...args,
    `--http-address=127.0.0.1:${httpPort}`,
    `--grpc-address=127.0.0.1:${grpcPort}`,
    '--http-grace-period=2s',
    '--grpc-grace-period=2s',
    '--log.level=warn',
  ])
  const httpUrl = `http://127.0.0.1:${httpPort}`
  try {
    await waitForHttpOk(`${httpUrl}/-/ready`, proc, 60_000)
  } catch (e) {
    await proc.stop(1000)
    throw e
  }
  return {name, proc, httpUrl, grpcAddress: `127.0.0.1:${grpcPort}`}
}

/** Waits until the querier's /api/v1/stores lists `n` healthy stores. */
export async function waitStores(q: {name: string; httpUrl: string; proc: {output(): string}}, n: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      const r = await fetch(`${q.httpUrl}/api/v1/stores`)
      const body = (await r.json()) as {data?: Record<string, {lastError?: string | null}[]>}
      const healthy = Object.values(body.data ?? {})
        .flat()
        .filter((s) => !s.lastError).length
      if (healthy >= n) return
    } catch {
      // not yet
    }
    if (exited()) throw new Error(`${q.name} exited:\n${q.proc.output()}`)
    if (Date.now() > deadline) throw new Error(`${q.name} does not see ${n} healthy stores after 60 s:\n${q.proc.output()}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const started: {stop(): Promise<void>}[] = []
  const nodes: NodeComponent[] = []
  const stopAll = async (): Promise<void> => {
    // Queriers first, then sidecars, then Prometheus: nobody loses its upstream mid-request.
    for (const s of started.splice(0).reverse()) await s.stop().catch(() => {})
  }
  try {
    opts.log('starting 2 Prometheus 3 replicas on copies of the data set')
    const proms = await startPrometheusSet(
      ['0', '1'].map((replica) => ({
        version: 3 as const,
        externalLabels: {cluster: 'bench', replica},
        blocksFrom: opts.blocksDir,
        extraArgs: BIG_QUERY_LIMITS,
      })),
    )
    for (const p of proms) started.push(p)
    const node = async (name: string, args: string[]): Promise<NodeComponent> => {
      const c = await startNode(name, args, opts.cpuProfDir, await freePort(), await freePort())
      started.push({stop: () => c.proc.stop(15_000)})
      nodes.push(c)
      return c
    }
    opts.log('starting sidecars A and B')
    const sidecars = await Promise.all(proms.map((p, i) => node(`sidecar-${'AB'[i]}`, ['sidecar', `--prometheus.url=${p.url}`])))
    opts.log('starting queriers Q1 (sidecar A) and Q2 (A + B, dedup)')
    const querier = (name: string, stores: NodeComponent[]): Promise<NodeComponent> =>
      node(name, ['query', ...stores.map((s) => `--store=${s.grpcAddress}`), '--query.replica-label=replica', '--endpoint.info-timeout=2s', ...BIG_QUERY_LIMITS])
    const [q1, q2] = await Promise.all([querier('querier-Q1', [sidecars[0]!]), querier('querier-Q2', sidecars)])
    await Promise.all([waitStores(q1!, 1, () => q1!.proc.exited()), waitStores(q2!, 2, () => q2!.proc.exited())])
    const thanosNodes: ThanosComponent[] = []
    const thanos = async (name: string, args: string[]): Promise<ThanosComponent> => {
      const c = await startThanos(name, args)
      started.push({stop: () => c.proc.stop()})
      thanosNodes.push(c)
      return c
    }
    opts.log('starting thanos sidecars A and B, thanos queriers T1 (A) and T2 (A + B, dedup)')
    const thanosSidecars = await Promise.all(proms.map((p, i) => thanos(`thanos-sidecar-${'AB'[i]}`, ['sidecar', `--prometheus.url=${p.url}`])))
    const thanosQuery = (name: string, stores: ThanosComponent[]): Promise<ThanosComponent> =>
      // Thanos has no sample limit flag (its engine runs without one); the timeout as ours.
      thanos(name, ['query', ...stores.map((s) => `--endpoint=${s.grpcAddress}`), '--query.replica-label=replica', '--query.timeout=10m'])
    const [t1, t2] = await Promise.all([thanosQuery('thanos-query-T1', [thanosSidecars[0]!]), thanosQuery('thanos-query-T2', thanosSidecars)])
    await Promise.all([waitStores(t1!, 1, () => false), waitStores(t2!, 2, () => false)])
    return {
      proms,
      sidecars,
      q1: q1!,
      q2: q2!,
      thanosSidecars,
      t1: t1!,
      t2: t2!,
      processes: () => [
        ...proms.map((p, i) => ({name: `prometheus-${i}`, pid: p.pid()})),
        ...nodes.map((n) => ({name: n.name, pid: n.proc.pid})),
        ...thanosNodes.map((n) => ({name: n.name, pid: n.proc.pid()})),
      ],
      stop: stopAll,
    }
  } catch (e) {
    await stopAll()
    throw e
  }
}

export interface MemoryStatus {
  /** Peak resident set (VmHWM), bytes. */
  peakRss: number
  rss: number
}

/** VmHWM and VmRSS of a live process from /proc (Linux). */
export async function memoryOf(pid: number): Promise<MemoryStatus | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = (key: string): number => Number(/^(\S+):\s+(\d+) kB/m.exec(text.split('\n').find((l) => l.startsWith(`${key}:`)) ?? '')?.[2] ?? NaN) * 1024
    return {peakRss: kb('VmHWM'), rss: kb('VmRSS')}
  } catch {
    return undefined
  }
}

/**
 * CPU time (user + system, all threads) a live process has used so far, in ms; NaN when gone.
 * /proc counts in USER_HZ ticks (100 per second on Linux): 10 ms resolution, so callers
 * average over many requests.
 */
export async function cpuTimeMs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces) start with field 3 (state).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) * 10
  } catch {
    return NaN
  }
}
