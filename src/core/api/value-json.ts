/**
 * api/: Prometheus HTTP API v1 shapes.
 *
 * value-json.ts: engine results as Prometheus's API `data` object ({resultType, result}) with
 * values as Go-formatted strings (jsonutil.MarshalFloat: 'f', or 'e' below 1e-6 and from 1e21)
 * and timestamps as unix seconds (ms precision), so clients
 * that parse Prometheus answers (Grafana, promtool, our query-once) read ours unchanged.
 */
import {histogramJson, histogramToApi} from '../histogram/json.js'
import {labelsToRecord, type Labels} from '../labels/labels.js'
import type {QueryValue} from '../promql/engine/types.js'
import {formatApiFloat} from '../promql/format-float.js'
import type {ApiHistogramPoint, ApiMatrixSeries, ApiPoint, ApiQueryData, ApiVectorSample} from './api-types.js'

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
      return {
        resultType: 'vector',
        result: v.samples.map((s) =>
          s.h
            ? ({metric: labelsToRecord(s.labels), histogram: [s.t / 1000, histogramToApi(s.h)]} as ApiVectorSample)
            : {metric: labelsToRecord(s.labels), value: point(s.t, s.v)},
        ),
      }
    case 'matrix':
      return {
        resultType: 'matrix',
        result: v.series.map((s) => {
          if (!s.hs) {
            const values: ApiPoint[] = new Array(s.ts.length)
            for (let i = 0; i < s.ts.length; i++) values[i] = point(s.ts[i]!, s.vs[i]!)
            return {metric: labelsToRecord(s.labels), values}
          }
          // floats in `values`, histograms in `histograms`, an empty one left out (json_codec.go)
          const values: ApiPoint[] = []
          const histograms: ApiHistogramPoint[] = []
          for (let i = 0; i < s.ts.length; i++) {
            const h = s.hs[i]
            if (h) histograms.push([s.ts[i]! / 1000, histogramToApi(h)])
            else values.push(point(s.ts[i]!, s.vs[i]!))
          }
          const out = {metric: labelsToRecord(s.labels)} as ApiMatrixSeries
          if (values.length > 0) out.values = values
          if (histograms.length > 0) out.histograms = histograms
          return out
        }),
      }
  }
}

/**
 * A label set as the JSON object Prometheus writes: labels in their order (name order), where
 * JSON.stringify of a record would put integer-like names ("404") first.
 */
function labelsJson(ls: Labels): string {
  // JSON.stringify of a record is the fastest flat string, and right unless a name starts with a digit
  for (let i = 0; i < ls.length; i++) {
    const c = ls[i]!.name.charCodeAt(0)
    if (c >= 0x30 && c <= 0x39) return `{${ls.map((l) => `${JSON.stringify(l.name)}:${JSON.stringify(l.value)}`).join(',')}}`
  }
  return JSON.stringify(labelsToRecord(ls))
}

/**
 * The same `data` as JSON text, written directly: byte for byte what
 * JSON.stringify(queryValueToApiData(v)) gives (except that labels keep their order where a
 * record would move integer-like names first), without building an array per point first.
 * Range answers of 1,000 series × 240 steps spent more time in those objects and in
 * JSON.stringify than in evaluating the query.
 */
export function queryValueToJson(v: QueryValue): string {
  if (v.type !== 'matrix' && v.type !== 'vector') return JSON.stringify(queryValueToApiData(v))
  const parts: string[] = []
  if (v.type === 'vector') {
    for (const s of v.samples) {
      const metric = labelsJson(s.labels)
      parts.push(s.h ? `{"metric":${metric},"histogram":[${s.t / 1000},${histogramJson(s.h)}]}` : `{"metric":${metric},"value":[${s.t / 1000},"${formatApiFloat(s.v)}"]}`)
    }
    return `{"resultType":"vector","result":[${parts.join(',')}]}`
  }
  for (const s of v.series) {
    const n = s.ts.length
    if (s.hs) {
      parts.push(mixedSeriesJson(s))
      continue
    }
    const pts = new Array<string>(n)
    for (let i = 0; i < n; i++) pts[i] = `[${s.ts[i]! / 1000},"${formatApiFloat(s.vs[i]!)}"]`
    parts.push(`{"metric":${labelsJson(s.labels)},"values":[${pts.join(',')}]}`)
  }
  return `{"resultType":"matrix","result":[${parts.join(',')}]}`
}

/** A matrix series with histogram points: `values` then `histograms`, each only when not empty. */
function mixedSeriesJson(s: Extract<QueryValue, {type: 'matrix'}>['series'][number]): string {
  const floats: string[] = []
  const hists: string[] = []
  for (let i = 0; i < s.ts.length; i++) {
    const h = s.hs![i]
    if (h) hists.push(`[${s.ts[i]! / 1000},${histogramJson(h)}]`)
    else floats.push(`[${s.ts[i]! / 1000},"${formatApiFloat(s.vs[i]!)}"]`)
  }
  let out = `{"metric":${labelsJson(s.labels)}`
  if (floats.length > 0) out += `,"values":[${floats.join(',')}]`
  if (hists.length > 0) out += `,"histograms":[${hists.join(',')}]`
  return out + '}'
}
