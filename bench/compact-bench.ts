/**
 * The "compact" section of `npm run bench`: `thanosts compact` against the real `thanos compact`,
 * and long-range queries over raw and downsampled data through `thanosts store` + `thanosts
 * query` against `thanos store` + `thanos query`.
 *
 * 1. Compaction: the benchmark's generator (bench/dataset.ts) over 50 h from a 2d-aligned start,
 *    cut into one OpenMetrics file per 2h window so that promtool makes one 2h block from each
 *    (promtool re-reads its whole input once per block: one file with 25 windows would cost 25
 *    passes; a marker series puts a sample at both ends of each window so each block spans its
 *    whole 2h, as head blocks do), uploaded by `thanos tools bucket upload-blocks` into a
 *    FILESYSTEM bucket. Each run compacts a fresh copy once (no --wait): 2h → 8h → one 2d block
 *    (the newest 2h block stays, as both planners leave the most recent block alone), first with
 *    --downsampling.disable,
 *    then with downsampling on (the 2d block also gets its 5m copy). Wall time; CPU time of the
 *    child from this process's cutime/cstime once it is reaped (exact, every thread);
 *    peak RSS as VmHWM of the child read from /proc every 50 ms while it runs (the last read
 *    before exit: a peak in the final 50 ms can be missed). Both buckets must end with the same
 *    live blocks (resolution, range, level, sources), else the difference is reported.
 * 2. Range queries over 30 days: a few gauges and counters at 60 s, promtool blocks (18h, its
 *    largest range ≤ 48h), compacted (to 14d) and downsampled (5m, then 1h) by the real `thanos compact` once, so both
 *    sides read the same bucket; step 1h over the 30 days at max_source_resolution=0s (raw) and
 *    =1h (1h blocks where there are, 5m and raw for the rest). Medians of the warm repetitions,
 *    sides interleaved, and whether the answers agree (compare.ts).
 */
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {closeSync, createReadStream, createWriteStream, openSync, writeSync, type WriteStream} from 'node:fs'
import {cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import os, {tmpdir} from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {Agent} from 'undici'
import {peer} from '../test/helpers/peers.js'
import {freePort} from '../test/helpers/ports.js'
import {PROMTOOL_BIN} from '../test/helpers/prometheus.js'
import {startProcess} from '../test/helpers/process.js'
import {cpuTimeMs, memoryOf, startNode, startThanos, waitStores, type NodeComponent, type ThanosComponent} from './cluster.js'
import {compareResponses, seriesCount, type ApiResponse} from './compare.js'
import {datasetHash, Prng, writeOpenMetrics, type DatasetMeta, type DatasetParams} from './dataset.js'
import {timedQuery} from './http-query.js'
import {geomean, median} from './stats.js'

const execFileP = promisify(execFile)
const RUN_JS = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const HOUR = 3_600_000
const DAY = 24 * HOUR
/** Bump when the inputs made here change, so old caches are not reused. */
const INPUT_VERSION = 1
const COMPACT_INPUT_VERSION = 2

/** 2026-01-01T00:00Z rounded down to 14 days since the epoch: aligned to 2h, 8h, 2d and 14d. */
export const T0 = Math.floor(Date.UTC(2026, 0, 1) / (14 * DAY)) * 14 * DAY

/** ~500 series × 50 h at 15 s: 8h blocks, one 2d block, its 5m copy. */
export const COMPACT_DATASET: DatasetParams = {nodes: 9, cpusPerNode: 4, httpInstancesPerJob: 1, hours: 50, scrapeIntervalMs: 15_000, seed: 20261202}
export const COMPACT_SMOKE_DATASET: DatasetParams = {nodes: 1, cpusPerNode: 1, httpInstancesPerJob: 1, hours: 50, scrapeIntervalMs: 60_000, seed: 20261202}

export interface RangeParams {
  /** Gauges `bench_gauge` and counters `bench_requests_total`, this many of each. */
  seriesPerMetric: number
  days: number
  scrapeIntervalMs: number
  seed: number
}
export const RANGE_DATASET: RangeParams = {seriesPerMetric: 25, days: 30, scrapeIntervalMs: 60_000, seed: 20261202}
export const RANGE_SMOKE_DATASET: RangeParams = {seriesPerMetric: 2, days: 30, scrapeIntervalMs: 300_000, seed: 20261202}

export const RANGE_QUERIES = [
  {id: 'avg-1h', expr: 'avg_over_time(bench_gauge[1h])'},
  {id: 'rate-1h', expr: 'rate(bench_requests_total[1h])'},
  {id: 'max-6h', expr: 'max_over_time(bench_gauge[6h])'},
] as const
export const RESOLUTIONS = ['0s', '1h'] as const
export type Resolution = (typeof RESOLUTIONS)[number]

export const COMPACT_SIDES = ['ours', 'theirs'] as const
export type CompactSide = (typeof COMPACT_SIDES)[number]
export const COMPACT_MODES = ['no-downsampling', 'downsampling'] as const
export type CompactMode = (typeof COMPACT_MODES)[number]

export interface CompactRun {
  wallMs: number
  cpuMs: number
  peakRss: number
  code: number | string
}

export interface CompactSideResult {
  runs: CompactRun[]
  /** Medians over the runs. */
  wallMs: number
  cpuMs: number
  peakRss: number
  samplesPerSec: number
  /** Live blocks after the last run, one line each. */
  layout: string[]
  /** Last lines of the output when a run failed. */
  error?: string
}

export interface CompactModeResult {
  mode: CompactMode
  sides: Record<CompactSide, CompactSideResult>
  /** ours ÷ theirs; NaN when the layouts differ or a side failed. */
  wallRatio: number
  cpuRatio: number
  rssRatio: number
  /** First difference of the live blocks, absent when both made the same. */
  layoutDiff?: string
}

export interface RangeQueryResult {
  id: string
  expr: string
  resolution: Resolution
  series: number
  times: Record<CompactSide, number[]>
  ms: Record<CompactSide, number>
  /** Mean CPU ms per request: store + querier. */
  cpuMs: Record<CompactSide, number>
  /** Why a side failed, or the first difference between the answers. */
  error?: Partial<Record<CompactSide, string>>
  diff?: string
}

export interface CompactBenchResults {
  input: {series: number; samples: number; blocks: number; hours: number; scrapeIntervalMs: number; startMs: number}
  modes: CompactModeResult[]
  range: {
    input: {series: number; samples: number; days: number; scrapeIntervalMs: number; startMs: number; blocks: string[]}
    queries: RangeQueryResult[]
    /** Geomean ours ÷ theirs per resolution over the queries both answered. */
    ratio: Record<Resolution, number>
    /** Set when the range part could not run at all. */
    error?: string
  }
  /** 1-minute load average when the section started and ended: this machine is shared. */
  load: [number, number]
  runs: number
  reps: number
  warmups: number
  processes: {name: string; pid: number}[]
}

export interface CompactBenchOptions {
  smoke: boolean
  cacheDir: string
  /** Compactions per (mode, side). */
  runs: number
  reps: number
  warmups: number
  log: (s: string) => void
}


async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  )
}

