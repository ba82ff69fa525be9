/**
 * tools/: the offline bucket tools of `thanos tools bucket` (cmd/thanos/tools_bucket.go): this
 * file runs `ls` (registerBucketLs) and `inspect` (registerBucketInspect) against a bucket
 * config; the text they print is in ls-format.ts and inspect-table.ts, Go's text formats in
 * go-text.ts and go-csv.ts; the relabelling that selects blocks for `ls` is the store gateway's
 * (storegateway/selector-relabel.ts).
 *
 * Both read the block list the way the store gateway does (storegateway/meta-fetcher.ts, the
 * BaseFetcher of pkg/block/fetcher.go): blocks without a meta.json or with a corrupt one are
 * left out with a warning; any other read failure is an error (`incomplete view`), as Thanos's
 * Fetch, and nothing is printed. `ls` applies Thanos's filters for it: relabelling on external
 * labels (--selector.relabel-config), time partition (--min-time/--max-time)
 * and, with --exclude-delete, every block with a deletion mark
 * (IgnoreDeletionMarkFilter with delay 0). `inspect` applies none; it selects on external labels.
 *
 * Thanos iterates a Go map, so its `ls` order changes from run to run; ours is ULID order.
 */
import type {BlockMeta} from '../block/meta.js'
import {BadDataError, TimeoutError, UnavailableError} from '../errors.js'
import type {Logger} from '../log.js'
import type {Bucket} from '../objstore/bucket.js'
import {bucketFromConfig} from '../objstore/config.js'
import {ignoreDeletionMarkFilter, labelShardedFilter, timePartitionFilter} from '../storegateway/filters.js'
import {MetaFetcher, type MetaFilter} from '../storegateway/meta-fetcher.js'
import type {TimeOrDuration} from '../storegateway/time-or-duration.js'
import {goUnquote} from './go-text.js'
import {formatInspect, type InspectColumn, type InspectOutput} from './inspect-table.js'
import {lsPrinter, type LsOutput} from './ls-format.js'
import {parseSelectorRelabelConfig} from '../storegateway/selector-relabel.js'

/** block.FetcherConcurrency: meta.json reads in flight. */
const FETCHER_CONCURRENCY = 32

export interface BucketToolConfig {
  /** The bucket YAML (objstore config), environment already substituted. */
  objstoreConfig: string
  timeoutMs: number
  logger: Logger
  /** Where the result goes (stdout in the command). */
  write: (text: string) => void
}

export interface BucketLsConfig extends BucketToolConfig {
  output: LsOutput
  excludeDelete: boolean
  minTime: TimeOrDuration
  maxTime: TimeOrDuration
  /** --selector.relabel-config(-file) content: relabelling that selects blocks (storegateway/selector-relabel.ts). */
  selectorRelabelConfig?: string
}

export interface BucketInspectConfig extends BucketToolConfig {
  /** External labels every listed block must have (parseSelector of the `-l` flags). */
  selector: ReadonlyArray<readonly [string, string]>
  sortBy: readonly InspectColumn[]
  output: InspectOutput
}

/** `thanos tools bucket ls`: one line (or JSON document) per block. Returns how many were printed. */
export async function runBucketLs(cfg: BucketLsConfig): Promise<number> {
  const print = lsPrinter(cfg.output)
  // the store gateway's --selector.relabel-config: the same LabelShardedMetaFilter (pkg/block/fetcher.go)
  const relabel = parseSelectorRelabelConfig(cfg.selectorRelabelConfig ?? '')
  const metas = await withBucket(cfg, (bucket) => {
    const filters: MetaFilter[] = [labelShardedFilter(relabel), timePartitionFilter(cfg.minTime, cfg.maxTime)]
    if (cfg.excludeDelete) filters.push(ignoreDeletionMarkFilter(bucket, 0, FETCHER_CONCURRENCY, cfg.logger))
    return filters
  })
  for (const m of metas) cfg.write(print(m))
  cfg.logger.info('ls done', {objects: metas.length})
  return metas.length
}

/** `thanos tools bucket inspect`: the table of the blocks whose external labels match the selector. */
export async function runBucketInspect(cfg: BucketInspectConfig): Promise<number> {
  const metas = (await withBucket(cfg, () => [])).filter((m) => matchesSelector(m, cfg.selector))
  cfg.write(formatInspect(metas, cfg.sortBy, cfg.output))
  return metas.length
}

/**
 * parseFlagLabels (cmd/thanos/config.go): `name=value` split at the first `=`, the name any
 * non-empty UTF-8 text, the value a Go string literal (`"v"`, `` `v` ``).
 * @throws BadDataError `error parsing selector flag: ...`
 */
export function parseSelector(flags: readonly string[]): Array<[string, string]> {
  try {
    return flags.map(parseSelectorLabel)
  } catch (e) {
    throw new BadDataError(`error parsing selector flag: ${(e as Error).message}`, {cause: e})
  }
}


function parseSelectorLabel(f: string): [string, string] {
  const eq = f.indexOf('=')
  if (eq < 0) throw new BadDataError(`unrecognized label ${JSON.stringify(f)}`)
  const name = f.slice(0, eq)
  if (name === '') throw new BadDataError(`unsupported format for label ${f}`)
  let value: string
  try {
    value = goUnquote(f.slice(eq + 1))
  } catch (e) {
    throw new BadDataError(`unquote label value: ${(e as Error).message}`, {cause: e})
  }
  return [name, value]
}

/** matchesSelector: every selector label is an external label of the block with that value. */
export function matchesSelector(m: BlockMeta, selector: ReadonlyArray<readonly [string, string]>): boolean {
  return selector.every(([k, v]) => Object.hasOwn(m.thanos.labels, k) && m.thanos.labels[k] === v)
}

/** Opens the bucket, fetches the metas through `filters`, closes it; metas in ULID order. */
async function withBucket(cfg: BucketToolConfig, filters: (b: Bucket) => MetaFilter[]): Promise<BlockMeta[]> {
  const bucket = bucketFromConfig(cfg.objstoreConfig, {logger: cfg.logger})
  if (cfg.timeoutMs < 60_000) cfg.logger.warn('Timeout less than 1m could lead to frequent failures')
  const signal = AbortSignal.timeout(cfg.timeoutMs)
  try {
    const fetcher = new MetaFetcher(bucket, {concurrency: FETCHER_CONCURRENCY, filters: filters(bucket), logger: cfg.logger})
    const res = await fetcher.fetch(signal)
    if (res.failed.length > 0) throw new UnavailableError(`incomplete view: ${res.failed[0]!.message}`, {cause: res.failed[0]})
    cfg.logger.info('successfully synchronized block metadata', {returned: res.metas.size, partial: res.partial.size})
    return [...res.metas.values()].sort((a, b) => (a.ulid < b.ulid ? -1 : a.ulid > b.ulid ? 1 : 0))
  } catch (e) {
    if (signal.aborted) throw new TimeoutError(`fetching block metadata timed out after ${cfg.timeoutMs}ms`, {cause: e})
    throw e
  } finally {
    await bucket.close()
  }
}
