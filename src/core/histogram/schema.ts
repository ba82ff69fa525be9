/**
 * Schemas, counter-reset hints and the typed errors of native histograms, with Prometheus's
 * numbering and error texts (prometheus/model/histogram/generic.go, histogram.go), so the
 * engine can report them as Prometheus does.
 */
import {BadDataError} from '../errors.js'

/**
 * What is known about a counter reset at a histogram, or that it is a gauge histogram. Same
 * numbers as Prometheus's histogram.CounterResetHint, prompb `Histogram.ResetHint` and the
 * remote-write 2 `RESET_HINT_*` values.
 */
export const CounterResetHint = {
  Unknown: 0,
  CounterReset: 1,
  NotCounterReset: 2,
  Gauge: 3,
} as const
export type CounterResetHint = (typeof CounterResetHint)[keyof typeof CounterResetHint]

export const EXPONENTIAL_SCHEMA_MIN = -4
export const EXPONENTIAL_SCHEMA_MAX = 8
/** Schemas a reader accepts and reduces to EXPONENTIAL_SCHEMA_MAX (newer writers may use them). */
export const EXPONENTIAL_SCHEMA_MIN_RESERVED = -9
export const EXPONENTIAL_SCHEMA_MAX_RESERVED = 52
/** Native histograms with custom bucket bounds (NHCB). */
export const CUSTOM_BUCKETS_SCHEMA = -53

export function isCustomBucketsSchema(s: number): boolean {
  return s === CUSTOM_BUCKETS_SCHEMA
}

export function isExponentialSchema(s: number): boolean {
  return s >= EXPONENTIAL_SCHEMA_MIN && s <= EXPONENTIAL_SCHEMA_MAX
}

export function isValidSchema(s: number): boolean {
  return s === CUSTOM_BUCKETS_SCHEMA || isExponentialSchema(s)
}

/** Valid, or reserved for higher resolutions that readers reduce to schema 8. */
export function isKnownSchema(s: number): boolean {
  return s === CUSTOM_BUCKETS_SCHEMA || (s >= EXPONENTIAL_SCHEMA_MIN_RESERVED && s <= EXPONENTIAL_SCHEMA_MAX_RESERVED)
}

/** Custom bounds are interned in Prometheus: equal if the same array or the same values. */
export function customBoundsMatch(a: Float64Array | null, b: Float64Array | null): boolean {
  if (a === b) return true
  const la = a === null ? 0 : a.length
  const lb = b === null ? 0 : b.length
  if (la !== lb) return false
  for (let i = 0; i < la; i++) if (a![i] !== b![i]) return false
  return true
}

export type HistogramErrorReason =
  | 'count_not_big_enough'
  | 'count_mismatch'
  | 'negative_count'
  | 'negative_bucket_count'
  | 'span_negative_offset'
  | 'spans_buckets_mismatch'
  | 'custom_buckets_mismatch'
  | 'custom_buckets_invalid'
  | 'custom_buckets_infinite'
  | 'custom_buckets_nan'
  | 'incompatible_schema'
  | 'custom_buckets_zero_count'
  | 'custom_buckets_zero_threshold'
  | 'custom_buckets_negative_spans'
  | 'custom_buckets_negative_buckets'
  | 'exponential_schema_custom_bounds'
  | 'invalid_schema'
  | 'unknown_schema'

/** The base texts of Prometheus's histogram.Err* values (generic.go); errors may add context before them. */
export const HISTOGRAM_ERROR_TEXT: Readonly<Record<HistogramErrorReason, string>> = {
  count_not_big_enough: "histogram's observation count should be at least the number of observations found in the buckets",
  count_mismatch: "histogram's observation count should equal the number of observations found in the buckets (in absence of NaN)",
  negative_count: "histogram's observation count is negative",
  negative_bucket_count: 'histogram has a bucket whose observation count is negative',
  span_negative_offset: 'histogram has a span whose offset is negative',
  spans_buckets_mismatch: 'histogram spans specify different number of buckets than provided',
  custom_buckets_mismatch: 'histogram custom bounds are too few',
  custom_buckets_invalid: 'histogram custom bounds must be in strictly increasing order',
  custom_buckets_infinite: 'histogram custom bounds must be finite',
  custom_buckets_nan: 'histogram custom bounds must not be NaN',
  incompatible_schema: 'cannot apply this operation on histograms with a mix of exponential and custom bucket schemas',
  custom_buckets_zero_count: 'custom buckets: must have zero count of 0',
  custom_buckets_zero_threshold: 'custom buckets: must have zero threshold of 0',
  custom_buckets_negative_spans: 'custom buckets: must not have negative spans',
  custom_buckets_negative_buckets: 'custom buckets: must not have negative buckets',
  exponential_schema_custom_bounds: 'histogram with exponential schema must not have custom bounds',
  invalid_schema: `histogram has an invalid schema, which must be between ${EXPONENTIAL_SCHEMA_MIN} and ${EXPONENTIAL_SCHEMA_MAX} for exponential buckets, or ${CUSTOM_BUCKETS_SCHEMA} for custom buckets`,
  unknown_schema: `histogram has an unknown schema, which must be between ${EXPONENTIAL_SCHEMA_MIN_RESERVED} and ${EXPONENTIAL_SCHEMA_MAX_RESERVED} for exponential buckets, or ${CUSTOM_BUCKETS_SCHEMA} for custom buckets`,
}

/**
 * A histogram that breaks a rule (Prometheus's histogram.Error). `reason` says which; the
 * message is Prometheus's, with the same context prefixes and suffixes where it adds them.
 */
export class HistogramError extends BadDataError {
  constructor(
    readonly reason: HistogramErrorReason,
    prefix = '',
    suffix = '',
  ) {
    super(prefix + HISTOGRAM_ERROR_TEXT[reason] + suffix)
  }
}

export function invalidSchemaError(schema: number): HistogramError {
  return new HistogramError('invalid_schema', '', `, got schema ${schema}`)
}

export function unknownSchemaError(schema: number): HistogramError {
  return new HistogramError('unknown_schema', '', `, got schema ${schema}`)
}
