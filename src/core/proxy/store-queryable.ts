/**
 * The PromQL engine's view of the fan-out (Thanos `pkg/query/querier.go`): select() asks the
 * proxy for series, keeps the raw chunk bytes, and hands the engine series whose iterators
 * decode lazily, bounded to the query range; with dedup on, replicas are merged by the penalty
 * algorithm (counter-aware under rate/increase/irate/resets).
 *
 * Replicas for dedup: each store's contribution to a label set is its own replica (chunks of one
 * store that overlap are split further into virtual replicas), so two stores' chunks are never
 * chained into one iterator (see series-merge.ts). Without dedup, a label set served by several
 * stores (identical external labels) is a plain union of their chunks, identical chunks once.
 *
 * Explain (`explain` option, select-explain.ts): the stores are asked WITHOUT stripping the
 * replica labels, and this querier strips them as the proxy does for stores that cannot
 * (stable, same grouping and replica order, so the merge and its answer are the same), keeping
 * per chunk which store and which replica labels it came from. Every select is recorded with
 * its series; spans are computed only when the collector is resolved.
 */
import {DedupSeries, dedupSeriesSet, explainSeries, type DedupAlgorithm} from '../dedup/dedup-series-set.js'
import {TimeoutError} from '../errors.js'
import {splitOverlapping} from '../dedup/overlap-split.js'
import {compareLabels, inStrictLabelOrder, labelsKey, withoutLabels, type Labels} from '../labels/labels.js'
import type {Matcher} from '../labels/matcher.js'
import type {LabelQueryHints, Querier, Queryable, SelectHints, Series, SeriesSet} from '../promql/queryable.js'
import {ChunkSeries, type ChunkDecoder, type SeriesChunk} from './chunk-series.js'
import {flattenGroup, type ProxyStore} from './proxy.js'
import type {MergedGroup, MergedPart} from './series-merge.js'
import {identifySpans, type ReplicaIdentity, type SelectExplainCollector, type SelectedSeries} from './select-explain.js'
import {AGGREGATES_ENCODING, ChunkEncoding, type Aggr, type StoreChunk, type StoreSeries} from '../storepb/store-types.js'
import {aggregatesForFunc, CounterSeries, downsampledSeries, maxResolutionForSelect} from './downsampled-series.js'
import {decodeXorChunk} from '../chunkenc/xor-decoder.js'
import {bytesEqual} from '../chunkenc/bytes-equal.js'

export interface StoreQueryableOptions {
  /** `--query.replica-label` (or the request's `replicaLabels[]`). */
  replicaLabels: string[]
  /** Request `dedup` (default true); has an effect only with replica labels. */
  dedup: boolean
  /** true = WARN (partial results + warnings), false = ABORT. */
  partialResponse: boolean
  /** Per-select timeout (`--query.timeout`); the select fails with TimeoutError after it. */
  timeoutMs?: number
  /** `--deduplication.func` [penalty]. */
  dedupAlgorithm?: DedupAlgorithm
  /** `--query.max-concurrent-select` [4]: selects of one querier running at once. */
  maxConcurrentSelect?: number
  /** `storeMatch[]` */
  storeMatchers?: readonly (readonly Matcher[])[]
  /** For tests: chunk decoder (defaults to the XOR iterator). */
  decodeChunk?: ChunkDecoder
  /** explain=true: record every select for the spans of its series (select-explain.ts). */
  explain?: SelectExplainCollector
  /**
   * `max_source_resolution` (ms): the coarsest downsampled data the stores may answer from
   * (sent per select as max_resolution_window); 0 or absent = raw data only.
   */
  maxResolutionMs?: number
}

export function createStoreQueryable(proxy: ProxyStore, opts: StoreQueryableOptions): Queryable {
  return {
    querier: (mint: number, maxt: number): Querier => new StoreQuerier(proxy, opts, mint, maxt),
  }
}

class StoreQuerier implements Querier {
  private readonly dedup: boolean
  private readonly decode: ChunkDecoder
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(
    private readonly proxy: ProxyStore,
    private readonly opts: StoreQueryableOptions,
    private readonly mint: number,
    private readonly maxt: number,
  ) {
    this.dedup = opts.dedup && opts.replicaLabels.length > 0
    this.decode = opts.decodeChunk ?? decodeXorChunk
  }

