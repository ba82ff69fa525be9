/**
 * PromQL annotations: the warnings and infos a query's answer carries (Prometheus 3,
 * util/annotations/annotations.go). They form a set keyed by their text without position:
 * one that is added again replaces the first (generic ones), or merges into it (the
 * histogram_quantile monotonicity info widens its range and counts its samples, the start-time
 * overlap warning counts occurrences). Only when the answer is written are positions printed,
 * as ` (line:col)` of the expression that caused the annotation in the query text, and the
 * HTTP API keeps at most 10 of each kind (web/api/v1/api.go AsStrings(query, 10, 10)).
 */
import type {PositionRange} from '../parser/ast.js'
import {formatGoG} from '../format-float.js'

export type AnnotationLevel = 'warning' | 'info'

export interface Annotation {
  readonly level: AnnotationLevel
  /** The text without position: the set's key, and what promqltest's `expect ... msg:` compares. */
  readonly text: string
  /** Where in the query; undefined for warnings from storage (printed without a position). */
  readonly pos?: PositionRange
  /** The text as the API prints it, the position suffix included (query: the query text). */
  format(query: string): string
  /** The annotation that stays when `prev`, of the same text, was there first. */
  merge(prev: Annotation): Annotation
}

const WARNING = 'PromQL warning'
const INFO = 'PromQL info'

/** Go's %q of a string (strconv.Quote): JSON's escapes but Go's for \a \v, DEL and C1 controls. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00(0[0-9a-f]|1[0-9a-f])|[\x7f-\x9f]/g, (m, hex: string | undefined) => {
    if (hex === undefined) return `\\x${m.charCodeAt(0).toString(16).padStart(2, '0')}`
    const c = parseInt(hex, 16)
    if (c === 7) return '\\a'
    if (c === 11) return '\\v'
    return `\\x${hex}`
  })
}

/**
 * posrange.PositionRange.StartPosInput: 1-based line and column of the start. Go counts the
 * column in bytes of UTF-8; our positions are UTF-16 offsets, converted here.
 */
export function startPosInput(query: string, pos: PositionRange): string {
  if (query === '') return 'unknown position'
  const p = pos.start
  if (p < 0 || p > query.length) return 'invalid position'
  let line = 1
  let lastBreak = -1
  for (let i = 0; i < p; i++) {
    if (query.charCodeAt(i) === 10) {
      line++
      lastBreak = i
    }
  }
  return `${line}:${Buffer.byteLength(query.slice(lastBreak + 1, p), 'utf8') + 1}`
}

/** annotations.go annoErr: a text and a position; a repeat replaces it. */
class Plain implements Annotation {
  constructor(
    readonly level: AnnotationLevel,
    readonly text: string,
    readonly pos?: PositionRange,
  ) {}

  format(query: string): string {
    if (query === '' || !this.pos) return this.text
    return `${this.text} (${startPosInput(query, this.pos)})`
  }

  merge(): Annotation {
    return this
  }
}

function withMetricName(text: string, metricName: string): string {
  return metricName === '' ? text : `${text} for metric name ${goQuote(metricName)}`
}

/** A quantile outside [0, 1] or NaN (quantile, quantile_over_time, histogram_quantile(s)). */
export function invalidQuantileWarning(q: number, pos: PositionRange): Annotation {
  return new Plain('warning', `${WARNING}: quantile value should be between 0 and 1, got ${formatGoG(q)}`, pos)
}

/** limit_ratio's ratio outside [-1, 1], capped to `to`. */
export function invalidRatioWarning(r: number, to: number, pos: PositionRange): Annotation {
  return new Plain('warning', `${WARNING}: ratio value should be between -1 and 1, got ${formatGoG(r)}, capping to ${formatGoG(to)}`, pos)
}

/** A classic histogram bucket whose `le` does not parse as a float (or is missing: ""). */
export function badBucketLabelWarning(metricName: string, le: string, pos: PositionRange): Annotation {
  return new Plain('warning', withMetricName(`${WARNING}: bucket label "le" is missing or has a malformed value of ${goQuote(le)}`, metricName), pos)
}

/** sort, sort_desc, sort_by_label(_desc) in a range query. */
export function sortInRangeQueryWarning(pos: PositionRange): Annotation {
  return new Plain('warning', `${WARNING}: sort is ineffective for range queries since results are always ordered by labels`, pos)
}

/** rate/increase over a float series whose name has no counter suffix. */
export function possibleNonCounterInfo(metricName: string, pos: PositionRange): Annotation {
  return new Plain('info', `${INFO}: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${goQuote(metricName)}`, pos)
}

