/**
 * The StoreAPI over the blocks of a bucket (thanos pkg/store/bucket.go BucketStore, our code).
 *
 * Sync: the meta fetcher's view (meta-fetcher.ts, filters.ts) decides which blocks are served;
 * new ones are opened (BlockReader: a few ranged GETs for the index header, the rest at query
 * time), ones gone from the view are dropped. A block that cannot be opened (corrupt or
 * truncated index, unreadable chunk listing) is skipped with a warning and
 * thanos_bucket_store_block_load_failures_total, and tried again at the next sync, as upstream.
 * Downsampled blocks (5m, 1h) are served too.
 *
 * Series: per external label set, the blocks of the coarsest resolution not above the request's
 * max_resolution_window that overlap [mint, maxt] (block maxTime exclusive), the time gaps
 * between them filled with finer blocks (bucketBlockSet.getFor), are read at once, for the sets
 * whose external labels do not contradict the matchers;
 * each block's series get the block's external labels (which win over a series' own label of the
 * same name, labelpb.ExtendSortedLabels) minus the request's without_replica_labels, and the
 * streams are merged in label order; series with equal labels, from several blocks or several
 * series of one block, become one series whose chunks are in time order, identical chunks once
 * (chainSeries, as Thanos's responseDeduplicator). Chunks are passed as the block
 * holds them (XOR, histogram, float histogram), whole, never re-encoded; a downsampled block's
 * aggregate chunk (encoding 0xFF) goes out with just the request's `aggregates` filled in
 * (bucket.go populateChunk), each a view of its sub-chunk.
 *
 * Upstream buffers every block's answer and re-sorts it (eagerRespSet); here a block's series
 * stream, re-sorted only where the added labels can move them (sidecar/series-order.ts), or
 * buffered and sorted when a series' own label names collide with the external or removed ones.
 */
import {UnsupportedBlockFormatError} from '../block/errors.js'
import {BlockReader, type BlockReaderOptions, type BlockSeries} from '../block/block-reader.js'
import {ChunkEncoding as BlockEncoding} from '../block/chunks-reader.js'
import {RESOLUTION_1H, RESOLUTION_5M, RESOLUTION_RAW, type BlockMeta} from '../block/meta.js'
import {aggrTypeName, getAggr, isAggrAbsent, type AggrType} from '../downsample/aggr-chunk.js'
import {mapConcurrent} from '../block/ranges.js'
import {BadDataError, CanceledError, ResourceExhaustedError, ThanostsError, UnavailableError} from '../errors.js'
import {compareLabels, compareStrings, labelsFromRecord, labelsKey, mergeLabels, withoutLabels, METRIC_NAME, type Labels} from '../labels/labels.js'
import {Matcher, MatchType} from '../labels/matcher.js'
import type {Logger} from '../log.js'
import type {Bucket} from '../objstore/bucket.js'
import {MAX_INT64, MIN_INT64} from '../prometheus/prometheus-client.js'
import {mergeSortedUnique} from '../proxy/proxy.js'
import {mergeSeriesStreams, type MergedGroup} from '../proxy/series-merge.js'
import {sortedByMergedLabels, type KeyedSeries} from '../sidecar/series-order.js'
import type {StoreApiImpl} from '../storeapi/store-grpc-server.js'
import {Aggr, AGGREGATES_ENCODING, ChunkEncoding, type AggrPart, type LabelsQuery, type SeriesFrame, type SeriesQuery, type StoreChunk, type StoreSeries} from '../storepb/store-types.js'
import type {EndpointInfo} from '../storepb/store-wire.js'
import type {FetchResult, MetaFetcher} from './meta-fetcher.js'
import {setSynced, type StoreGatewayMetrics} from './metrics.js'
import type {SeriesGate} from './series-gate.js'
import {timestampOf, type TimeOrDuration} from './time-or-duration.js'

/** Thanos's MaxSamplesPerChunk: the samples limit is enforced as a chunks limit of samples / 120. */
export const MAX_SAMPLES_PER_CHUNK = 120

