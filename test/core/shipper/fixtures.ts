/**
 * Real TSDB directories for the shipper tests and what to expect of a shipped block.
 *
 * A test Prometheus (Debian's 2.42 or the peers' 3.x) runs as the sidecar needs it: compaction
 * off (min = max block duration = 2h). Its data dir holds three level-1 blocks backfilled by
 * promtool over [T0, T0+6h) in 2024, and two level-1 blocks Prometheus cuts itself: samples of
 * the last 5 h are remote-written into its empty head, which spans more than 1.5 block ranges,
 * so it writes blocks for the 2h ranges it can close (tsdb Head.compactable) right after the
 * write.
 *
 * The expected content of a shipped block is derived from the local files, not from our code:
 * the Prometheus part of meta.json as Prometheus wrote it, the Thanos section as Thanos
 * documents it (pkg/block/metadata/meta.go; pkg/block/block.go GatherFileStats), and every
 * other object byte for byte.
 */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {readdir, readFile, stat} from 'node:fs/promises'
import path from 'node:path'
import type {Registry} from 'prom-client'
import type {Bucket, BucketCallOptions, IterOptions, ObjectAttributes} from '../../../src/core/objstore/bucket.js'
import {samples, type SeriesSpec} from '../../helpers/openmetrics.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'
import {remoteWrite} from '../../helpers/remote-write.js'

export const HOUR = 3_600_000
/** 2024-01-01T12:00Z, on a 2h boundary. */
export const T0 = Date.UTC(2024, 0, 1, 12)

const ULID_RE = /^[0-9A-Z]{26}$/

/** Backfilled data, [T0, T0+6h): three 2h blocks. Values include NaN, infinities, -0 and long decimals. */
export function backfillSeries(): SeriesSpec[] {
  const special = [NaN, Infinity, -Infinity, -0, 0.1 + 0.2, 1e-300, 5e-324, 1.7976931348623157e308]
  return [
    ...['a', 'b'].map((instance, k) => ({
      metric: 'http_requests',
      type: 'counter' as const,
      labels: {job: 'api', instance},
      samples: samples(T0, 15_000, (6 * HOUR) / 15_000, (i) => (i < 600 ? i * (k + 1) : i - 600)),
    })),
    {
      metric: 'temperature',
      type: 'gauge' as const,
      labels: {room: 'lab'},
      samples: samples(T0, 30_000, (6 * HOUR) / 30_000, (i) => (i % 53 === 0 ? special[(i / 53) % special.length]! : Math.sin(i / 10) * 1e3 + i / 7)),
    },
  ]
}

/** Recent data for Prometheus to cut its own blocks: the 5 h before `now`, every 15 s. */
export function recentSeries(now: number): SeriesSpec[] {
  const start = now - 5 * HOUR
  return ['x', 'y', 'z'].map((pod, k) => ({
    metric: 'queue_depth',
    type: 'gauge' as const,
    labels: {pod},
    samples: samples(start, 15_000, (5 * HOUR) / 15_000, (i) => ((i * 7919 + k * 104729) % 1000) / 8),
  }))
}

export interface RawMeta {
  ulid: string
  minTime: number
  maxTime: number
  stats: Record<string, number>
  compaction: {level: number; sources?: string[]; parents?: unknown[]}
  version: number
  thanos?: Record<string, unknown>
}

export interface ShipperPrometheus {
  prom: PrometheusHandle
  dataDir: string
  /** The level-1 blocks promtool wrote, oldest first. */
  backfilled: RawMeta[]
  /** The level-1 blocks Prometheus cut from its head, oldest first. */
  cut: RawMeta[]
}

