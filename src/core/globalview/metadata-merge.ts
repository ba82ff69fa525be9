/**
 * The querier's merge of metric metadata from many endpoints, as Thanos's (pkg/metadata/
 * metadata.go metadataServer.Send): per metric, the first answer's list, then what later
 * answers add that is not in it yet; with a limit, metrics beyond the limit are not taken in
 * (the limit counts metrics, not entries; 0 takes none; negative is no limit).
 *
 * Thanos walks each answer's map in Go's random order, so which metrics a limit keeps is
 * random there; here each answer is walked in name order. `limitPerMetric` (Prometheus's
 * `limit_per_metric`, which Thanos does not have) keeps the first n entries of each metric.
 */
import {compareStrings} from '../labels/labels.js'
import type {Meta, MetricMetadata} from './messages.js'

export type MetadataMap = Map<string, Meta[]>

const sameMeta = (a: Meta, b: Meta): boolean => a.type === b.type && a.help === b.help && a.unit === b.unit

export function mergeMetadata(parts: readonly MetricMetadata[], limit: number, limitPerMetric = 0): MetadataMap {
  const out: MetadataMap = new Map()
  if (limit === 0) return out
  for (const p of parts) {
    for (const name of Object.keys(p.metadata).sort(compareStrings)) {
      const metas = p.metadata[name]!.metas
      const have = out.get(name)
      if (have === undefined) {
        if (limit < 0 || out.size < limit) out.set(name, [...metas])
        continue
      }
      for (const m of metas) if (!have.some((h) => sameMeta(h, m))) have.push(m)
    }
  }
  if (limitPerMetric > 0) for (const [k, v] of out) if (v.length > limitPerMetric) out.set(k, v.slice(0, limitPerMetric))
  return out
}
