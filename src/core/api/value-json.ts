/**
 * api/: Prometheus HTTP API v1 shapes.
 *
 * value-json.ts: engine results as Prometheus's API `data` object ({resultType, result}) with
 * values as Go-formatted strings and timestamps as unix seconds (ms precision), so clients
 * that parse Prometheus answers (Grafana, promtool, our query-once) read ours unchanged.
 */
import {labelsToRecord} from '../labels/labels.js'
import type {QueryValue} from '../promql/engine/types.js'
import {formatGoFloat} from '../promql/format-float.js'
import type {ApiPoint, ApiQueryData} from '../query-once/api-types.js'

function point(t: number, v: number): ApiPoint {
  return [t / 1000, formatGoFloat(v)]
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
