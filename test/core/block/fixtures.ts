/**
 * Real TSDB blocks for the block reader tests, and the real tools that tell what is in them:
 * blocks from `promtool tsdb create-blocks-from openmetrics` (Debian's 2.42 and the peers'
 * Prometheus 3), the ground truth from `promtool tsdb dump` / `analyze` and from a running
 * Prometheus's HTTP API. Plus a Bucket wrapper that counts what is read, to prove reads are
 * ranged.
 */
import {execFile} from 'node:child_process'
import {cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {XorDecodeIterator} from '../../../src/core/chunkenc/xor-decoder.js'
import type {Label, Labels} from '../../../src/core/labels/labels.js'
import type {Bucket, BucketCallOptions, IterOptions, ObjectAttributes} from '../../../src/core/objstore/bucket.js'
import type {BlockChunk} from '../../../src/core/block/block-reader.js'
import {ChunkEncoding} from '../../../src/core/block/chunks-reader.js'

const execFileP = promisify(execFile)

export const HOUR = 3_600_000
/** 2024-01-01T12:00Z: a multiple of 18h, so Prometheus's 6h and 18h compaction windows start here. */
export const T0 = 1_704_110_400_000
/**
 * The data spans [T0, T0 + 10h): five 2h blocks. Five, not four: Prometheus's planner leaves
 * the newest block out and compacts a 6h window early only if it ends before the newest
 * remaining block starts, so [T0, T0+6h) is compacted once [T0+6h, T0+8h) exists besides it.
 */
export const SPAN = 10 * HOUR
export const BLOCKS = SPAN / (2 * HOUR)

// Float values as OpenMetrics text: special values and ones whose shortest decimal form is long.
const VALUE_TOKENS = ['0.1', '-0', 'NaN', '+Inf', '-Inf', '1e-300', '1.7976931348623157e+308', '5e-324', '-2.5', '123456789.125', '0.30000000000000004']

function ts(t: number): string {
  return (t / 1000).toFixed(3)
}

/**
 * The test data as OpenMetrics. `sparseSeries` series of one family with one sample per 2h
 * block make the index big (the ranged-read test); the other families exercise chunks (many
 * samples, special values), escaping and UTF-8, gaps, and counters.
 */
export function datasetOpenMetrics(sparseSeries: number): string {
  const out: string[] = ['# TYPE test_gauge gauge']
  for (let s = 0; s < 6; s++) {
    const head = `test_gauge{instance="i${s}",job="${s % 2 ? 'b' : 'a'}"}`
    for (let i = 0; i < SPAN / 15_000; i++) {
      const v = i % 97 === 5 ? VALUE_TOKENS[(i + s) % VALUE_TOKENS.length]! : String(Math.round(Math.sin(i / 50 + s) * 1e6) / 1e3)
      out.push(`${head} ${v} ${ts(T0 + i * 15_000)}`)
    }
  }
  out.push('# TYPE test_requests counter')
  for (const code of ['200', '500', '<&>é\\"\\\\q']) {
    for (let i = 0, v = 0; i < SPAN / 60_000; i++) {
      v = i === 300 ? 1 : v + (i % 7) // a counter reset at i = 300
      out.push(`test_requests_total{code="${code}"} ${v} ${ts(T0 + i * 60_000)}`)
    }
  }
  out.push('# TYPE gappy gauge')
  for (let i = 0; i < SPAN / 30_000; i++) {
    const t = i * 30_000
    if (t < HOUR || (t >= 5 * HOUR && t < 6 * HOUR)) out.push(`gappy{phase="x"} ${i} ${ts(T0 + t)}`)
  }
  out.push('# TYPE unicode_metric gauge')
  // U+FFFD and U+1F600 sort differently bytewise (as the index) and in UTF-16 (as JS).
  for (const [k, lang] of ['日本語', '\uFFFD', '😀', 'plain'].entries()) {
    for (let i = 0; i < 20; i++) out.push(`unicode_metric{lang="${lang}"} ${k * 100 + i} ${ts(T0 + HOUR + i * 60_000)}`)
  }
  out.push('# TYPE sparse gauge')
  for (let i = 0; i < sparseSeries; i++) {
    const head = `sparse{group="g${i % 100}",id="s${String(i).padStart(5, '0')}",shard="${i % 7}"}`
    for (let b = 0; b < BLOCKS; b++) out.push(`${head} ${i * 0.25 + b} ${ts(T0 + b * 2 * HOUR + 60_000 + (i % 1000) * 7000)}`)
  }
  out.push('# EOF', '')
  return out.join('\n')
}

export interface Tool {
  promtool: string
  /** promtool 3's dump takes a sandbox dir, kept outside the data dir. */
  sandbox: boolean
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `thanosts-block-${prefix}-`))
}

