/**
 * The benchmark's data set: node-exporter-like and HTTP-service-like series, deterministic
 * (seeded PRNG, no Math.random), written as OpenMetrics text and turned into TSDB blocks by
 * `promtool tsdb create-blocks-from openmetrics` once, then cached under
 * `<cacheDir>/<hash of the parameters>/blocks` with a meta.json that records the data's end.
 *
 * Realism that matters for the numbers: scrape timestamps sit a few seconds off the minute
 * with a few ms of jitter (as a real scrape loop; this also keeps samples off the window
 * boundaries where Prometheus 2 (left-closed) and 3 (left-open) differ), counters reset when an
 * instance restarts, histogram buckets are cumulative and consistent with _count and _sum.
 */
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {closeSync, openSync, writeSync} from 'node:fs'
import {mkdir, readdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'
import {readMeta} from '../src/core/block/meta.js'
import {FilesystemBucket} from '../src/core/objstore/filesystem.js'
import {PROMTOOL_BIN} from '../test/helpers/prometheus.js'
import {mergeNativeHistograms, nativeHistogramSeries, type NativeSeries} from './native-histograms.js'

const execFileP = promisify(execFile)

/** Bump when the generator's output changes, so old caches are not reused. */
const GENERATOR_VERSION = 5

export interface DatasetParams {
  /** node-exporter targets */
  nodes: number
  cpusPerNode: number
  /** HTTP service instances per job (jobs: api, web) */
  httpInstancesPerJob: number
  hours: number
  scrapeIntervalMs: number
  seed: number
}

/**
 * 25 h: the queries look at the last 24 h, and the hour before fills their first windows
 * (a 24 h range query's first [5m] window, increase(...[24h]) at "now"), so no series seems to
 * start inside a window. That is also where Prometheus 2.42, our reference, extrapolates rate()
 * differently from Prometheus 3 (prometheus/prometheus#13725), which thanosts follows.
 */
export const FULL_DATASET: DatasetParams = {nodes: 32, cpusPerNode: 4, httpInstancesPerJob: 4, hours: 25, scrapeIntervalMs: 15_000, seed: 20261125}
/** The same shapes, a handful of series (CI smoke test). */
export const SMOKE_DATASET: DatasetParams = {nodes: 1, cpusPerNode: 1, httpInstancesPerJob: 1, hours: 25, scrapeIntervalMs: 15_000, seed: 20261125}

export interface DatasetMeta {
  params: DatasetParams
  hash: string
  /** First and last scrape slot (ms); samples sit OFFSET_MS (+ jitter) after each slot. */
  startMs: number
  endMs: number
  series: number
  samples: number
  generatedAt: string
  blocksDir: string
}

/** Scrapes land this far after the slot, plus up to ±JITTER_MS. */
const OFFSET_MS = 3_217
const JITTER_MS = 4

/** mulberry32: small, fast, good enough for synthetic data. */
export class Prng {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** Roughly normal (Irwin-Hall of 4). */
  normal(): number {
    return (this.next() + this.next() + this.next() + this.next() - 2) * 1.7320508
  }
}

function seedOf(base: number, key: string): number {
  const h = createHash('sha1').update(`${base}/${key}`).digest()
  return h.readUInt32LE(0)
}

/** Buffered OpenMetrics writer: families must be contiguous, timestamps in seconds. */
class OmWriter {
  private buf: string[] = []
  private size = 0
  series = 0
  samples = 0
  constructor(private readonly fd: number) {}
  line(s: string): void {
    this.buf.push(s)
    this.size += s.length + 1
    if (this.size > 1 << 20) this.flush()
  }
  family(name: string, type: 'counter' | 'gauge' | 'histogram'): void {
    this.line(`# TYPE ${name} ${type}`)
  }
  write(head: string, ts: Float64Array, vs: ArrayLike<number>): void {
    this.series++
    for (let i = 0; i < ts.length; i++) {
      const v = vs[i]!
      this.line(`${head} ${v === Infinity ? '+Inf' : String(v)} ${(ts[i]! / 1000).toFixed(3)}`)
    }
    this.samples += ts.length
  }
  flush(): void {
    if (this.buf.length === 0) return
    writeSync(this.fd, this.buf.join('\n') + '\n')
    this.buf = []
    this.size = 0
  }
}

function head(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits

interface Ctx {
  p: DatasetParams
  n: number
  startMs: number
  /** Scrape timestamps per target (each target has its own jitter). */
  timestamps(target: string): Float64Array
  /** Slot index at which the target restarts (counters reset), or -1. */
  restartAt(target: string): number
  /** Daily cycle in [-1, 1], peaking mid-afternoon UTC. */
  daily(i: number): number
}

function makeCtx(p: DatasetParams, startMs: number): Ctx {
  const n = Math.round((p.hours * 3_600_000) / p.scrapeIntervalMs)
  const tsCache = new Map<string, Float64Array>()
  return {
    p,
    n,
    startMs,
    timestamps(target) {
      let ts = tsCache.get(target)
      if (!ts) {
        const r = new Prng(seedOf(p.seed, `ts/${target}`))
        ts = new Float64Array(n)
        for (let i = 0; i < n; i++) ts[i] = startMs + i * p.scrapeIntervalMs + OFFSET_MS + Math.round((r.next() * 2 - 1) * JITTER_MS)
        tsCache.set(target, ts)
      }
      return ts
    },
    restartAt(target) {
      const r = new Prng(seedOf(p.seed, `restart/${target}`))
      return r.next() < 0.4 ? Math.floor(n * (0.1 + 0.8 * r.next())) : -1
    },
    daily(i) {
      const t = startMs + i * p.scrapeIntervalMs
      return Math.sin(((t / 3_600_000 - 9) / 24) * 2 * Math.PI)
    },
  }
}

const CPU_MODES = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'] as const
const MOUNTS = [
  {mountpoint: '/', device: '/dev/sda1'},
  {mountpoint: '/var', device: '/dev/sda2'},
  {mountpoint: '/home', device: '/dev/sdb1'},
]
const HTTP_JOBS = [
  {job: 'api', handlers: [{handler: '/api/v1/users', method: 'GET', rps: 40, lat: 0.03}, {handler: '/api/v1/orders', method: 'POST', rps: 8, lat: 0.12}, {handler: '/api/v1/search', method: 'GET', rps: 15, lat: 0.4}]},
  {job: 'web', handlers: [{handler: '/', method: 'GET', rps: 60, lat: 0.02}, {handler: '/static', method: 'GET', rps: 120, lat: 0.005}, {handler: '/checkout', method: 'POST', rps: 3, lat: 0.6}]},
]
const CODES = [
  {code: '200', share: 0.965},
  {code: '404', share: 0.025},
  {code: '500', share: 0.01},
]
const LES = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

const nodeName = (k: number): string => `node-${String(k).padStart(2, '0')}:9100`
const httpInstances = (p: DatasetParams, job: string): string[] => Array.from({length: p.httpInstancesPerJob}, (_, k) => `${job}-${k}:8080`)

function genNode(w: OmWriter, c: Ctx): void {
  const {p, n} = c
  // node_cpu_seconds_total: per CPU, 15 s per scrape split among modes.
  w.family('node_cpu_seconds', 'counter')
  for (let k = 0; k < p.nodes; k++) {
    const inst = nodeName(k)
    const ts = c.timestamps(inst)
    const restart = c.restartAt(inst)
    for (let cpu = 0; cpu < p.cpusPerNode; cpu++) {
      const r = new Prng(seedOf(p.seed, `cpu/${inst}/${cpu}`))
      const load = 0.1 + 0.5 * r.next()
      const acc = CPU_MODES.map(() => 1000 + r.next() * 1e5)
      const out = CPU_MODES.map(() => new Float64Array(n))
      for (let i = 0; i < n; i++) {
        if (i === restart) acc.fill(0)
        const busy = Math.min(0.98, Math.max(0.01, load * (1 + 0.5 * c.daily(i)) + 0.05 * r.normal()))
        const shares = [1 - busy, busy * 0.04, busy * 0.01, busy * 0.02, busy * 0.03, busy * 0.005, busy * 0.3, busy * 0.595]
        for (let m = 0; m < CPU_MODES.length; m++) {
          acc[m]! += (p.scrapeIntervalMs / 1000) * shares[m]!
          out[m]![i] = round(acc[m]!, 2)
        }
      }
      for (let m = 0; m < CPU_MODES.length; m++) w.write(head('node_cpu_seconds_total', {cpu: String(cpu), instance: inst, job: 'node', mode: CPU_MODES[m]!}), ts, out[m]!)
    }
  }
  const totals = Array.from({length: p.nodes}, (_, k) => (k % 3 === 0 ? 64 : k % 3 === 1 ? 32 : 16) * 2 ** 30)
  w.family('node_memory_MemTotal_bytes', 'gauge')
  for (let k = 0; k < p.nodes; k++) {
    const inst = nodeName(k)
    w.write(head('node_memory_MemTotal_bytes', {instance: inst, job: 'node'}), c.timestamps(inst), new Float64Array(n).fill(totals[k]!))
  }
  w.family('node_memory_MemAvailable_bytes', 'gauge')
  for (let k = 0; k < p.nodes; k++) {
    const inst = nodeName(k)
    const r = new Prng(seedOf(p.seed, `mem/${inst}`))
    const vs = new Float64Array(n)
    let walk = 0
    for (let i = 0; i < n; i++) {
      walk = Math.max(-0.15, Math.min(0.15, walk + 0.003 * r.normal()))
      vs[i] = Math.floor((totals[k]! * (0.45 - 0.15 * c.daily(i) + walk)) / 4096) * 4096
    }
    w.write(head('node_memory_MemAvailable_bytes', {instance: inst, job: 'node'}), c.timestamps(inst), vs)
  }
  for (const dir of ['receive', 'transmit']) {
    w.family(`node_network_${dir}_bytes`, 'counter')
    for (let k = 0; k < p.nodes; k++) {
      const inst = nodeName(k)
      const restart = c.restartAt(inst)
      for (const device of ['eth0', 'lo']) {
        const r = new Prng(seedOf(p.seed, `net/${dir}/${inst}/${device}`))
        const base = device === 'lo' ? 2e4 : 2e6 + 3e7 * r.next()
        const vs = new Float64Array(n)
        let acc = Math.floor(r.next() * 1e12)
        for (let i = 0; i < n; i++) {
          if (i === restart) acc = 0
          acc += Math.max(0, Math.round(base * (1 + 0.6 * c.daily(i) + 0.2 * r.normal()) * (p.scrapeIntervalMs / 1000)))
          vs[i] = acc
        }
        w.write(head(`node_network_${dir}_bytes_total`, {device, instance: inst, job: 'node'}), c.timestamps(inst), vs)
      }
    }
  }
  const sizes = (k: number, m: number): number => [100, 400, 2000][m]! * 2 ** 30 * (1 + (k % 4))
  w.family('node_filesystem_size_bytes', 'gauge')
  for (let k = 0; k < p.nodes; k++) {
    const inst = nodeName(k)
    MOUNTS.forEach((mt, m) => w.write(head('node_filesystem_size_bytes', {...mt, fstype: 'ext4', instance: inst, job: 'node'}), c.timestamps(inst), new Float64Array(n).fill(sizes(k, m))))
  }
  w.family('node_filesystem_avail_bytes', 'gauge')
  for (let k = 0; k < p.nodes; k++) {
    const inst = nodeName(k)
    MOUNTS.forEach((mt, m) => {
      const r = new Prng(seedOf(p.seed, `fs/${inst}/${m}`))
      const size = sizes(k, m)
      let avail = size * (0.2 + 0.7 * r.next())
      const vs = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        // Slowly fills up; a cleanup now and then frees space.
        avail -= Math.max(0, 4096 * Math.round(2000 * r.next()))
        if (r.next() < 0.0005 || avail < size * 0.05) avail = size * (0.3 + 0.5 * r.next())
        vs[i] = Math.floor(avail / 4096) * 4096
      }
      w.write(head('node_filesystem_avail_bytes', {...mt, fstype: 'ext4', instance: inst, job: 'node'}), c.timestamps(inst), vs)
    })
  }
  w.family('node_load1', 'gauge')
  for (let k = 0; k < p.nodes; k++) {
    const inst = nodeName(k)
    const r = new Prng(seedOf(p.seed, `load/${inst}`))
    const base = p.cpusPerNode * (0.2 + 0.6 * r.next())
    const vs = new Float64Array(n)
    for (let i = 0; i < n; i++) vs[i] = round(Math.max(0, base * (1 + 0.5 * c.daily(i)) + 0.3 * r.normal()), 2)
    w.write(head('node_load1', {instance: inst, job: 'node'}), c.timestamps(inst), vs)
  }
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * z)
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z)
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf)
}

