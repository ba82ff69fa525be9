/**
 * Table tab: one row per series with its labels and value (or values, for a range vector).
 * A native histogram sample (the API's `histogram` in place of `value`) shows its count, sum
 * and buckets; histogram points of a range vector their count and sum, the buckets on hover.
 */
import {formatTime} from '../../lib/format.js'
import {bucketRange, HistogramValue, histogramSummary} from './HistogramValue.js'
import type {InstantSeries, QueryData, RangeSeries} from './result-types.js'
import {SeriesLabels} from './SeriesLabels.js'

/** Rows rendered at most; a browser chokes on a 100k-row DOM (Prometheus caps it too). */
const MAX_ROWS = 10_000

export function TableView({data, localTime}: {data: QueryData; localTime: boolean}) {
  if (data.resultType === 'scalar' || data.resultType === 'string') {
    return (
      <table class="data-table" data-testid="result-table">
        <tbody>
          <tr class="result-row">
            <td class="series-cell">
              <span class="muted">{data.resultType}</span>
            </td>
            <td class="value-cell">{data.result[1]}</td>
          </tr>
        </tbody>
      </table>
    )
  }
  if (data.result.length === 0) {
    return (
      <div class="alert alert-info" data-testid="empty-result">
        <strong>Empty query result.</strong> No series matched this expression at the evaluation time.
      </div>
    )
  }
  const shown = data.result.length > MAX_ROWS ? data.result.slice(0, MAX_ROWS) : data.result
  return (
    <>
      {data.result.length > MAX_ROWS && (
        <div class="alert alert-warning">
          Showing the first {MAX_ROWS.toLocaleString()} of {data.result.length.toLocaleString()} series. Narrow the expression to see the rest.
        </div>
      )}
      <table class="data-table" data-testid="result-table">
        <tbody>
          {data.resultType === 'vector'
            ? (shown as InstantSeries[]).map((s, i) => (
                <tr class="result-row" key={i}>
                  <td class="series-cell">
                    <SeriesLabels metric={s.metric} />
                  </td>
                  <td class="value-cell">{s.histogram ? <HistogramValue h={s.histogram[1]} /> : (s.value?.[1] ?? '')}</td>
                </tr>
              ))
            : (shown as RangeSeries[]).map((s, i) => (
                <tr class="result-row" key={i}>
                  <td class="series-cell">
                    <SeriesLabels metric={s.metric} />
                  </td>
                  <td class="value-cell">
                    {rangePoints(s).map(({t, text, title}, j) => (
                      <div key={j} class="range-sample" title={title}>
                        {text} <span class="muted" title={formatTime(t * 1000, localTime)}>@{t}</span>
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
        </tbody>
      </table>
    </>
  )
}

/** A range series' floats and histograms in time order (Prometheus writes them under separate keys). */
function rangePoints(s: RangeSeries): {t: number; text: string; title?: string}[] {
  const out: {t: number; text: string; title?: string}[] = (s.values ?? []).map(([t, v]) => ({t, text: v}))
  for (const [t, h] of s.histograms ?? []) {
    out.push({t, text: histogramSummary(h), title: (h.buckets ?? []).map((b) => `${bucketRange(b)}: ${b[3]}`).join('\n')})
  }
  if (s.values?.length && s.histograms?.length) out.sort((a, b) => a.t - b.t)
  return out
}
