/**
 * promqltest's load_with_nhcb (promql/promqltest/test.go appendCustomHistogram): besides the
 * series as written, every classic histogram of the block (`x_bucket{le=...}`, `x_count`,
 * `x_sum`, grouped by their labels without `le`) becomes a native histogram series with custom
 * buckets named `x`, one histogram per timestamp at which any of its float series has a
 * sample. The conversion is the product's (src/core/histogram/classic-to-nhcb.ts).
 */
import {ClassicHistogramBuilder, classicHistogramBaseName} from '../../src/core/histogram/classic-to-nhcb.js'
import {labelsKey, METRIC_NAME, type Labels} from '../../src/core/labels/labels.js'
import {parseNumber} from '../../src/core/promql/parser/parser.js'
import {isHistValue} from './histogram-notation.js'
import {staleValue, type SeriesDesc, type SeriesValue} from './script.js'

interface Collated {
  labels: Labels
  /** sample position → the histogram's pieces at that position */
  byPos: Map<number, ClassicHistogramBuilder>
}

/** The NHCB series load_with_nhcb adds for the classic histograms among `series`; throws as the load would fail. */
export function nhcbSeries(series: readonly SeriesDesc[]): SeriesDesc[] {
  const byBase = new Map<string, Collated>()
  for (const s of series) {
    const name = s.labels.find((l) => l.name === METRIC_NAME)?.value ?? ''
    const {suffix, base} = classicHistogramBaseName(name)
    if (suffix === 'none') continue
    let set: (b: ClassicHistogramBuilder, v: number) => void
    if (suffix === 'bucket') {
      const leText = s.labels.find((l) => l.name === 'le')?.value
      if (leText === undefined) throw new Error(`expected bucket label in metric ${name}`)
      // strconv.ParseFloat's syntax; an unparsable or NaN bound leaves the series out
      let le: number
      try {
        le = parseNumber(leText)
      } catch {
        continue
      }
      if (Number.isNaN(le)) continue
      set = (b, v) => b.setBucketCount(le, v)
    } else if (suffix === 'count') set = (b, v) => b.setCount(v)
    else set = (b, v) => b.setSum(v)
    // GetHistogramMetricBase: the base name, without `le`
    const labels = s.labels.filter((l) => l.name !== 'le').map((l) => (l.name === METRIC_NAME ? {name: METRIC_NAME, value: base} : l))
    const key = labelsKey(labels)
    let c = byBase.get(key)
    if (!c) byBase.set(key, (c = {labels, byPos: new Map()}))
    s.values.forEach((v, i) => {
      if (v === undefined || isHistValue(v)) return
      let b = c.byPos.get(i)
      if (!b) c.byPos.set(i, (b = new ClassicHistogramBuilder()))
      set(b, floatOf(v))
    })
  }
  const out: SeriesDesc[] = []
  for (const c of byBase.values()) {
    const values: SeriesValue[] = []
    for (const [pos, b] of c.byPos) {
      const r = b.convert()
      let fh
      if (r.h) {
        r.h.validate()
        fh = r.h.toFloat()
      } else fh = r.fh
      fh.validate()
      values[pos] = {h: fh, hintSet: false}
    }
    out.push({labels: c.labels, values: Array.from(values), nativeHistogram: true})
  }
  return out
}

function floatOf(v: Exclude<SeriesValue, undefined>): number {
  return v === 'stale' ? staleValue() : (v as number)
}
