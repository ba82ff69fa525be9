/**
 * `npm run bench`: thanosts against Prometheus 3 and real Thanos on dashboard queries. See
 * docs/benchmarks.md for what it measures; flags:
 *
 *   --smoke            tiny data set, 1 warm-up, 2 repetitions (CI); writes no docs unless --out
 *   --reps N           measured repetitions per (query, target) (default 7)
 *   --warmups N        warm-ups per (query, target) (default 2)
 *   --only REGEX       only queries whose id matches
 *   --out FILE         markdown to update (default docs/benchmarks.md; none in smoke mode)
 *   --json FILE        machine-readable results (default .cache/bench/last-results.json)
 *   --cache-dir DIR    data set cache (default .cache/bench)
 *   --history LABEL    append a History line to the markdown
 *   --cpu-prof         run sidecars and queriers with node --cpu-prof (profiles written at the end)
 *   --keep             leave every process running afterwards and print the URLs; Ctrl-C stops
 *   --no-throughput    skip the streaming throughput phase
 *   --no-store         skip the store gateway section (thanosts store vs thanos store)
 *   --store-only       run only the store gateway section (writes only its part of the markdown)
 *   --no-compact       skip the compactor section (thanosts compact vs thanos compact, 30-day queries)
 *   --compact-only     run only the compactor section (with --store-only: both sections, no querier one)
 *   --render FILE      run nothing: rewrite the markdown (--out, --history) from a saved results JSON
 */
import {execFile} from 'node:child_process'
import {readFile, mkdir, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs, promisify} from 'node:util'
import {Agent} from 'undici'
import {timedQuery} from './http-query.js'
import {killAll, pidAlive} from '../test/helpers/process.js'
import {peer, prometheus3} from '../test/helpers/peers.js'
import {cpuTimeMs, memoryOf, startCluster, type Cluster} from './cluster.js'
import {compareResponses, seriesCount, type ApiResponse} from './compare.js'
import {ensureDataset, FULL_DATASET, SMOKE_DATASET, type DatasetMeta} from './dataset.js'
import {QUERIES, queryForm, shapeOf, type BenchQuery} from './queries.js'
import {decideTargets, geomeans, renderConsole, rssRatios, TARGET_KEYS, TARGET_LABEL, writeMarkdown, type BenchResults, type ProcessMemory, type QueryResult, type StreamSummary, type TargetKey} from './results.js'
import {compactInput, renderCompactConsole, runCompactBench, type CompactBenchResults} from './compact-bench.js'
import {renderStoreConsole, runStoreBench, type StoreBenchResults} from './store-bench.js'
import {median} from './stats.js'
import {streamRemoteRead, streamSidecar, type StreamResult} from './throughput.js'

const execFileP = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Labels only the querier's answers carry: external labels (the replica one is removed by dedup). */
const EXTERNAL_LABELS = new Set(['cluster', 'replica'])

export interface BenchOptions {
  smoke: boolean
  reps: number
  warmups: number
  only?: RegExp
  out?: string
  json: string
  cacheDir: string
  history?: string
  cpuProf: boolean
  keep: boolean
  throughput: boolean
  throughputRuns: number
  store: boolean
  storeOnly: boolean
  compact: boolean
  compactOnly: boolean
  render?: string
  log: (s: string) => void
}