/** RFC 3339 of whole seconds, as Go's time.Unix(ms/1000, 0).UTC().Format(time.RFC3339). */
function rfc3339(ms: number): string {
  // years 0-9999, all Prometheus timestamps can be (toISOString widens others, as Go does not)
  return new Date(Math.trunc(ms / 1000) * 1000).toISOString().slice(0, 19) + 'Z'
}

/**
 * histogram_quantile had to remove decreases from classic buckets (annotations.go
 * histogramQuantileForcedMonotonicityErr): repeats merge into one, spanning their buckets,
 * their largest decrease, their time range, and counting them.
 */
class ForcedMonotonicity implements Annotation {
  readonly level = 'info'
  constructor(
    readonly text: string,
    readonly pos: PositionRange,
    readonly minTs: number,
    readonly maxTs: number,
    readonly minBucket: number,
    readonly maxBucket: number,
    readonly maxDiff: number,
    /** repeats merged in: the samples are count + 1 (Go's int: wraps around at 64 bits) */
    readonly count: bigint,
  ) {}

  format(query: string): string {
    if (query === '') return this.text
    const samples = BigInt.asIntN(64, this.count + 1n)
    return `${this.text}, from buckets ${formatGoG(this.minBucket)} to ${formatGoG(this.maxBucket)}, with a max diff of ${formatGoG(this.maxDiff, 2)}, over ${samples} samples from ${rfc3339(this.minTs)} to ${rfc3339(this.maxTs)} (${startPosInput(query, this.pos)})`
  }

  merge(prev: Annotation): Annotation {
    if (!(prev instanceof ForcedMonotonicity) || prev.text !== this.text) return this
    // as upstream, the earlier one's position stays
    return new ForcedMonotonicity(
      prev.text,
      prev.pos,
      Math.min(this.minTs, prev.minTs),
      Math.max(this.maxTs, prev.maxTs),
      this.minBucket < prev.minBucket ? this.minBucket : prev.minBucket,
      this.maxBucket > prev.maxBucket ? this.maxBucket : prev.maxBucket,
      this.maxDiff > prev.maxDiff ? this.maxDiff : prev.maxDiff,
      BigInt.asIntN(64, prev.count + this.count + 1n),
    )
  }
}

/** count: repeats already merged in (see ForcedMonotonicity); maxTs: the last of their times. */
export function forcedMonotonicityInfo(metricName: string, pos: PositionRange, ts: number, minBucket: number, maxBucket: number, maxDiff: number, count = 0n, maxTs = ts): Annotation {
  const text = withMetricName(
    `${INFO}: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)`,
    metricName,
  )
  return new ForcedMonotonicity(text, pos, ts, maxTs, minBucket, maxBucket, maxDiff, count)
}

/** A counter sample's start time before the previous sample (annotations.go startTimeOverlapErr). */
class StartTimeOverlap implements Annotation {
  readonly level = 'warning'
  constructor(
    readonly text: string,
    readonly pos: PositionRange,
    readonly count: number,
  ) {}

  format(query: string): string {
    if (query === '') return this.text
    const n = this.count > 1 ? ` (${this.count} occurrences)` : ''
    return `${this.text}${n} (${startPosInput(query, this.pos)})`
  }

  merge(prev: Annotation): Annotation {
    if (!(prev instanceof StartTimeOverlap) || prev.text !== this.text) return this
    return new StartTimeOverlap(prev.text, prev.pos, prev.count + this.count)
  }
}

export function startTimeOverlapWarning(metricName: string, pos: PositionRange): Annotation {
  return new StartTimeOverlap(`${WARNING}: sample has start time that overlaps with previous sample timestamp for metric ${goQuote(metricName)}`, pos, 1)
}

/** A function over a range, or an aggregation, that met both floats and histograms. */
export function mixedFloatsHistogramsWarning(metricName: string, pos: PositionRange): Annotation {
  return new Plain('warning', `${WARNING}: encountered a mix of histograms and floats for metric name ${goQuote(metricName)}`, pos)
}

export function mixedFloatsHistogramsAggWarning(pos: PositionRange): Annotation {
  return new Plain('warning', `${WARNING}: encountered a mix of histograms and floats for aggregation`, pos)
}

/** histogram_quantile/histogram_fraction over both classic buckets and native histograms. */
export function mixedClassicNativeHistogramsWarning(metricName: string, pos: PositionRange): Annotation {
  return new Plain('warning', withMetricName(`${WARNING}: vector contains a mix of classic and native histograms`, metricName), pos)
}

/** rate/increase/irate over a gauge histogram. */
export function nativeHistogramNotCounterWarning(metricName: string, pos: PositionRange): Annotation {
  return new Plain('warning', `${WARNING}: this native histogram metric is not a counter: ${goQuote(metricName)}`, pos)
}

