/** Shapes of /api/v1/query and /api/v1/query_range answers: the server's own API types. */
import type {ApiMatrixSeries, ApiQueryData, ApiVectorSample} from '../../../core/api/api-types.js'

export type InstantSeries = ApiVectorSample
export type RangeSeries = ApiMatrixSeries
export type QueryData = ApiQueryData

/** Number of series (rows) a result holds. */
export function resultSize(d: QueryData): number {
  return d.resultType === 'vector' || d.resultType === 'matrix' ? d.result.length : 1
}
