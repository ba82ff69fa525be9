/**
 * proxy/: the querier's fan-out. This proxy fans a request out to every matching store (the
 * clients of storeapi/, the endpoints of discovery/) and merges the answers (Thanos
 * `pkg/store/proxy.go`, `proxy_merge.go`). The PromQL view over the proxy, with deduplication,
 * is store-queryable.ts; the gRPC-serving face of the proxy (so queriers can be stacked) is
 * proxy-grpc.ts.
 *
 * Per request:
 * - stores are pruned by time overlap and external labels (Thanos pkg/store/proxy.go storeMatches);
 * - all remaining stores are called concurrently; each stream is sorted by labels, a store that
 *   cannot strip replica labels itself has them stripped here and its series re-sorted;
 * - the streams are k-way merged by labels (series-merge.ts); equal label sets from several
 *   stores come out as one group with one part per store;
 * - partial response: with WARN a failing, unreachable or silent store (no frame for
 *   `responseTimeoutMs`) becomes a warning and the rest is returned; with ABORT the first such
 *   failure fails the request;
 * - when the consumer stops early or the caller aborts, every store call is cancelled.
 */
import {ThanostsError, UnavailableError, BadDataError, TimeoutError, CanceledError} from '../errors.js'
import {compareStrings, getLabel, labelsFromRecord, type Labels} from '../labels/labels.js'
import {matchesAll, type Matcher} from '../labels/matcher.js'
import type {Logger} from '../log.js'
import {stripReplicaLabels} from '../dedup/dedup-series-set.js'
import {mergeSeriesBatches, type MergedGroup} from './series-merge.js'
import {singleFrames, type LabelsQuery, type SeriesFrame, type SeriesQuery, type StoreChunk, type StoreRef, type StoreSeries} from '../storepb/store-types.js'

export interface ProxyStoreOptions {
  /** The stores to consider; called per request (EndpointSet.storeRefs, or a fixed list). */
  stores: () => readonly StoreRef[]
  /** `--store.response-timeout`: a store silent for this long is cancelled (0 = off). */
  responseTimeoutMs?: number
  logger?: Logger
}

export interface SeriesSelection extends SeriesQuery {
  /** `storeMatch[]`: OR of matcher sets, matched against `{__address__="<store name>"}`. */
  storeMatchers?: readonly (readonly Matcher[])[]
}

/** Result of a fan-out: groups stream in label order; warnings accumulate while iterating. */
export interface ProxySeriesResult {
  groups: AsyncGenerator<MergedGroup<StoreSeries>>
  /** Partial-response warnings so far; complete once `groups` is exhausted. */
  warnings: string[]
  /** Names of the stores asked, by the `source` index of the groups' parts. */
  sources: readonly string[]
}

export const NO_STORES_MESSAGE = 'No StoreAPIs available'

/**
 * External-label pruning (Thanos `LabelSetsMatch`): a store matches if any of its label sets
 * matches; a set matches unless a matcher names a label the set HAS and rejects its value.
 * A store with no label sets always matches.
 */
export function labelSetsMatch(matchers: readonly Matcher[], labelSets: readonly Labels[]): boolean {
  if (labelSets.length === 0) return true
  outer: for (const ls of labelSets) {
    for (const m of matchers) {
      const has = ls.some((l) => l.name === m.name)
      if (has && !m.matches(getLabel(ls, m.name))) continue outer
    }
    return true
  }
  return false
}