function genHttp(w: OmWriter, c: Ctx): void {
  const {p, n} = c
  const dt = p.scrapeIntervalMs / 1000
  // Per (instance, handler): requests per scrape, shared by the counters and the histogram.
  interface Traffic {
    job: string
    inst: string
    handler: string
    method: string
    lat: number
    perScrape: Float64Array
    restart: number
  }
  const traffic: Traffic[] = []
  for (const j of HTTP_JOBS) {
    for (const inst of httpInstances(p, j.job)) {
      for (const h of j.handlers) {
        const r = new Prng(seedOf(p.seed, `http/${inst}/${h.handler}`))
        const per = new Float64Array(n)
        for (let i = 0; i < n; i++) per[i] = Math.max(0, Math.round(h.rps * dt * (1 + 0.6 * c.daily(i)) * (1 + 0.15 * r.normal())))
        traffic.push({job: j.job, inst, handler: h.handler, method: h.method, lat: h.lat, perScrape: per, restart: c.restartAt(inst)})
      }
    }
  }
  w.family('http_requests', 'counter')
  for (const t of traffic) {
    const r = new Prng(seedOf(p.seed, `codes/${t.inst}/${t.handler}`))
    const acc = CODES.map(() => 0)
    const out = CODES.map(() => new Float64Array(n))
    // An error burst now and then: 5xx share goes up for a while.
    let burst = 0
    for (let i = 0; i < n; i++) {
      if (i === t.restart) acc.fill(0)
      if (burst > 0) burst--
      else if (r.next() < 0.002) burst = 20 + Math.floor(r.next() * 100)
      const err = burst > 0 ? 0.2 : CODES[2]!.share
      const req = t.perScrape[i]!
      const e5 = Math.round(req * err * (0.5 + r.next()))
      const e4 = Math.min(req - e5, Math.round(req * CODES[1]!.share * (0.5 + r.next())))
      acc[2]! += e5
      acc[1]! += e4
      acc[0]! += req - e4 - e5
      for (let k = 0; k < CODES.length; k++) out[k]![i] = acc[k]!
    }
    CODES.forEach((cd, k) => w.write(head('http_requests_total', {code: cd.code, handler: t.handler, instance: t.inst, job: t.job, method: t.method}), c.timestamps(t.inst), out[k]!))
  }
  // Classic histogram: latency roughly log-normal around the handler's typical latency.
  w.family('http_request_duration_seconds', 'histogram')
  for (const t of traffic) {
    const r = new Prng(seedOf(p.seed, `lat/${t.inst}/${t.handler}`))
    const buckets = LES.map(() => new Float64Array(n))
    const inf = new Float64Array(n)
    const sum = new Float64Array(n)
    const acc = new Float64Array(LES.length + 1)
    let accSum = 0
    const sigma = 0.8
    for (let i = 0; i < n; i++) {
      if (i === t.restart) {
        acc.fill(0)
        accSum = 0
      }
      const req = t.perScrape[i]!
      // Slower when busy.
      const mu = Math.log(t.lat * (1 + 0.3 * c.daily(i) + 0.1 * r.normal()))
      for (let b = 0; b < LES.length; b++) acc[b]! += Math.round(req * phi((Math.log(LES[b]!) - mu) / sigma))
      acc[LES.length]! += req
      accSum += req * Math.exp(mu + (sigma * sigma) / 2)
      for (let b = 0; b < LES.length; b++) buckets[b]![i] = acc[b]!
      inf[i] = acc[LES.length]!
      sum[i] = round(accSum, 6)
    }
    const ls = {handler: t.handler, instance: t.inst, job: t.job, method: t.method}
    const ts = c.timestamps(t.inst)
    LES.forEach((le, b) => w.write(head('http_request_duration_seconds_bucket', {...ls, le: String(le)}), ts, buckets[b]!))
    w.write(head('http_request_duration_seconds_bucket', {...ls, le: '+Inf'}), ts, inf)
    w.write(head('http_request_duration_seconds_sum', ls), ts, sum)
    w.write(head('http_request_duration_seconds_count', ls), ts, inf)
  }
  w.family('process_resident_memory_bytes', 'gauge')
  for (const j of HTTP_JOBS) {
    for (const inst of httpInstances(p, j.job)) {
      const r = new Prng(seedOf(p.seed, `rss/${inst}`))
      const restart = c.restartAt(inst)
      const vs = new Float64Array(n)
      let heap = 2e8
      for (let i = 0; i < n; i++) {
        // Grows until a GC (or a restart) brings it down: a sawtooth.
        heap += 1e5 * (1 + r.next())
        if (r.next() < 0.01 || i === restart) heap = 1.5e8 + 5e7 * r.next()
        vs[i] = Math.floor(heap / 4096) * 4096
      }
      w.write(head('process_resident_memory_bytes', {instance: inst, job: j.job}), c.timestamps(inst), vs)
    }
  }
  w.family('app_build_info', 'gauge')
  for (const j of HTTP_JOBS) {
    httpInstances(p, j.job).forEach((inst, k) => {
      w.write(head('app_build_info', {goversion: 'go1.21.5', instance: inst, job: j.job, version: k % 2 === 0 ? '2.3.1' : '2.4.0'}), c.timestamps(inst), new Float64Array(n).fill(1))
    })
  }
}

