/**
 * api/: Prometheus HTTP API v1 shapes.
 *
 * value-json.ts: engine results as Prometheus's API `data` object ({resultType, result}) with
 * values as Go-formatted strings (formatApiFloat: Prometheus's jsonutil.MarshalFloat) and timestamps as unix seconds (ms precision), so clients
 * that parse Prometheus answers (Grafana, promtool, our query-once) read ours unchanged.
 */
import {labelsToRecord} from '../labels/labels.js'
import type {QueryValue} from '../promql/engine/types.js'
import {formatApiFloat} from '../promql/format-float.js'
import type {ApiPoint, ApiQueryData} from './api-types.js'

function point(t: number, v: number): ApiPoint {
  return [t / 1000, formatApiFloat(v)]
}

export function queryValueToApiData(v: QueryValue): ApiQueryData {
  switch (v.type) {
    case 'scalar':
      return {resultType: 'scalar', result: point(v.t, v.v)}
    case 'string':
      return {resultType: 'string', result: [v.t / 1000, v.v]}
    case 'vector':
      return {resultType: 'vector', result: v.samples.map((s) => ({metric: labelsToRecord(s.labels), value: point(s.t, s.v)}))}
    case 'matrix':
      return {
        resultType: 'matrix',
        result: v.series.map((s) => {
          const values: ApiPoint[] = new Array(s.ts.length)
          for (let i = 0; i < s.ts.length; i++) values[i] = point(s.ts[i]!, s.vs[i]!)
          return {metric: labelsToRecord(s.labels), values}
        }),
      }
  }
}

/**
 * The same `data` as JSON text, written directly: byte for byte what
 * JSON.stringify(queryValueToApiData(v)) gives, without building an array per point first.
 * Range answers of 1,000 series × 240 steps spent more time in those objects and in
 * JSON.stringify than in evaluating the query.
 */
export function queryValueToJson(v: QueryValue): string {
  if (v.type !== 'matrix' && v.type !== 'vector') return JSON.stringify(queryValueToApiData(v))
  const parts: string[] = []
  if (v.type === 'vector') {
    for (const s of v.samples) parts.push(`{"metric":${JSON.stringify(labelsToRecord(s.labels))},"value":[${s.t / 1000},"${formatApiFloat(s.v)}"]}`)
    return `{"resultType":"vector","result":[${parts.join(',')}]}`
  }
  for (const s of v.series) {
    const n = s.ts.length
    const pts = new Array<string>(n)
    for (let i = 0; i < n; i++) pts[i] = `[${s.ts[i]! / 1000},"${formatApiFloat(s.vs[i]!)}"]`
    parts.push(`{"metric":${JSON.stringify(labelsToRecord(s.labels))},"values":[${pts.join(',')}]}`)
  }
  return `{"resultType":"matrix","result":[${parts.join(',')}]}`
}
