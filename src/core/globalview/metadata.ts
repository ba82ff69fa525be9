/**
 * Metadata: Prometheus's /api/v1/metadata answer as a thanos.MetricMetadata, as Thanos's
 * sidecar passes it on (pkg/metadata/prometheus.go): no labels, so nothing to add.
 */
import {compareStrings} from '../labels/labels.js'
import type {Meta, MetricMetadata} from './messages.js'
import {jsonArray, jsonObject, jsonString} from './prom-json.js'

/**
 * Prometheus's `limit` for a request limit: sent when not negative, as Thanos's promclient,
 * so 0 (the protobuf default) asks for no metric at all, exactly as Prometheus answers
 * `limit=0`; Thanos's querier sends -1 for "no limit".
 */
export function metadataLimitParam(limit: number): string | undefined {
  return limit >= 0 ? String(limit) : undefined
}

/**
 * The `data` of Prometheus's answer (metric family → metadata list). Families in name order:
 * a protobuf map has none, and Go's is random; a null-prototype object so that any metric
 * name, `__proto__` included, is just a key.
 */
export function metricMetadataFromPrometheus(data: unknown): MetricMetadata {
  const o = jsonObject(data, 'metadata')
  const metadata = Object.create(null) as MetricMetadata['metadata']
  for (const name of Object.keys(o).sort(compareStrings)) {
    const metas = jsonArray(o[name], `metadata.${name}`).map((v): Meta => {
      const m = jsonObject(v, `metadata.${name}[]`)
      return {type: jsonString(m, 'type', 'meta'), help: jsonString(m, 'help', 'meta'), unit: jsonString(m, 'unit', 'meta')}
    })
    metadata[name] = {metas}
  }
  return {metadata}
}
