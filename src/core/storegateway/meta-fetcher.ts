/**
 * The view of a bucket's blocks the store gateway serves from (thanos pkg/block/fetcher.go
 * BaseFetcher + MetaFetcher): the top-level `<ULID>/` directories are listed, each block's
 * meta.json is read (once: a meta.json never changes, so parsed metas are kept between syncs
 * while the block stays listed), and the filters (filters.ts) drop what must not be served.
 *
 * A block without meta.json is a partial upload (or one being deleted), one whose meta.json does
 * not parse is corrupt: both are left out with a warning (the first time the block is seen; later
 * syncs log it at debug) and counted in `thanos_blocks_meta_synced{state="no-meta-json"}` /
 * `{state="corrupted-meta-json"}`. A meta.json that cannot be read for another reason (the bucket
 * failing) makes the view incomplete: `failed` says so, and the store keeps the blocks it has
 * instead of dropping them (as Thanos's SyncBlocks on a partial view).
 *
 * Upstream asks Exists(meta.json) for each directory and then Gets it; a single Get answers both.
 */
import {BlockNotFoundError, BlockCorruptionError, UnsupportedBlockFormatError} from '../block/errors.js'
import {readMeta, type BlockMeta} from '../block/meta.js'
import {mapConcurrent} from '../block/ranges.js'
import {isUlid} from '../block/ulid.js'
import {compareKeys, type Bucket} from '../objstore/bucket.js'
import type {Logger} from '../log.js'

/** Values of the `state` label of thanos_blocks_meta_synced (fetcher.go DefaultSyncedStateLabelValues). */
export const SYNCED_STATES = [
  'corrupted-meta-json',
  'no-meta-json',
  'loaded',
  'too-fresh',
  'failed',
  'label-excluded',
  'time-excluded',
  'duplicate',
  'marked-for-deletion',
  'marked-for-no-compact',
  'parquet-migrated',
] as const

export type SyncedState = (typeof SYNCED_STATES)[number]

export interface MetaFilter {
  readonly name: string
  /** Deletes from `metas` what must not be served, counting each under its state. Throws to fail the fetch. */
  filter(metas: Map<string, BlockMeta>, count: (state: SyncedState) => void, signal: AbortSignal): Promise<void> | void
}

export interface FetchResult {
  /** Blocks to serve, by ULID. */
  metas: Map<string, BlockMeta>
  /** Blocks left out because their meta.json is missing or corrupt, with why. */
  partial: Map<string, Error>
  /** Reads that failed for other reasons: the view is incomplete. */
  failed: Error[]
  synced: Record<SyncedState, number>
}

export interface MetaFetcherOptions {
  /** meta.json reads in flight (--block-meta-fetch-concurrency). */
  concurrency: number
  filters: readonly MetaFilter[]
  logger: Logger
}

export class MetaFetcher {
  private readonly cached = new Map<string, BlockMeta>()
  /** Blocks already warned about (missing/corrupt meta.json), so each sync does not repeat it. */
  private readonly warned = new Set<string>()

  constructor(
    private readonly bucket: Bucket,
    private readonly opts: MetaFetcherOptions,
  ) {}

  /** Block directories at the top of the bucket, in listing order. @throws when the listing fails. */
  async listBlocks(signal: AbortSignal): Promise<string[]> {
    const ids: string[] = []
    for await (const name of this.bucket.iter('', {signal})) {
      if (!name.endsWith('/')) continue
      const id = name.slice(0, -1)
      if (isUlid(id)) ids.push(id)
    }
    return ids.sort(compareKeys)
  }

  /** One synchronisation. @throws only when the bucket cannot be listed (or a filter fails). */
  async fetch(signal: AbortSignal): Promise<FetchResult> {
    const synced = Object.fromEntries(SYNCED_STATES.map((s) => [s, 0])) as Record<SyncedState, number>
    const ids = await this.listBlocks(signal)
    const metas = new Map<string, BlockMeta>()
    const partial = new Map<string, Error>()
    const failed: Error[] = []
    await mapConcurrent(ids, Math.max(1, this.opts.concurrency), async (id) => {
      const known = this.cached.get(id)
      if (known) return void metas.set(id, known)
      try {
        const m = await readMeta(this.bucket, id, {signal})
        if (m.ulid !== id) throw new BlockCorruptionError(id, 'meta.json', 0, `meta.json names block ${m.ulid}`)
        metas.set(id, m)
        this.warned.delete(id)
      } catch (e) {
        if (e instanceof BlockNotFoundError || e instanceof BlockCorruptionError || e instanceof UnsupportedBlockFormatError) {
          synced[e instanceof BlockNotFoundError ? 'no-meta-json' : 'corrupted-meta-json']++
          partial.set(id, e)
          const fields = {block: id, err: e}
          if (this.warned.has(id)) this.opts.logger.debug('block skipped', fields)
          else {
            this.warned.add(id)
            this.opts.logger.warn(e instanceof BlockNotFoundError ? 'block has no meta.json (partial upload?); skipped' : 'block has a corrupt meta.json; skipped', fields)
          }
          return
        }
        failed.push(e instanceof Error ? e : new Error(String(e)))
      }
    })
    signal.throwIfAborted()
    synced.failed = failed.length
    // Only a complete view replaces the cache: a block that failed to read stays known.
    if (failed.length === 0) {
      this.cached.clear()
      for (const [id, m] of metas) this.cached.set(id, m)
      for (const id of this.warned) if (!partial.has(id)) this.warned.delete(id)
    } else {
      for (const [id, m] of metas) this.cached.set(id, m)
    }
    for (const f of this.opts.filters) await f.filter(metas, (state) => synced[state]++, signal)
    synced.loaded = metas.size
    return {metas, partial, failed, synced}
  }
}
