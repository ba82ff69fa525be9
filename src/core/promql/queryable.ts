/**
 * The only way the PromQL engine reads data. As Prometheus's storage.Queryable: a querier
 * for a time range, `select` by matchers returning series sorted by labels, and label
 * queries. Memory (tests), one sidecar, and the deduplicating fan-out all implement it.
 *
 * Samples are never objects: a series hands out a fresh cursor-style iterator over its
 * (timestamp ms, float64) pairs, which may decode XOR chunks lazily underneath.
 *
 * Native histograms ride beside the floats, as Prometheus's chunkenc.Iterator returns ValFloat
 * or ValFloatHistogram per sample: a sample that is a histogram has a NaN float placeholder
 * and its FloatHistogram in the optional side channel (atHistogram / SampleBlock.hs). Series
 * without histograms never create the side arrays, so the float path costs the same as before.
 * The histograms handed out are shared: consumers copy before any arithmetic (the model's
 * methods change their receiver).
 */
import type {FloatHistogram} from '../histogram/float-histogram.js'
import type {Labels} from '../labels/labels.js'
import type {Matcher} from '../labels/matcher.js'

/** Cursor over a series' float samples in ascending timestamp order. */
export interface SampleIterator {
  /** Moves to the next sample; false when exhausted. */
  next(): boolean
  /**
   * Moves to the first sample with timestamp >= t, staying put if the current one already
   * qualifies (as Prometheus's chunkenc.Iterator.Seek). False when there is none.
   */
  seek(t: number): boolean
  /** Timestamp (ms since epoch) of the current sample. */
  atT(): number
  /** Value of the current sample. */
  at(): number
  /**
   * True when the current sample is a stale marker. Decoders that see raw bits implement it:
   * the marker is a signalling-NaN bit pattern that V8 may quiet or canonicalise once it is a
   * JS number, so consumers must prefer this over bit tests on at(). When absent, fall back to
   * isStaleNaN(at()) (chunkenc/value.ts).
   */
  atStale?(): boolean
  /**
   * Start timestamp (ms) of the current sample, 0 when unknown: Prometheus's ST
   * (chunkenc.Iterator.AtST), the time a cumulative counter started counting or a delta's
   * interval began. Only iterators over data that carries STs define it; its absence tells the
   * engine there are none, so series without STs cost nothing.
   */
  atST?(): number
  /**
   * The current sample's native histogram, undefined when it is a float sample (or a stale
   * marker: atStale tells those). Only iterators over data that may hold histograms define it.
   */
  atHistogram?(): FloatHistogram | undefined
}

/** A series' samples in a time range, as parallel arrays of equal length. */
export interface SampleBlock {
  ts: Float64Array
  vs: Float64Array
  /** 1 where the sample is a stale marker (see SampleIterator.atStale). */
  stale: Uint8Array
  /** Start timestamps (SampleIterator.atST), present only when the series carries them. */
  st?: Float64Array
  /**
   * Native histograms by sample index (undefined at float samples, whose vs hold the value);
   * present only when some sample of the block is a histogram. vs is NaN at histogram samples.
   */
  hs?: (FloatHistogram | undefined)[]
}

export interface Series {
  readonly labels: Labels
  /** A new iterator positioned before the first sample. May be called more than once. */
  iterator(): SampleIterator
  /**
   * Optional fast path: every sample with mint <= t <= maxt at once, the same samples the
   * iterator would give. Series over encoded chunks implement it to decode without a call
   * per sample; the engine uses it when present. When `into` is given and large enough, the
   * samples are written into its arrays (the result then views them), so a caller can reuse
   * one set of arrays across series.
   */
  samples?(mint: number, maxt: number, into?: SampleBlock): SampleBlock
}

/** What the engine knows about a selection; stores may use it to push work down. */
export interface SelectHints {
  /** Inclusive time range in ms that the engine will read. */
  start: number
  end: number
  /** Query step in ms (0 for an instant query). */
  step?: number
  /** Range of the enclosing range selector in ms (e.g. 5m for rate(x[5m])). */
  range?: number
  /** Name of the function around the selector, e.g. 'rate'. */
  func?: string
  /** Aggregation grouping around the selector. */
  by?: boolean
  grouping?: string[]
}

export interface SeriesSet {
  /** Sorted by labels (compareLabels). No two series have equal labels. */
  series: Series[]
  /** Partial-response warnings, e.g. a store that failed. */
  warnings: string[]
}

export interface LabelQueryHints {
  start: number
  end: number
  limit?: number
}

export interface Querier {
  select(matchers: readonly Matcher[], hints: SelectHints, signal?: AbortSignal): Promise<SeriesSet>
  labelNames(matchers: readonly Matcher[], hints: LabelQueryHints, signal?: AbortSignal): Promise<{names: string[]; warnings: string[]}>
  labelValues(
    name: string,
    matchers: readonly Matcher[],
    hints: LabelQueryHints,
    signal?: AbortSignal,
  ): Promise<{values: string[]; warnings: string[]}>
  close?(): void
}

export interface Queryable {
  /** A querier for data in [mint, maxt] (ms, inclusive). */
  querier(mint: number, maxt: number): Querier
}