/** delta/idelta/deriv-like gauge functions over a counter histogram. */
export function nativeHistogramNotGaugeWarning(metricName: string, pos: PositionRange): Annotation {
  return new Plain('warning', `${WARNING}: this native histogram metric is not a gauge: ${goQuote(metricName)}`, pos)
}

export function mixedExponentialCustomHistogramsWarning(metricName: string, pos: PositionRange): Annotation {
  return new Plain('warning', `${WARNING}: vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${goQuote(metricName)}`, pos)
}

/** A binary operator over two histograms that cannot be combined (exponential with custom). */
export function incompatibleBucketLayoutInBinOpWarning(operator: string, pos: PositionRange): Annotation {
  return new Plain('warning', `${WARNING}: incompatible bucket layout encountered for binary operator ${operator}`, pos)
}

/** A binary operator over sample types it has no result for (e.g. histogram < float). */
export function incompatibleTypesInBinOpInfo(lhsType: string, operator: string, rhsType: string, pos: PositionRange): Annotation {
  return new Plain('info', `${INFO}: incompatible sample types encountered for binary operator ${goQuote(operator)}: ${lhsType} ${operator} ${rhsType}`, pos)
}

/** An aggregation of floats only (min, max, stddev, topk, quantile, ...) that skipped histograms. */
export function histogramIgnoredInAggregationInfo(aggregation: string, pos: PositionRange): Annotation {
  return new Plain('info', `${INFO}: ignored histogram in ${aggregation} aggregation`, pos)
}

/** A float function over a range holding both kinds: the histograms were left out. */
export function histogramIgnoredInMixedRangeInfo(metricName: string, pos: PositionRange): Annotation {
  return new Plain('info', `${INFO}: ignored histograms in a range containing both floats and histograms for metric name ${goQuote(metricName)}`, pos)
}

export function nativeHistogramQuantileNaNResultInfo(metricName: string, pos: PositionRange): Annotation {
  return new Plain('info', withMetricName(`${INFO}: input to histogram_quantile has NaN observations, result is NaN`, metricName), pos)
}

export function nativeHistogramQuantileNaNSkewInfo(metricName: string, pos: PositionRange): Annotation {
  return new Plain('info', withMetricName(`${INFO}: input to histogram_quantile has NaN observations, result is skewed higher`, metricName), pos)
}

export function nativeHistogramFractionNaNsInfo(metricName: string, pos: PositionRange): Annotation {
  return new Plain('info', withMetricName(`${INFO}: input to histogram_fraction has NaN observations, which are excluded from all fractions`, metricName), pos)
}

/** annotations.go HistogramOperation: what combined the histograms. */
export type HistogramOperation = 'addition' | 'subtraction' | 'aggregation'

/** Two counter histograms added/subtracted, one hinting a counter reset and the other not. */
export function histogramCounterResetCollisionWarning(pos: PositionRange, op: HistogramOperation): Annotation {
  return new Plain('warning', `${WARNING}: conflicting counter resets during histogram ${op}`, pos)
}

/** Custom-bucket histograms of different bounds reconciled to their common bounds. */
export function mismatchedCustomBucketsHistogramsInfo(pos: PositionRange, op: HistogramOperation): Annotation {
  return new Plain('info', `${INFO}: mismatched custom buckets were reconciled during ${op}`, pos)
}

/** A warning from storage (a store's partial response): text only, no position. */
export function storageWarning(text: string): Annotation {
  return new Plain('warning', text)
}

/** How many of each kind the HTTP API writes, as Prometheus's (the rest is counted). */
export const MAX_ANNOTATIONS_PER_KIND = 10

/** The annotations of one query, a set keyed by text (annotations.go Annotations). */
export class Annotations {
  private readonly byText = new Map<string, Annotation>()

  add(a: Annotation): void {
    const prev = this.byText.get(a.text)
    this.byText.set(a.text, prev ? a.merge(prev) : a)
  }

  get size(): number {
    return this.byText.size
  }

  all(): Annotation[] {
    return [...this.byText.values()]
  }

  /**
   * Warnings and infos as the API writes them (AsStrings): with positions in `query`, at most
   * `max` of each kind (0: no limit), then a line counting the ones left out.
   */
  strings(query: string, max = MAX_ANNOTATIONS_PER_KIND): {warnings: string[]; infos: string[]} {
    const warnings: string[] = []
    const infos: string[] = []
    let warnSkipped = 0
    let infoSkipped = 0
    for (const a of this.byText.values()) {
      const list = a.level === 'info' ? infos : warnings
      if (max === 0 || list.length < max) list.push(a.format(query))
      else if (a.level === 'info') infoSkipped++
      else warnSkipped++
    }
    if (warnSkipped > 0) warnings.push(`${warnSkipped} more warning annotations omitted`)
    if (infoSkipped > 0) infos.push(`${infoSkipped} more info annotations omitted`)
    return {warnings, infos}
  }
}