/** Stores worth asking for [minTime, maxTime] with these matchers (Thanos pkg/store/proxy.go storeMatches). */
export function matchingStores(stores: readonly StoreRef[], sel: {minTime: number; maxTime: number; matchers: readonly Matcher[]; storeMatchers?: readonly (readonly Matcher[])[]}): StoreRef[] {
  return stores.filter((s) => {
    if (sel.minTime > s.maxTime || sel.maxTime < s.minTime) return false
    if (sel.storeMatchers && sel.storeMatchers.length > 0) {
      const addr = labelsFromRecord({__address__: s.name})
      if (!sel.storeMatchers.some((ms) => matchesAll(ms, addr))) return false
    }
    return labelSetsMatch(sel.matchers, s.labelSets)
  })
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** The error, prefixed with `store <name>: ` unless it already names the store. */
function storeMessage(name: string, e: unknown): string {
  const m = errMessage(e)
  return m.includes(name) ? m : `store ${name}: ${m}`
}

/**
 * A store's failure (the query was not aborted: callers check that first), named after the
 * store. A store whose call ended "canceled" without us canceling it failed: it is
 * unavailable, whatever its client called it; a canceled query (499) is only one whose caller
 * went away.
 */
function storeError(name: string, e: unknown): ThanostsError {
  const msg = storeMessage(name, e)
  const kind = e instanceof ThanostsError && e.kind !== 'canceled' ? e.kind : 'unavailable'
  return new ThanostsError(kind, msg, {cause: e})
}

// Abort reasons for streams we stop ourselves, once per query: shared objects, no stack each.
const FANOUT_FINISHED = new CanceledError('fan-out finished')
const STREAM_RELEASED = new CanceledError('stream released')

export class ProxyStore {
  constructor(private readonly opts: ProxyStoreOptions) {}

  /** Fan-out Series. Throws (ABORT) on the first store failure, or BadDataError on bad input. */
  series(sel: SeriesSelection, signal?: AbortSignal): ProxySeriesResult {
    if (sel.matchers.length === 0) throw new BadDataError('no matchers specified (excluding selector labels)')
    const warnings: string[] = []
    const stores = this.opts.stores()
    const targets = matchingStores(stores, sel)
    const log = this.opts.logger
    log?.debug('series fan-out', {stores: targets.map((s) => s.name).join(','), minTime: sel.minTime, maxTime: sel.maxTime})

    if (stores.length === 0) {
      if (!sel.partialResponse) throw new UnavailableError(NO_STORES_MESSAGE)
      warnings.push(NO_STORES_MESSAGE)
    }
    const ctl = new AbortController()
    const onAbort = () => ctl.abort(signal!.reason)
    signal?.addEventListener('abort', onAbort, {once: true})
    const sources = targets.map((s) => this.storeStream(s, sel, ctl.signal, warnings)[Symbol.asyncIterator]())
    const limit = sel.limit !== undefined && sel.limit > 0 ? sel.limit : Infinity

    async function* run(): AsyncGenerator<MergedGroup<StoreSeries>> {
      try {
        if (signal?.aborted) throw abortError(signal.reason)
        let n = 0
        for await (const g of mergeSeriesBatches(sources)) {
          if (n++ >= limit) break
          yield g
        }
        if (signal?.aborted) throw abortError(signal.reason)
      } finally {
        signal?.removeEventListener('abort', onAbort)
        // Done or stopped early: cancel whatever is still streaming.
        ctl.abort(FANOUT_FINISHED)
      }
    }
    return {groups: run(), warnings, sources: targets.map((s) => s.name)}
  }

  /**
   * One store's series, sorted by labels as the merge needs: frames are checked for the
   * response timeout, warnings and failures become `warnings` entries (WARN) or throw (ABORT).
   */
  private async *storeStream(store: StoreRef, sel: SeriesSelection, signal: AbortSignal, warnings: string[]): AsyncGenerator<readonly StoreSeries[]> {
    const strip = sel.withoutReplicaLabels && sel.withoutReplicaLabels.length > 0 && !store.supportsWithoutReplicaLabels ? new Set(sel.withoutReplicaLabels) : undefined
    const q: SeriesQuery = {
      minTime: sel.minTime,
      maxTime: sel.maxTime,
      matchers: sel.matchers,
      skipChunks: sel.skipChunks,
      partialResponse: sel.partialResponse,
      withoutReplicaLabels: strip ? undefined : sel.withoutReplicaLabels,
      hints: sel.hints,
      limit: sel.limit,
      maxResolutionWindow: sel.maxResolutionWindow,
      aggregates: sel.aggregates,
    }
    const storeCtl = new AbortController()
    const onAbort = () => storeCtl.abort(signal.reason)
    signal.addEventListener('abort', onAbort, {once: true})
    const fail = (e: unknown): void => {
      if (signal.aborted) throw abortError(signal.reason)
      const err = storeError(store.name, e)
      if (!sel.partialResponse) throw err
      this.opts.logger?.warn('partial response: store failed', {store: store.name, err: errMessage(e)})
      warnings.push(err.message)
    }
    const buffered: StoreSeries[] = []
    try {
      const caller = store.caller
      const it = (caller.seriesBatches ? caller.seriesBatches(q, storeCtl.signal) : singleFrames(caller.series(q, storeCtl.signal)))[Symbol.asyncIterator]()
      for (;;) {
        let r: IteratorResult<readonly SeriesFrame[]>
        try {
          r = await this.nextFrame(it, storeCtl)
        } catch (e) {
          fail(e)
          break
        }
        if (r.done) break
        const out: StoreSeries[] = []
        for (const f of r.value) {
          if (f.warning !== undefined) {
            if (!sel.partialResponse) throw new UnavailableError(`store ${store.name}: ${f.warning}`)
            warnings.push(f.warning)
            continue
          }
          if (strip) buffered.push(f.series)
          else out.push(f.series)
        }
        if (out.length > 0) yield out
      }
      if (strip) {
        if (buffered.length > 0) this.opts.logger?.warn('store does not support without_replica_labels; stripping and re-sorting in the querier', {store: store.name})
        yield stripReplicaLabels(buffered, strip, (s, labels) => ({labels, chunks: s.chunks}))
      }
    } finally {
      signal.removeEventListener('abort', onAbort)
      storeCtl.abort(STREAM_RELEASED)
    }
  }

  /**
   * Next frame, raced against cancellation (a store that ignores the cancel cannot hold the
   * request) and against `responseTimeoutMs` of silence, which cancels the call.
   */
  private nextFrame<F>(it: AsyncIterator<F>, ctl: AbortController): Promise<IteratorResult<F>> {
    const ms = this.opts.responseTimeoutMs ?? 0
    if (ctl.signal.aborted) return Promise.reject(abortError(ctl.signal.reason))
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer)
        reject(abortError(ctl.signal.reason))
      }
      const timer =
        ms > 0
          ? setTimeout(() => ctl.abort(new TimeoutError(`no response for ${ms}ms (--store.response-timeout)`)), ms)
          : undefined
      ctl.signal.addEventListener('abort', onAbort, {once: true})
      const done = () => {
        clearTimeout(timer)
        ctl.signal.removeEventListener('abort', onAbort)
      }
      it.next().then(
        (r) => {
          done()
          resolve(r)
        },
        (e) => {
          done()
          reject(e)
        },
      )
    })
  }

  async labelNames(q: LabelsQuery, signal?: AbortSignal): Promise<{names: string[]; warnings: string[]}> {
    const {results, warnings} = await this.fanOutLabels(q, signal, (s, sig) => s.caller.labelNames(q, sig).then((r) => ({items: r.names, warnings: r.warnings})))
    let names = mergeSortedUnique(results)
    if (q.withoutReplicaLabels && q.withoutReplicaLabels.length > 0) {
      const drop = new Set(q.withoutReplicaLabels)
      names = names.filter((n) => !drop.has(n))
    }
    return {names: applyLimit(names, q.limit), warnings}
  }

  async labelValues(name: string, q: LabelsQuery, signal?: AbortSignal): Promise<{values: string[]; warnings: string[]}> {
    if (q.withoutReplicaLabels?.includes(name)) return {values: [], warnings: []}
    const {results, warnings} = await this.fanOutLabels(q, signal, (s, sig) => s.caller.labelValues(name, q, sig).then((r) => ({items: r.values, warnings: r.warnings})))
    return {values: applyLimit(mergeSortedUnique(results), q.limit), warnings}
  }

  private async fanOutLabels(
    q: LabelsQuery,
    signal: AbortSignal | undefined,
    call: (s: StoreRef, signal: AbortSignal) => Promise<{items: string[]; warnings: string[]}>,
  ): Promise<{results: string[][]; warnings: string[]}> {
    const stores = this.opts.stores()
    const warnings: string[] = []
    if (stores.length === 0) {
      if (!q.partialResponse) throw new UnavailableError(NO_STORES_MESSAGE)
      return {results: [], warnings: [NO_STORES_MESSAGE]}
    }
    const targets = matchingStores(stores, {minTime: q.start, maxTime: q.end, matchers: q.matchers})
    const ctl = new AbortController()
    const onAbort = () => ctl.abort(signal!.reason)
    signal?.addEventListener('abort', onAbort, {once: true})
    try {
      const settled = await Promise.all(
        targets.map(async (s) => {
          try {
            const r = await call(s, ctl.signal)
            if (r.warnings.length > 0 && !q.partialResponse) throw new UnavailableError(r.warnings[0]!)
            warnings.push(...r.warnings)
            return r.items
          } catch (e) {
            if (signal?.aborted) throw abortError(signal.reason)
            const err = storeError(s.name, e)
            if (!q.partialResponse) {
              ctl.abort(new CanceledError('another store failed'))
              throw err
            }
            warnings.push(err.message)
            return []
          }
        }),
      )
      return {results: settled, warnings}
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }
}

