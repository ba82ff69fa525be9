/**
 * The StoreAPI over one Prometheus (Thanos pkg/store/prometheus.go semantics, our code):
 * - matchers on external label names are decided here (no match: empty answer, no error;
 *   match: dropped before asking Prometheus, which does not store external labels);
 * - Series come from streamed remote read and their chunks pass through as bytes, without
 *   re-encoding; every series gets the external labels (which win over the series' own, as
 *   in Thanos) minus the requested replica labels, and is sent as soon as its place in the
 *   sorted answer is certain (series-order.ts);
 * - skip_chunks and the label calls use Prometheus's HTTP API.
 */
import {BadDataError, UnavailableError} from '../errors.js'
import {compareLabels, mergeLabels, withoutLabels, type Labels} from '../labels/labels.js'
import {Matcher, MatchType} from '../labels/matcher.js'
import type {PrometheusClient} from '../prometheus/prometheus-client.js'
import {MAX_INT64} from '../prometheus/prometheus-client.js'
import type {RemoteReadClient} from '../remote-read/remote-read-client.js'
import type {StoreApiImpl} from '../storeapi/store-grpc-server.js'
import type {LabelsQuery, SeriesFrame, SeriesQuery, StoreSeries} from '../storepb/store-types.js'
import type {EndpointInfo} from '../storepb/store-wire.js'
import {MergedLabelOrder, type KeyedSeries} from './series-order.js'

/** What the sidecar has learned from Prometheus; updated by its heartbeat. */
export interface SidecarState {
  ready: boolean
  externalLabels: Labels
  /** Lowest timestamp Prometheus holds (ms), already max()ed with --min-time. */
  minTime: number
}

export const NO_MATCHERS_MESSAGE = 'no matchers specified (excluding external labels)'

/**
 * Splits request matchers into "decided here" (external labels) and "for Prometheus".
 * Returns undefined when an external-label matcher rejects this store.
 */
export function matchExternalLabels(matchers: readonly Matcher[], ext: Labels): Matcher[] | undefined {
  const rest: Matcher[] = []
  for (const m of matchers) {
    const l = ext.find((e) => e.name === m.name)
    if (l === undefined) rest.push(m)
    else if (!m.matches(l.value)) return undefined
  }
  return rest
}

/**
 * Prometheus's HTTP API refuses a match[] selector whose matchers all match the empty string
 * ("match[] must contain at least one non-empty matcher"), but the StoreAPI allows it (e.g. a
 * querier asking for label values under `{instance!="y"}`) and remote read answers it. Every
 * stored series has a metric name, so adding `__name__=~".+"` selects the same series and makes
 * the selector acceptable.
 */
export function forHttpApi(matchers: Matcher[]): Matcher[] {
  if (matchers.length === 0 || matchers.some((m) => !m.matches(''))) return matchers
  return [...matchers, new Matcher(MatchType.RE, '__name__', '.+')]
}

export class PrometheusStore implements StoreApiImpl {
  constructor(
    private readonly prom: PrometheusClient,
    private readonly remote: RemoteReadClient,
    private readonly state: SidecarState,
  ) {}

  info(): EndpointInfo {
    if (!this.state.ready) throw new UnavailableError('Not ready: Prometheus or its external labels are not available yet')
    return {
      componentType: 'sidecar',
      labelSets: this.state.externalLabels.length > 0 ? [this.state.externalLabels] : [],
      store: {minTime: this.state.minTime, maxTime: MAX_INT64, supportsSharding: false, supportsWithoutReplicaLabels: true},
      // served by prometheus-globalview.ts; announced as Thanos's sidecar does (cmd/thanos/sidecar.go),
      // exemplars with the empty ExemplarsInfo{} (no time range), which its querier does not read
      rules: true,
      metricMetadata: true,
      targets: true,
      exemplars: {minTime: 0, maxTime: 0},
    }
  }

  /** External labels as they should appear on series of this request. */
  private extFor(without: readonly string[] | undefined): Labels {
    return withoutLabels(this.state.externalLabels, new Set(without ?? []))
  }

  /**
   * Replica labels to strip from the series themselves: Prometheus's remote read already adds
   * its external labels to every series, so removing them from our copy alone is not enough.
   * Only external label names are stripped, as Thanos (a series' own label stays).
   */
  private stripFor(without: readonly string[] | undefined): Set<string> {
    const ext = new Set(this.state.externalLabels.map((l) => l.name))
    return new Set((without ?? []).filter((n) => ext.has(n)))
  }

  async *series(q: SeriesQuery, signal: AbortSignal): AsyncGenerator<SeriesFrame> {
    for await (const frames of this.seriesBatches(q, signal)) yield* frames
  }

