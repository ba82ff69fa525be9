/**
 * Text forms of a native histogram as the HTTP API writes it (util/jsonutil/marshal.go
 * MarshalHistogram): the bucket's first element says which ends are inclusive, 0 = upper only
 * (the usual positive bucket, `(l,u]`), 1 = lower only, 2 = neither, 3 = both (the zero bucket
 * when its width is zero). Shared by query-once's renderers; no terminal concerns here.
 */
import type {ApiHistogramValue} from '../api/api-types.js'

type ApiBucket = NonNullable<ApiHistogramValue['buckets']>[number]

/** `(0.5,1]: 3`, the interval in the usual mathematical notation. */
export function bucketText([rule, lower, upper, count]: ApiBucket): string {
  const open = rule === 1 || rule === 3 ? '[' : '('
  const close = rule === 0 || rule === 3 ? ']' : ')'
  return `${open}${lower},${upper}${close}: ${count}`
}

/** One line: `count=12 sum=3.5`, for cells that hold one point of many. */
export function histogramSummary(h: ApiHistogramValue): string {
  return `count=${h.count} sum=${h.sum}`
}

/**
 * Several lines: the summary, then one bucket per line; beyond `maxBuckets` the rest is
 * counted (a histogram can carry hundreds of buckets; --output json prints them all).
 */
export function histogramLines(h: ApiHistogramValue, maxBuckets = 20): string[] {
  const buckets = h.buckets ?? []
  const lines = [histogramSummary(h)]
  if (buckets.length === 0) lines.push('(no populated buckets)')
  for (const b of buckets.slice(0, maxBuckets)) lines.push(bucketText(b))
  if (buckets.length > maxBuckets) lines.push(`… ${buckets.length - maxBuckets} more buckets (--output json has them all)`)
  return lines
}