  async select(matchers: readonly Matcher[], hints: SelectHints, signal?: AbortSignal): Promise<SeriesSet> {
    const mint = Number.isFinite(hints.start) ? hints.start : this.mint
    const maxt = Number.isFinite(hints.end) ? hints.end : this.maxt
    return this.withTimeout(signal, async (sig) => {
      await this.acquire(sig)
      try {
        return await this.selectNow(matchers, hints, mint, maxt, sig)
      } finally {
        this.release()
      }
    })
  }

  /** `--query.max-concurrent-select`: at most that many selects of this querier at once. */
  private acquire(sig: AbortSignal): Promise<void> {
    const max = this.opts.maxConcurrentSelect ?? 4
    if (max <= 0 || this.active < max) {
      this.active++
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      const go = () => {
        sig.removeEventListener('abort', onAbort)
        this.active++
        resolve()
      }
      const onAbort = () => {
        const i = this.waiting.indexOf(go)
        if (i >= 0) this.waiting.splice(i, 1)
        reject(sig.reason instanceof Error ? sig.reason : new TimeoutError('select canceled while waiting for a slot'))
      }
      sig.addEventListener('abort', onAbort, {once: true})
      this.waiting.push(go)
    })
  }

  private release(): void {
    this.active--
    this.waiting.shift()?.()
  }

  private async selectNow(matchers: readonly Matcher[], hints: SelectHints, mint: number, maxt: number, sig: AbortSignal): Promise<SeriesSet> {
    // Prometheus's /api/v1/series selects with func "series": labels only (Thanos skip_chunks).
    const labelsOnly = hints.func === 'series'
    const explain = labelsOnly ? undefined : this.opts.explain
    // querier.go selectFn: every select states its aggregates and resolution window.
    const aggrs = aggregatesForFunc(hints.func)
    const res = this.proxy.series(
      {
        minTime: mint,
        maxTime: maxt,
        matchers,
        partialResponse: this.opts.partialResponse,
        withoutReplicaLabels: this.dedup && !explain ? this.opts.replicaLabels : undefined,
        storeMatchers: this.opts.storeMatchers,
        skipChunks: labelsOnly,
        maxResolutionWindow: maxResolutionForSelect(this.opts.maxResolutionMs ?? 0, hints.range, hints.func),
        aggregates: aggrs,
        hints: {
          stepMs: hints.step,
          func: hints.func,
          rangeMs: hints.range,
          grouping: hints.grouping !== undefined ? {by: hints.by ?? false, labels: hints.grouping} : undefined,
        },
      },
      sig,
    )
    let groups: MergedGroup<StoreSeries>[] = []
    for await (const g of res.groups) groups.push(g)
    const warnings = dedupWarnings(res.warnings)
    const origins = explain ? new ChunkOrigins(res.sources) : undefined
    if (origins) groups = origins.strip(groups, this.dedup ? new Set(this.opts.replicaLabels) : new Set())
    if (!inStrictLabelOrder(groups)) {
      // A store broke the sort contract: repair rather than hand the engine duplicates.
      warnings.push('a store returned series out of label order; the querier re-sorted them')
      regroup(groups)
    }
    const series: Series[] = []
    const skipped = {encodings: new Set<number>()}
    for (const g of groups) {
      if (labelsOnly) series.push(new ChunkSeries(g.labels, [], mint, maxt, this.decode))
      else if (this.dedup) this.addReplicas(g, mint, maxt, series, skipped, aggrs)
      else {
        const flat = flattenGroup(g)
        series.push(downsampledSeries(flat.labels, readableChunks(flat.chunks, skipped), aggrs, mint, maxt, this.decode))
      }
    }
    const out = this.dedup && !labelsOnly ? dedupSeriesSet(series, {func: hints.func, algorithm: this.opts.dedupAlgorithm}) : series
    for (const e of skipped.encodings) warnings.push(`chunks of unsupported StoreAPI encoding ${e} were skipped`)
    if (explain && origins) explain.add({matchers, start: mint, end: maxt, func: hints.func, series: out.map((s) => origins.explained(s, mint, maxt))})
    return {series: out, warnings}
  }

  /** One replica per store part; a part whose chunks overlap becomes several. */
  private addReplicas(g: MergedGroup<StoreSeries>, mint: number, maxt: number, out: Series[], skipped: {encodings: Set<number>}, aggrs: readonly Aggr[]): void {
    // Parts of the same store (a split series, or replicas stripped by the store) are joined
    // first and split by overlap, as Thanos's OverlapSplit does for its whole group.
    const bySource = new Map<number, StoreChunk[]>()
    for (const p of g.parts) {
      const l = bySource.get(p.source)
      if (l) l.push(...p.item.chunks)
      else bySource.set(p.source, p.item.chunks.slice())
    }
    const kept: StoreChunk[][] = []
    for (const chunks of bySource.values()) {
      // A store whose chunks for this series are byte for byte another's (one block served
      // by a sidecar and a store gateway, or replicas of copied blocks) is the same replica
      // twice: the penalty merge of a stream with itself is that stream, so it is merged once.
      // Thanos's proxy drops such chunks by hash (pkg/store/proxy_merge.go
      // chainSeriesAndRemIdenticalChunks); dropping the whole part only keeps this exact.
      if (kept.some((k) => sameChunks(k, chunks))) continue
      kept.push(chunks)
      for (const replica of splitOverlapping(readableChunks(chunks, skipped))) {
        if (replica.length === 0) continue
        out.push(downsampledSeries(g.labels, replica, aggrs, mint, maxt, this.decode))
      }
    }
  }

  async labelNames(matchers: readonly Matcher[], hints: LabelQueryHints, signal?: AbortSignal): Promise<{names: string[]; warnings: string[]}> {
    return this.withTimeout(signal, (sig) => this.proxy.labelNames(this.labelsQuery(matchers, hints), sig))
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints: LabelQueryHints, signal?: AbortSignal): Promise<{values: string[]; warnings: string[]}> {
    return this.withTimeout(signal, (sig) => this.proxy.labelValues(name, this.labelsQuery(matchers, hints), sig))
  }

  private labelsQuery(matchers: readonly Matcher[], hints: LabelQueryHints) {
    return {
      start: Number.isFinite(hints.start) ? hints.start : this.mint,
      end: Number.isFinite(hints.end) ? hints.end : this.maxt,
      matchers,
      partialResponse: this.opts.partialResponse,
      withoutReplicaLabels: this.dedup ? this.opts.replicaLabels : undefined,
      limit: hints.limit,
    }
  }

  /** Runs fn with a signal that fires on the caller's abort or after timeoutMs. */
  private async withTimeout<T>(signal: AbortSignal | undefined, fn: (sig: AbortSignal) => Promise<T>): Promise<T> {
    const ms = this.opts.timeoutMs
    const signals: AbortSignal[] = []
    if (signal) signals.push(signal)
    if (ms !== undefined && ms > 0) signals.push(timeoutSignal(ms))
    const sig = signals.length === 0 ? new AbortController().signal : signals.length === 1 ? signals[0]! : AbortSignal.any(signals)
    return fn(sig)
  }
}