/** Runs promtool's backfill into `outDir`; returns the block IDs, sorted. */
export async function createBlocks(tool: Tool, openMetrics: string, outDir: string): Promise<string[]> {
  const file = path.join(path.dirname(outDir), `${path.basename(outDir)}.om`)
  await writeFile(file, openMetrics)
  await execFileP(tool.promtool, ['tsdb', 'create-blocks-from', 'openmetrics', file, outDir], {maxBuffer: 64 << 20})
  await rm(file)
  return listBlocks(outDir)
}

export async function listBlocks(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => /^[0-9A-Z]{26}$/.test(n)).sort()
}

/** A copy of a blocks dir that promtool may open as a DB (it wants a wal/ directory). */
export async function dbCopy(blocksDir: string): Promise<string> {
  const dir = await tempDir('db')
  await cp(blocksDir, dir, {recursive: true})
  await mkdir(path.join(dir, 'wal'), {recursive: true})
  await mkdir(sandboxOf(dir), {recursive: true})
  return dir
}

function sandboxOf(db: string): string {
  return `${db}-sandbox`
}

export async function removeDbCopy(db: string): Promise<void> {
  await rm(db, {recursive: true, force: true})
  await rm(sandboxOf(db), {recursive: true, force: true})
}

async function promtool(tool: Tool, db: string, args: string[]): Promise<string> {
  const extra = tool.sandbox && args[0] === 'dump' ? [`--sandbox-dir-root=${sandboxOf(db)}`] : []
  const {stdout} = await execFileP(tool.promtool, ['tsdb', ...args.slice(0, 1), ...extra, ...args.slice(1)], {maxBuffer: 256 << 20})
  return stdout
}

export interface SampleSeries {
  key: string
  ts: number[]
  vs: number[]
}

/** Parses a Go float as promtool (%g) or the HTTP API (strconv 'f') prints it. */
export function parseGoFloat(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity
  if (s === '-Inf') return -Infinity
  if (s === 'NaN') return NaN
  const v = Number(s)
  if (Number.isNaN(v)) throw new Error(`not a float: ${s}`)
  return v
}

/**
 * `promtool tsdb dump` of [mint, maxt] (inclusive), in its order (sorted by labels).
 * Lines are `{labels} value timestamp`.
 */
export async function promtoolDump(tool: Tool, db: string, mint: number, maxt: number): Promise<SampleSeries[]> {
  const text = await promtool(tool, db, ['dump', `--min-time=${mint}`, `--max-time=${maxt}`, db])
  const out: SampleSeries[] = []
  for (const line of text.split('\n')) {
    if (!line) continue
    const j = line.lastIndexOf(' ')
    const i = line.lastIndexOf(' ', j - 1)
    const key = line.slice(0, i)
    let s = out[out.length - 1]
    if (!s || s.key !== key) out.push((s = {key, ts: [], vs: []}))
    s.ts.push(Number(line.slice(j + 1)))
    s.vs.push(parseGoFloat(line.slice(i + 1, j)))
  }
  return out
}

export interface AnalyzeNumbers {
  series: number
  labelNames: number
  uniquePairs: number
  totalPairs: number
  /** With --extended (promtool 3): min/avg/max samples and bytes per float chunk. */
  samplesPerChunk?: [number, number, number]
  bytesPerChunk?: [number, number, number]
}

export async function promtoolAnalyze(tool: Tool, db: string, block: string, extended: boolean): Promise<AnalyzeNumbers> {
  const text = await promtool(tool, db, ['analyze', ...(extended ? ['--extended'] : []), db, block])
  const num = (re: RegExp): number => {
    const m = re.exec(text)
    if (!m) throw new Error(`promtool analyze output lacks ${re}:\n${text.slice(0, 2000)}`)
    return Number(m[1])
  }
  const triple = (re: RegExp): [number, number, number] | undefined => {
    const m = re.exec(text)
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined
  }
  if (!text.includes(`Block ID: ${block}`)) throw new Error(`promtool analyzed another block:\n${text.slice(0, 500)}`)
  return {
    series: num(/^(?:Total )?Series: (\d+)$/m),
    labelNames: num(/^Label names: (\d+)$/m),
    uniquePairs: num(/^Postings \(unique label pairs\): (\d+)$/m),
    totalPairs: num(/^Postings entries \(total label pairs\): (\d+)$/m),
    samplesPerChunk: triple(/^samples per float chunk \(min\/avg\/max\): (\d+)\/(\d+)\/(\d+)$/m),
    bytesPerChunk: triple(/^bytes per float chunk \(min\/avg\/max\): (\d+)\/(\d+)\/(\d+)$/m),
  }
}

/** Go's labels.String() for legacy label names: `{a="x", b="y"}` with strconv.Quote'd values. */
export function goLabelsString(ls: Labels | Record<string, string>): string {
  const pairs: Label[] = Array.isArray(ls) ? [...(ls as Labels)] : Object.entries(ls as Record<string, string>).map(([name, value]) => ({name, value}))
  pairs.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
  return `{${pairs.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ')}}`
}

