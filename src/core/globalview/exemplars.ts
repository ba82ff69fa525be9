/**
 * Exemplars: Prometheus's /api/v1/query_exemplars answer as thanos.ExemplarData messages, as
 * Thanos's sidecar makes them (pkg/exemplars/prometheus.go): the external labels are added to
 * each series' labels, not to the exemplars' own labels (trace ids and the like). Prometheus
 * already keeps only the exemplars inside the request's [start, end].
 */
import {ThanostsError} from '../errors.js'
import type {Labels} from '../labels/labels.js'
import type {Exemplar, ExemplarData} from './messages.js'
import {extendLabels, jsonArray, jsonLabels, jsonObject, jsonString, labelSet, parseGoFloat} from './prom-json.js'

/**
 * An exemplar's `timestamp` (seconds with up to ms, a JSON number) in ms, as Prometheus's
 * model.Time reads it. Rounding the double's product is exact for every ms time.
 */
function exemplarTimestamp(v: unknown): number {
  if (v === undefined || v === null) return 0
  if (typeof v !== 'number') throw new ThanostsError('internal', `exemplar.timestamp: expected a number, got ${JSON.stringify(v)}`)
  return Math.round(v * 1000)
}

/** The `data` of Prometheus's answer, external labels added to the series labels. */
export function exemplarDataFromPrometheus(data: unknown, ext: Labels): ExemplarData[] {
  return jsonArray(data, 'exemplars').map((v): ExemplarData => {
    const d = jsonObject(v, 'exemplarData')
    return {
      seriesLabels: labelSet(extendLabels(jsonLabels(d.seriesLabels, 'exemplarData.seriesLabels'), ext)),
      exemplars: jsonArray(d.exemplars, 'exemplarData.exemplars').map((e): Exemplar => {
        const o = jsonObject(e, 'exemplar')
        const value = o.value === undefined || o.value === null ? 0 : parseGoFloat(jsonString(o, 'value', 'exemplar'), 'exemplar.value')
        return {labels: labelSet(jsonLabels(o.labels, 'exemplar.labels')), value, ts: exemplarTimestamp(o.timestamp)}
      }),
    }
  })
}
