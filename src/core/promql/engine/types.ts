/**
 * engine/: the PromQL evaluator. It takes the parser's AST and reads data only through the
 * Queryable interface. Evaluation is step-batched: every node is evaluated once for all the
 * query's steps, into per-series Float64Arrays indexed by step (plus a presence mask), so range
 * queries do not re-walk the tree per step and samples are never objects. Samples held are
 * counted against --query.max-samples as Prometheus counts them, node by node (evaluator.ts,
 * sample-stats.ts for the `stats` counts, step-invariant.ts for what is evaluated only once).
 */
import type {Labels} from '../../labels/labels.js'
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
}

export interface InstantSample {
  labels: Labels
  t: number
  v: number
}

export interface RangeSeries {
  labels: Labels
  ts: Float64Array
  vs: Float64Array
}

export type QueryValue =
  | {type: 'vector'; samples: InstantSample[]}
  | {type: 'matrix'; series: RangeSeries[]}
  | {type: 'scalar'; t: number; v: number}
  | {type: 'string'; t: number; v: string}

export interface QueryResult {
  value: QueryValue
  warnings: string[]
  infos: string[]
  /** timings and sample counts, as Prometheus's `stats` (sample-stats.ts) */
  stats?: QueryStats
}
