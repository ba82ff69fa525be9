/**
 * The StoreAPI over one Prometheus (Thanos pkg/store/prometheus.go semantics, our code):
 * - matchers on external label names are decided here (no match: empty answer, no error;
 *   match: dropped before asking Prometheus, which does not store external labels);
 * - Series come from streamed remote read and their chunks pass through as bytes, without
 *   re-encoding; every series gets the external labels (which win over the series' own, as
 *   in Thanos) minus the requested replica labels;
 * - skip_chunks and the label calls use Prometheus's HTTP API.
 */
import {BadDataError, UnavailableError} from '../errors.js'
import {compareLabels, mergeLabels, withoutLabels, type Labels} from '../labels/labels.js'
import {Matcher, MatchType} from '../labels/matcher.js'
import type {PrometheusClient} from '../prometheus/prometheus-client.js'
import {MAX_INT64} from '../prometheus/prometheus-client.js'
import type {RemoteReadClient} from '../remote-read/remote-read-client.js'
import type {StoreApiImpl} from '../store/store-grpc-server.js'
import type {LabelsQuery, SeriesFrame, SeriesQuery, StoreSeries} from '../store/types.js'
import type {EndpointInfo} from '../store/wire.js'

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
    const rest = matchExternalLabels(q.matchers, this.state.externalLabels)
    if (rest === undefined) return
    if (rest.length === 0) throw new BadDataError(NO_MATCHERS_MESSAGE)
    const minTime = Math.max(q.minTime, this.state.minTime)
    const maxTime = q.maxTime
    if (minTime > maxTime) return
    const ext = this.extFor(q.withoutReplicaLabels)
    const strip = this.stripFor(q.withoutReplicaLabels)
    const out: StoreSeries[] = []
    if (q.skipChunks) {
      for (const ls of await this.prom.series(forHttpApi(rest), minTime, maxTime, q.limit, signal)) out.push({labels: mergeLabels(withoutLabels(ls, strip), ext), chunks: []})
    } else {
      const h = q.hints
      const stream = this.remote.read(
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
      for await (const s of stream) {
        out.push({
          labels: mergeLabels(withoutLabels(s.labels, strip), ext),
          // prompb Chunk.Encoding starts at UNKNOWN=0, XOR=1; Thanos's at XOR=0
          chunks: s.chunks.map((c) => ({minTime: c.minTime, maxTime: c.maxTime, data: c.data, encoding: c.type - 1, hash: ''})),
        })
        if (q.limit && q.limit > 0 && out.length >= q.limit) break
      }
    }
    // Adding external labels can reorder series (e.g. {a} < {a,b} but {a,c} > {a,b,c}), and
    // the StoreAPI promises sorted output: sort when the merged order is not already sorted.
    // The answer is buffered because no cheap rule proves the order safe in advance: only
    // external names sorting before EVERY series label name (including __name__) keep it, and
    // even names sorting after all series labels reorder a series that is a prefix of another
    // ({a=1} < {a=1,b=2}, but {a=1,c=x} > {a=1,b=2,c=x}). Streaming would need that proof per query.
    let sorted = true
    for (let i = 1; i < out.length && sorted; i++) if (compareLabels(out[i - 1]!.labels, out[i]!.labels) > 0) sorted = false
    if (!sorted) out.sort((a, b) => compareLabels(a.labels, b.labels))
    for (const s of out) yield {series: s}
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
