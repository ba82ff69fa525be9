/**
 * The "Explain deduplication" view's data, apart from drawing it: which replica gets which
 * colour, which explain entry belongs to which result series, and the pieces of one input's
 * band (spans, holes, switches) clipped to the graph's range. Times in the API's explain member
 * are seconds (src/core/api/api-types.ts ApiExplain); everything here is in ms like the graph.
 */
import type {ApiExplain, ApiExplainInput, ApiExplainSeries, ApiExplainSpan} from '../../../core/api/api-types.js'
import {seriesName, type Metric} from '../../lib/format.js'

/**
 * Replica colours: hues away from the first entries of the series palette (colors.ts: blue,
 * orange, green, red), so that a band's colour is not read as a graph line's, and apart from
 * each other for the usual pair: teal and plum first.
 */
const REPLICA_PALETTE = ['#12939a', '#a05195', '#f5b700', '#3d5a80', '#e07a5f', '#6a994e', '#5e548e', '#8d6e63', '#000000', '#c9a227']

export interface ReplicaEntry {
  /** `{replica="1"}`: the replica labels deduplication removed, printed as Prometheus does. */
  key: string
  labels: Metric
  color: string
}

export function replicaKey(labels: Metric): string {
  return seriesName(labels)
}

/** Every replica named by a span, sorted by their labels (replica "0" before "1"), each a colour. */
export function replicaLegend(explain: ApiExplain): ReplicaEntry[] {
  const byKey = new Map<string, Metric>()
  for (const s of explain.series) for (const i of s.inputs) for (const sp of i.spans) byKey.set(replicaKey(sp.replica), sp.replica)
  return [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, labels], n) => ({key, labels, color: REPLICA_PALETTE[n % REPLICA_PALETTE.length]!}))
}

/**
 * The explain entry of each result series, in the result's order. The API lists them in the
 * same order; matching by labels anyway keeps a band on its series should that ever change.
 */
export function explainFor(explain: ApiExplain, metrics: Metric[]): (ApiExplainSeries | undefined)[] {
  const byName = new Map<string, ApiExplainSeries>()
  for (const s of explain.series) byName.set(seriesName(s.metric), s)
  return metrics.map((m, i) => byName.get(seriesName(m)) ?? explain.series[i])
}

export interface BandSpan {
  kind: 'span'
  from: number
  to: number
  span: ApiExplainSpan
  replica: string
}
export interface BandHole {
  kind: 'hole'
  from: number
  to: number
}
export interface BandSwitch {
  kind: 'switch'
  at: number
  from: ApiExplainSpan
  to: ApiExplainSpan
}

export interface BandPieces {
  spans: BandSpan[]
  holes: BandHole[]
  switches: BandSwitch[]
}

const ms = (s: number): number => Math.round(s * 1000)

/**
 * One input's spans, holes and switches that fall in [startMs, endMs], clipped to it. An input's
 * window starts a lookback (or a range selector's range) before the first step, so its first
 * span often begins before the graph does.
 */
export function bandPieces(input: ApiExplainInput, startMs: number, endMs: number): BandPieces {
  const clip = (from: number, to: number): [number, number] | null => {
    const f = Math.max(from, startMs)
    const t = Math.min(to, endMs)
    return f <= t ? [f, t] : null
  }
  const spans: BandSpan[] = []
  for (const sp of input.spans) {
    const c = clip(ms(sp.from), ms(sp.to))
    if (c) spans.push({kind: 'span', from: c[0], to: c[1], span: sp, replica: replicaKey(sp.replica)})
  }
  const holes: BandHole[] = []
  for (const h of input.holes) {
    const c = clip(ms(h.from), ms(h.to))
    if (c) holes.push({kind: 'hole', from: c[0], to: c[1]})
  }
  const switches: BandSwitch[] = []
  for (const sw of input.switches) {
    const at = ms(sw.at)
    const from = input.spans[sw.fromSpan]
    const to = input.spans[sw.toSpan]
    if (at >= startMs && at <= endMs && from && to) switches.push({kind: 'switch', at, from, to})
  }
  return {spans, holes, switches}
}

/** Rows of the table tab's listing: spans and holes of one input in time order. */
export type ListRow = {kind: 'span'; span: ApiExplainSpan} | {kind: 'hole'; from: number; to: number}

export function listRows(input: ApiExplainInput): ListRow[] {
  const rows: ListRow[] = [...input.spans.map((span) => ({kind: 'span' as const, span})), ...input.holes.map((h) => ({kind: 'hole' as const, from: h.from, to: h.to}))]
  const at = (r: ListRow): number => (r.kind === 'span' ? r.span.from : r.from)
  // a hole starts at the last sample of the span before it: after that span, so ties go to spans
  return rows.sort((a, b) => at(a) - at(b) || (a.kind === b.kind ? 0 : a.kind === 'span' ? -1 : 1))
}