export interface BucketStoreOptions {
  bucket: Bucket
  fetcher: MetaFetcher
  logger: Logger
  metrics: StoreGatewayMetrics
  /** Blocks opened at once during a sync (--block-sync-concurrency). */
  blockSyncConcurrency: number
  /** --min-time / --max-time: requests are clamped to them. */
  minTime: TimeOrDuration
  maxTime: TimeOrDuration
  /** Series per Series call (--store.limits.request-series); 0 = no limit. */
  seriesLimit?: number
  /** Samples per Series call (--store.limits.request-samples, --store.grpc.series-sample-limit); 0 = no limit. */
  samplesLimit?: number
  reader?: BlockReaderOptions
  /** --store.grpc.series-max-concurrency; none = no limit. */
  seriesGate?: SeriesGate
  /** Told the view of every sync (the blocks API): the metas kept, and whether the sync failed. */
  onView?: (metas: BlockMeta[] | undefined, failed: boolean) => void
}

const NO_DATA = new Uint8Array(0)

/** The blocks of one external label set, per RESOLUTIONS entry, in time order. */
interface BlockSet {
  readonly ext: Labels
  readonly byRes: LoadedBlock[][]
}

interface LoadedBlock {
  readonly reader: BlockReader
  readonly meta: BlockMeta
  /** External labels (meta.json thanos.labels), sorted. */
  readonly ext: Labels
  readonly extKey: string
  /** Label names of the block's own series (from the index header, in memory). */
  readonly ownNames: ReadonlySet<string>
}

/** Store chunk encoding of a block chunk encoding (bucket.go chunkToStoreEncoding). */
function storeEncoding(block: string, e: number): number {
  switch (e) {
    case BlockEncoding.XOR:
      return ChunkEncoding.XOR
    case BlockEncoding.Histogram:
      return ChunkEncoding.HISTOGRAM
    case BlockEncoding.FloatHistogram:
      return ChunkEncoding.FLOAT_HISTOGRAM
    default:
      throw new UnsupportedBlockFormatError(block, 'chunks', `unsupported chunk encoding ${e}`)
  }
}

/** The resolutions a block set holds, coarsest first (bucket.go newBucketBlockSet). */
const RESOLUTIONS = [RESOLUTION_1H, RESOLUTION_5M, RESOLUTION_RAW] as const

/**
 * The blocks of one external label set to read for [mint, maxt] (bucketBlockSet.getFor): those
 * of the coarsest resolution not above `maxResolution`, in time order, and in the time before,
 * between and after them the blocks of the next finer resolution, recursively. `byRes` holds
 * the set's blocks per RESOLUTIONS entry, sorted by min time, then max time.
 */
export function blocksFor<B extends {meta: BlockMeta}>(byRes: readonly (readonly B[])[], mint: number, maxt: number, maxResolution: number, out: B[] = []): B[] {
  if (mint > maxt) return out
  let i = 0
  while (i < RESOLUTIONS.length && RESOLUTIONS[i]! > maxResolution) i++
  if (i >= RESOLUTIONS.length) return out
  const finer = i + 1 < RESOLUTIONS.length ? RESOLUTIONS[i + 1]! : undefined
  let start = mint
  for (const b of byRes[i] ?? []) {
    // NOTE: block time ranges are half-open, [minTime, maxTime).
    if (b.meta.maxTime <= mint) continue
    if (b.meta.minTime > maxt) break
    if (finer !== undefined) blocksFor(byRes, start, b.meta.minTime - 1, finer, out)
    out.push(b)
    start = b.meta.maxTime
  }
  if (finer !== undefined) blocksFor(byRes, start, maxt, finer, out)
  return out
}

/** The AggrType of a requested StoreAPI Aggr (COUNT..COUNTER); RAW has none. */
function aggrTypeOf(a: Aggr): AggrType | undefined {
  return a >= Aggr.COUNT && a <= Aggr.COUNTER ? ((a - 1) as AggrType) : undefined
}

/**
 * A downsampled chunk as sent (bucket.go populateChunk): only the requested aggregates, each
 * a view of its sub-chunk; a requested aggregate the chunk lacks fails the request, as upstream.
 */
function aggregateParts(block: string, data: Uint8Array, aggregates: readonly Aggr[]): (AggrPart | undefined)[] {
  const out: (AggrPart | undefined)[] = [undefined, undefined, undefined, undefined, undefined]
  for (const a of aggregates) {
    const t = aggrTypeOf(a)
    if (t === undefined) continue
    const sub = getAggr(data, t)
    if (isAggrAbsent(sub)) throw new BadDataError(`block ${block}: aggregate ${aggrTypeName(t)} does not exist`)
    out[t] = {encoding: storeEncoding(block, sub.encoding), data: sub.data}
  }
  return out
}

/**
 * The matchers left for the block's own series, or undefined when an external label contradicts
 * one (bucketBlockSet.labelMatchers): a matcher on an external label is decided here and dropped.
 */
