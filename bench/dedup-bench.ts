/**
 * `node dist/bench/dedup-bench.js`: the replica merge alone, on the querier's two paths.
 * 200 series × 2 replicas × 24 h at 15 s, XOR chunks as stores send them, the replicas
 * scraping at their own offsets and replica 0 missing an hour in the middle. Per path the
 * median and minimum CPU time (user + system, which a machine shared with other work disturbs
 * less than wall time) of 11 runs: the bulk path (DedupSeries.samples, what the engine uses) and the
 * iterator path (walking DedupSeries.iterator()), plain and counter-aware; with
 * `--explain` also the span recording (DedupSeries.explain) the API runs for explain=true.
 * Not a test: numbers depend on the machine; compare runs on the same machine.
 */
import {encodeXorChunks} from '../src/core/chunkenc/xor-encoder.js'
import {DedupSeries} from '../src/core/dedup/dedup-series-set.js'
import {labelsFromRecord} from '../src/core/labels/labels.js'
import {ChunkSeries} from '../src/core/proxy/chunk-series.js'
import {decodeXorChunk} from '../src/core/chunkenc/xor-decoder.js'
import type {Series} from '../src/core/promql/queryable.js'

const STEP = 15_000
const POINTS = (24 * 3600_000) / STEP
const T0 = Date.UTC(2025, 0, 1)
const SERIES = 200
const GAP: [number, number] = [T0 + 11 * 3600_000, T0 + 12 * 3600_000]

function replica(n: number, r: number): ChunkSeries {
  const ts: number[] = []
  const vs: number[] = []
  const offset = r === 0 ? 1_234 : 8_765
  for (let i = 0; i < POINTS; i++) {
    const t = T0 + i * STEP + offset
    if (r === 0 && t >= GAP[0] && t < GAP[1]) continue
    ts.push(t)
    vs.push(i * (n % 7 + 1))
  }
  const chunks = encodeXorChunks(ts, vs)
  return new ChunkSeries(labelsFromRecord({__name__: 'x', n: String(n)}), chunks, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, decodeXorChunk)
}

const replicas: Series[][] = []
for (let n = 0; n < SERIES; n++) replicas.push([replica(n, 0), replica(n, 1)])
const mint = T0
const maxt = T0 + POINTS * STEP

function cpuMs(f: () => number): {median: number; min: number} {
  const times: number[] = []
  let check = 0
  for (let r = 0; r < 11; r++) {
    const t0 = process.cpuUsage()
    check += f()
    const d = process.cpuUsage(t0)
    times.push((d.user + d.system) / 1000)
  }
  if (check < 0) throw new Error('unreachable')
  times.sort((a, b) => a - b)
  return {median: times[5]!, min: times[0]!}
}

const fmt = (t: {median: number; min: number}): string => `${t.median.toFixed(1)} | ${t.min.toFixed(1)}`

const withExplain = process.argv.includes('--explain')
console.log(`data: ${SERIES} series × 2 replicas × ${POINTS} samples (24 h at 15 s), replica 0 misses 1 h`)
console.log('| path | median CPU ms | min CPU ms |')
console.log('|---|---|---|')
for (const counter of [false, true]) {
  const set = replicas.map((rs) => new DedupSeries(rs[0]!.labels, rs, counter))
  const bulk = cpuMs(() => set.reduce((a, s) => a + s.samples(mint, maxt).ts.length, 0))
  const iter = cpuMs(() => {
    let n = 0
    for (const s of set) {
      const it = s.iterator()
      while (it.next()) n++
    }
    return n
  })
  const kind = counter ? 'counter' : 'plain'
  console.log(`| bulk, ${kind} | ${fmt(bulk)} |`)
  console.log(`| iterator, ${kind} | ${fmt(iter)} |`)
  if (withExplain) {
    const ex = cpuMs(() => set.reduce((a, s) => a + s.explain(mint, maxt).spans.length, 0))
    console.log(`| explain (spans), ${kind} | ${fmt(ex)} |`)
  }
}
