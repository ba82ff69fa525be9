/**
 * A histogram as Prometheus's HTTP API writes it (prometheus/util/jsonutil/marshal.go
 * MarshalHistogram, used by web/api/v1/json_codec.go for `histogram` and `histograms`):
 *
 *   {"count":"42","sum":"34593.34","buckets":[[3,"-0.25","0.25","3"],[0,"0.25","0.5","12"]]}
 *
 * Buckets in AllBucketIterator order (negative, zero, positive), empty ones left out, and no
 * "buckets" key when all are empty. The first element is the boundary rule: 0 lower exclusive
 * and upper inclusive, 1 lower inclusive and upper exclusive, 2 both exclusive, 3 both
 * inclusive (the zero bucket, and the first custom bucket (-Inf, b]). Numbers are strings in
 * Prometheus's float format (formatApiFloat).
 */
import {formatApiFloat} from '../promql/format-float.js'
import {AllBucketIterator} from './buckets.js'
import type {FloatHistogram} from './float-histogram.js'

/** [boundary rule, lower, upper, count] */
export type ApiHistogramBucket = [number, string, string, string]

export interface ApiHistogram {
  count: string
  sum: string
  buckets?: ApiHistogramBucket[]
}


function boundaryRule(lowerInclusive: boolean, upperInclusive: boolean): number {
  if (lowerInclusive) return upperInclusive ? 3 : 1
  return upperInclusive ? 0 : 2
}

const it = new AllBucketIterator()

/** The histogram's JSON text, byte for byte as Prometheus writes it. */
export function histogramJson(h: FloatHistogram): string {
  let s = `{"count":"${formatApiFloat(h.count)}","sum":"${formatApiFloat(h.sum)}"`
  let first = true
  it.init(h)
  while (it.next()) {
    if (it.count === 0) continue
    s += first ? ',"buckets":[' : ','
    first = false
    s += `[${boundaryRule(it.lowerInclusive, it.upperInclusive)},"${formatApiFloat(it.lower)}","${formatApiFloat(it.upper)}","${formatApiFloat(it.count)}"]`
  }
  return first ? s + '}' : s + ']}'
}

/** The same as a plain object (JSON.stringify of it gives histogramJson's text). */
export function histogramToApi(h: FloatHistogram): ApiHistogram {
  const out: ApiHistogram = {count: formatApiFloat(h.count), sum: formatApiFloat(h.sum)}
  const buckets: ApiHistogramBucket[] = []
  it.init(h)
  while (it.next()) {
    if (it.count === 0) continue
    buckets.push([boundaryRule(it.lowerInclusive, it.upperInclusive), formatApiFloat(it.lower), formatApiFloat(it.upper), formatApiFloat(it.count)])
  }
  if (buckets.length > 0) out.buckets = buckets
  return out
}
