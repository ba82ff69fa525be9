/**
 * The JSON shapes of the HTTP API that more than one side reads or writes: Prometheus's v1 query
 * results (the API writes them, query-once's sources produce and its renderers consume them,
 * the web UI draws them) and Thanos's /api/v1/stores entries. Types only and no imports, so
 * the browser bundle shares them with the server.
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

/** Element of Thanos's `/api/v1/stores` (Thanos pkg/api/query/v1.go), grouped there by component type. */
export interface StoreStatus {
  name: string
  lastCheck: string
  lastError: string | null
  labelSets: Array<Record<string, string>>
  minTime: number
  maxTime: number
}
