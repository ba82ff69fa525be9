/**
 * How much of --query.max-samples (and of the query stats' sample counts) a native histogram
 * takes, as Prometheus 3 weighs it: a float sample (8-byte timestamp, 8-byte value) is one, a
 * histogram its bytes in 16-byte units. FloatHistogram.Size() (model/histogram/float_histogram.go)
 * is 168 bytes of struct plus 8 per span, per bucket and per custom bound.
 */
import type {FloatHistogram} from './float-histogram.js'

/** FloatHistogram.Size(): bytes of the struct and its slices (spans are (offset, length) pairs here). */
export function histogramBytes(h: FloatHistogram): number {
  const spans = (h.positiveSpans.length + h.negativeSpans.length) >> 1
  const buckets = h.positiveBuckets.length + h.negativeBuckets.length
  return 168 + 8 * (spans + buckets + (h.customValues?.length ?? 0))
}

/**
 * A histogram point held in a matrix (promql/value.go HPoint.size: its bytes and an 8-byte
 * timestamp, in samples): what selectors, range windows, subqueries and held results count.
 */
export function histogramPointSize(h: FloatHistogram): number {
  return Math.floor((histogramBytes(h) + 8) / 16)
}

/**
 * A histogram sample of one step's result vector (promql/value.go Vector.TotalSamples: one for
 * the sample and its bytes in samples, without the timestamp), what rangeEval adds per step.
 */
export function histogramSampleSize(h: FloatHistogram): number {
  return 1 + Math.floor(histogramBytes(h) / 16)
}