export function datasetHash(p: DatasetParams): string {
  return createHash('sha256').update(JSON.stringify({v: GENERATOR_VERSION, ...p})).digest('hex').slice(0, 16)
}

/** Writes the OpenMetrics file; returns its series and sample counts. */
export function writeOpenMetrics(file: string, p: DatasetParams, endMs: number): {series: number; samples: number; startMs: number} {
  const startMs = endMs - p.hours * 3_600_000
  const fd = openSync(file, 'w')
  try {
    const w = new OmWriter(fd)
    const c = makeCtx(p, startMs)
    genNode(w, c)
    genHttp(w, c)
    w.line('# EOF')
    w.flush()
    return {series: w.series, samples: w.samples, startMs}
  } finally {
    closeSync(fd)
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  )
}

/** The native histogram series of the data set (native-histograms.ts), on its scrape slots. */
export function nativeSeriesOf(p: DatasetParams, endMs: number): NativeSeries[] {
  const c = makeCtx(p, endMs - p.hours * 3_600_000)
  return nativeHistogramSeries({seed: (k) => seedOf(p.seed, k), timestamps: c.timestamps, daily: c.daily, n: c.n, scrapeIntervalMs: p.scrapeIntervalMs, random: (s) => new Prng(s)})
}

/**
 * The cached blocks for `p`, generating them first when missing. The data ends at the last
 * full hour before the first generation; later runs reuse it (queries evaluate at its end).
 */