function timeoutSignal(ms: number): AbortSignal {
  const ctl = new AbortController()
  const t = setTimeout(() => ctl.abort(new TimeoutErrorForSelect(ms)), ms)
  t.unref()
  return ctl.signal
}

class TimeoutErrorForSelect extends TimeoutError {
  constructor(ms: number) {
    super(`query timed out in store fan-out after ${ms}ms`)
  }
}


/**
 * Explain: which store and replica each chunk came from. strip() does to the groups what
 * `without_replica_labels` makes the stores do: the replica labels go, and groups that become
 * equal join, their parts in source order and, within a source, in the store's order (as the
 * proxy's stripReplicaLabels and merge would give them).
 */
class ChunkOrigins {
  private readonly identities: ReplicaIdentity[] = []
  private readonly byKey = new Map<string, number>()
  private readonly ofChunk = new Map<StoreChunk, number>()

  constructor(private readonly stores: readonly string[]) {}

  strip(groups: MergedGroup<StoreSeries>[], replicaLabels: ReadonlySet<string>): MergedGroup<StoreSeries>[] {
    const entries: {labels: Labels; part: MergedPart<StoreSeries>}[] = []
    for (const g of groups) {
      const labels = withoutLabels(g.labels, replicaLabels)
      const replica = labels === g.labels ? [] : g.labels.filter((l) => replicaLabels.has(l.name))
      for (const p of g.parts) {
        const id = this.intern(this.stores[p.source] ?? '', replica)
        for (const c of p.item.chunks) this.ofChunk.set(c, id)
        entries.push({labels, part: p})
      }
    }
    if (replicaLabels.size === 0) return groups
    // Array.prototype.sort is stable: equal label sets keep (original labels, source) order.
    entries.sort((a, b) => compareLabels(a.labels, b.labels))
    const out: MergedGroup<StoreSeries>[] = []
    for (const e of entries) {
      const last = out[out.length - 1]
      if (last && compareLabels(last.labels, e.labels) === 0) last.parts.push(e.part)
      else out.push({labels: e.labels, parts: [e.part]})
    }
    for (const g of out) if (g.parts.length > 1) g.parts.sort((a, b) => a.source - b.source)
    return out
  }

