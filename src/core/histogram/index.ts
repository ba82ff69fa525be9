/**
 * histogram/: Prometheus native histograms, the model (prometheus/model/histogram): the
 * integer Histogram (delta-encoded buckets, as stored) and the FloatHistogram PromQL computes
 * with, exponential schemas -4..8 and custom buckets (schema -53, NHCB), counter-reset hints,
 * bucket bounds bit-identical to Prometheus's, bucket iterators, the arithmetic the engine
 * needs (add/sub with schema and zero-threshold reconciliation, mul/div, compaction, counter
 * reset detection, equality, validation), the HTTP API's JSON form, and the conversion of
 * classic histograms into custom-bucket ones (classic-to-nhcb.ts).
 *
 * Layouts are typed arrays: spans as Int32Array (offset, length) pairs, buckets as
 * Float64Array (layout.ts says which arrays may be shared). Chunk codecs live in chunkenc/.
 */
export {bucketBound, exponentialBound, ldexp, pow2, targetIndex} from './bounds.js'
export {ClassicHistogramBuilder, ClassicHistogramError, classicHistogramBaseName, type ClassicHistogramErrorReason, type ClassicSeriesSuffix} from './classic-to-nhcb.js'
export {AllBucketIterator, Bucket, ForwardBucketIterator, ReverseBucketIterator, type BucketSource} from './buckets.js'
export {COUNTER_RESET_COLLISION, FloatHistogram, NHCB_BOUNDS_RECONCILED, type FloatHistogramInit} from './float-histogram.js'
export {Histogram, type HistogramInit} from './histogram.js'
export {histogramJson, histogramToApi, type ApiHistogram, type ApiHistogramBucket} from './json.js'
export {bucketIndices, compactSide, EMPTY_BUCKETS, EMPTY_SPANS, spanBucketCount, spansMatch, type Side} from './layout.js'
export {histogramBytes, histogramPointSize, histogramSampleSize} from './size.js'
export {
  CounterResetHint,
  CUSTOM_BUCKETS_SCHEMA,
  customBoundsMatch,
  EXPONENTIAL_SCHEMA_MAX,
  EXPONENTIAL_SCHEMA_MAX_RESERVED,
  EXPONENTIAL_SCHEMA_MIN,
  EXPONENTIAL_SCHEMA_MIN_RESERVED,
  HISTOGRAM_ERROR_TEXT,
  HistogramError,
  isCustomBucketsSchema,
  isExponentialSchema,
  isKnownSchema,
  isValidSchema,
  type HistogramErrorReason,
} from './schema.js'
