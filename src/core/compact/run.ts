/**
 * The `thanosts compact` process (thanos cmd/thanos/compact.go runCompact): /metrics,
 * /-/healthy and /-/ready on --http-address from the start; then one iteration (compactor.ts),
 * or with --wait one every --wait-interval. With --wait a HaltError stops the work for good:
 * "critical error detected; halting" is logged, thanos_compact_halted goes to 1, and the process
 * keeps serving /metrics until it is stopped, so the alert fires and the bucket stays as it was
 * for inspection. A RetryError (the bucket failing) counts in thanos_compact_retries_total and
 * waits for the next interval. Without --wait any error ends the run with it.
 * With --wait two loops run beside the iterations, as upstream's run group: every
 * --compact.cleanup-interval the aborted partial uploads of the last sync are deleted, and every
 * --compact.progress-interval the bucket is synced and thanos_compact_todo_* recomputed
 * (progress.ts). Both run at once when started, then on their interval; 0s turns one off. A
 * RetryError in them counts as a retry; any other error ends the process, as upstream.
 */
import {collectDefaultMetrics, Registry} from 'prom-client'
import {ThanostsError} from '../errors.js'
import type {Logger} from '../log.js'
import type {Bucket} from '../objstore/bucket.js'
import {bucketFromConfig} from '../objstore/config.js'
import {HttpServer} from '../server/http-server.js'
import {Lifecycle, sleep} from '../server/lifecycle.js'
import {Prober} from '../server/prober.js'
import type {HashFunc} from '../shipper/upload.js'
import {RES_1H_MIN_BLOCK_SPAN, RES_5M_MIN_BLOCK_SPAN} from '../downsample/downsample.js'
import {Compactor} from './compactor.js'
import {isHaltError, RetryError} from './errors.js'
import type {MergeFunc} from './merge-chunks.js'
import {compactMetrics, progressMetrics, type CompactMetrics} from './metrics.js'
import {DEFAULT_COMPACTION_RANGES} from './planner.js'
import type {RetentionByResolution} from './retention.js'
import {parseSelectorRelabelConfig, type SelectorRelabelRule} from '../storegateway/selector-relabel.js'
import type {TimeOrDuration} from '../storegateway/time-or-duration.js'


export interface CompactConfig {
  objstoreConfig?: string
  bucket?: Bucket
  dataDir: string
  httpAddress: string
  httpGracePeriodMs: number
  wait: boolean
  waitIntervalMs: number
  consistencyDelayMs: number
  retention: RetentionByResolution
  downsamplingDisabled: boolean
  replicaLabels: readonly string[]
  /** --deduplication.func: '' or 'penalty'. */
  dedupFunc: string
  deleteDelayMs: number
  concurrency: number
  blockMetaFetchConcurrency: number
  /** --block-files-concurrency (default 1). */
  blockFilesConcurrency?: number
  /** --compact.blocks-fetch-concurrency (default 1). */
  blocksFetchConcurrency?: number
  /** --downsample.concurrency (default 1), for the downsampler. */
  downsampleConcurrency?: number
  /** --min-time / --max-time (default: all time). */
  minTime?: TimeOrDuration
  maxTime?: TimeOrDuration
  /** --selector.relabel-config(-file) content. */
  selectorRelabelConfig?: string
  /** --compact.cleanup-interval (default 5m; 0 = off). */
  cleanupIntervalMs?: number
  /** --compact.progress-interval (default 5m; 0 = off). */
  progressIntervalMs?: number
  hashFunc: HashFunc
  logger: Logger
  ranges?: readonly number[]
}

export interface RunningCompactor {
  httpPort: number
  lifecycle: Lifecycle
  registry: Registry
  metrics: CompactMetrics
  compactor: Compactor
  /** Settles when the work ends: after one iteration without --wait, at stop() with it. Rejects with the error that ended it. */
  done: Promise<void>
}