export function parseOptions(argv: string[]): BenchOptions {
  const {values} = parseArgs({
    args: argv,
    options: {
      smoke: {type: 'boolean', default: false},
      reps: {type: 'string'},
      warmups: {type: 'string'},
      only: {type: 'string'},
      out: {type: 'string'},
      json: {type: 'string'},
      'cache-dir': {type: 'string'},
      history: {type: 'string'},
      'cpu-prof': {type: 'boolean', default: false},
      keep: {type: 'boolean', default: false},
      'no-throughput': {type: 'boolean', default: false},
      'no-store': {type: 'boolean', default: false},
      'store-only': {type: 'boolean', default: false},
      'no-compact': {type: 'boolean', default: false},
      'compact-only': {type: 'boolean', default: false},
      render: {type: 'string'},
    },
    strict: true,
  })
  const smoke = values.smoke!
  const int = (s: string | undefined, d: number, name: string): number => {
    if (s === undefined) return d
    const n = Number(s)
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} wants a whole number, got ${s}`)
    return n
  }
  const cacheDir = path.resolve(values['cache-dir'] ?? path.join(ROOT, '.cache/bench'))
  return {
    smoke,
    reps: Math.max(1, int(values.reps, smoke ? 2 : 7, 'reps')),
    warmups: int(values.warmups, smoke ? 1 : 2, 'warmups'),
    only: values.only !== undefined ? new RegExp(values.only) : undefined,
    out: values.out !== undefined ? path.resolve(values.out) : smoke ? undefined : path.join(ROOT, 'docs/benchmarks.md'),
    json: path.resolve(values.json ?? path.join(cacheDir, smoke ? 'last-smoke-results.json' : 'last-results.json')),
    cacheDir,
    history: values.history,
    cpuProf: values['cpu-prof']!,
    keep: values.keep!,
    throughput: !values['no-throughput'],
    throughputRuns: smoke ? 1 : 3,
    store: !values['no-store'] || values['store-only']!,
    storeOnly: values['store-only']!,
    compact: !values['no-compact'] || values['compact-only']!,
    compactOnly: values['compact-only']!,
    render: values.render !== undefined ? path.resolve(values.render) : undefined,
    log: (s) => console.error(`[bench] ${s}`),
  }
}

async function machineInfo(): Promise<BenchResults['machine']> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '')
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU'
  const firstLine = (bin: string, what: string): Promise<string> =>
    execFileP(bin, ['--version']).then(
      (r) => (r.stdout || r.stderr).split('\n')[0]!.trim(),
      () => `${what}: unknown version`,
    )
  const prom = await firstLine(prometheus3().prometheus, 'prometheus')
  const thanos = await firstLine(peer('thanos').path, 'thanos')
  const git = (args: string[]): Promise<string> => execFileP('git', args, {cwd: ROOT}).then((r) => r.stdout.trim(), () => '')
  const commit = (await git(['rev-parse', '--short', 'HEAD'])) || 'unknown'
  // Benchmarks are often run on uncommitted work: say so (only the measured code counts).
  const dirty = (await git(['status', '--porcelain', '--', 'src', 'bin'])) !== ''
  return {cpu, cores: os.cpus().length, ramGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, prometheus: prom, thanos, commit: dirty ? `${commit}+dirty` : commit}
}

interface Target {
  key: TargetKey
  url: string
}

/** CPU time used so far by each of the cluster's processes, by name. */
async function cpuSnapshot(c: Cluster): Promise<Map<string, number>> {
  const procs = c.processes()
  const ms = await Promise.all(procs.map((p) => cpuTimeMs(p.pid)))
  return new Map(procs.map((p, i) => [p.name, ms[i]!]))
}

async function runQuery(dispatcher: Agent, c: Cluster, targets: Target[], q: BenchQuery, meta: DatasetMeta, o: BenchOptions): Promise<QueryResult> {
  const form = queryForm(q, meta.endMs)
  const last = new Map<Target['key'], ApiResponse>()
  for (let w = 0; w < Math.max(1, o.warmups); w++) {
    for (const t of targets) last.set(t.key, (await timedQuery(dispatcher, t, form)).res)
  }
  const times = Object.fromEntries(TARGET_KEYS.map((k) => [k, [] as number[]])) as QueryResult['times']
  // CPU each process spent while one target answered, summed over the repetitions (the
  // processes are otherwise idle, so the delta is that request's work, all threads).
  const cpu = Object.fromEntries(TARGET_KEYS.map((k) => [k, {} as Record<string, number>])) as QueryResult['cpuMs']
  for (let r = 0; r < o.reps; r++) {
    // Round-robin, starting with a different target each repetition: no target is always first.
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(r + k) % targets.length]!
      const before = await cpuSnapshot(c)
      const {ms, res} = await timedQuery(dispatcher, t, form)
      const after = await cpuSnapshot(c)
      for (const [name, v] of after) cpu[t.key][name] = (cpu[t.key][name] ?? 0) + (v - before.get(name)!) / o.reps
      times[t.key].push(res.status === 'success' ? ms : NaN)
      last.set(t.key, res)
    }
  }
  const ref = last.get('prom')!
  const diffs: QueryResult['diffs'] = {}
  for (const t of targets) {
    if (t.key === 'prom') continue
    const d = compareResponses(ref, last.get(t.key)!, EXTERNAL_LABELS)
    if (d !== undefined) diffs[t.key] = d
  }
  return {
    id: q.id,
    expr: q.expr,
    shape: shapeOf(q),
    series: seriesCount(ref),
    times,
    ms: Object.fromEntries(TARGET_KEYS.map((k) => [k, median(times[k])])) as QueryResult['ms'],
    cpuMs: cpu,
    diffs,
  }
}

interface CpuRun extends StreamResult {
  /** CPU ms during the run: this (client) process, the sidecar streamed through, Prometheus replica 0. */
  cpu: {client: number; sidecar: number; prometheus: number}
}

function summarize(runs: CpuRun[]): StreamSummary {
  const ms = median(runs.map((r) => r.ms))
  const samples = runs[0]?.samples ?? 0
  const mean = (f: (r: CpuRun) => number): number => runs.reduce((a, r) => a + f(r), 0) / runs.length
  return {
    samplesPerSec: (samples / ms) * 1000,
    samples,
    series: runs[0]?.series ?? 0,
    runsMs: runs.map((r) => r.ms),
    cpuMs: {client: mean((r) => r.cpu.client), sidecar: mean((r) => r.cpu.sidecar), prometheus: mean((r) => r.cpu.prometheus)},
  }
}

async function withCpu(c: Cluster, sidecarPid: number, run: () => Promise<StreamResult>): Promise<CpuRun> {
  const pids = [sidecarPid, c.proms[0]!.pid()]
  const before = await Promise.all(pids.map(cpuTimeMs))
  const self = process.cpuUsage()
  const r = await run()
  const selfD = process.cpuUsage(self)
  const after = await Promise.all(pids.map(cpuTimeMs))
  return {...r, cpu: {client: (selfD.user + selfD.system) / 1000, sidecar: after[0]! - before[0]!, prometheus: after[1]! - before[1]!}}
}

async function measureThroughput(c: Cluster, meta: DatasetMeta, o: BenchOptions): Promise<NonNullable<BenchResults['throughput']>> {
  const sidecar: CpuRun[] = []
  const thanos: CpuRun[] = []
  const remote: CpuRun[] = []
  // The whole data set, with room for the scrape offset after the last slot.
  const minTime = meta.startMs
  const maxTime = meta.endMs + 60_000
  // Once unmeasured each, so both start with warm page cache and connections.
  await streamRemoteRead(c.proms[0]!.url, minTime, maxTime)
  await streamSidecar(c.sidecars[0]!.grpcAddress, minTime, maxTime)
  await streamSidecar(c.thanosSidecars[0]!.grpcAddress, minTime, maxTime)
  for (let i = 0; i < o.throughputRuns; i++) {
    remote.push(await withCpu(c, c.sidecars[0]!.proc.pid, () => streamRemoteRead(c.proms[0]!.url, minTime, maxTime)))
    sidecar.push(await withCpu(c, c.sidecars[0]!.proc.pid, () => streamSidecar(c.sidecars[0]!.grpcAddress, minTime, maxTime)))
    thanos.push(await withCpu(c, c.thanosSidecars[0]!.proc.pid(), () => streamSidecar(c.thanosSidecars[0]!.grpcAddress, minTime, maxTime)))
    o.log(`throughput run ${i + 1}: remote read ${remote[i]!.samples} samples in ${remote[i]!.ms.toFixed(0)} ms, thanosts sidecar ${sidecar[i]!.samples} in ${sidecar[i]!.ms.toFixed(0)} ms, thanos sidecar ${thanos[i]!.samples} in ${thanos[i]!.ms.toFixed(0)} ms`)
  }
  const s = summarize(sidecar)
  const t = summarize(thanos)
  const r = summarize(remote)
  const same = (x: StreamSummary): boolean => x.samples === r.samples && x.series === r.series
  return {sidecar: s, thanosSidecar: t, remoteRead: r, ratio: s.samplesPerSec / r.samplesPerSec, thanosRatio: t.samplesPerSec / r.samplesPerSec, samplesMatch: same(s) && same(t)}
}

async function peaks(c: Cluster): Promise<Map<string, number>> {
  const m = new Map<string, number>()
  for (const p of c.processes()) m.set(p.name, (await memoryOf(p.pid))?.peakRss ?? NaN)
  return m
}

let running: Cluster | undefined

/** The results of a --store-only run: the querier comparison's fields empty. */
function emptyResults(o: BenchOptions, machine: BenchResults['machine'], meta: DatasetMeta): BenchResults {
  return {
    version: 2,
    date: new Date().toISOString(),
    smoke: o.smoke,
    machine,
    dataset: {hash: meta.hash, series: meta.series, samples: meta.samples, startMs: meta.startMs, endMs: meta.endMs, hours: meta.params.hours, scrapeIntervalMs: meta.params.scrapeIntervalMs},
    warmups: o.warmups,
    reps: o.reps,
    queries: [],
    geomean: geomeans([]),
    memory: [],
    rssRatio: rssRatios(new Map()),
    targets: [],
    processes: [],
  }
}

/** Runs the whole benchmark; resolves with the results (processes stopped unless --keep). */
export async function runBench(o: BenchOptions): Promise<BenchResults> {
  const queries = QUERIES.filter((q) => !o.only || o.only.test(q.id))
  if (queries.length === 0) throw new Error(`--only ${o.only}: no query id matches (ids: ${QUERIES.map((q) => q.id).join(', ')})`)
  const compactBench = (): Promise<CompactBenchResults> => runCompactBench({smoke: o.smoke, cacheDir: o.cacheDir, runs: o.smoke ? 1 : 2, reps: o.reps, warmups: o.warmups, log: o.log})
  if (o.compactOnly && !o.storeOnly) return {...emptyResults(o, await machineInfo(), await compactInput({...o})), compact: await compactBench()}
  const meta = await ensureDataset(o.cacheDir, o.smoke ? SMOKE_DATASET : FULL_DATASET, o.log)
  o.log(`data set ${meta.hash}: ${meta.series} series, ${meta.samples} samples, ${new Date(meta.startMs).toISOString()} to ${new Date(meta.endMs).toISOString()}`)
  let cpuProfDir: string | undefined
  if (o.cpuProf) {
    cpuProfDir = path.join(o.cacheDir, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'))
    await mkdir(cpuProfDir, {recursive: true})
  }
  const machine = await machineInfo()
  const storeBench = (): Promise<StoreBenchResults> => runStoreBench(meta, {reps: o.reps, warmups: o.warmups, streamRuns: o.throughputRuns, cpuProfDir, log: o.log})
  if (o.storeOnly) return {...emptyResults(o, machine, meta), store: await storeBench(), ...(o.compactOnly ? {compact: await compactBench()} : {}), cpuProfDir}
  const c = await startCluster({blocksDir: meta.blocksDir, cpuProfDir, log: o.log})
  running = c
  const dispatcher = new Agent({keepAliveTimeout: 60_000, headersTimeout: 900_000, bodyTimeout: 900_000})
  try {
    const targets: Target[] = [
      {key: 'prom', url: c.proms[0]!.url},
      {key: 'q1', url: c.q1.httpUrl},
      {key: 'q2', url: c.q2.httpUrl},
      {key: 't1', url: c.t1.httpUrl},
      {key: 't2', url: c.t2.httpUrl},
    ]
    const results: QueryResult[] = []
    for (const q of queries) {
      const r = await runQuery(dispatcher, c, targets, q, meta, o)
      results.push(r)
      const bad = Object.entries(r.diffs)
        .map(([k, d]) => `${TARGET_LABEL[k as TargetKey]} ✗ ${d}`)
        .join('; ')
      const ratios = (['q1', 'q2', 't1', 't2'] as const).map((k) => `${TARGET_LABEL[k]} ${(r.ms[k] / r.ms.prom).toFixed(2)}×`).join(', ')
      o.log(`${q.id}: P ${r.ms.prom.toFixed(1)} ms, ${ratios}, ${r.series} series${bad ? ` — ${bad}` : ''}`)
    }
    const afterQueries = await peaks(c)
    const throughput = o.throughput ? await measureThroughput(c, meta, o) : undefined
    const atEnd = await peaks(c)
    // Linux reports VmHWM as max(the recorded high-water mark, current RSS), and records the
    // mark only now and then (per-thread RSS counters are folded in lazily): a later read can
    // come out a little lower than an earlier one. The peak so far is the max of both reads.
    const memory: ProcessMemory[] = c.processes().map((p) => {
      const early = afterQueries.get(p.name) ?? NaN
      return {name: p.name, pid: p.pid, peakAfterQueries: early, peakEnd: Math.max(early, atEnd.get(p.name) ?? NaN)}
    })
    const geo = geomeans(results)
    const rssRatio = rssRatios(afterQueries)
    // After the cluster's phases, alone on the machine with the store processes (the cluster stays up, idle).
    const store = o.store ? await storeBench() : undefined
    const compact = o.compact ? await compactBench() : undefined
    const res: BenchResults = {
      version: 2,
      date: new Date().toISOString(),
      smoke: o.smoke,
      machine,
      dataset: {hash: meta.hash, series: meta.series, samples: meta.samples, startMs: meta.startMs, endMs: meta.endMs, hours: meta.params.hours, scrapeIntervalMs: meta.params.scrapeIntervalMs},
      warmups: o.warmups,
      reps: o.reps,
      queries: results,
      geomean: geo,
      throughput,
      memory,
      rssRatio,
      targets: decideTargets({queries: results, geomean: geo, throughput, rssRatio}),
      processes: c.processes(),
      ...(store ? {store} : {}),
      ...(compact ? {compact} : {}),
      cpuProfDir,
    }
    return res
  } finally {
    await dispatcher.close()
    if (!o.keep) {
      o.log('stopping all processes')
      await c.stop()
      running = undefined
      if (cpuProfDir) o.log(`CPU profiles in ${cpuProfDir}`)
    }
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2))
  if (o.render) {
    const res = JSON.parse(await readFile(o.render, 'utf8')) as BenchResults
    if (res.version !== 2) throw new Error(`${o.render}: results version ${String(res.version)}, this renderer reads version 2 (with the Thanos targets)`)
    if (!o.out) throw new Error('--render needs --out (or no --smoke)')
    await writeMarkdown(o.out, res, o.history)
    o.log(`markdown: ${o.out} (from ${o.render})`)
    return
  }
  let stopping = false
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopping) {
      killAll()
      process.exit(130)
    }
    stopping = true
    o.log(`${sig}: stopping all processes`)
    void (running ? running.stop() : Promise.resolve()).finally(() => {
      killAll()
      process.exit(130)
    })
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const res = await runBench(o)
  const querier = !o.storeOnly && !o.compactOnly
  if (querier) console.log(renderConsole(res))
  if (res.store) console.log(renderStoreConsole(res.store))
  if (res.compact) console.log(renderCompactConsole(res.compact))
  await mkdir(path.dirname(o.json), {recursive: true})
  await writeFile(o.json, JSON.stringify(res, null, 2))
  o.log(`results: ${o.json}`)
  if (o.out) {
    await writeMarkdown(o.out, res, querier ? o.history : undefined, {querierSection: querier})
    o.log(`markdown: ${o.out}`)
  }
  if (o.keep && running) {
    const c = running
    console.log('\nStill running (Ctrl-C stops everything):')
    c.proms.forEach((p, i) => console.log(`  prometheus-${i}  ${p.url}  pid ${p.pid()}`))
    for (const s of c.sidecars) console.log(`  ${s.name}  grpc ${s.grpcAddress}  http ${s.httpUrl}  pid ${s.proc.pid}`)
    for (const q of [c.q1, c.q2]) console.log(`  ${q.name}  ${q.httpUrl}  pid ${q.proc.pid}`)
    for (const t of [...c.thanosSidecars, c.t1, c.t2]) console.log(`  ${t.name}  grpc ${t.grpcAddress}  http ${t.httpUrl}  pid ${t.proc.pid()}`)
    if (res.cpuProfDir) console.log(`  CPU profiles will be written to ${res.cpuProfDir} on Ctrl-C`)
    await new Promise(() => {})
  }
  const left = [...res.processes, ...(res.store?.processes ?? []), ...(res.compact?.processes ?? [])].filter((p) => pidAlive(p.pid))
  if (left.length > 0) o.log(`still alive after stop: ${left.map((p) => `${p.name} ${p.pid}`).join(', ')}`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((e: unknown) => {
    console.error(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    void (running ? running.stop() : Promise.resolve()).finally(() => {
      killAll()
      process.exit(1)
    })
  })
}
