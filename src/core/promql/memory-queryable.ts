/**
 * An in-memory Queryable: series with typed-array samples. Used by tests, the conformance
 * runner and benchmarks; the same engine runs over stores in production.
 */
import {compareLabels, compareStrings, labelsKey, type Labels} from '../labels/labels.js'
import {matchesAll, type Matcher} from '../labels/matcher.js'
import type {FloatHistogram} from '../histogram/float-histogram.js'
import {blockIterator} from './block-iterator.js'
import type {LabelQueryHints, Querier, Queryable, SampleBlock, SelectHints, Series, SeriesSet} from './queryable.js'

export interface MemorySeries {
  labels: Labels
  ts: Float64Array
  vs: Float64Array
  /** stale markers, out of band (see chunkenc/value.ts) */
  stale?: Uint8Array
  /** start timestamps (ms, 0 = unknown), only for series loaded with them */
  st?: Float64Array
  /** native histograms by sample index (vs NaN there), only for series that hold some */
  hs?: (FloatHistogram | undefined)[]
}

export class MemoryQueryable implements Queryable {
  private series: MemorySeries[] = []
  private readonly byKey = new Map<string, MemorySeries>()

  /**
   * Adds samples (sorted by time) to a series, creating it if needed. `st` gives each sample's
   * start timestamp (0 = unknown); a series only keeps STs when some load gave them. `hs`
   * gives the native histogram of each sample that is one (undefined at float samples).
   */
  add(
    labels: Labels,
    ts: ArrayLike<number>,
    vs: ArrayLike<number>,
    stale?: ArrayLike<number>,
    st?: ArrayLike<number>,
    hs?: readonly (FloatHistogram | undefined)[],
  ): void {
    const key = labelsKey(labels)
    const prev = this.byKey.get(key)
    if (hs && !hs.some((h) => h !== undefined)) hs = undefined
    if (!prev) {
      const s: MemorySeries = {labels, ts: Float64Array.from(ts), vs: Float64Array.from(vs), stale: stale ? Uint8Array.from(stale) : undefined}
      if (st) s.st = Float64Array.from(st)
      if (hs) s.hs = Array.from({length: ts.length}, (_, i) => hs![i])
      this.byKey.set(key, s)
      this.series.push(s)
      this.series.sort((a, b) => compareLabels(a.labels, b.labels))
      return
    }
    // merge by timestamp (test scripts load the same series in several `load` blocks)
    const all: [number, number, number, number, FloatHistogram | undefined][] = []
    for (let i = 0; i < prev.ts.length; i++) all.push([prev.ts[i]!, prev.vs[i]!, prev.stale?.[i] ?? 0, prev.st?.[i] ?? 0, prev.hs?.[i]])
    for (let i = 0; i < ts.length; i++) all.push([ts[i]!, vs[i]!, stale?.[i] ?? 0, st?.[i] ?? 0, hs?.[i]])
    all.sort((a, b) => a[0] - b[0])
    prev.ts = Float64Array.from(all, (x) => x[0])
    prev.vs = Float64Array.from(all, (x) => x[1])
    prev.stale = Uint8Array.from(all, (x) => x[2])
    if (prev.st || st) prev.st = Float64Array.from(all, (x) => x[3])
    if (prev.hs || hs) prev.hs = all.map((x) => x[4])
  }

  clear(): void {
    this.series = []
    this.byKey.clear()
  }

  querier(): Querier {
    const all = (): MemorySeries[] => this.series
    return {
      async select(matchers: readonly Matcher[], hints: SelectHints): Promise<SeriesSet> {
        const series: Series[] = []
        for (const s of all()) {
          if (!matchesAll(matchers, s.labels)) continue
          // only series with samples in the range, as a TSDB querier
          let any = false
          for (let i = 0; i < s.ts.length; i++) if (s.ts[i]! >= hints.start && s.ts[i]! <= hints.end) { any = true; break }
          if (!any) continue
          series.push({labels: s.labels, iterator: () => blockIterator(s), samples: (mint, maxt, into) => samplesOf(s, mint, maxt, into)})
        }
        return {series, warnings: []}
      },
      async labelNames(matchers: readonly Matcher[], _h: LabelQueryHints) {
        const names = new Set<string>()
        for (const s of all()) if (matchesAll(matchers, s.labels)) for (const l of s.labels) names.add(l.name)
        return {names: [...names].sort(compareStrings), warnings: []}
      },
      async labelValues(name: string, matchers: readonly Matcher[], _h: LabelQueryHints) {
        const values = new Set<string>()
        for (const s of all()) {
          if (!matchesAll(matchers, s.labels)) continue
          const v = s.labels.find((l) => l.name === name)?.value
          if (v !== undefined) values.add(v)
        }
        return {values: [...values].sort(compareStrings), warnings: []}
      },
    }
  }
}

/**
 * The samples of `s` in [mint, maxt] as a block, written into `into` when it is large enough:
 * the fast path series over chunks offer (queryable.ts Series.samples), so the engine reads
 * in-memory data as it reads stores, scratch arrays reused from series to series included.
 */
function samplesOf(s: MemorySeries, mint: number, maxt: number, into?: SampleBlock): SampleBlock {
  let lo = 0
  while (lo < s.ts.length && s.ts[lo]! < mint) lo++
  let hi = lo
  while (hi < s.ts.length && s.ts[hi]! <= maxt) hi++
  const n = hi - lo
  const reuse = into !== undefined && into.ts.length >= n
  const ts = reuse ? into.ts.subarray(0, n) : new Float64Array(n)
  const vs = reuse ? into.vs.subarray(0, n) : new Float64Array(n)
  const stale = reuse ? into.stale.subarray(0, n) : new Uint8Array(n)
  ts.set(s.ts.subarray(lo, hi))
  vs.set(s.vs.subarray(lo, hi))
  if (s.stale) stale.set(s.stale.subarray(lo, hi))
  else stale.fill(0)
  const out: SampleBlock = {ts, vs, stale}
  if (s.st) out.st = s.st.slice(lo, hi)
  if (s.hs) {
    const hs = s.hs.slice(lo, hi)
    if (hs.some((h) => h !== undefined)) out.hs = hs
  }
  return out
}
