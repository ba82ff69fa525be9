/**
 * The JSON shapes of the HTTP API that more than one side reads or writes: Prometheus's v1 query
 * results (the API writes them, query-once's sources produce and its renderers consume them,
 * the web UI draws them), their `explain` companion (thanosts), and Thanos's /api/v1/stores
 * entries. Types only and no imports, so the browser bundle shares them with the server.
 */

/** [unix seconds, "value"] as Prometheus writes it. */
export type ApiPoint = [number, string]

/** A native histogram as the API writes it (histogram/json.ts; util/jsonutil MarshalHistogram). */
export interface ApiHistogramValue {
  count: string
  sum: string
  /** [boundary rule, lower, upper, count]; absent when every bucket is empty */
  buckets?: [number, string, string, string][]
}

/** [unix seconds, histogram] */
export type ApiHistogramPoint = [number, ApiHistogramValue]

/**
 * A float sample has `value`, a native histogram sample `histogram` instead (never both;
 * web/api/v1/json_codec.go marshalSampleJSON).
 */
export interface ApiVectorSample {
  metric: Record<string, string>
  value?: ApiPoint
  histogram?: ApiHistogramPoint
}

/**
 * Float points in `values`, histogram points in `histograms`; Prometheus leaves out the key
 * that would be empty (web/api/v1/json_codec.go marshalSeriesJSON), so a histogram-only series
 * has no `values`.
 */
export interface ApiMatrixSeries {
  metric: Record<string, string>
  values?: ApiPoint[]
  histograms?: ApiHistogramPoint[]
}

export type ApiQueryData =
  | {resultType: 'vector'; result: ApiVectorSample[]}
  | {resultType: 'matrix'; result: ApiMatrixSeries[]}
  | {resultType: 'scalar'; result: ApiPoint}
  | {resultType: 'string'; result: ApiPoint}

export interface ApiQueryResult {
  data: ApiQueryData
  warnings: string[]
  infos: string[]
  /** Present when asked for (explain=true) and the server knows it. */
  explain?: ApiExplain
}

/** Element of Thanos's `/api/v1/stores` (Thanos pkg/api/query/v1.go), grouped there by component type. */
export interface StoreStatus {
  name: string
  lastCheck: string
  lastError: string | null
  labelSets: Array<Record<string, string>>
  minTime: number
  maxTime: number
}

/**
 * `explain=true` on /api/v1/query and /api/v1/query_range (thanosts, issue 18): beside `data`,
 * per result series the selected series that fed it and which replica served which stretch of
 * each. Times and durations in seconds, as the rest of the API.
 */
export interface ApiExplain {
  series: ApiExplainSeries[]
  /** Selectors whose series cannot be traced to result series (e.g. inside info()). */
  untraced?: string[]
}

export interface ApiExplainSeries {
  /** The result series' labels, as in `data` ({} for a scalar result). */
  metric: Record<string, string>
  inputs: ApiExplainInput[]
}

export interface ApiExplainInput {
  /** The selector as written in the query (printed form). */
  selector: string
  /** The selected series (replica labels removed when deduplicated). */
  metric: Record<string, string>
  spans: ApiExplainSpan[]
  /** Stretches where no replica had a sample for longer than `tolerance`. */
  holes: Array<{from: number; to: number}>
  /** Where the output changed replica: the first sample of span `toSpan`. */
  switches: Array<{at: number; fromSpan: number; toSpan: number}>
  /** Typical scrape interval of the series and the hole tolerance (2.5 intervals). */
  interval: number
  tolerance: number
}

export interface ApiExplainSpan {
  /** The replica labels deduplication removed, e.g. {"replica": "1"} ({} with dedup off). */
  replica: Record<string, string>
  /** The store that sent this replica. */
  store: string
  from: number
  to: number
  samples: number
}