function matchersForBlock(matchers: readonly Matcher[], ext: Labels): Matcher[] | undefined {
  const rest: Matcher[] = []
  for (const m of matchers) {
    const l = ext.find((e) => e.name === m.name)
    if (l === undefined) rest.push(m)
    else if (!m.matches(l.value)) return undefined
  }
  return rest
}

/** Counts against one request's limit (store/limiter.go Limiter): 0 = unlimited. */
class Limiter {
  private used = 0
  private failed = false

  constructor(
    private readonly limit: number,
    private readonly what: 'series' | 'chunks',
    private readonly onFail: () => void,
  ) {}

  reserve(n: number): void {
    if (this.limit <= 0) return
    this.used += n
    if (this.used > this.limit) {
      if (!this.failed) this.onFail()
      this.failed = true
      throw new ResourceExhaustedError(`exceeded ${this.what} limit: limit ${this.limit} violated (got ${this.used})`)
    }
  }
}

export class BucketStore implements StoreApiImpl {
  private blocks = new Map<string, LoadedBlock>()
  private ready = false

  constructor(private readonly o: BucketStoreOptions) {}

  private sets: Map<string, BlockSet> | undefined

  /** The blocks per external label set and resolution (bucketBlockSet), rebuilt after a sync changed them. */
  private blockSets(): Map<string, BlockSet> {
    if (this.sets) return this.sets
    const sets = new Map<string, BlockSet>()
    for (const b of this.blocks.values()) {
      let set = sets.get(b.extKey)
      if (!set) sets.set(b.extKey, (set = {ext: b.ext, byRes: RESOLUTIONS.map(() => [])}))
      set.byRes[(RESOLUTIONS as readonly number[]).indexOf(b.meta.thanos.downsample.resolution)]!.push(b)
    }
    for (const set of sets.values()) for (const bs of set.byRes) bs.sort((x, y) => x.meta.minTime - y.meta.minTime || x.meta.maxTime - y.meta.maxTime)
    this.sets = sets
    return sets
  }

  /** Marks the store ready (after the initial sync): Info answers from then on. */
  setReady(): void {
    this.ready = true
  }

  /** IDs of the blocks being served, sorted. */
  blockIds(): string[] {
    return [...this.blocks.keys()].sort()
  }

  /**
   * One sync (BucketStore.SyncBlocks): new blocks of the fetcher's view are opened, blocks no
   * longer in it dropped. A partial view (some meta.json unreadable) adds but does not drop,
   * and is reported by throwing after the adds.
   */
  async syncBlocks(signal: AbortSignal): Promise<void> {
    const m = this.o.metrics
    const started = performance.now()
    m.metaSyncs.inc()
    let r: FetchResult
    try {
      r = await this.o.fetcher.fetch(signal)
    } catch (e) {
      m.metaSyncFailures.inc()
      this.o.onView?.(undefined, true)
      throw e
    } finally {
      m.metaSyncDuration.observe((performance.now() - started) / 1000)
    }
    setSynced(m, r.synced)
    this.o.onView?.([...r.metas.values()], r.failed.length > 0)
    const toAdd = [...r.metas.values()].filter((meta) => !this.blocks.has(meta.ulid))
    const added = await mapConcurrent(toAdd, Math.max(1, this.o.blockSyncConcurrency), (meta) => this.loadBlock(meta, signal))
    signal.throwIfAborted()
    const next = new Map(this.blocks)
    for (const b of added) if (b) next.set(b.meta.ulid, b)
    if (r.failed.length > 0) {
      this.blocks = next
      this.sets = undefined
      m.blocksLoaded.set(next.size)
      m.metaSyncFailures.inc()
      throw new UnavailableError(`incomplete view of the bucket, ${r.failed.length} meta.json could not be read: ${r.failed[0]!.message}`, {cause: r.failed[0]})
    }
    for (const id of [...next.keys()]) {
      if (r.metas.has(id)) continue
      next.delete(id)
      m.blockDrops.inc()
      this.o.logger.info('dropped outdated block', {block: id})
    }
    this.blocks = next
    this.sets = undefined
    m.blocksLoaded.set(next.size)
    this.o.logger.debug('synchronized blocks', {loaded: next.size, partial: r.partial.size})
  }

