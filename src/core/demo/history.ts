/**
 * The demo's history: days of data older than anything its Prometheus servers scrape, in the
 * bucket, so the store gateway has something to serve and a query over days shows data from
 * object storage joined to the live data from the sidecars. For each replica the demo writes
 * the series that replica would have scraped (`up` and the head's appended-samples counter of
 * each demo Prometheus, as Prometheus 2.42 names them, tsdb/head.go), turns them into TSDB
 * blocks with `promtool tsdb create-blocks-from openmetrics` (the same blocks a Prometheus
 * writes) and uploads them with the replica's external labels in meta.json's Thanos section,
 * as its sidecar's shipper would have (thanos pkg/shipper/shipper.go, pkg/block/block.go).
 *
 * The replicas of one cluster scrape at different offsets, as real HA pairs do, and us1/0 has
 * a two-hour outage in its history: deduplication fills it from us1/1 in old data too.
 */
import {execFile} from 'node:child_process'
import {cp, mkdir, readdir, readFile, writeFile} from 'node:fs/promises'
import {availableParallelism} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {formatMeta, parseMeta} from '../block/meta.js'
import {isUlid, newUlid, ulidTime} from '../block/ulid.js'
import {UnavailableError} from '../errors.js'
import {labelsFromRecord} from '../labels/labels.js'
import type {Logger} from '../log.js'
import type {Bucket} from '../objstore/bucket.js'
import {uploadBlock} from '../shipper/upload.js'

const execFileP = promisify(execFile)

const HOUR = 3_600_000
const DAY = 24 * HOUR
/** Prometheus's block range (and promtool's backfill's): blocks are aligned to it. */
const BLOCK_RANGE = 2 * HOUR

export interface HistoryReplica {
  name: string // "us1/0"
  cluster: string
  replica: string
}

export interface HistoryConfig {
  promtoolBinary: string
  bucket: Bucket
  replicas: readonly HistoryReplica[]
  /** The `instance` of each demo Prometheus (`127.0.0.1:port`): the live series continue these. */
  instances: readonly string[]
  /** History ends here (ms): just before the demo's Prometheus servers start. */
  endMs: number
  days: number
  stepMs: number
  /** Where promtool writes (a temp dir the demo removes). */
  workDir: string
  logger: Logger
  progress?: (line: string) => void
  signal?: AbortSignal
}

/** When a replica's history is missing samples: [from, to) ms. */
export interface HistoryGap {
  name: string
  from: number
  to: number
}

export interface History {
  from: number
  to: number
  blocks: number
  gaps: HistoryGap[]
}

/** us1/0's outage in its history: two hours, a day and a half before the end. */
export function historyGap(endMs: number): HistoryGap {
  const from = Math.floor((endMs - 36 * HOUR) / HOUR) * HOUR
  return {name: 'us1/0', from, to: from + 2 * HOUR}
}

/**
 * The head's appended-samples counter of demo Prometheus `instanceIndex` at `t`, counted from
 * `epoch`: the integral of a daily wave of samples per second (busy days, quiet nights),
 * different per instance, so `rate()` over days has a shape to look at. A function of time
 * alone, so the replicas of a cluster agree whatever their scrape offsets, as two Prometheus
 * scraping the same target do, and deduplication switching between them sees no reset.
 */
function appendedTotal(t: number, epoch: number, instanceIndex: number): number {
  const s = (t - epoch) / 1000
  const w = (2 * Math.PI) / (DAY / 1000)
  return Math.round((40 + 10 * instanceIndex) * s + (25 / w) * (1 - Math.cos(w * s)))
}

/**
 * One replica's history as OpenMetrics texts, one per 2h block range (promtool wants each
 * family in one run of lines, seconds, `# EOF`). promtool's backfill reads its whole input once
 * per block it writes (cmd/promtool/backfill.go), so one file of days costs days² of parsing:
 * a file per block range keeps the demo's start-up in seconds.
 */
export function historyOpenMetrics(cfg: Pick<HistoryConfig, 'instances' | 'endMs' | 'days' | 'stepMs'>, replicaIndex: number, gap?: HistoryGap): string[] {
  const offset = (replicaIndex * 7_000) % cfg.stepMs // HA replicas scrape at different offsets
  const first = Math.ceil((cfg.endMs - cfg.days * DAY) / cfg.stepMs) * cfg.stepMs + offset
  const ranges = new Map<number, number[]>()
  for (let t = first; t < cfg.endMs; t += cfg.stepMs) {
    if (gap && t >= gap.from && t < gap.to) continue
    const r = Math.floor(t / BLOCK_RANGE)
    const list = ranges.get(r) ?? []
    list.push(t)
    ranges.set(r, list)
  }
  const sec = (t: number): string => (t / 1000).toFixed(3)
  const epoch = Math.floor((cfg.endMs - cfg.days * DAY) / DAY) * DAY
  const out: string[] = []
  for (const times of ranges.values()) {
    const counters: string[][] = cfg.instances.map(() => [])
    for (const t of times) {
      cfg.instances.forEach((inst, i) => {
        counters[i]!.push(`prometheus_tsdb_head_samples_appended_total{instance="${inst}",job="prometheus",type="float"} ${appendedTotal(t, epoch, i)} ${sec(t)}`)
      })
    }
    const lines: string[] = ['# TYPE up gauge']
    for (const inst of cfg.instances) for (const t of times) lines.push(`up{instance="${inst}",job="prometheus"} 1 ${sec(t)}`)
    lines.push('# TYPE prometheus_tsdb_head_samples_appended counter', ...counters.flat(), '# EOF', '')
    out.push(lines.join('\n'))
  }
  return out
}