async function promtool(om: string, out: string, maxBlock: string): Promise<void> {
  try {
    await execFileP(PROMTOOL_BIN, ['tsdb', 'create-blocks-from', 'openmetrics', `--max-block-duration=${maxBlock}`, '--quiet', om, out], {maxBuffer: 16 << 20})
  } catch (e) {
    const err = e as {stderr?: string; stdout?: string; message: string}
    throw new Error(`promtool backfill of ${om} failed: ${err.stderr || err.stdout || err.message}`)
  }
}

/**
 * Cuts an OpenMetrics file into one file per `windowMs` window from `startMs` (timestamps are
 * the last field, in seconds); every file gets every `# TYPE` line, so families stay contiguous,
 * and `tail(i)`'s lines (whole families) before its `# EOF`.
 */
export async function splitOpenMetrics(file: string, outDir: string, startMs: number, windowMs: number, windows: number, tail: (i: number) => string[] = () => []): Promise<string[]> {
  const names = Array.from({length: windows}, (_, i) => path.join(outDir, `w${String(i).padStart(3, '0')}.om`))
  const outs: WriteStream[] = names.map((n) => createWriteStream(n))
  const bufs: string[][] = names.map(() => [])
  const flush = async (i: number): Promise<void> => {
    if (bufs[i]!.length === 0) return
    const ok = outs[i]!.write(bufs[i]!.join('\n') + '\n')
    bufs[i] = []
    if (!ok) await new Promise<void>((r) => outs[i]!.once('drain', () => r()))
  }
  for await (const line of createInterface({input: createReadStream(file), crlfDelay: Infinity})) {
    if (line === '' || line === '# EOF') continue
    if (line.startsWith('#')) {
      for (let i = 0; i < windows; i++) bufs[i]!.push(line)
      continue
    }
    const ms = Number(line.slice(line.lastIndexOf(' ') + 1)) * 1000
    const i = Math.floor((ms - startMs) / windowMs)
    if (!(i >= 0 && i < windows)) throw new Error(`${file}: sample at ${ms} outside the ${windows} windows from ${startMs}`)
    bufs[i]!.push(line)
    if (bufs[i]!.length >= 4096) await flush(i)
  }
  for (let i = 0; i < windows; i++) {
    bufs[i]!.push(...tail(i), '# EOF')
    await flush(i)
    await new Promise<void>((res, rej) => outs[i]!.end((e?: Error | null) => (e ? rej(e) : res())))
  }
  return names
}

async function cached<T extends object>(dir: string, make: (tmp: string) => Promise<T>): Promise<T> {
  const metaFile = path.join(dir, 'meta.json')
  if (await exists(metaFile)) return JSON.parse(await readFile(metaFile, 'utf8')) as T
  const tmp = `${dir}.tmp-${process.pid}`
  await rm(tmp, {recursive: true, force: true})
  await mkdir(tmp, {recursive: true})
  try {
    const meta = await make(tmp)
    await writeFile(path.join(tmp, 'meta.json'), JSON.stringify(meta, null, 2))
    await rm(dir, {recursive: true, force: true})
    await rename(tmp, dir)
    return meta
  } catch (e) {
    await rm(tmp, {recursive: true, force: true})
    throw e
  }
}

