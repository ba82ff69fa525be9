/** Shapes of /api/v1/query and /api/v1/query_range answers (Prometheus API v1). */
import type {Metric} from '../../lib/format.js'

export type SamplePair = [number, string]
export interface InstantSeries {
  metric: Metric
  value: SamplePair
}
export interface RangeSeries {
  metric: Metric
  values: SamplePair[]
}

export type QueryData =
  | {resultType: 'vector'; result: InstantSeries[]}
  | {resultType: 'matrix'; result: RangeSeries[]}
  | {resultType: 'scalar'; result: SamplePair}
  | {resultType: 'string'; result: SamplePair}

/** Number of series (rows) a result holds. */
export function resultSize(d: QueryData): number {
  return d.resultType === 'vector' || d.resultType === 'matrix' ? d.result.length : 1
}