/**
 * Runs `fn` over `items`, `limit` at a time. On the first failure (or abort) no more start, and
 * it rejects only once those running have settled: nothing writes into the work dir after the
 * caller removes it.
 */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0
  let failed: {e: unknown} | undefined
  await Promise.all(
    Array.from({length: Math.min(limit, items.length)}, async () => {
      while (next < items.length && !failed) {
        try {
          signal?.throwIfAborted()
          await fn(items[next++]!)
        } catch (e) {
          failed ??= {e}
        }
      }
    }),
  )
  if (failed) throw failed.e
}

/**
 * Writes and uploads every replica's history. Replicas whose histories are alike share the
 * blocks promtool writes (eu1/0 scrapes the same targets as us1/1, at the same offset): each
 * further replica gets a copy under a new ULID, its meta.json's ulid and sources rewritten, so
 * the bucket holds distinct blocks per replica as shipping sidecars would have left it.
 */
export async function writeHistory(cfg: HistoryConfig): Promise<History> {
  const say = cfg.progress ?? ((): void => undefined)
  const gap = historyGap(cfg.endMs)
  const from = cfg.endMs - cfg.days * DAY
  say(`history: writing ${cfg.days} days of series for ${cfg.replicas.map((r) => r.name).join(', ')} as TSDB blocks (promtool tsdb create-blocks-from openmetrics)...`)
  // variant 0: us1/0 (first offset, its outage); variant 1: the others (second offset, whole)
  const variantOf = (r: HistoryReplica): number => (r.name === gap.name ? 0 : 1)
  const jobs: {om: string; blocks: string}[] = []
  const dirs = await Promise.all(
    [0, 1].map(async (v) => {
      const dir = path.join(cfg.workDir, `variant-${v}`)
      await mkdir(dir, {recursive: true})
      const blocks = path.join(dir, 'blocks')
      const texts = historyOpenMetrics(cfg, v, v === 0 ? gap : undefined)
      for (const [j, text] of texts.entries()) {
        const om = path.join(dir, `history-${j}.om`)
        await writeFile(om, text)
        jobs.push({om, blocks})
      }
      return blocks
    }),
  )
  // promtool's time goes mostly to writing and syncing each block, not to the CPU: several at once
  let done = 0
  let told = 0
  await eachLimited(jobs, Math.max(4, 2 * availableParallelism()), async (j) => {
    try {
      // an abort kills promtool; eachLimited waits for it to be gone
      await execFileP(cfg.promtoolBinary, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', j.om, j.blocks], {maxBuffer: 16 << 20, signal: cfg.signal})
    } catch (e) {
      cfg.signal?.throwIfAborted()
      const err = e as {stderr?: string; code?: string; message: string}
      const why = err.code === 'ENOENT' ? `${cfg.promtoolBinary} not found (--promtool.binary)` : (err.stderr || err.message).trim()
      throw new UnavailableError(`demo history: promtool failed: ${why}`)
    }
    done++
    if (done === jobs.length || done - told >= jobs.length / 4) {
      told = done
      say(`history: ${done}/${jobs.length} blocks written`)
    }
  }, cfg.signal)
  const used = [false, false]
  let blocks = 0
  for (const r of cfg.replicas) {
    const v = variantOf(r)
    const dir = dirs[v]!
    const ids = (await readdir(dir)).filter((n) => isUlid(n) && !n.startsWith('.')).sort()
    const own = used[v] ? await Promise.all(ids.map((id) => copyBlock(dir, id))) : ids
    used[v] = true
    await eachLimited(own, 4, async (id) => {
      const meta = parseMeta(await readFile(path.join(dir, id, 'meta.json')), id)
      await uploadBlock(meta, {
        bucket: cfg.bucket,
        tsdbDir: dir,
        labels: labelsFromRecord({cluster: r.cluster, replica: r.replica}),
        source: 'sidecar',
        hashFunc: '',
        concurrency: 1,
        logger: cfg.logger,
        signal: cfg.signal,
      })
    }, cfg.signal)
    blocks += own.length
    say(`history: uploaded ${own.length} blocks of ${r.name} with external labels {cluster="${r.cluster}", replica="${r.replica}"}`)
  }
  return {from, to: cfg.endMs, blocks, gaps: [gap]}
}

/** A copy of block `id` in `dir` under a new ULID of the same time; returns the new ULID. */
async function copyBlock(dir: string, id: string): Promise<string> {
  const nid = newUlid(ulidTime(id))
  await cp(path.join(dir, id), path.join(dir, nid), {recursive: true})
  const meta = parseMeta(await readFile(path.join(dir, nid, 'meta.json')), nid)
  meta.ulid = nid
  meta.compaction.sources = [nid]
  await writeFile(path.join(dir, nid, 'meta.json'), formatMeta(meta))
  return nid
}
