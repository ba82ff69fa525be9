/**
 * engine/: the PromQL evaluator. It takes the parser's AST and reads data only through the
 * Queryable interface. Evaluation is step-batched: every node is evaluated once for all the
 * query's steps, into per-series Float64Arrays indexed by step (plus a presence mask), so range
 * queries do not re-walk the tree per step and samples are never objects. Samples held are
 * counted against --query.max-samples as Prometheus counts them, node by node (evaluator.ts,
 * sample-stats.ts for the `stats` counts, step-invariant.ts for what is evaluated only once).
 *
 * Native histograms are optional side arrays (StepSeries.hists, RawSeries.hs): a step or
 * sample whose entry is set holds that histogram instead of a float (its float is a NaN
 * placeholder). Float-only data never has them. Histograms in these arrays are shared between
 * series and steps: copy before changing one. Histogram evaluation lives in histogram-eval.ts.
 */
import type {FloatHistogram} from '../../histogram/float-histogram.js'
import type {Labels} from '../../labels/labels.js'
import type {Annotation} from './annotations.js'
import type {QueryStats} from './sample-stats.js'

/** One series of an instant-vector value across all steps. */
export interface StepSeries {
  labels: Labels
  vals: Float64Array
  /** 1 where the series has a value at that step */
  has: Uint8Array
  /** timestamps of the underlying samples (for timestamp()), when the node is a selector */
  sampleTs?: Float64Array
  /** start timestamps of the underlying samples (for start_timestamp()), when the selected series carries them */
  sampleSt?: Float64Array
  /** native histograms by step (see above); absent when the series has none */
  hists?: (FloatHistogram | undefined)[]
}

export type EvalValue =
  | {type: 'vector'; series: StepSeries[]}
  | {type: 'scalar'; vals: Float64Array}
  | {type: 'string'; v: string}

/** Raw samples of one series over a time range, as range functions read them. */
export interface RawSeries {
  labels: Labels
  ts: Float64Array
  vs: Float64Array
  /** start timestamps (ms, 0 = unknown), only when the selected series carries them */
  st?: Float64Array
  /** native histograms by sample index, only when some sample is one */
  hs?: (FloatHistogram | undefined)[]
  /**
   * The samples Prometheus holds for this series' windows when the kernel sees fewer (a float
   * function's histograms dropped): their times and sampleWeights (sample-stats.ts).
   */
  held?: {ts: Float64Array; weights: Float64Array}
}

export interface InstantSample {
  labels: Labels
  t: number
  v: number
  /** set when the sample is a native histogram (v is then meaningless) */
  h?: FloatHistogram
}

export interface RangeSeries {
  labels: Labels
  ts: Float64Array
  vs: Float64Array
  /** native histograms by point index, only when some point is one */
  hs?: (FloatHistogram | undefined)[]
}

export type QueryValue =
  | {type: 'vector'; samples: InstantSample[]}
  | {type: 'matrix'; series: RangeSeries[]}
  | {type: 'scalar'; t: number; v: number}
  | {type: 'string'; t: number; v: string}

export interface QueryResult {
  value: QueryValue
  /** As Prometheus's HTTP API writes them: with positions, at most 10 of each kind. */
  warnings: string[]
  infos: string[]
  /** All of them, unformatted (positions apart), as promqltest checks them. */
  annotations?: Annotation[]
  /** timings and sample counts, as Prometheus's `stats` (sample-stats.ts) */
  stats?: QueryStats
}
