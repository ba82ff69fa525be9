/**
 * The "store" section of `npm run bench`: the benchmark's blocks, uploaded once to a FILESYSTEM
 * bucket by the real `thanos tools bucket upload-blocks` with external labels
 * {cluster="bench", replica="0"}, served by `thanosts store` and by the real `thanos store`,
 * each behind its own querier (ours behind `thanosts query`, theirs behind `thanos query`).
 *
 * Measured per dashboard query: the first answer after the stores started (cold: neither
 * store has looked at those series yet; the OS page cache holds the bucket's files for both
 * alike), then the median of the warm repetitions with the two sides interleaved, and the CPU
 * time each store and querier spent per request (from /proc: on a loaded machine wall times are
 * noisy, CPU time much less so). Then every series of the bucket streamed over the StoreAPI
 * straight from each store (the call a querier makes), and each store's peak RSS.
 */
import {execFile} from 'node:child_process'
import {cp, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {Agent} from 'undici'
import {peer} from '../test/helpers/peers.js'
import {freePort} from '../test/helpers/ports.js'
import {cpuTimeMs, memoryOf, startNode, startThanos, waitStores, type NodeComponent, type ThanosComponent} from './cluster.js'
import {compareResponses, seriesCount, type ApiResponse} from './compare.js'
import type {DatasetMeta} from './dataset.js'
import {timedQuery} from './http-query.js'
import {geomean, median} from './stats.js'
import {QUERIES, queryForm, shapeOf} from './queries.js'
import {streamSidecar, type StreamResult} from './throughput.js'

const execFileP = promisify(execFile)

/** A handful of dashboard queries: raw, rate over every CPU, sums, a histogram, the whole day. */
export const STORE_QUERY_IDS = ['mem-raw-1h', 'cpu-rate-all-1h', 'cpu-busy-by-instance-6h', 'http-p99-6h', 'http-rps-by-job-code-24h', 'load-max-24h-instant'] as const

export const STORE_SIDES = ['ours', 'theirs'] as const
export type StoreSide = (typeof STORE_SIDES)[number]

export interface StoreQueryResult {
  id: string
  expr: string
  shape: string
  series: number
  /** The first answer after start, ms. */
  coldMs: Record<StoreSide, number>
  /** Warm repetitions (ms) and their median. */
  times: Record<StoreSide, number[]>
  warmMs: Record<StoreSide, number>
  /** Mean CPU ms per warm request: the store, the querier in front of it. */
  cpuMs: Record<StoreSide, {store: number; querier: number}>
  /** First difference between the two answers; absent = they agree. */
  diff?: string
}

export interface StoreStream {
  series: number
  chunks: number
  samples: number
  runsMs: number[]
  medianMs: number
  /** Mean CPU ms of the store process per run. */
  storeCpuMs: number
}

export interface StoreBenchResults {
  queries: StoreQueryResult[]
  /** Geomeans over the queries of ours ÷ theirs. */
  coldRatio: number
  warmRatio: number
  cpuRatio: number
  /** Every series of the bucket over the StoreAPI, straight from each store. */
  stream: Record<StoreSide, StoreStream>
  /** VmHWM of each store process at the end, bytes. */
  peakRss: Record<StoreSide, number>
  /** Processes started, for checking that they are gone. */
  processes: {name: string; pid: number}[]
}

export interface StoreBenchOptions {
  reps: number
  warmups: number
  streamRuns: number
  cpuProfDir?: string
  log: (s: string) => void
}


interface Side {
  key: StoreSide
  url: string
  storePid: number
  querierPid: number
  storeGrpc: string
}

export async function runStoreBench(meta: DatasetMeta, o: StoreBenchOptions): Promise<StoreBenchResults> {
  const work = await mkdtemp(path.join(tmpdir(), 'thanosts-bench-store-'))
  const stops: (() => Promise<void>)[] = []
  const dispatcher = new Agent({keepAliveTimeout: 60_000, headersTimeout: 900_000, bodyTimeout: 900_000})
  try {
    const bucketDir = path.join(work, 'bucket')
    const objstore = `type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`
    const yaml = path.join(work, 'bucket.yml')
    await writeFile(yaml, objstore)
    // upload-blocks writes thanos.shipper.json next to the blocks: upload from a copy.
    const copy = path.join(work, 'upload')
    await cp(meta.blocksDir, copy, {recursive: true})
    o.log('store: uploading the blocks with thanos tools bucket upload-blocks')
    await execFileP(peer('thanos').path, ['tools', 'bucket', 'upload-blocks', `--path=${copy}`, '--label=cluster="bench"', '--label=replica="0"', `--objstore.config=${objstore}`, '--log.level=warn'])

    o.log('store: starting thanosts store + thanosts query, thanos store + thanos query')
    const nodes: NodeComponent[] = []
    const node = async (name: string, args: string[]): Promise<NodeComponent> => {
      const c = await startNode(name, args, o.cpuProfDir, await freePort(), await freePort())
      stops.push(() => c.proc.stop(15_000))
      nodes.push(c)
      return c
    }
    const thanosNodes: ThanosComponent[] = []
    const thanos = async (name: string, args: string[]): Promise<ThanosComponent> => {
      const c = await startThanos(name, args)
      stops.push(() => c.proc.stop())
      thanosNodes.push(c)
      return c
    }
    const [ourStore, theirStore] = await Promise.all([
      node('store-ours', ['store', `--objstore.config-file=${yaml}`, `--data-dir=${path.join(work, 'ours-data')}`]),
      thanos('thanos-store', ['store', `--objstore.config-file=${yaml}`, `--data-dir=${path.join(work, 'thanos-data')}`]),
    ])
    const limits = ['--query.timeout=10m']
    const [ourQuery, theirQuery] = await Promise.all([
      node('store-querier-ours', ['query', `--store=${ourStore.grpcAddress}`, '--query.replica-label=replica', '--endpoint.info-timeout=2s', '--query.max-samples=1000000000', ...limits]),
      thanos('store-thanos-query', ['query', `--endpoint=${theirStore.grpcAddress}`, '--query.replica-label=replica', ...limits]),
    ])
    await Promise.all([waitStores(ourQuery, 1, () => ourQuery.proc.exited()), waitStores(theirQuery, 1, () => false)])
    const sides: Side[] = [
      {key: 'ours', url: ourQuery.httpUrl, storePid: ourStore.proc.pid, querierPid: ourQuery.proc.pid, storeGrpc: ourStore.grpcAddress},
      {key: 'theirs', url: theirQuery.httpUrl, storePid: theirStore.proc.pid(), querierPid: theirQuery.proc.pid(), storeGrpc: theirStore.grpcAddress},
    ]
    const processes = [...nodes.map((n) => ({name: n.name, pid: n.proc.pid})), ...thanosNodes.map((n) => ({name: n.name, pid: n.proc.pid()}))]

    const queries = QUERIES.filter((q) => (STORE_QUERY_IDS as readonly string[]).includes(q.id))
    const results: StoreQueryResult[] = []
    for (const [qi, q] of queries.entries()) {
      const form = queryForm(q, meta.endMs)
      const last = new Map<StoreSide, ApiResponse>()
      const coldMs = {} as Record<StoreSide, number>
      // Cold: each query's first answer; which side goes first alternates from query to query.
      for (let k = 0; k < sides.length; k++) {
        const s = sides[(qi + k) % sides.length]!
        const {ms, res} = await timedQuery(dispatcher, s, form)
        coldMs[s.key] = res.status === 'success' ? ms : NaN
        last.set(s.key, res)
      }
      for (let w = 0; w < o.warmups; w++) for (const s of sides) last.set(s.key, (await timedQuery(dispatcher, s, form)).res)
      const times: Record<StoreSide, number[]> = {ours: [], theirs: []}
      const cpu: Record<StoreSide, {store: number; querier: number}> = {ours: {store: 0, querier: 0}, theirs: {store: 0, querier: 0}}
      for (let r = 0; r < o.reps; r++) {
        for (let k = 0; k < sides.length; k++) {
          const s = sides[(r + k) % sides.length]!
          const before = await Promise.all([cpuTimeMs(s.storePid), cpuTimeMs(s.querierPid)])
          const {ms, res} = await timedQuery(dispatcher, s, form)
          const after = await Promise.all([cpuTimeMs(s.storePid), cpuTimeMs(s.querierPid)])
          cpu[s.key].store += (after[0] - before[0]) / o.reps
          cpu[s.key].querier += (after[1] - before[1]) / o.reps
          times[s.key].push(res.status === 'success' ? ms : NaN)
          last.set(s.key, res)
        }
      }
      const theirs = last.get('theirs')!
      const diff = theirs.status !== 'success' ? `thanos query: ${theirs.errorType}: ${theirs.error}` : compareResponses(theirs, last.get('ours')!, new Set())
      const r: StoreQueryResult = {
        id: q.id,
        expr: q.expr,
        shape: shapeOf(q),
        series: seriesCount(theirs),
        coldMs,
        times,
        warmMs: {ours: median(times.ours), theirs: median(times.theirs)},
        cpuMs: cpu,
        ...(diff !== undefined ? {diff} : {}),
      }
      results.push(r)
      o.log(`store ${q.id}: cold ${r.coldMs.ours.toFixed(0)} / ${r.coldMs.theirs.toFixed(0)} ms, warm ${r.warmMs.ours.toFixed(1)} / ${r.warmMs.theirs.toFixed(1)} ms (ours / theirs), store CPU ${r.cpuMs.ours.store.toFixed(0)} / ${r.cpuMs.theirs.store.toFixed(0)} ms${diff ? ` — ✗ ${diff}` : ''}`)
    }

    const stream = {} as Record<StoreSide, StoreStream>
    const runs: Record<StoreSide, (StreamResult & {cpu: number})[]> = {ours: [], theirs: []}
    const [minTime, maxTime] = [meta.startMs, meta.endMs + 60_000]
    for (const s of sides) await streamSidecar(s.storeGrpc, minTime, maxTime)
    for (let i = 0; i < o.streamRuns; i++) {
      for (const s of i % 2 ? [...sides].reverse() : sides) {
        const before = await cpuTimeMs(s.storePid)
        const r = await streamSidecar(s.storeGrpc, minTime, maxTime)
        runs[s.key].push({...r, cpu: (await cpuTimeMs(s.storePid)) - before})
      }
    }
    for (const s of sides) {
      const rs = runs[s.key]
      stream[s.key] = {series: rs[0]!.series, chunks: rs[0]!.chunks, samples: rs[0]!.samples, runsMs: rs.map((r) => r.ms), medianMs: median(rs.map((r) => r.ms)), storeCpuMs: rs.reduce((a, r) => a + r.cpu, 0) / rs.length}
    }
    o.log(`store stream: ours ${stream.ours.series} series / ${stream.ours.chunks} chunks in ${stream.ours.medianMs.toFixed(0)} ms (CPU ${stream.ours.storeCpuMs.toFixed(0)} ms), theirs ${stream.theirs.series} / ${stream.theirs.chunks} in ${stream.theirs.medianMs.toFixed(0)} ms (CPU ${stream.theirs.storeCpuMs.toFixed(0)} ms)`)
    const peakRss = {ours: (await memoryOf(sides[0]!.storePid))?.peakRss ?? NaN, theirs: (await memoryOf(sides[1]!.storePid))?.peakRss ?? NaN}
    return {
      queries: results,
      coldRatio: geomean(results.map((q) => q.coldMs.ours / q.coldMs.theirs)),
      warmRatio: geomean(results.map((q) => q.warmMs.ours / q.warmMs.theirs)),
      cpuRatio: geomean(results.map((q) => (q.cpuMs.ours.store + q.cpuMs.ours.querier) / (q.cpuMs.theirs.store + q.cpuMs.theirs.querier))),
      stream,
      peakRss,
      processes,
    }
  } finally {
    await dispatcher.close()
    // Queriers first, then the stores.
    for (const stop of stops.reverse()) await stop().catch(() => {})
    await rm(work, {recursive: true, force: true})
  }
}

const fmtMs = (ms: number): string => (!Number.isFinite(ms) ? 'n/a' : ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0))
const fmtRatio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a')
const mib = (b: number): string => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(0)} MiB` : 'n/a')

/** The store section's markdown (between its own markers in docs/benchmarks.md). */
export function renderStoreMarkdown(r: StoreBenchResults, header: string): string {
  const L: string[] = [header, '']
  L.push(
    'Ours = `thanosts query` → `thanosts store`; theirs = `thanos query` → `thanos store`; one FILESYSTEM bucket holding the data set\'s blocks, uploaded by `thanos tools bucket upload-blocks` with `{cluster="bench", replica="0"}`. Cold = the first answer to each query after the stores started; warm = median of the repetitions, sides interleaved. CPU = mean ms per warm request of store + querier (from /proc, 10 ms ticks): on a loaded machine the wall times are noisy, the CPU times much less so.',
    '',
  )
  L.push('| query | shape | series | cold ours ms | cold theirs ms | **cold ×** | warm ours ms | warm theirs ms | **warm ×** | CPU ours: store + querier | CPU theirs | agree |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|')
  for (const q of r.queries) {
    const c = q.cpuMs
    L.push(
      `| \`${q.expr.replace(/\|/g, '\\|')}\` | ${q.shape} | ${q.series} | ${fmtMs(q.coldMs.ours)} | ${fmtMs(q.coldMs.theirs)} | ${fmtRatio(q.coldMs.ours / q.coldMs.theirs)} | ${fmtMs(q.warmMs.ours)} | ${fmtMs(q.warmMs.theirs)} | ${fmtRatio(q.warmMs.ours / q.warmMs.theirs)} | ${c.ours.store.toFixed(0)} + ${c.ours.querier.toFixed(0)} | ${c.theirs.store.toFixed(0)} + ${c.theirs.querier.toFixed(0)} | ${q.diff === undefined ? '✓' : '✗'} |`,
    )
  }
  L.push(`| **geomean ours ÷ theirs** | | | | | **${fmtRatio(r.coldRatio)}** | | | **${fmtRatio(r.warmRatio)}** | CPU **${fmtRatio(r.cpuRatio)}** | | |`, '')
  for (const q of r.queries) if (q.diff) L.push(`- \`${q.id}\` answers differ: ${q.diff}`)
  const s = r.stream
  L.push(
    `StoreAPI Series of every series, straight from the store (median of ${s.ours.runsMs.length} runs): ours ${s.ours.series} series / ${s.ours.chunks.toLocaleString('en-US')} chunks in ${fmtMs(s.ours.medianMs)} ms (store CPU ${fmtMs(s.ours.storeCpuMs)} ms), theirs ${s.theirs.series} / ${s.theirs.chunks.toLocaleString('en-US')} in ${fmtMs(s.theirs.medianMs)} ms (store CPU ${fmtMs(s.theirs.storeCpuMs)} ms): ${fmtRatio(s.ours.medianMs / s.theirs.medianMs)} wall, ${fmtRatio(s.ours.storeCpuMs / s.theirs.storeCpuMs)} CPU.`,
    '',
    `Peak RSS (VmHWM) of the store processes at the end: ours ${mib(r.peakRss.ours)}, theirs ${mib(r.peakRss.theirs)} (${fmtRatio(r.peakRss.ours / r.peakRss.theirs)}).`,
  )
  return L.join('\n')
}

export function renderStoreConsole(r: StoreBenchResults): string {
  return `store (ours ÷ thanos): cold ${fmtRatio(r.coldRatio)}, warm ${fmtRatio(r.warmRatio)}, CPU ${fmtRatio(r.cpuRatio)}; stream ${fmtMs(r.stream.ours.medianMs)} / ${fmtMs(r.stream.theirs.medianMs)} ms; store RSS ${mib(r.peakRss.ours)} / ${mib(r.peakRss.theirs)}${r.queries.some((q) => q.diff) ? ' (ANSWERS DIFFER)' : ''}`
}