  /** A selected series whose spans name the store and replica of each merge input's chunks. */
  explained(s: Series, mint: number, maxt: number): SelectedSeries {
    const inputs = s instanceof DedupSeries ? s.replicas : [s]
    const identify = (input: number, t: number): number => {
      const r = inputs[input]
      return r instanceof ChunkSeries || r instanceof CounterSeries ? this.chunkAt(r.chunks, t) : -1
    }
    return {labels: s.labels, spans: () => identifySpans(explainSeries(s, mint, maxt, identify), this.identities)}
  }

  /** The origin of the last chunk starting at or before t (a merge input's chunks do not overlap). */
  private chunkAt(chunks: readonly SeriesChunk[], t: number): number {
    let lo = 0
    let hi = chunks.length - 1
    let at = 0
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (chunks[mid]!.minTime <= t) {
        at = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    const c = chunks[at]
    // a downsampled chunk's aggregate (or average) stands for the chunk it was read from
    return c === undefined ? -1 : (this.ofChunk.get((c.origin ?? c) as StoreChunk) ?? -1)
  }

  private intern(store: string, labels: Labels): number {
    const key = `${store}\x00${labelsKey(labels)}`
    let id = this.byKey.get(key)
    if (id === undefined) {
      id = this.identities.length
      this.identities.push({store, labels})
      this.byKey.set(key, id)
    }
    return id
  }
}

/** Sorts groups by labels (stable) and joins equal neighbours, in place. */
function regroup(groups: MergedGroup<StoreSeries>[]): void {
  groups.sort((a, b) => compareLabels(a.labels, b.labels))
  let w = 0
  for (let i = 0; i < groups.length; i++) {
    if (w > 0 && compareLabels(groups[w - 1]!.labels, groups[i]!.labels) === 0) groups[w - 1]!.parts.push(...groups[i]!.parts)
    else groups[w++] = groups[i]!
  }
  groups.length = w
}

/**
 * XOR, HISTOGRAM and FLOAT_HISTOGRAM chunks are decoded (chunk-series.ts); any other
 * encoding, which a newer store could send, is skipped with a warning rather than misread
 * (Thanos's querier fails the whole query on it, pkg/query/iter.go chunkEncoding).
 */
function readableChunks(chunks: StoreChunk[], skipped: {encodings: Set<number>}): StoreChunk[] {
  for (const c of chunks) {
    if (!readable(c.encoding)) {
      for (const x of chunks) if (!readable(x.encoding)) skipped.encodings.add(x.encoding)
      return chunks.filter((x) => readable(x.encoding))
    }
  }
  return chunks
}

function readable(e: number): boolean {
  return e === ChunkEncoding.XOR || e === ChunkEncoding.HISTOGRAM || e === ChunkEncoding.FLOAT_HISTOGRAM || e === AGGREGATES_ENCODING
}

function dedupWarnings(ws: string[]): string[] {
  return [...new Set(ws)]
}

/** Whether two chunk lists are the same chunks (times, encoding and bytes) in the same order. */
function sameChunks(a: readonly StoreChunk[], b: readonly StoreChunk[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    if (x.minTime !== y.minTime || x.maxTime !== y.maxTime || x.encoding !== y.encoding || x.aggrs !== undefined || y.aggrs !== undefined) return false
    if (!bytesEqual(x.data, y.data)) return false
  }
  return true
}