export async function startShipperPrometheus(version: 2 | 3, externalLabels: Record<string, string>, extraArgs: string[] = []): Promise<ShipperPrometheus> {
  const prom = await startPrometheus({
    version,
    externalLabels,
    series: backfillSeries(),
    extraArgs: ['--web.enable-remote-write-receiver', '--storage.tsdb.min-block-duration=2h', '--storage.tsdb.max-block-duration=2h', ...extraArgs],
  })
  try {
    const dataDir = path.join(prom.dir, 'data')
    const backfilled = await localMetas(dataDir)
    assert.equal(backfilled.length, 3, 'promtool wrote three 2h blocks')
    await remoteWrite(prom.url, recentSeries(Date.now()))
    const cut = await pollFor(async () => {
      const now = (await localMetas(dataDir)).filter((m) => !backfilled.some((b) => b.ulid === m.ulid))
      return now.length >= 2 ? now : undefined
    }, 60_000, 'Prometheus to cut two blocks from its head')
    return {prom, dataDir, backfilled, cut}
  } catch (e) {
    await prom.stop()
    throw e
  }
}

/** Polls `f` every 200 ms until it returns something, or fails after `timeoutMs`. */
export async function pollFor<T>(f: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** meta.json of every block directory in `dir`, sorted by minTime (a block being deleted is skipped). */
export async function localMetas(dir: string): Promise<RawMeta[]> {
  const out: RawMeta[] = []
  for (const n of (await readdir(dir)).filter((x) => ULID_RE.test(x)).sort()) {
    try {
      out.push(JSON.parse(await readFile(path.join(dir, n, 'meta.json'), 'utf8')) as RawMeta)
    } catch {
      // being written or deleted
    }
  }
  return out.sort((a, b) => a.minTime - b.minTime)
}

export async function bucketKeys(b: Bucket, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for await (const k of b.iter(prefix, {recursive: true})) out.push(k)
  return out
}

/** The block IDs with a meta.json in the bucket, sorted. */
export async function completeBlocks(b: Bucket): Promise<string[]> {
  const out: string[] = []
  for await (const e of b.iter('')) {
    const id = e.replace(/\/$/, '')
    if (ULID_RE.test(id) && (await b.exists(`${id}/meta.json`))) out.push(id)
  }
  return out.sort()
}

export interface BucketOp {
  op: 'upload' | 'exists' | 'get' | 'getRange' | 'iter' | 'attributes' | 'delete'
  key: string
}

/**
 * A real bucket that logs the calls made to it, in order (a test utility: every call goes
 * through to the real bucket).
 */
export class RecordingBucket implements Bucket {
  readonly name: string
  readonly ops: BucketOp[] = []

  constructor(readonly inner: Bucket) {
    this.name = inner.name
  }

  uploads(): string[] {
    return this.ops.filter((o) => o.op === 'upload').map((o) => o.key)
  }

  async *iter(dir: string, opts?: IterOptions): AsyncIterable<string> {
    this.ops.push({op: 'iter', key: dir})
    yield* this.inner.iter(dir, opts)
  }

  get(key: string, opts?: BucketCallOptions): Promise<Buffer> {
    this.ops.push({op: 'get', key})
    return this.inner.get(key, opts)
  }

  getRange(key: string, offset: number, length: number, opts?: BucketCallOptions): Promise<Buffer> {
    this.ops.push({op: 'getRange', key})
    return this.inner.getRange(key, offset, length, opts)
  }

  exists(key: string, opts?: BucketCallOptions): Promise<boolean> {
    this.ops.push({op: 'exists', key})
    return this.inner.exists(key, opts)
  }

  attributes(key: string, opts?: BucketCallOptions): Promise<ObjectAttributes> {
    this.ops.push({op: 'attributes', key})
    return this.inner.attributes(key, opts)
  }

  upload(key: string, body: Buffer | NodeJS.ReadableStream, opts?: BucketCallOptions & {size?: number}): Promise<void> {
    this.ops.push({op: 'upload', key})
    return this.inner.upload(key, body, opts)
  }

  delete(key: string, opts?: BucketCallOptions): Promise<void> {
    this.ops.push({op: 'delete', key})
    return this.inner.delete(key, opts)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}

/** The keys Thanos's shipper uploads for a block, in its order: chunks/* sorted, index, meta.json. */
export async function expectedUploadOrder(dataDir: string, id: string): Promise<string[]> {
  const chunks = (await readdir(path.join(dataDir, id, 'chunks'))).sort()
  return [...chunks.map((c) => `${id}/chunks/${c}`), `${id}/index`, `${id}/meta.json`]
}

export interface ShippedCheck {
  labels: Record<string, string>
  /** upload_time must fall in [after, before]. */
  after: number
  before: number
  hashFunc?: 'SHA256'
}

/**
 * Checks block `id` in the bucket against the local block: exactly chunks/*, index and
 * meta.json (no tombstones), the data files byte for byte, and every field of meta.json.
 * Returns the parsed bucket meta.
 */
export async function assertShipped(b: Bucket, dataDir: string, id: string, c: ShippedCheck): Promise<Record<string, unknown>> {
  const local = path.join(dataDir, id)
  const chunkNames = (await readdir(path.join(local, 'chunks'))).sort()
  const keys = await bucketKeys(b, id)
  assert.deepEqual(keys, [...chunkNames.map((n) => `${id}/chunks/${n}`), `${id}/index`, `${id}/meta.json`], `objects of ${id}`)
  for (const f of [...chunkNames.map((n) => `chunks/${n}`), 'index']) {
    assert.ok((await b.get(`${id}/${f}`)).equals(await readFile(path.join(local, f))), `${id}/${f} differs from the local file`)
  }

  const text = (await b.get(`${id}/meta.json`)).toString('utf8')
  const got = JSON.parse(text) as Record<string, unknown> & {thanos: Record<string, unknown>}
  const prom = JSON.parse(await readFile(path.join(local, 'meta.json'), 'utf8')) as Record<string, unknown>
  const {thanos, ...promPart} = got
  assert.deepEqual(promPart, prom, `${id}: the Prometheus part of meta.json is Prometheus's`)
  assert.equal(prom.thanos, undefined, 'Prometheus wrote no thanos section')

  const files: Record<string, unknown>[] = []
  for (const n of chunkNames) {
    const f: Record<string, unknown> = {rel_path: `chunks/${n}`, size_bytes: (await stat(path.join(local, 'chunks', n))).size}
    if (c.hashFunc) f.hash = {hashFunc: 'SHA256', value: sha256(await readFile(path.join(local, 'chunks', n)))}
    files.push(f)
  }
  const index: Record<string, unknown> = {rel_path: 'index', size_bytes: (await stat(path.join(local, 'index'))).size}
  if (c.hashFunc) index.hash = {hashFunc: 'SHA256', value: sha256(await readFile(path.join(local, 'index')))}
  files.push(index, {rel_path: 'meta.json'})

  const {upload_time: uploadTime, ...rest} = thanos
  assert.deepEqual(rest, {labels: c.labels, downsample: {resolution: 0}, source: 'sidecar', segment_files: chunkNames, files, index_stats: {}}, `${id}: thanos section`)
  assert.match(String(uploadTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'upload_time is RFC 3339 in UTC')
  const t = Date.parse(String(uploadTime))
  assert.ok(t >= c.after - 1 && t <= c.before + 1, `upload_time ${String(uploadTime)} outside [${new Date(c.after).toISOString()}, ${new Date(c.before).toISOString()}]`)
  assert.ok(text.startsWith('{\n\t"ulid": '), 'meta.json is tab-indented as Go writes it')
  return got
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex')
}

/** The value of a metric without labels in a prom-client registry. */
export async function metricValue(registry: Registry, name: string): Promise<number> {
  const m = registry.getSingleMetric(name)
  if (!m) throw new Error(`metric ${name} is not registered`)
  const v = (await m.get()).values[0]
  return v ? v.value : 0
}

/** Thanos's shipper file as Thanos writes it, from a list of IDs (null = none). */
export function shipperFileText(ids: string[] | null): string {
  if (ids === null) return '{\n\t"version": 1,\n\t"uploaded": null\n}\n'
  if (ids.length === 0) return '{\n\t"version": 1,\n\t"uploaded": []\n}\n'
  return `{\n\t"version": 1,\n\t"uploaded": [\n${ids.map((i) => `\t\t"${i}"`).join(',\n')}\n\t]\n}\n`
}