function abortError(reason: unknown): ThanostsError {
  if (reason instanceof ThanostsError) return reason
  return new CanceledError(reason instanceof Error ? reason.message : undefined)
}

/** Sorted, de-duplicated union of string lists (Thanos `strutil.MergeUnsortedSlices`). */
export function mergeSortedUnique(lists: readonly string[][]): string[] {
  const all = new Set<string>()
  for (const l of lists) for (const s of l) all.add(s)
  return [...all].sort(compareStrings)
}

function applyLimit<T>(xs: T[], limit: number | undefined): T[] {
  return limit !== undefined && limit > 0 && xs.length > limit ? xs.slice(0, limit) : xs
}

/** Flattens a merged group into one wire series: chunks of all parts, identical ones once. */
const b64 = (d: Uint8Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64')

/** A chunk's identity without a hash: times and bytes (of every aggregate, for a downsampled chunk). */
function chunkKey(c: StoreChunk): string {
  if (c.aggrs === undefined) return `${c.minTime}:${c.maxTime}:${b64(c.data)}`
  return `${c.minTime}:${c.maxTime}:a${c.aggrs.map((a) => (a ? `${a.encoding}.${b64(a.data)}` : '')).join(':')}`
}

export function flattenGroup(g: MergedGroup<StoreSeries>): StoreSeries {
  if (g.parts.length === 1) return g.parts[0]!.item
  const seen = new Set<string>()
  const chunks = []
  for (const p of g.parts) {
    for (const c of p.item.chunks) {
      // Thanos dedups identical chunks by hash; without a hash, by (min, max, bytes).
      const k = c.hash !== '' ? `h${c.hash}` : chunkKey(c)
      if (seen.has(k)) continue
      seen.add(k)
      chunks.push(c)
    }
  }
  chunks.sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime)
  return {labels: g.labels, chunks}
}