export async function ensureDataset(cacheDir: string, p: DatasetParams, log: (s: string) => void = () => {}): Promise<DatasetMeta> {
  const hash = datasetHash(p)
  const dir = path.join(cacheDir, hash)
  const metaFile = path.join(dir, 'meta.json')
  if (await exists(metaFile)) {
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as DatasetMeta
    // The cache may have moved since it was written.
    return {...meta, blocksDir: path.join(dir, 'blocks')}
  }
  await rm(dir, {recursive: true, force: true})
  const tmp = `${dir}.tmp-${process.pid}`
  await rm(tmp, {recursive: true, force: true})
  await mkdir(tmp, {recursive: true})
  try {
    const endMs = Math.floor(Date.now() / 3_600_000) * 3_600_000
    const om = path.join(tmp, 'data.om')
    const t0 = performance.now()
    const {series, samples, startMs} = writeOpenMetrics(om, p, endMs)
    log(`data set ${hash}: wrote ${series} series, ${samples} samples as OpenMetrics in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    const t1 = performance.now()
    try {
      // 24h blocks: one pass over the file per block, and blocks as a compacted TSDB has them.
      await execFileP(PROMTOOL_BIN, ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=24h', '--quiet', om, path.join(tmp, 'blocks')], {maxBuffer: 16 << 20})
    } catch (e) {
      const err = e as {stderr?: string; stdout?: string; message: string}
      throw new Error(`promtool backfill failed: ${err.stderr || err.stdout || err.message}`)
    }
    log(`data set ${hash}: promtool made blocks in ${((performance.now() - t1) / 1000).toFixed(1)} s`)
    await rm(om)
    // Native histograms: promtool cannot backfill them, our block writer merges them in.
    const t2 = performance.now()
    const blocksDir = path.join(tmp, 'blocks')
    const bucket = new FilesystemBucket({directory: blocksDir})
    const metas = await Promise.all((await readdir(blocksDir)).map((id) => readMeta(bucket, id)))
    const native = nativeSeriesOf(p, endMs)
    const nativeSamples = await mergeNativeHistograms(blocksDir, path.join(tmp, 'native'), metas, native)
    await rm(path.join(tmp, 'native'), {recursive: true, force: true})
    log(`data set ${hash}: merged ${native.length} native histogram series in ${((performance.now() - t2) / 1000).toFixed(1)} s`)
    const meta: DatasetMeta = {params: p, hash, startMs, endMs, series: series + native.length, samples: samples + nativeSamples, generatedAt: new Date().toISOString(), blocksDir: path.join(dir, 'blocks')}
    await writeFile(path.join(tmp, 'meta.json'), JSON.stringify(meta, null, 2))
    await rename(tmp, dir)
    return meta
  } catch (e) {
    await rm(tmp, {recursive: true, force: true})
    throw e
  }
}