/** All samples of XOR chunks, in order. */
export function decodeChunks(chunks: readonly BlockChunk[]): {ts: number[]; vs: number[]} {
  const ts: number[] = []
  const vs: number[] = []
  for (const c of chunks) {
    if (c.encoding !== ChunkEncoding.XOR) throw new Error(`unexpected chunk encoding ${c.encoding}`)
    const it = new XorDecodeIterator(c.data)
    while (it.next()) {
      ts.push(it.atT())
      vs.push(it.at())
    }
  }
  return {ts, vs}
}

/** Float equality as bits would have it: NaN equals NaN, -0 differs from 0. */
export function sameFloat(a: number, b: number): boolean {
  return Object.is(a, b)
}

/**
 * Raw samples of every series from a Prometheus HTTP API: `{__name__=~".+"}[range]` evaluated
 * at `time` (Prometheus 3 range selectors are left-open: (time - range, time]).
 */
export async function prometheusRawSamples(url: string, time: number, rangeMs: number): Promise<Map<string, SampleSeries>> {
  const q = new URLSearchParams({query: `{__name__=~".+"}[${rangeMs}ms]`, time: String(time / 1000)})
  const r = await fetch(`${url}/api/v1/query`, {method: 'POST', body: q})
  const body = (await r.json()) as {status: string; data: {resultType: string; result: {metric: Record<string, string>; values: [number, string][]}[]}}
  if (body.status !== 'success' || body.data.resultType !== 'matrix') throw new Error(`query failed: ${JSON.stringify(body).slice(0, 500)}`)
  const out = new Map<string, SampleSeries>()
  for (const s of body.data.result) {
    const key = goLabelsString(s.metric)
    out.set(key, {key, ts: s.values.map(([t]) => Math.round(t * 1000)), vs: s.values.map(([, v]) => parseGoFloat(v))})
  }
  return out
}

export async function prometheusGet<T>(url: string, pathAndQuery: string): Promise<T> {
  const r = await fetch(`${url}${pathAndQuery}`)
  const body = (await r.json()) as {status: string; data: T}
  if (body.status !== 'success') throw new Error(`${pathAndQuery}: ${JSON.stringify(body).slice(0, 500)}`)
  return body.data
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T
}

/** Per-file totals of what went through a CountingBucket. */
export interface ReadStats {
  getRangeCalls: number
  getRangeBytes: number
  getCalls: number
  getBytes: number
  iterCalls: number
  attributesCalls: number
}

/** Wraps a real bucket and counts reads per key (a test utility, not a stand-in: the reads go through). */
export class CountingBucket implements Bucket {
  readonly name: string
  readonly perKey = new Map<string, ReadStats>()

  constructor(private readonly inner: Bucket) {
    this.name = inner.name
  }

  private stats(key: string): ReadStats {
    let s = this.perKey.get(key)
    if (!s) this.perKey.set(key, (s = {getRangeCalls: 0, getRangeBytes: 0, getCalls: 0, getBytes: 0, iterCalls: 0, attributesCalls: 0}))
    return s
  }

  reset(): void {
    this.perKey.clear()
  }

  /** Sum over keys matching `filter` (default: all). */
  total(filter: (key: string) => boolean = () => true): ReadStats {
    const t: ReadStats = {getRangeCalls: 0, getRangeBytes: 0, getCalls: 0, getBytes: 0, iterCalls: 0, attributesCalls: 0}
    for (const [k, s] of this.perKey) {
      if (!filter(k)) continue
      for (const f of Object.keys(t) as (keyof ReadStats)[]) t[f] += s[f]
    }
    return t
  }

  async *iter(dir: string, opts?: IterOptions): AsyncIterable<string> {
    this.stats(dir).iterCalls++
    yield* this.inner.iter(dir, opts)
  }

  async get(key: string, opts?: BucketCallOptions): Promise<Buffer> {
    const b = await this.inner.get(key, opts)
    const s = this.stats(key)
    s.getCalls++
    s.getBytes += b.length
    return b
  }

  async getRange(key: string, offset: number, length: number, opts?: BucketCallOptions): Promise<Buffer> {
    const b = await this.inner.getRange(key, offset, length, opts)
    const s = this.stats(key)
    s.getRangeCalls++
    s.getRangeBytes += b.length
    return b
  }

  exists(key: string, opts?: BucketCallOptions): Promise<boolean> {
    return this.inner.exists(key, opts)
  }

  attributes(key: string, opts?: BucketCallOptions): Promise<ObjectAttributes> {
    this.stats(key).attributesCalls++
    return this.inner.attributes(key, opts)
  }

  upload(key: string, body: Buffer | NodeJS.ReadableStream, opts?: BucketCallOptions & {size?: number}): Promise<void> {
    return this.inner.upload(key, body, opts)
  }

  delete(key: string, opts?: BucketCallOptions): Promise<void> {
    return this.inner.delete(key, opts)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
