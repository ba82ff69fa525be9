/**
 * Explain (issue 18), the querier's side: what each select of one query got from which
 * replica. The store queryable, given a SelectExplainCollector, records every select it
 * answers (its matchers, window and the series it returned); nothing is computed then. When
 * the caller asks (`resolve`), each selected series runs its merge once more with a span
 * recorder (dedup/spans.ts) and the merge inputs are named: a replica is the label values
 * deduplication stripped from it (e.g. {replica="1"}) and the store that sent it.
 *
 * The engine's Queryable stays as it is: the collector lives beside it, and a caller maps the
 * engine's result series back to these selected series (api/explain.ts).
 */
import type {Labels} from '../labels/labels.js'
import type {Matcher} from '../labels/matcher.js'
import type {MergeSpans} from '../dedup/spans.js'

/** Who served a stretch of a series. */
export interface ReplicaIdentity {
  /** The store's address (its name in the endpoint set). */
  store: string
  /** The replica labels stripped by deduplication (empty with dedup off). */
  labels: Labels
}

export interface IdentifiedSpan {
  replica: ReplicaIdentity
  from: number
  to: number
  samples: number
}

export interface IdentifiedSwitch {
  /** First sample of the new replica. */
  at: number
  /** Indexes in `spans` of the span before and after. */
  fromSpan: number
  toSpan: number
  from: ReplicaIdentity
  to: ReplicaIdentity
}

/** The spans of one selected series over the select's window (times in ms). */
export interface SeriesSpans {
  spans: IdentifiedSpan[]
  holes: {from: number; to: number}[]
  switches: IdentifiedSwitch[]
  /** Typical scrape interval and hole tolerance (ms), see dedup/spans.ts. */
  interval: number
  tolerance: number
}

export interface SelectedSeries {
  readonly labels: Labels
  /** Runs the merge with a recorder; call once per series (it decodes the replicas again). */
  spans(): SeriesSpans
}

export interface ExplainedSelect {
  /** The matchers as the engine passed them (the selector's own array). */
  readonly matchers: readonly Matcher[]
  readonly start: number
  readonly end: number
  readonly func?: string
  readonly series: readonly SelectedSeries[]
}

/** One per query; filled by the store queryable, read after evaluation. */
export class SelectExplainCollector {
  readonly selects: ExplainedSelect[] = []

  add(sel: ExplainedSelect): void {
    this.selects.push(sel)
  }
}

/** Names the merge inputs of `m` (indexes into `identities`). */
export function identifySpans(m: MergeSpans, identities: readonly ReplicaIdentity[]): SeriesSpans {
  const id = (i: number): ReplicaIdentity => identities[i] ?? {store: '', labels: []}
  return {
    spans: m.spans.map((s) => ({replica: id(s.replica), from: s.from, to: s.to, samples: s.samples})),
    holes: m.holes,
    switches: m.switches.map((s) => ({at: s.at, fromSpan: s.fromSpan, toSpan: s.toSpan, from: id(m.spans[s.fromSpan]!.replica), to: id(m.spans[s.toSpan]!.replica)})),
    interval: m.interval,
    tolerance: m.tolerance,
  }
}
