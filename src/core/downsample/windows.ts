/**
 * The window arithmetic of Thanos's downsampling (pkg/compact/downsample/downsample.go):
 * resolutions, where a window ends, how many output chunks a series gets, and the float
 * aggregator that sums up one window (count, sum, min, max) and the counter since the start
 * of the batch with resets corrected.
 */

/** downsample.ResLevel0/1/2: raw, 5 minutes, 1 hour (milliseconds). */
export const RES_RAW = 0
export const RES_5M = 5 * 60 * 1000
export const RES_1H = 60 * 60 * 1000

/** ResLevel1DownsampleRange / ResLevel2DownsampleRange: a block must span this much to be downsampled (40h, 10d). */
export const RES_5M_MIN_BLOCK_SPAN = 40 * 60 * 60 * 1000
export const RES_1H_MIN_BLOCK_SPAN = 10 * 24 * 60 * 60 * 1000

/** The raw scrape interval Thanos assumes when sizing the chunks of raw data (1 minute). */
export const ASSUMED_RAW_INTERVAL = 60 * 1000

/** Samples per output chunk above which another chunk is planned (targetChunkCount). */
const MAX_AVG_SAMPLES_PER_CHUNK = 140

/**
 * The last timestamp of the window `t` falls into (currentWindow): windows are [k·r, (k+1)·r)
 * and are stamped with their last millisecond, so no aggregate steps out of a block's
 * [mint, maxt) range. `%` truncates toward zero in JS as in Go.
 */
export function windowEnd(t: number, r: number): number {
  return t - (t % r) + r - 1
}

/**
 * How many chunks a series' downsampled data is cut into (targetChunkCount with
 * rangeFullness): the samples the range could hold at the output resolution, scaled by how
 * full the range is at the input resolution, at most 140 per chunk on average. Go's integer
 * divisions and float-to-int truncation are kept, so the count is Thanos's.
 */
export function targetChunkCount(mint: number, maxt: number, inRes: number, outRes: number, count: number): number {
  const maxSamples = Math.trunc((maxt - mint) / outRes)
  let fullness = count / ((maxt - mint) / inRes)
  if (fullness > 1) fullness = 1
  const expSamples = Math.trunc(maxSamples * fullness) + 1
  let x = 1
  while (Math.trunc(expSamples / x) > MAX_AVG_SAMPLES_PER_CHUNK) x++
  return x
}

/**
 * floatAggregator: count, sum, min, max of the current window, and the counter over the whole
 * batch: the first value, then each increase, and after a drop (a counter reset) the new value
 * in full. Fields, no object per sample.
 */
export class FloatAggregator {
  /** Samples since the batch started. */
  total = 0
  count = 0
  sum = 0
  min = Number.MAX_VALUE
  max = -Number.MAX_VALUE
  counter = 0
  last = 0

  /** A new window (reset). */
  resetWindow(): void {
    this.count = 0
    this.sum = 0
    this.min = Number.MAX_VALUE
    this.max = -Number.MAX_VALUE
  }

  add(v: number): void {
    if (this.total > 0) this.counter += v < this.last ? v : v - this.last
    else this.counter = v
    this.last = v
    this.sum += v
    this.count++
    this.total++
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
  }
}

/**
 * downsampleBatch over floats: feeds ts/vs[from, to) to `aggr` window by window and calls
 * `emit(windowEnd)` after each window, the last window's end clamped to the batch's last
 * timestamp (later batches may start inside that window). Returns the last emitted time.
 * Hot loop: no allocation.
 */
export function aggregateWindows(ts: Float64Array, vs: Float64Array, from: number, to: number, r: number, aggr: FloatAggregator, emit: (t: number) => void): number {
  let next = -1
  const lastT = ts[to - 1]!
  for (let i = from; i < to; i++) {
    const t = ts[i]!
    if (t > next) {
      if (next !== -1) emit(next)
      aggr.resetWindow()
      next = Math.min(windowEnd(t, r), lastT)
    }
    aggr.add(vs[i]!)
  }
  if (aggr.total > 0) emit(next)
  return next
}