/** Flags checked as upstream before anything starts. @throws ThanostsError(bad_data). */
export function validateCompactConfig(c: CompactConfig): {mergeFunc: MergeFunc; replicaLabels: string[]; selector: SelectorRelabelRule[]} {
  // strutil.ParseFlagLabels: repeated flags and comma-separated lists, trimmed, empty ones dropped.
  const replicaLabels = c.replicaLabels.flatMap((l) => l.split(',')).map((l) => l.trim()).filter((l) => l !== '')
  let mergeFunc: MergeFunc
  if (c.dedupFunc === 'penalty') {
    if (replicaLabels.length === 0) throw new ThanostsError('bad_data', 'penalty based deduplication needs at least one replica label specified')
    mergeFunc = 'penalty'
  } else if (c.dedupFunc === '') mergeFunc = 'chain'
  else throw new ThanostsError('bad_data', `unsupported deduplication func, got ${c.dedupFunc}`)
  if (c.retention.raw !== 0 && !c.downsamplingDisabled && c.retention.raw < RES_5M_MIN_BLOCK_SPAN) {
    throw new ThanostsError('bad_data', 'raw resolution must be higher than the minimum block size after which 5m resolution downsampling will occur (40 hours)')
  }
  if (c.retention.fiveMinutes !== 0 && !c.downsamplingDisabled && c.retention.fiveMinutes < RES_1H_MIN_BLOCK_SPAN) {
    throw new ThanostsError('bad_data', '5m resolution retention must be higher than the minimum block size after which 1h resolution downsampling will occur (10 days)')
  }
  if (c.concurrency < 1) throw new ThanostsError('bad_data', '--compact.concurrency must be at least 1')
  for (const [flag, v] of [['block-files-concurrency', c.blockFilesConcurrency], ['compact.blocks-fetch-concurrency', c.blocksFetchConcurrency], ['downsample.concurrency', c.downsampleConcurrency]] as const) {
    if (v !== undefined && v < 1) throw new ThanostsError('bad_data', `--${flag} must be at least 1`)
  }
  const selector = parseSelectorRelabelConfig(c.selectorRelabelConfig ?? '')
  return {mergeFunc, replicaLabels, selector}
}

