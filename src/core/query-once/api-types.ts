/**
 * query-once/: the one-shot query behind `thanosts query-once`: evaluate one PromQL expression
 * (locally over stores, or through any Prometheus-compatible HTTP API) and render the result
 * as a table, JSON (exactly Prometheus's API `data`) or CSV.
 *
 * api-types.ts: the JSON shapes of Prometheus's HTTP API v1 query results, which is the common
 * form both sources produce and every renderer consumes.
 */

/** [unix seconds, "value"] as Prometheus writes it. */
export type ApiPoint = [number, string]

export interface ApiVectorSample {
  metric: Record<string, string>
  value: ApiPoint
}

export interface ApiMatrixSeries {
  metric: Record<string, string>
  values: ApiPoint[]
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
}
