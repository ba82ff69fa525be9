/**
 * Query sample statistics as Prometheus keeps them (util/stats/query_stats.go QuerySamples):
 * one SampleLevel per evaluator, i.e. the query itself and each subquery or step-invariant
 * child that promql/engine.go runs in a child evaluator. `total` is TotalSamples (reported as
 * totalQueryableSamples: samples of every selector at every step, a range function's whole
 * window at each step), `read` is SamplesRead (a range function's window counted once). The
 * peak and the samples held now (engine.go's currentSamples) are the evaluator's: see
 * evaluator.ts `cur` / `peak`.
 */
import {histogramPointSize} from '../../histogram/size.js'
import type {FloatHistogram} from '../../histogram/float-histogram.js'

/**
 * Prefix sums of a raw series' sample sizes (a float one, a histogram its HPoint size,
 * promql/value.go): weights[k] is what samples [0, k) count. Undefined without histograms,
 * where every sample counts one (see windowCount).
 */
export function sampleWeights(hs: readonly (FloatHistogram | undefined)[] | undefined, n: number): Float64Array | undefined {
  if (!hs) return undefined
  const w = new Float64Array(n + 1)
  for (let k = 0; k < n; k++) {
    const h = hs[k]
    w[k + 1] = w[k]! + (h === undefined ? 1 : histogramPointSize(h))
  }
  return w
}

/** What samples [from, to) of a series count, by its sampleWeights. */
export function windowCount(weights: Float64Array | undefined, from: number, to: number): number {
  return weights ? weights[to]! - weights[from]! : to - from
}

export class SampleLevel {
  total = 0
  read = 0
  readonly totalPerStep: Float64Array | undefined
  readonly readPerStep: Float64Array | undefined

  constructor(
    /** first step, ms */
    readonly start: number,
    /** ms between steps (1 for an instant query, as engine.go sets it) */
    readonly interval: number,
    readonly steps: number,
    /** per-step totals and reads (the query's, with per-step stats) */
    perStep: boolean,
    /** per-step reads only (a subquery's, for mergeReadFrom onto a range query's steps) */
    readPerStep = perStep,
  ) {
    this.totalPerStep = perStep ? new Float64Array(steps) : undefined
    this.readPerStep = readPerStep ? new Float64Array(steps) : undefined
  }

  /** IncrementSamplesAtStep */
  addTotal(step: number, n: number): void {
    this.total += n
    if (this.totalPerStep) this.totalPerStep[step]! += n
  }

  /** IncrementSamplesReadAtStep */
  addRead(step: number, n: number): void {
    this.read += n
    if (this.readPerStep) this.readPerStep[step]! += n
  }

  /** Both, as a selector's samples are read and counted at once. */
  addBoth(step: number, n: number): void {
    this.addTotal(step, n)
    this.addRead(step, n)
  }

  /**
   * MergeSamplesReadFromSubquery: a subquery's samples read, each of its steps attributed to
   * the first step of this level at or after it (shifted by the subquery's offset); with an
   * outer range, steps that fall between this level's windows are not counted.
   */
  mergeReadFrom(child: SampleLevel, outerOffset: number, outerRange: number): void {
    if (this.steps <= 1 || !child.readPerStep) {
      this.addRead(0, child.read)
      return
    }
    const perStep = child.readPerStep
    for (let k = 0; k < perStep.length; k++) {
      const n = perStep[k]!
      if (n === 0) continue
      const tk = child.start + k * child.interval + outerOffset
      let step = tk > this.start ? Math.trunc((tk - this.start + this.interval - 1) / this.interval) : 0
      if (step >= this.steps) step = this.steps - 1
      if (outerRange > 0 && tk <= this.start + step * this.interval - outerRange) continue
      this.addRead(step, n)
    }
  }
}

/** The `stats` object of /api/v1/query and query_range (util/stats/query_stats.go BuiltinStats), times in seconds. */
export interface QueryStats {
  timings: {
    evalTotalTime: number
    resultSortTime: number
    queryPreparationTime: number
    innerEvalTime: number
    execQueueTime: number
    execTotalTime: number
  }
  samples: {
    /** [seconds, samples] per step, only with per-step stats */
    totalQueryableSamplesPerStep?: [number, number][]
    totalQueryableSamples: number
    samplesReadPerStep?: [number, number][]
    samplesRead: number
    peakSamples: number
  }
}

/** The samples part of the stats, keys in Prometheus's order. */
export function samplesStats(level: SampleLevel, peak: number): QueryStats['samples'] {
  const points = (a: Float64Array | undefined): [number, number][] | undefined =>
    a && a.length > 0 ? Array.from(a, (v, i): [number, number] => [(level.start + i * level.interval) / 1000, v]) : undefined
  const total = points(level.totalPerStep)
  const read = points(level.readPerStep)
  // rebuilt so that JSON.stringify writes the keys in query_stats.go's order
  return {
    ...(total ? {totalQueryableSamplesPerStep: total} : {}),
    totalQueryableSamples: level.total,
    ...(read ? {samplesReadPerStep: read} : {}),
    samplesRead: level.read,
    peakSamples: peak,
  }
}
