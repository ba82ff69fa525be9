/**
 * Native histogram series for the benchmark's data set. promtool's OpenMetrics backfill cannot
 * write native histograms, so they are encoded here (chunkenc's integer histogram chunks, cut
 * as Prometheus's head cuts them) and merged into promtool's blocks with our block writer: one
 * block per promtool block, as a compacted TSDB has them, rather than extra blocks of the same
 * range, which Prometheus 3 would vertically compact some minutes into a benchmark run
 * (tsdb/compact.go LeveledCompactor.Plan picks overlapping blocks first).
 *
 * The series: `rpc_server_duration_seconds{job="rpc", instance, handler}`, 4 instances × 4
 * handlers, exponential schema 3 (8 buckets per power of 2), latencies log-normal around the
 * handler's typical latency, slower when busy; a counter with one reset per instance (a
 * restart). The same 16 series in every data set size: enough for the queries, small next to the
 * float series.
 */
import {rm} from 'node:fs/promises'
import path from 'node:path'
import {BlockReader} from '../src/core/block/block-reader.js'
import {ChunkEncoding} from '../src/core/block/chunks-reader.js'
import type {BlockMeta} from '../src/core/block/meta.js'
import {writeBlock, type WriterSeries} from '../src/core/block/writer/write-block.js'
import {encodeHistogramChunks} from '../src/core/chunkenc/index.js'
import {compactedMeta} from '../src/core/compact/compact-group.js'
import {mergeBlockSeries} from '../src/core/compact/merge-series.js'
import {Histogram} from '../src/core/histogram/histogram.js'
import {compareLabels, type Labels} from '../src/core/labels/labels.js'
import {FilesystemBucket} from '../src/core/objstore/filesystem.js'

export const NATIVE_HISTOGRAM_NAME = 'rpc_server_duration_seconds'
const JOB = 'rpc'
const INSTANCES = 4
const HANDLERS = [
  {handler: 'Get', rps: 50, lat: 0.004},
  {handler: 'List', rps: 12, lat: 0.03},
  {handler: 'Put', rps: 6, lat: 0.08},
  {handler: 'Watch', rps: 2, lat: 0.5},
]
const SCHEMA = 3
/** Prometheus's default zero threshold (model/histogram DefaultZeroThreshold / client_golang). */
const ZERO_THRESHOLD = 2.938735877055719e-39
const SIGMA = 0.45

/**
 * promtool's block length for `--max-block-duration=24h`: the largest of Prometheus's
 * exponential block ranges (2h × 3^k) not above it (cmd/promtool/backfill.go
 * getCompatibleBlockDuration), blocks aligned to multiples of it.
 */
export const PROMTOOL_BLOCK_MS = 18 * 3_600_000

export interface NativeHistogramSource {
  seed: (key: string) => number
  timestamps: (target: string) => Float64Array
  /** Daily cycle in [-1, 1] at slot i. */
  daily: (i: number) => number
  n: number
  scrapeIntervalMs: number
  random: (seed: number) => {next(): number; normal(): number}
}

export interface NativeSeries {
  labels: Labels
  ts: Float64Array
  hs: Histogram[]
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * z)
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z)
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf)
}