export async function runCompact(c: CompactConfig): Promise<RunningCompactor> {
  const log = c.logger.with({component: 'compact'})
  const {mergeFunc, replicaLabels, selector} = validateCompactConfig(c)
  const bucket = c.bucket ?? (c.objstoreConfig !== undefined ? bucketFromConfig(c.objstoreConfig, {logger: log}) : undefined)
  if (!bucket) throw new ThanostsError('bad_data', 'no bucket configuration: --objstore.config-file or --objstore.config is required')

  const lifecycle = new Lifecycle(log)
  lifecycle.add('bucket', () => bucket.close())
  const registry = new Registry()
  collectDefaultMetrics({register: registry})
  const metrics = compactMetrics(registry, c.deleteDelayMs)
  const prober = new Prober()
  prober.setHealthy()
  const http = new HttpServer({address: c.httpAddress, registry, prober, logger: log})
  let httpPort: number
  try {
    httpPort = (await http.listen()).port
  } catch (e) {
    await lifecycle.stop()
    throw e
  }
  lifecycle.add('http', () => http.close(c.httpGracePeriodMs))
  log.info('listening for metrics and probes', {address: c.httpAddress.replace(/:\d+$/, `:${httpPort}`)})

  if (replicaLabels.length > 0) log.info('deduplication.replica-label specified, enabling vertical compaction', {dedupReplicaLabels: replicaLabels.join(',')})
  for (const [res, ms] of [['raw samples', c.retention.raw], ['5 min aggregated samples', c.retention.fiveMinutes], ['1 hour aggregated samples', c.retention.oneHour]] as const) {
    if (ms !== 0) log.info(`retention policy of ${res} is enabled`, {duration: `${ms / 1000}s`})
  }
  const compactor = new Compactor({
    bucket,
    dataDir: c.dataDir,
    ranges: c.ranges ?? DEFAULT_COMPACTION_RANGES,
    consistencyDelayMs: c.consistencyDelayMs,
    deleteDelayMs: c.deleteDelayMs,
    replicaLabels,
    mergeFunc,
    retention: c.retention,
    concurrency: c.concurrency,
    blockMetaFetchConcurrency: c.blockMetaFetchConcurrency,
    blockFilesConcurrency: c.blockFilesConcurrency ?? 1,
    blocksFetchConcurrency: c.blocksFetchConcurrency ?? 1,
    downsampleConcurrency: c.downsampleConcurrency ?? 1,
    minTime: c.minTime,
    maxTime: c.maxTime,
    selector,
    selectorIgnoredLabels: c.replicaLabels,
    hashFunc: c.hashFunc,
    downsamplingDisabled: c.downsamplingDisabled,
    logger: log,
    metrics,
  })
  // One signal for the iterations and the --wait loops: stopping, or one loop failing, ends all.
  const inner = new AbortController()
  if (lifecycle.signal.aborted) inner.abort()
  else lifecycle.signal.addEventListener('abort', () => inner.abort(), {once: true})
  const signal = inner.signal
  log.info('starting compact node')
  prober.setReady()

  const once = async (): Promise<void> => {
    try {
      await compactor.iteration(signal)
    } catch (e) {
      throw e instanceof Error && (isHaltError(e) || e instanceof RetryError) ? e : new Error(`error executing compaction: ${e instanceof Error ? e.message : String(e)}`, {cause: e})
    }
  }
  const work = (async (): Promise<void> => {
    if (!c.wait) return once()
    for (;;) {
      if (signal.aborted) return
      try {
        await once()
        metrics.iterations.inc()
      } catch (e) {
        if (signal.aborted) return
        if (isHaltError(e)) {
          log.error('critical error detected; halting', {err: e})
          metrics.halted.set(1)
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), {once: true}))
          return
        }
        if (e instanceof RetryError) {
          log.error('retriable error', {err: e})
          metrics.retried.inc()
        } else throw e
      }
      if (!(await sleep(c.waitIntervalMs, signal))) return
    }
  })()
  const loops = [work]
  /** runutil.Repeat: f at once, then once per interval (its own time included); a RetryError is counted and skipped. */
  const repeat = async (intervalMs: number, f: () => Promise<void>): Promise<void> => {
    for (;;) {
      if (signal.aborted) return
      const start = Date.now()
      try {
        await f()
      } catch (e) {
        if (signal.aborted) return
        if (!(e instanceof RetryError)) throw e
        log.error('retriable error', {err: e})
        metrics.retried.inc()
      }
      if (!(await sleep(Math.max(0, intervalMs - (Date.now() - start)), signal))) return
    }
  }
  const cleanupIntervalMs = c.cleanupIntervalMs ?? 300_000
  const progressIntervalMs = c.progressIntervalMs ?? 300_000
  if (c.wait && cleanupIntervalMs > 0) loops.push(repeat(cleanupIntervalMs, () => compactor.cleanPartialUploads(signal)))
  if (c.wait && progressIntervalMs > 0) {
    const pm = progressMetrics(registry, !c.downsamplingDisabled)
    loops.push(
      repeat(progressIntervalMs, async () => {
        let p
        try {
          p = await compactor.progress(signal)
        } catch (e) {
          if (e instanceof RetryError) throw e
          throw new Error(`could not calculate compaction progress: ${e instanceof Error ? e.message : String(e)}`, {cause: e})
        }
        pm.todoCompactions.set(p.compactions)
        pm.todoCompactionBlocks.set(p.compactionBlocks)
        pm.todoDeletionBlocks.set(p.deletionBlocks)
        if (p.downsampleBlocks !== undefined) pm.todoDownsampleBlocks?.set(p.downsampleBlocks)
      }),
    )
  }
  // The first error to happen ends the others and is the one reported, once all have stopped.
  const done = (async (): Promise<void> => {
    let first: {err: unknown} | undefined
    await Promise.all(
      loops.map((l) =>
        l.catch((e: unknown) => {
          first ??= {err: e}
          inner.abort()
        }),
      ),
    )
    if (first) throw first.err
  })()
  lifecycle.add('compact', () => done.catch(() => undefined))
  return {httpPort, lifecycle, registry, metrics, compactor, done}
}