/** The compaction input: 2h promtool blocks of the generator's series from T0, cached. */
export async function ensureCompactInput(cacheDir: string, p: DatasetParams, log: (s: string) => void): Promise<DatasetMeta> {
  const hash = createHash('sha256').update(JSON.stringify({kind: 'compact-2h', v: COMPACT_INPUT_VERSION, T0, data: datasetHash(p)})).digest('hex').slice(0, 16)
  const dir = path.join(cacheDir, `compact-${hash}`)
  const meta = await cached<DatasetMeta>(dir, async (tmp) => {
    const endMs = T0 + p.hours * HOUR
    const om = path.join(tmp, 'data.om')
    const t0 = performance.now()
    const generated = writeOpenMetrics(om, p, endMs)
    const startMs = generated.startMs
    const windows = Math.ceil((p.hours * HOUR) / (2 * HOUR))
    // A sample at the first and the last millisecond of each window: each block spans its whole
    // 2h, as the blocks Prometheus cuts from its head do (meta minTime/maxTime = the range), so
    // the planners compact the last full 8h and 2d ranges too (tsdb/compact.go selectDirs).
    const sec = (ms: number): string => (ms / 1000).toFixed(3)
    const edge = (i: number): string[] => ['# TYPE bench_block_edge gauge', `bench_block_edge ${i} ${sec(startMs + i * 2 * HOUR)}`, `bench_block_edge ${i} ${sec(startMs + (i + 1) * 2 * HOUR - 1)}`]
    const files = await splitOpenMetrics(om, tmp, startMs, 2 * HOUR, windows, edge)
    const series = generated.series + 1
    const samples = generated.samples + 2 * windows
    await rm(om)
    log(`compact input ${hash}: ${series} series, ${samples} samples in ${windows} 2h files (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
    const blocks = path.join(tmp, 'blocks')
    // Two at a time: the machine has two cores.
    for (let i = 0; i < files.length; i += 2) await Promise.all(files.slice(i, i + 2).map((f) => promtool(f, blocks, '2h')))
    for (const f of files) await rm(f)
    log(`compact input ${hash}: promtool made ${windows} 2h blocks in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    return {params: p, hash, startMs, endMs, series, samples, generatedAt: new Date().toISOString(), blocksDir: ''}
  })
  return {...meta, blocksDir: path.join(dir, 'blocks')}
}

/** Uploads a promtool blocks dir into a FILESYSTEM bucket with external labels, as a sidecar would. */
async function uploadBlocks(blocksDir: string, bucketDir: string, label: string, work: string): Promise<void> {
  // upload-blocks writes thanos.shipper.json next to the blocks: upload from a copy.
  const copy = await mkdtemp(path.join(work, 'upload-'))
  await cp(blocksDir, copy, {recursive: true})
  await execFileP(peer('thanos').path, ['tools', 'bucket', 'upload-blocks', `--path=${copy}`, `--label=${label}`, `--objstore.config=${bucketYaml(bucketDir)}`, '--log.level=warn'])
  await rm(copy, {recursive: true, force: true})
}

const bucketYaml = (dir: string): string => `type: FILESYSTEM\nconfig:\n  directory: ${dir}\n`

interface BlockInfo {
  resolution: number
  minTime: number
  maxTime: number
  level: number
  sources: number
  series: number
  samples: number
}

/** The bucket's blocks without a deletion mark. */
async function liveBlocks(bucketDir: string): Promise<BlockInfo[]> {
  const out: BlockInfo[] = []
  for (const id of (await readdir(bucketDir)).filter((n) => /^[0-9A-Z]{26}$/.test(n))) {
    const text = await readFile(path.join(bucketDir, id, 'meta.json'), 'utf8').catch(() => undefined)
    if (text === undefined || (await exists(path.join(bucketDir, id, 'deletion-mark.json')))) continue
    const m = JSON.parse(text) as {minTime: number; maxTime: number; stats?: {numSeries?: number; numSamples?: number}; compaction: {level: number; sources?: string[]}; thanos?: {downsample?: {resolution?: number}}}
    out.push({resolution: m.thanos?.downsample?.resolution ?? 0, minTime: m.minTime, maxTime: m.maxTime, level: m.compaction.level, sources: m.compaction.sources?.length ?? 0, series: m.stats?.numSeries ?? 0, samples: m.stats?.numSamples ?? 0})
  }
  return out
}

const RES_NAME: Record<number, string> = {0: 'raw', 300_000: '5m', 3_600_000: '1h'}
/** Hours to 0.1 h: a block's minTime is its first sample, a few seconds after the slot. */
const hours = (ms: number): string => `${Number((ms / HOUR).toFixed(1))}h`

/**
 * One line per block: resolution, range in hours from `startMs`, level, number of sources;
 * sorted by start, then resolution. Two layouts are compared line by line (0.1 h granularity).
 */
export function layoutOf(blocks: readonly BlockInfo[], startMs: number): string[] {
  return [...blocks]
    .sort((a, b) => a.minTime - b.minTime || a.resolution - b.resolution || a.maxTime - b.maxTime)
    .map((b) => `${RES_NAME[b.resolution] ?? `${b.resolution}ms`} +${hours(b.minTime - startMs)}..+${hours(b.maxTime - startMs)} level ${b.level}, ${b.sources} sources`)
}

/** The first line in which two layouts differ, in words; undefined when they are the same. */
export function layoutDiff(ours: readonly string[], theirs: readonly string[]): string | undefined {
  const a = new Set(ours)
  const b = new Set(theirs)
  const onlyOurs = ours.filter((l) => !b.has(l))
  const onlyTheirs = theirs.filter((l) => !a.has(l))
  if (onlyOurs.length === 0 && onlyTheirs.length === 0) return ours.length === theirs.length ? undefined : `${ours.length} blocks, thanos ${theirs.length}`
  return [onlyOurs.length ? `only thanosts: ${onlyOurs.join('; ')}` : '', onlyTheirs.length ? `only thanos: ${onlyTheirs.join('; ')}` : ''].filter(Boolean).join(' — ')
}

/** CPU ms of this process's reaped children so far (cutime + cstime, USER_HZ = 100). */
async function childrenCpuMs(): Promise<number> {
  const s = await readFile('/proc/self/stat', 'utf8')
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
  return (Number(f[13]) + Number(f[14])) * 10
}

/** Runs one compactor to its end: wall, CPU (rusage via cutime), peak RSS (VmHWM polled). */
async function timedCompact(name: string, bin: string, args: string[], cwd: string): Promise<CompactRun & {output: string; pid: number}> {
  const cpu0 = await childrenCpuMs()
  const t0 = performance.now()
  const p = startProcess(name, bin, args, {cwd})
  let peak = 0
  const poll = setInterval(() => {
    void memoryOf(p.pid).then((m) => {
      if (m && Number.isFinite(m.peakRss)) peak = Math.max(peak, m.peakRss)
    })
  }, 50)
  const code = await p.waitExit()
  const wallMs = performance.now() - t0
  clearInterval(poll)
  const cpuMs = (await childrenCpuMs()) - cpu0
  return {wallMs, cpuMs, peakRss: peak || NaN, code, output: p.output(), pid: p.pid}
}

function summarizeSide(runs: CompactRun[], samples: number, layout: string[], error?: string): CompactSideResult {
  const ok = runs.filter((r) => r.code === 0)
  const wallMs = median(ok.map((r) => r.wallMs))
  return {runs, wallMs, cpuMs: median(ok.map((r) => r.cpuMs)), peakRss: median(ok.map((r) => r.peakRss)), samplesPerSec: (samples / wallMs) * 1000, layout, ...(error !== undefined ? {error} : {})}
}

async function benchCompaction(input: DatasetMeta, o: CompactBenchOptions, work: string, processes: CompactBenchResults['processes']): Promise<CompactModeResult[]> {
  const pristine = path.join(work, 'input-bucket')
  await uploadBlocks(input.blocksDir, pristine, 'cluster="compact-bench"', work)
  const results: CompactModeResult[] = []
  for (const mode of COMPACT_MODES) {
    const runs: Record<CompactSide, CompactRun[]> = {ours: [], theirs: []}
    const layout: Record<CompactSide, string[]> = {ours: [], theirs: []}
    const errors: Partial<Record<CompactSide, string>> = {}
    for (let r = 0; r < o.runs; r++) {
      // Alternate who goes first: neither always gets the cooler machine.
      for (const side of r % 2 === 0 ? COMPACT_SIDES : [...COMPACT_SIDES].reverse()) {
        const dir = await mkdtemp(path.join(work, `${side}-`))
        const bucket = path.join(dir, 'bucket')
        await cp(pristine, bucket, {recursive: true})
        const common = [
          'compact',
          `--objstore.config=${bucketYaml(bucket)}`,
          `--data-dir=${path.join(dir, 'data')}`,
          `--http-address=127.0.0.1:${await freePort()}`,
          '--consistency-delay=0s',
          '--delete-delay=0s',
          '--log.level=warn',
          ...(mode === 'no-downsampling' ? ['--downsampling.disable'] : []),
        ]
        const run = side === 'ours' ? await timedCompact('thanosts-compact', process.execPath, [RUN_JS, ...common], dir) : await timedCompact('thanos-compact', peer('thanos').path, common, dir)
        processes.push({name: `${side === 'ours' ? 'thanosts' : 'thanos'}-compact-${mode}-${r}`, pid: run.pid})
        runs[side].push({wallMs: run.wallMs, cpuMs: run.cpuMs, peakRss: run.peakRss, code: run.code})
        if (run.code !== 0) errors[side] = `exit ${run.code}: ${run.output.split('\n').slice(-15).join('\n')}`
        layout[side] = layoutOf(await liveBlocks(bucket), input.startMs)
        o.log(`compact ${mode} ${side} run ${r + 1}: ${(run.wallMs / 1000).toFixed(2)} s wall, ${(run.cpuMs / 1000).toFixed(2)} s CPU, peak RSS ${mib(run.peakRss)}${run.code !== 0 ? ` — exit ${run.code}` : ''}`)
        await rm(dir, {recursive: true, force: true})
      }
    }
    const sides = {ours: summarizeSide(runs.ours, input.samples, layout.ours, errors.ours), theirs: summarizeSide(runs.theirs, input.samples, layout.theirs, errors.theirs)}
    const diff = errors.ours || errors.theirs ? `${errors.ours ? `thanosts compact failed (${errors.ours.split('\n')[0]})` : ''}${errors.theirs ? ` thanos compact failed (${errors.theirs.split('\n')[0]})` : ''}`.trim() : layoutDiff(layout.ours, layout.theirs)
    const ratio = (f: (s: CompactSideResult) => number): number => (diff === undefined ? f(sides.ours) / f(sides.theirs) : NaN)
    results.push({mode, sides, wallRatio: ratio((s) => s.wallMs), cpuRatio: ratio((s) => s.cpuMs), rssRatio: ratio((s) => s.peakRss), ...(diff !== undefined ? {layoutDiff: diff} : {})})
  }
  return results
}

/** Writes the 30-day gauges and counters as OpenMetrics. */
function writeRangeOpenMetrics(file: string, p: RangeParams): {series: number; samples: number} {
  const n = Math.round((p.days * DAY) / p.scrapeIntervalMs)
  const L: string[] = []
  let series = 0
  const fd = openSync(file, 'w')
  const flush = (): void => {
    writeSync(fd, L.join('\n') + '\n')
    L.length = 0
  }
  const ts = (i: number): string => ((T0 + i * p.scrapeIntervalMs + 3_217) / 1000).toFixed(3)
  L.push('# TYPE bench_gauge gauge')
  for (let s = 0; s < p.seriesPerMetric; s++) {
    const r = new Prng(p.seed + s)
    let v = 50 + 20 * r.next()
    for (let i = 0; i < n; i++) {
      v = Math.max(0, v + r.normal())
      L.push(`bench_gauge{instance="i-${String(s).padStart(2, '0')}"} ${v.toFixed(3)} ${ts(i)}`)
      if (L.length >= 65536) flush()
    }
    series++
  }
  L.push('# TYPE bench_requests counter')
  for (let s = 0; s < p.seriesPerMetric; s++) {
    const r = new Prng(p.seed + 1000 + s)
    let v = 0
    for (let i = 0; i < n; i++) {
      // A restart now and then: downsampled counters carry the resets.
      if (r.next() < 0.0002) v = 0
      v += Math.round(10 + 50 * r.next())
      L.push(`bench_requests_total{instance="i-${String(s).padStart(2, '0')}"} ${v} ${ts(i)}`)
      if (L.length >= 65536) flush()
    }
    series++
  }
  L.push('# EOF')
  flush()
  closeSync(fd)
  return {series, samples: series * n}
}

interface RangeInput {
  params: RangeParams
  series: number
  samples: number
  startMs: number
  /** Live blocks of the bucket after thanos compact, as layoutOf writes them. */
  blocks: string[]
}

/** The 30-day bucket, compacted and downsampled by the real thanos compact, cached. */
async function ensureRangeBucket(cacheDir: string, p: RangeParams, log: (s: string) => void): Promise<RangeInput & {bucketDir: string}> {
  const hash = createHash('sha256').update(JSON.stringify({kind: 'range-30d', v: INPUT_VERSION, T0, p})).digest('hex').slice(0, 16)
  const dir = path.join(cacheDir, `compact-range-${hash}`)
  const meta = await cached<RangeInput>(dir, async (tmp) => {
    const t0 = performance.now()
    const om = path.join(tmp, 'data.om')
    const {series, samples} = writeRangeOpenMetrics(om, p)
    const blocks = path.join(tmp, 'blocks')
    await promtool(om, blocks, '48h')
    await rm(om)
    const bucketDir = path.join(tmp, 'bucket')
    await uploadBlocks(blocks, bucketDir, 'cluster="range-bench"', tmp)
    await rm(blocks, {recursive: true, force: true})
    log(`range input ${hash}: ${series} series, ${samples} samples as promtool blocks in ${((performance.now() - t0) / 1000).toFixed(1)} s; thanos compact (14d, 5m, 1h)`)
    await execFileP(peer('thanos').path, ['compact', `--objstore.config=${bucketYaml(bucketDir)}`, `--data-dir=${path.join(tmp, 'compact-data')}`, `--http-address=127.0.0.1:${await freePort()}`, '--consistency-delay=0s', '--delete-delay=0s', '--log.level=warn'], {maxBuffer: 16 << 20}).catch((e: {stderr?: string; message: string}) => {
      throw new Error(`thanos compact of the range bucket failed: ${e.stderr || e.message}`)
    })
    await rm(path.join(tmp, 'compact-data'), {recursive: true, force: true})
    const live = layoutOf(await liveBlocks(bucketDir), T0)
    log(`range input ${hash}: ${live.length} blocks after thanos compact in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${live.join('; ')}`)
    return {params: p, series, samples, startMs: T0, blocks: live}
  })
  return {...meta, bucketDir: path.join(dir, 'bucket')}
}

interface RangeSide {
  key: CompactSide
  url: string
  storePid: number
  querierPid: number
}

async function benchRange(o: CompactBenchOptions, work: string, processes: CompactBenchResults['processes']): Promise<CompactBenchResults['range']> {
  const p = o.smoke ? RANGE_SMOKE_DATASET : RANGE_DATASET
  const input = await ensureRangeBucket(o.cacheDir, p, o.log)
  const base = {input: {series: input.series, samples: input.samples, days: p.days, scrapeIntervalMs: p.scrapeIntervalMs, startMs: input.startMs, blocks: input.blocks}}
  const stops: (() => Promise<void>)[] = []
  const dispatcher = new Agent({keepAliveTimeout: 60_000, headersTimeout: 900_000, bodyTimeout: 900_000})
  try {
    const yaml = path.join(work, 'range-bucket.yml')
    await writeFile(yaml, bucketYaml(input.bucketDir))
    const node = async (name: string, args: string[]): Promise<NodeComponent> => {
      const c = await startNode(name, args, undefined, await freePort(), await freePort())
      stops.push(() => c.proc.stop(15_000))
      processes.push({name, pid: c.proc.pid})
      return c
    }
    const thanos = async (name: string, args: string[]): Promise<ThanosComponent> => {
      const c = await startThanos(name, args)
      stops.push(() => c.proc.stop())
      processes.push({name, pid: c.proc.pid()})
      return c
    }
    o.log('range: starting thanosts store + thanosts query, thanos store + thanos query over the 30-day bucket')
    const [ourStore, theirStore] = await Promise.all([
      node('range-store-ours', ['store', `--objstore.config-file=${yaml}`, `--data-dir=${path.join(work, 'range-ours-data')}`]),
      thanos('range-thanos-store', ['store', `--objstore.config-file=${yaml}`, `--data-dir=${path.join(work, 'range-thanos-data')}`]),
    ])
    const [ourQuery, theirQuery] = await Promise.all([
      node('range-querier-ours', ['query', `--store=${ourStore.grpcAddress}`, '--endpoint.info-timeout=2s', '--query.max-samples=1000000000', '--query.timeout=10m']),
      thanos('range-thanos-query', ['query', `--endpoint=${theirStore.grpcAddress}`, '--query.timeout=10m']),
    ])
    await Promise.all([waitStores(ourQuery, 1, () => ourQuery.proc.exited()), waitStores(theirQuery, 1, () => false)])
    const sides: RangeSide[] = [
      {key: 'ours', url: ourQuery.httpUrl, storePid: ourStore.proc.pid, querierPid: ourQuery.proc.pid},
      {key: 'theirs', url: theirQuery.httpUrl, storePid: theirStore.proc.pid(), querierPid: theirQuery.proc.pid()},
    ]
    const sec = (ms: number): string => String(ms / 1000)
    const queries: RangeQueryResult[] = []
    for (const q of RANGE_QUERIES) {
      for (const resolution of RESOLUTIONS) {
        const form = {
          path: '/api/v1/query_range',
          body: new URLSearchParams({query: q.expr, start: sec(T0 + HOUR), end: sec(T0 + p.days * DAY), step: '3600', max_source_resolution: resolution}).toString(),
        }
        const last = new Map<CompactSide, ApiResponse>()
        for (let w = 0; w < Math.max(1, o.warmups); w++) for (const s of sides) last.set(s.key, (await timedQuery(dispatcher, s, form)).res)
        const times: Record<CompactSide, number[]> = {ours: [], theirs: []}
        const cpu: Record<CompactSide, number> = {ours: 0, theirs: 0}
        for (let r = 0; r < o.reps; r++) {
          for (let k = 0; k < sides.length; k++) {
            const s = sides[(r + k) % sides.length]!
            const before = (await cpuTimeMs(s.storePid)) + (await cpuTimeMs(s.querierPid))
            const {ms, res} = await timedQuery(dispatcher, s, form)
            cpu[s.key] += ((await cpuTimeMs(s.storePid)) + (await cpuTimeMs(s.querierPid)) - before) / o.reps
            times[s.key].push(res.status === 'success' ? ms : NaN)
            last.set(s.key, res)
          }
        }
        const ours = last.get('ours')!
        const theirs = last.get('theirs')!
        const error: Partial<Record<CompactSide, string>> = {}
        if (ours.status !== 'success') error.ours = `${ours.errorType}: ${ours.error}`
        if (theirs.status !== 'success') error.theirs = `${theirs.errorType}: ${theirs.error}`
        const diff = Object.keys(error).length === 0 ? compareResponses(theirs, ours, new Set()) : undefined
        const r: RangeQueryResult = {
          id: q.id,
          expr: q.expr,
          resolution,
          series: seriesCount(theirs),
          times,
          ms: {ours: median(times.ours), theirs: median(times.theirs)},
          cpuMs: cpu,
          ...(Object.keys(error).length > 0 ? {error} : {}),
          ...(diff !== undefined ? {diff} : {}),
        }
        queries.push(r)
        o.log(`range ${q.id} @${resolution}: ${fmtMs(r.ms.ours)} / ${fmtMs(r.ms.theirs)} ms (ours / theirs), CPU ${cpu.ours.toFixed(0)} / ${cpu.theirs.toFixed(0)} ms${error.ours ? ` — thanosts failed: ${error.ours}` : ''}${error.theirs ? ` — thanos failed: ${error.theirs}` : ''}${diff ? ` — ✗ ${diff}` : ''}`)
      }
    }
    const ratio = Object.fromEntries(RESOLUTIONS.map((res) => [res, geomean(queries.filter((q) => q.resolution === res).map((q) => q.ms.ours / q.ms.theirs))])) as Record<Resolution, number>
    return {...base, queries, ratio}
  } catch (e) {
    o.log(`range: failed: ${(e as Error).message}`)
    return {...base, queries: [], ratio: {'0s': NaN, '1h': NaN}, error: (e as Error).message}
  } finally {
    await dispatcher.close()
    for (const stop of stops.reverse()) await stop().catch(() => {})
  }
}

/** The compaction input's data set, for the results' dataset field on a --compact-only run. */
export function compactInput(o: Pick<CompactBenchOptions, 'smoke' | 'cacheDir' | 'log'>): Promise<DatasetMeta> {
  return ensureCompactInput(o.cacheDir, o.smoke ? COMPACT_SMOKE_DATASET : COMPACT_DATASET, o.log)
}

export async function runCompactBench(o: CompactBenchOptions): Promise<CompactBenchResults> {
  const load0 = os.loadavg()[0]!
  const input = await compactInput(o)
  const work = await mkdtemp(path.join(tmpdir(), 'thanosts-bench-compact-'))
  const processes: CompactBenchResults['processes'] = []
  try {
    const blocks = (await readdir(input.blocksDir)).filter((n) => /^[0-9A-Z]{26}$/.test(n)).length
    o.log(`compact: ${input.series} series, ${input.samples} samples in ${blocks} 2h blocks; ${o.runs} run(s) per side and mode`)
    const modes = await benchCompaction(input, o, work, processes)
    const range = await benchRange(o, work, processes)
    return {
      input: {series: input.series, samples: input.samples, blocks, hours: input.params.hours, scrapeIntervalMs: input.params.scrapeIntervalMs, startMs: input.startMs},
      modes,
      range,
      load: [load0, os.loadavg()[0]!],
      runs: o.runs,
      reps: o.reps,
      warmups: o.warmups,
      processes,
    }
  } finally {
    await rm(work, {recursive: true, force: true})
  }
}

const fmtMs = (ms: number): string => (!Number.isFinite(ms) ? 'n/a' : ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0))
const fmtS = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : 'n/a')
const fmtRatio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a')
const mib = (b: number): string => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(0)} MiB` : 'n/a')
const fmtRate = (x: number): string => (Number.isFinite(x) ? `${(x / 1e6).toFixed(2)} M/s` : 'n/a')
const SIDE_NAME: Record<CompactSide, string> = {ours: 'thanosts compact', theirs: 'thanos compact'}

/** The compact section's markdown (between its own markers in docs/benchmarks.md). */
export function renderCompactMarkdown(r: CompactBenchResults, header: string): string {
  const L: string[] = [header, '']
  const i = r.input
  L.push(
    `**Noisy numbers:** this machine is shared (2 cores, other engineers' builds and tests running; 1-minute load average ${r.load[0].toFixed(1)} at the start of the section, ${r.load[1].toFixed(1)} at its end), with ${r.runs} run(s) per compactor and ${r.reps} repetition(s) per query: differences under ~30% are within the noise. CPU time is steadier than wall time.`,
    '',
    `#### Compaction`,
    '',
    `Input: ${i.series.toLocaleString('en-US')} series × ${i.hours} h at ${i.scrapeIntervalMs / 1000} s = ${i.samples.toLocaleString('en-US')} samples (the dashboard generator's series) in ${i.blocks} 2h blocks by \`promtool tsdb create-blocks-from openmetrics\`, from ${new Date(i.startMs).toISOString()} (2d-aligned), uploaded with \`{cluster="compact-bench"}\` into a FILESYSTEM bucket; each run compacts a fresh copy once (no \`--wait\`, \`--consistency-delay=0s --delete-delay=0s\`). Wall time = start to exit; CPU = user + system of the exited child (rusage, all threads); peak RSS = VmHWM read every 50 ms; samples/s = input samples ÷ wall time; medians over the runs.`,
    '',
  )
  L.push('| mode | compactor | wall s | CPU s | peak RSS | samples/s | blocks after |', '|---|---|---:|---:|---:|---:|---|')
  for (const m of r.modes) {
    for (const side of COMPACT_SIDES) {
      const s = m.sides[side]
      L.push(`| ${m.mode} | ${SIDE_NAME[side]} | ${fmtS(s.wallMs)} | ${fmtS(s.cpuMs)} | ${mib(s.peakRss)} | ${fmtRate(s.samplesPerSec)} | ${s.error ? '**failed**' : s.layout.length} |`)
    }
    L.push(m.layoutDiff === undefined ? `| ${m.mode} | **thanosts ÷ thanos** | **${fmtRatio(m.wallRatio)}** | **${fmtRatio(m.cpuRatio)}** | **${fmtRatio(m.rssRatio)}** | | same blocks |` : `| ${m.mode} | thanosts ÷ thanos | – | – | – | | **different** |`)
  }
  L.push('')
  for (const m of r.modes) {
    if (m.layoutDiff !== undefined) L.push(`- ${m.mode}: no ratio, the compactors disagree: ${m.layoutDiff}`)
    else L.push(`- ${m.mode}: both left ${m.sides.ours.layout.length} live blocks: ${m.sides.ours.layout.join('; ')}`)
  }
  L.push('')
  const g = r.range
  const gi = g.input
  L.push(
    '#### 30-day range queries, raw and downsampled',
    '',
    `Input: ${gi.series} series (gauges \`bench_gauge\`, counters \`bench_requests_total\`) × ${gi.days} d at ${gi.scrapeIntervalMs / 1000} s = ${gi.samples.toLocaleString('en-US')} samples from ${new Date(gi.startMs).toISOString()}, promtool's blocks (\`--max-block-duration=48h\`: promtool rounds down to its 18h block range), compacted and downsampled once by the real \`thanos compact\`, which left: ${gi.blocks.join('; ')}. Ours = \`thanosts query\` → \`thanosts store\`, theirs = \`thanos query\` → \`thanos store\`, both over that one bucket. Range queries from +1h to +${gi.days}d, step 1h, with \`max_source_resolution\` 0s (raw) and 1h; ${r.warmups} warm-up(s), ${r.reps} repetition(s) interleaved; CPU = mean ms per request of store + querier (/proc).`,
    '',
  )
  if (g.error) L.push(`**The range part did not run:** ${g.error}`, '')
  else {
    L.push('| query | max_source_resolution | series | ours ms | theirs ms | **ours ÷ theirs** | CPU ours ms | CPU theirs ms | agree |', '|---|---|---:|---:|---:|---:|---:|---:|:---:|')
    for (const q of g.queries) {
      const ok = q.error === undefined && q.diff === undefined
      L.push(`| \`${q.expr}\` | ${q.resolution} | ${q.series} | ${fmtMs(q.ms.ours)} | ${fmtMs(q.ms.theirs)} | ${fmtRatio(q.ms.ours / q.ms.theirs)} | ${q.cpuMs.ours.toFixed(0)} | ${q.cpuMs.theirs.toFixed(0)} | ${ok ? '✓' : '✗'} |`)
    }
    L.push(`| **geomean** | 0s | | | | **${fmtRatio(g.ratio['0s'])}** | | | |`, `| **geomean** | 1h | | | | **${fmtRatio(g.ratio['1h'])}** | | | |`, '')
    for (const q of g.queries) {
      if (q.error?.ours) L.push(`- \`${q.expr}\` at ${q.resolution}: thanosts failed: ${q.error.ours}`)
      if (q.error?.theirs) L.push(`- \`${q.expr}\` at ${q.resolution}: thanos failed: ${q.error.theirs}`)
      if (q.diff) L.push(`- \`${q.expr}\` at ${q.resolution}: answers differ: ${q.diff}`)
    }
  }
  return L.join('\n').trimEnd()
}

export function renderCompactConsole(r: CompactBenchResults): string {
  const L = r.modes.map(
    (m) =>
      `compact ${m.mode}: ${COMPACT_SIDES.map((s) => `${SIDE_NAME[s]} ${fmtS(m.sides[s].wallMs)} s / CPU ${fmtS(m.sides[s].cpuMs)} s / ${mib(m.sides[s].peakRss)}`).join(', ')}; ${m.layoutDiff === undefined ? `ratio wall ${fmtRatio(m.wallRatio)}, CPU ${fmtRatio(m.cpuRatio)}, RSS ${fmtRatio(m.rssRatio)}` : `DIFFERENT: ${m.layoutDiff}`}`,
  )
  const g = r.range
  if (g.error) L.push(`range: failed: ${g.error}`)
  else L.push(`range 30d (ours ÷ thanos): raw ${fmtRatio(g.ratio['0s'])}, 1h ${fmtRatio(g.ratio['1h'])}${g.queries.some((q) => q.error || q.diff) ? ' (SOME ANSWERS FAIL OR DIFFER)' : ''}`)
  return L.join('\n')
}