  private async loadBlock(meta: BlockMeta, signal: AbortSignal): Promise<LoadedBlock | undefined> {
    const m = this.o.metrics
    const started = performance.now()
    m.blockLoads.inc()
    try {
      if (!(RESOLUTIONS as readonly number[]).includes(meta.thanos.downsample.resolution)) {
        throw new UnsupportedBlockFormatError(meta.ulid, 'meta.json', `unsupported downsampling resolution ${meta.thanos.downsample.resolution}`)
      }
      const reader = await BlockReader.open(this.o.bucket, meta.ulid, {verifyChunkChecksums: false, ...this.o.reader, meta, signal})
      const ext = labelsFromRecord(meta.thanos.labels)
      const elapsed = (performance.now() - started) / 1000
      m.blockLoadDuration.observe(elapsed)
      m.lastLoadedBlock.set(Date.now() / 1000)
      this.o.logger.info('loaded new block', {block: meta.ulid, elapsed: `${elapsed.toFixed(3)}s`})
      return {reader, meta, ext, extKey: labelsKey(ext), ownNames: new Set(reader.index.labelNames())}
    } catch (e) {
      if (signal.aborted) return undefined
      m.blockLoadFailures.inc()
      this.o.logger.warn('loading block failed', {block: meta.ulid, err: e})
      return undefined
    }
  }

  private limits(): [number, number] {
    const now = Date.now()
    return [timestampOf(this.o.minTime, now), timestampOf(this.o.maxTime, now)]
  }

  /** Time range served (BucketStore.TimeRange): over the blocks, clamped to --min-time/--max-time. */
  timeRange(): {minTime: number; maxTime: number} {
    let minTime = MAX_INT64
    let maxTime = MIN_INT64
    for (const b of this.blocks.values()) {
      if (b.meta.minTime < minTime) minTime = b.meta.minTime
      if (b.meta.maxTime > maxTime) maxTime = b.meta.maxTime
    }
    const [lo, hi] = this.limits()
    return {minTime: Math.max(minTime, lo), maxTime: Math.min(maxTime, hi)}
  }

  /** The distinct external label sets of the blocks, sorted by their text form (as Thanos). */
  labelSets(): Labels[] {
    const sets = new Map<string, Labels>()
    for (const b of this.blocks.values()) sets.set(b.extKey, b.ext)
    const text = (ls: Labels): string => `{${ls.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ')}}`
    return [...sets.values()].sort((a, b) => compareStrings(text(a), text(b)))
  }

  info(): EndpointInfo {
    if (!this.ready) throw new UnavailableError('Not ready: the bucket store has not finished its initial sync')
    const {minTime, maxTime} = this.timeRange()
    // Sharding is not announced: thanosts ignores shard_info, so a querier must not rely on it.
    return {componentType: 'store', labelSets: this.labelSets(), store: {minTime, maxTime, supportsSharding: false, supportsWithoutReplicaLabels: true}}
  }

  async *series(q: SeriesQuery, signal: AbortSignal): AsyncGenerator<SeriesFrame> {
    const leave = await this.o.seriesGate?.enter(signal)
    try {
      yield* this.selectSeries(q, signal)
    } finally {
      leave?.()
    }
  }

  private async *selectSeries(q: SeriesQuery, signal: AbortSignal): AsyncGenerator<SeriesFrame> {
    const [lo, hi] = this.limits()
    const mint = Math.max(q.minTime, lo)
    const maxt = Math.min(q.maxTime, hi)
    if (mint > maxt) return
    const remove = new Set(q.withoutReplicaLabels ?? [])
    const picked: {b: LoadedBlock; matchers: Matcher[]}[] = []
    for (const set of this.blockSets().values()) {
      const matchers = matchersForBlock(q.matchers, set.ext)
      if (matchers === undefined) continue
      for (const b of blocksFor(set.byRes, mint, maxt, q.maxResolutionWindow ?? 0)) picked.push({b, matchers})
    }
    // Blocks in time order, so that equal series from several blocks merge in time order.
    picked.sort((x, y) => x.b.meta.minTime - y.b.meta.minTime || x.b.meta.maxTime - y.b.meta.maxTime)
    this.o.metrics.seriesBlocksQueried.observe(picked.length)
    if (picked.length === 0) return
    // Upstream reserves the series limit per block on the postings matched (before the time
    // filter) and the chunks limit per series; here both count what is actually sent from a block.
    const seriesLimiter = new Limiter(this.o.seriesLimit ?? 0, 'series', () => this.o.metrics.queriesDropped.inc({reason: 'series'}))
    const chunksLimit = Math.floor((this.o.samplesLimit ?? 0) / MAX_SAMPLES_PER_CHUNK)
    const chunksLimiter = new Limiter(chunksLimit, 'chunks', () => this.o.metrics.queriesDropped.inc({reason: 'chunks'}))
    const sources = picked.map(({b, matchers}) =>
      this.blockSeries(b, matchers, mint, maxt, {skipChunks: q.skipChunks === true, remove, signal, seriesLimiter, chunksLimiter, aggregates: q.aggregates ?? []})[Symbol.asyncIterator](),
    )
    const limit = q.limit !== undefined && q.limit > 0 ? q.limit : Infinity
    let n = 0
    for await (const g of mergeSeriesStreams(sources)) {
      if (++n > limit) break
      yield {series: chainSeries(g)}
    }
  }

