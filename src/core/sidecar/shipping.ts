/**
 * The sidecar's uploads (thanos `cmd/thanos/sidecar.go`, the `uploads` branch): with a bucket
 * configured, Prometheus's flags are checked first (prometheus-flags.ts), retried every
 * get_config_interval while they are wrong or unreachable, until the ready timeout; once the
 * external labels are known the shipper syncs `--tsdb.path` every 30 s with the labels of the
 * moment, as one more member of the sidecar's Lifecycle: stopping aborts an upload in flight
 * (the block stays partial, without meta.json, and is uploaded whole next time) and closes the
 * bucket. Without a bucket configuration nothing is uploaded.
 */
import {access} from 'node:fs/promises'
import path from 'node:path'
import type {Registry} from 'prom-client'
import {ThanostsError} from '../errors.js'
import type {Labels} from '../labels/labels.js'
import type {Logger} from '../log.js'
import type {Bucket} from '../objstore/bucket.js'
import {bucketFromConfig} from '../objstore/config.js'
import {sleep, type Lifecycle} from '../server/lifecycle.js'
import {DEFAULT_SHIPPER_FILENAME, runShipper, Shipper, SHIPPER_SYNC_INTERVAL_MS, type HashFunc} from '../shipper/shipper.js'
import {validatePrometheusFlags} from './prometheus-flags.js'

export interface SidecarShipperConfig {
  /** `--tsdb.path`. */
  tsdbPath: string
  /** The bucket configuration YAML (`--objstore.config[-file]`); undefined = no uploads. */
  objstoreConfig?: string
  metaFileName?: string
  uploadCompacted?: boolean
  ignoreUnequalBlockSize?: boolean
  allowOutOfOrderUploads?: boolean
  skipCorruptedBlocks?: boolean
  hashFunc?: HashFunc
  uploadConcurrency?: number
  /** 30 s as Thanos; shorter in tests. */
  syncIntervalMs?: number
  /** A bucket to use instead of one built from objstoreConfig (tests wrap real buckets). */
  bucket?: Bucket
}

export interface ShippingDeps {
  prometheusUrl: string
  registry: Registry
  lifecycle: Lifecycle
  logger: Logger
  getConfigIntervalMs: number
  getConfigTimeoutMs: number
  /** When the flag check must have passed (the sidecar's ready timeout). */
  deadline: number
}

export interface Shipping {
  readonly shipper: Shipper
  /** Starts the loop; `labels` is asked for at every upload. */
  start(labels: () => Labels): void
}

/**
 * Checks Prometheus's flags and opens the bucket; undefined when no bucket is configured.
 * @throws the flag check's error (Thanos's message) once the deadline passes, or a bad bucket config.
 */
export async function openShipping(cfg: SidecarShipperConfig | undefined, d: ShippingDeps): Promise<Shipping | undefined> {
  const log = d.logger
  if (!cfg || (cfg.objstoreConfig === undefined && cfg.bucket === undefined)) {
    log.info('no supported bucket was configured, uploads will be disabled')
    return undefined
  }
  const metaFileName = cfg.metaFileName ?? DEFAULT_SHIPPER_FILENAME
  for (;;) {
    try {
      await validatePrometheusFlags(d.prometheusUrl, {
        tsdbPath: cfg.tsdbPath,
        metaFileName,
        ignoreUnequalBlockSize: cfg.ignoreUnequalBlockSize ?? false,
        logger: log,
        timeoutMs: d.getConfigTimeoutMs,
        signal: d.lifecycle.signal,
      })
      log.info('successfully validated prometheus flags')
      break
    } catch (e) {
      log.warn('failed to validate prometheus flags. Is Prometheus running? Retrying', {err: e})
      if (Date.now() + d.getConfigIntervalMs > d.deadline || d.lifecycle.signal.aborted) {
        throw new ThanostsError(e instanceof ThanostsError ? e.kind : 'unavailable', `failed to validate prometheus flags: ${(e as Error).message}`, {cause: e})
      }
      await sleep(d.getConfigIntervalMs, d.lifecycle.signal)
    }
  }

  const bucket = cfg.bucket ?? bucketFromConfig(cfg.objstoreConfig!, {logger: log})
  d.lifecycle.add('bucket', () => bucket.close())
  try {
    await access(path.join(cfg.tsdbPath, 'wal'))
  } catch {
    log.error('WAL dir is not accessible. Is this dir a TSDB directory? If yes it is shared with TSDB?', {dir: cfg.tsdbPath})
  }
  let labels: () => Labels = () => []
  const shipper = new Shipper({
    bucket,
    dir: cfg.tsdbPath,
    labels: () => labels(),
    source: 'sidecar',
    logger: log.with({component: 'shipper'}),
    registry: d.registry,
    metaFileName,
    uploadCompacted: cfg.uploadCompacted,
    allowOutOfOrderUploads: cfg.allowOutOfOrderUploads,
    skipCorruptedBlocks: cfg.skipCorruptedBlocks,
    hashFunc: cfg.hashFunc,
    uploadConcurrency: cfg.uploadConcurrency,
  })
  return {
    shipper,
    start(l) {
      labels = l
      const loop = runShipper(shipper, cfg.syncIntervalMs ?? SHIPPER_SYNC_INTERVAL_MS, d.lifecycle.signal, log.with({component: 'shipper'}))
      d.lifecycle.add('shipper', () => loop)
    },
  }
}