/** The 16 series, sorted by labels; every sample a histogram of absolute (cumulative over time) counts. */
export function nativeHistogramSeries(src: NativeHistogramSource): NativeSeries[] {
  const {n} = src
  const dt = src.scrapeIntervalMs / 1000
  const base = 2 ** (2 ** -SCHEMA)
  const out: NativeSeries[] = []
  for (let k = 0; k < INSTANCES; k++) {
    const inst = `rpc-${k}:9090`
    const ts = src.timestamps(inst)
    const rr = src.random(src.seed(`nh-restart/${inst}`))
    const restart = Math.floor(n * (0.2 + 0.6 * rr.next()))
    for (const h of HANDLERS) {
      const r = src.random(src.seed(`nh/${inst}/${h.handler}`))
      // Bucket i holds (base^(i-1), base^i]; the span covers mu ± 3 sigma and the daily swing.
      const lo = Math.floor((Math.log(h.lat) - 3 * SIGMA - 0.25) / Math.log(base))
      const hi = Math.ceil((Math.log(h.lat) + 3 * SIGMA + 0.25) / Math.log(base))
      const width = hi - lo + 1
      const acc = new Float64Array(width)
      let sum = 0
      let count = 0
      const hs: Histogram[] = new Array(n)
      for (let i = 0; i < n; i++) {
        if (i === restart) {
          acc.fill(0)
          sum = 0
          count = 0
        }
        const req = Math.max(0, Math.round(h.rps * dt * (1 + 0.6 * src.daily(i)) * (1 + 0.15 * r.normal())))
        const mu = Math.log(h.lat * (1 + 0.3 * src.daily(i) + 0.1 * r.normal()))
        let prevCdf = 0
        let placed = 0
        for (let b = 0; b < width; b++) {
          const cdf = b === width - 1 ? 1 : phi((Math.log(base) * (lo + b) - mu) / SIGMA)
          const add = b === width - 1 ? req - placed : Math.min(req - placed, Math.round(req * cdf) - Math.round(req * prevCdf))
          acc[b]! += add
          placed += add
          prevCdf = cdf
        }
        count += req
        sum += req * Math.exp(mu + (SIGMA * SIGMA) / 2)
        const deltas = new Float64Array(width)
        let prev = 0
        for (let b = 0; b < width; b++) {
          deltas[b] = acc[b]! - prev
          prev = acc[b]!
        }
        hs[i] = Histogram.of({schema: SCHEMA, zeroThreshold: ZERO_THRESHOLD, count, sum: Math.round(sum * 1e6) / 1e6, positiveSpans: [lo, width], positiveBuckets: deltas})
      }
      const labels: Labels = [
        {name: '__name__', value: NATIVE_HISTOGRAM_NAME},
        {name: 'handler', value: h.handler},
        {name: 'instance', value: inst},
        {name: 'job', value: JOB},
      ]
      out.push({labels, ts, hs})
    }
  }
  return out.sort((a, b) => compareLabels(a.labels, b.labels))
}

/** The samples of `s` in [from, to) as writer series. */
function windowSeries(all: readonly NativeSeries[], from: number, to: number): WriterSeries[] {
  const out: WriterSeries[] = []
  for (const s of all) {
    let a = 0
    while (a < s.ts.length && s.ts[a]! < from) a++
    let b = a
    while (b < s.ts.length && s.ts[b]! < to) b++
    if (b === a) continue
    const chunks = encodeHistogramChunks(s.ts.subarray(a, b), s.hs.slice(a, b)).map((c) => ({...c, encoding: ChunkEncoding.Histogram}))
    out.push({labels: s.labels, chunks})
  }
  return out
}

/**
 * Merges the series into the blocks of `blocksDir` (promtool's): for each promtool block, a
 * block of the histograms in its 18 h window is written to `scratchDir`, then both are merged
 * into one new block in `blocksDir` and the two inputs removed. @returns histogram samples written.
 */
export async function mergeNativeHistograms(blocksDir: string, scratchDir: string, metas: readonly BlockMeta[], all: readonly NativeSeries[]): Promise<number> {
  const blocks = new FilesystemBucket({directory: blocksDir})
  const scratch = new FilesystemBucket({directory: scratchDir})
  let samples = 0
  const windows = new Set<number>()
  for (const m of metas) {
    const from = Math.floor(m.minTime / PROMTOOL_BLOCK_MS) * PROMTOOL_BLOCK_MS
    if (m.maxTime > from + PROMTOOL_BLOCK_MS) throw new Error(`promtool block ${m.ulid} [${m.minTime}, ${m.maxTime}) is not within one ${PROMTOOL_BLOCK_MS} ms window`)
    if (windows.has(from)) throw new Error(`two promtool blocks in the window starting at ${from}`)
    windows.add(from)
    const hm = await writeBlock(windowSeries(all, from, from + PROMTOOL_BLOCK_MS), {dir: scratchDir})
    if (!hm) continue
    samples += hm.stats.numSamples ?? 0
    const readers = [await BlockReader.open(blocks, m.ulid, {meta: m}), await BlockReader.open(scratch, hm.ulid)]
    const {minTime, maxTime} = compactedMeta([m, hm])
    // Level 1, its own source, as promtool's blocks: tests ship copies of these blocks and
    // Thanos's filters (pkg/block/fetcher.go DeduplicateFilter) compare sources.
    await writeBlock(mergeBlockSeries(readers, 'chain'), {dir: blocksDir, minTime, maxTime})
    await rm(path.join(blocksDir, m.ulid), {recursive: true})
    await rm(path.join(scratchDir, hm.ulid), {recursive: true})
  }
  const outside = all.some((s) => s.ts.some((t) => !windows.has(Math.floor(t / PROMTOOL_BLOCK_MS) * PROMTOOL_BLOCK_MS)))
  if (outside) throw new Error('native histogram samples outside every promtool block window')
  return samples
}