  /** One block's series, as sent: external labels merged, removed labels gone, sorted by those labels. */
  private async *blockSeries(
    b: LoadedBlock,
    matchers: readonly Matcher[],
    mint: number,
    maxt: number,
    o: {skipChunks: boolean; remove: ReadonlySet<string>; signal: AbortSignal; seriesLimiter?: Limiter; chunksLimiter?: Limiter; aggregates?: readonly Aggr[]},
  ): AsyncGenerator<StoreSeries> {
    const id = b.meta.ulid
    const ext = withoutLabels(b.ext, o.remove)
    const collide = b.ext.some((l) => b.ownNames.has(l.name)) || [...o.remove].some((n) => b.ownNames.has(n))
    const toStore = (s: BlockSeries): StoreSeries => {
      o.seriesLimiter?.reserve(1)
      const chunks: StoreChunk[] = new Array<StoreChunk>(s.chunks.length)
      if (s.chunks.length > 0) o.chunksLimiter?.reserve(s.chunks.length)
      for (let i = 0; i < s.chunks.length; i++) {
        const c = s.chunks[i]!
        chunks[i] =
          c.encoding === BlockEncoding.Aggr
            ? {minTime: c.minTime, maxTime: c.maxTime, encoding: AGGREGATES_ENCODING, data: NO_DATA, hash: '', aggrs: aggregateParts(id, c.data, o.aggregates ?? [])}
            : {minTime: c.minTime, maxTime: c.maxTime, encoding: storeEncoding(id, c.encoding), data: c.data, hash: ''}
      }
      return {labels: withoutLabels(mergeLabels(s.labels, ext), o.remove), chunks}
    }
    const read = b.reader.series(matchers, mint, maxt, {skipChunks: o.skipChunks, signal: o.signal})
    try {
      if (collide) {
        // Own labels replaced or removed: any order may change, so sort the whole block (as upstream does always).
        const all: StoreSeries[] = []
        for await (const s of read) all.push(toStore(s))
        all.sort((x, y) => compareLabels(x.labels, y.labels))
        yield* all
        return
      }
      if (ext.length === 0) {
        for await (const s of read) yield toStore(s)
        return
      }
      async function* keyed(): AsyncGenerator<KeyedSeries<StoreSeries>> {
        for await (const s of read) {
          const out = toStore(s)
          yield {key: s.labels, labels: out.labels, value: out}
        }
      }
      for await (const s of sortedByMergedLabels(keyed())) yield s.value
    } catch (e) {
      throw blockError(id, e, o.signal)
    }
  }

  async labelNames(q: LabelsQuery, signal: AbortSignal): Promise<{names: string[]; warnings: string[]}> {
    const remove = new Set(q.withoutReplicaLabels ?? [])
    const sets = await this.perBlock(q, signal, async (b, matchers) => {
      if (matchers.length === 0) {
        const names = b.reader.index.labelNames().filter((n) => n !== '')
        for (const l of b.ext) if (!remove.has(l.name)) names.push(l.name)
        return names
      }
      const seen = new Set<string>()
      for await (const s of this.blockSeries(b, matchers, q.start, q.end, {skipChunks: true, remove, signal})) for (const l of s.labels) seen.add(l.name)
      return [...seen]
    })
    return {names: applyLimit(mergeSortedUnique(sets), q.limit), warnings: []}
  }