  /** series() in batches: the series of each network read from Prometheus at once. */
  async *seriesBatches(q: SeriesQuery, signal: AbortSignal): AsyncGenerator<SeriesFrame[]> {
    const rest = matchExternalLabels(q.matchers, this.state.externalLabels)
    if (rest === undefined) return
    if (rest.length === 0) throw new BadDataError(NO_MATCHERS_MESSAGE)
    const minTime = Math.max(q.minTime, this.state.minTime)
    const maxTime = q.maxTime
    if (minTime > maxTime) return
    const ext = this.extFor(q.withoutReplicaLabels)
    const strip = this.stripFor(q.withoutReplicaLabels)
    if (q.skipChunks) {
      // /api/v1/series promises no order: sort the (chunk-less, small) answer as a whole.
      const found = await this.prom.series(forHttpApi(rest), minTime, maxTime, q.limit, signal)
      const out = found.map((ls): StoreSeries => ({labels: mergeLabels(withoutLabels(ls, strip), ext), chunks: []}))
      out.sort((a, b) => compareLabels(a.labels, b.labels))
      if (out.length > 0) yield out.map((s) => ({series: s}))
      return
    }
    const h = q.hints
    const stream = this.remote.readBatches(
      {
        start: minTime,
        end: maxTime,
        matchers: rest,
        hints: {
          startMs: minTime,
          endMs: maxTime,
          stepMs: h?.stepMs,
          func: h?.func,
          rangeMs: h?.rangeMs,
          by: h?.grouping?.by,
          grouping: h?.grouping?.labels,
        },
      },
      signal,
    )
    const extNames = new Set(this.state.externalLabels.map((l) => l.name))
    const limit = q.limit && q.limit > 0 ? q.limit : Infinity
    // The StoreAPI promises series sorted by their final labels; external labels can reorder
    // them. series-order.ts restores the order while streaming (Thanos buffers everything).
    const order = new MergedLabelOrder<StoreSeries>()
    const ready: KeyedSeries<StoreSeries>[] = []
    let n = 0
    const frames = (): SeriesFrame[] => {
      const out = ready.map((k): SeriesFrame => ({series: k.value}))
      ready.length = 0
      return out
    }
    read: for await (const batch of stream) {
      for (const s of batch) {
        const labels = mergeLabels(withoutLabels(s.labels, strip), ext)
        // prompb Chunk.Encoding starts at UNKNOWN=0, XOR=1; Thanos's at XOR=0
        const chunks = s.chunks.map((c) => ({minTime: c.minTime, maxTime: c.maxTime, data: c.data, encoding: c.type - 1, hash: ''}))
        order.add({key: withoutLabels(s.labels, extNames), labels, value: {labels, chunks}}, ready)
        if (++n >= limit) break read
      }
      if (ready.length > 0) yield frames()
    }
    order.end(ready)
    if (ready.length > 0) yield frames()
  }

  async labelNames(q: LabelsQuery, signal: AbortSignal): Promise<{names: string[]; warnings: string[]}> {
    const rest = matchExternalLabels(q.matchers, this.state.externalLabels)
    if (rest === undefined) return {names: [], warnings: []}
    const names = await this.prom.labelNames(forHttpApi(rest), Math.max(q.start, this.state.minTime), q.end, q.limit, signal)
    if (names.length === 0) return {names, warnings: []}
    const all = new Set(names)
    for (const l of this.extFor(q.withoutReplicaLabels)) all.add(l.name)
    return {names: [...all].sort(), warnings: []}
  }

  async labelValues(name: string, q: LabelsQuery, signal: AbortSignal): Promise<{values: string[]; warnings: string[]}> {
    if (name === '') throw new BadDataError('label name parameter cannot be empty')
    if ((q.withoutReplicaLabels ?? []).includes(name)) return {values: [], warnings: []}
    const rest = matchExternalLabels(q.matchers, this.state.externalLabels)
    if (rest === undefined) return {values: [], warnings: []}
    const start = Math.max(q.start, this.state.minTime)
    const ext = this.state.externalLabels.find((l) => l.name === name)
    if (ext !== undefined) {
      if (rest.length === 0) return {values: [ext.value], warnings: []}
      const found = await this.prom.series(forHttpApi(rest), start, q.end, 1, signal)
      return {values: found.length > 0 ? [ext.value] : [], warnings: []}
    }
    const values = await this.prom.labelValues(name, forHttpApi(rest), start, q.end, q.limit, signal)
    return {values: [...values].sort(), warnings: []}
  }
}
