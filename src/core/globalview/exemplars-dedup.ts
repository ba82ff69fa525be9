/**
 * The querier's merge of exemplars from many endpoints, as Thanos's (pkg/exemplars/
 * exemplars.go dedupExemplarsResponse; orderings of pkg/exemplars/exemplarspb/custom.go):
 * series without exemplars are dropped; the replica labels are removed from the series
 * labels; series that have become equal are one, with the exemplars of all; each series'
 * exemplars are sorted by timestamp, labels and value, equal ones once; the series are sorted
 * by their labels.
 */
import {compareLabels, labelsKey, withoutLabels} from '../labels/labels.js'
import type {Exemplar, ExemplarData} from './messages.js'

/** Thanos's Exemplar.Compare: timestamp, then labels, then value (NaNs equal, as nothing else orders them). */
function compareExemplars(a: Exemplar, b: Exemplar): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1
  const d = compareLabels(a.labels.labels, b.labels.labels)
  if (d !== 0) return d
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0
}

function dedupExemplars(exemplars: readonly Exemplar[]): Exemplar[] {
  const sorted = [...exemplars].sort(compareExemplars)
  const out: Exemplar[] = []
  for (const e of sorted) if (out.length === 0 || compareExemplars(out[out.length - 1]!, e) !== 0) out.push(e)
  return out
}

export function mergeExemplars(data: readonly ExemplarData[], replicaLabels: readonly string[]): ExemplarData[] {
  const replica = new Set(replicaLabels)
  const bySeries = new Map<string, ExemplarData>()
  for (const d of data) {
    if (d.exemplars.length === 0) continue
    const labels = withoutLabels(d.seriesLabels.labels, replica)
    const k = labelsKey(labels)
    const seen = bySeries.get(k)
    if (seen) seen.exemplars.push(...d.exemplars)
    else bySeries.set(k, {seriesLabels: {labels}, exemplars: [...d.exemplars]})
  }
  const out = [...bySeries.values()].map((d) => ({seriesLabels: d.seriesLabels, exemplars: dedupExemplars(d.exemplars)}))
  return out.sort((a, b) => compareLabels(a.seriesLabels.labels, b.seriesLabels.labels))
}