  async labelValues(name: string, q: LabelsQuery, signal: AbortSignal): Promise<{values: string[]; warnings: string[]}> {
    if (name === '') throw new BadDataError('label name parameter cannot be empty')
    if ((q.withoutReplicaLabels ?? []).includes(name)) return {values: [], warnings: []}
    const hasNameEq = q.matchers.some((m) => m.name === METRIC_NAME && m.type === MatchType.EQ)
    const sets = await this.perBlock(q, signal, async (b, matchers) => {
      const extValue = b.ext.find((l) => l.name === name)?.value
      if (matchers.length === 0) {
        const values = b.reader.index.labelValues(name)
        return extValue !== undefined ? [...values, extValue] : values
      }
      // Only series that have the label (bucket.go adds `name != ""` unless a __name__= matcher is there).
      const ms = !hasNameEq && extValue === undefined ? [...matchers, new Matcher(MatchType.NEQ, name, '')] : matchers
      const seen = new Set<string>()
      for await (const s of this.blockSeries(b, ms, q.start, q.end, {skipChunks: true, remove: new Set(), signal})) {
        const v = s.labels.find((l) => l.name === name)?.value
        if (v !== undefined && v !== '') seen.add(v)
      }
      return [...seen]
    })
    return {values: applyLimit(mergeSortedUnique(sets), q.limit), warnings: []}
  }

  /** Runs `f` over the blocks overlapping [start, end] whose external labels admit the matchers, at once. */
  private async perBlock(q: LabelsQuery, signal: AbortSignal, f: (b: LoadedBlock, matchers: Matcher[]) => Promise<string[]>): Promise<string[][]> {
    const jobs: Promise<string[]>[] = []
    for (const b of this.blocks.values()) {
      // bucketBlock.overlapsClosedInterval
      if (!(b.meta.minTime <= q.end && q.start < b.meta.maxTime)) continue
      const matchers = matchersForBlock(q.matchers, b.ext)
      if (matchers === undefined) continue
      jobs.push(f(b, matchers).catch((e: unknown) => Promise.reject(blockError(b.meta.ulid, e, signal))))
    }
    return Promise.all(jobs)
  }
}

/**
 * One series of the parts with equal labels (proxy_merge.go chainSeriesAndRemIdenticalChunks):
 * all chunks in AggrChunk.Compare order (min time, max time, then bytes), identical ones once.
 * Sorting by bytes last puts identical chunks side by side, so no chunk is hashed or copied.
 */
export function chainSeries(g: MergedGroup<StoreSeries>): StoreSeries {
  if (g.parts.length === 1) return g.parts[0]!.item
  const all: StoreChunk[] = []
  for (const p of g.parts) for (const c of p.item.chunks) all.push(c)
  if (all.length === 0) return {labels: g.labels, chunks: all}
  all.sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime || a.encoding - b.encoding || compareChunkBytes(a, b))
  const chunks: StoreChunk[] = [all[0]!]
  for (let i = 1; i < all.length; i++) {
    const c = all[i]!
    const prev = chunks[chunks.length - 1]!
    if (c.minTime === prev.minTime && c.maxTime === prev.maxTime && c.encoding === prev.encoding && compareChunkBytes(c, prev) === 0) continue
    chunks.push(c)
  }
  return {labels: g.labels, chunks}
}

/** Orders chunks of equal times and encoding by their bytes: the raw data, or each aggregate in turn. */
function compareChunkBytes(a: StoreChunk, b: StoreChunk): number {
  if (a.aggrs === undefined || b.aggrs === undefined) return Buffer.compare(a.data, b.data)
  for (let i = 0; i < 5; i++) {
    const x = a.aggrs[i]
    const y = b.aggrs[i]
    if (!x || !y) {
      if (x || y) return x ? 1 : -1
      continue
    }
    const d = x.encoding - y.encoding || Buffer.compare(x.data, y.data)
    if (d !== 0) return d
  }
  return 0
}

function applyLimit(xs: string[], limit: number | undefined): string[] {
  return limit !== undefined && limit > 0 && xs.length > limit ? xs.slice(0, limit) : xs
}

/**
 * A block's failure as the client should see it: canceled stays canceled, a limit stays a limit,
 * a bucket that cannot be reached stays unavailable; a corrupt or vanished block file is the
 * store's fault, not the request's, so it is internal (never INVALID_ARGUMENT). The message names
 * the block.
 */
function blockError(block: string, e: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason instanceof ThanostsError ? signal.reason : new CanceledError()
  if (e instanceof ResourceExhaustedError || e instanceof CanceledError) return e
  const kind = e instanceof ThanostsError && e.kind !== 'bad_data' && e.kind !== 'not_found' ? e.kind : 'internal'
  const msg = e instanceof Error ? e.message : String(e)
  if (e instanceof ThanostsError && e.kind === kind && msg.includes(block)) return e
  return new ThanostsError(kind, msg.includes(block) ? msg : `block ${block}: ${msg}`, {cause: e})
}
