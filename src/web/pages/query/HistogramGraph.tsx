/**
 * The graph tab over a result that holds raw native histograms. The graph draws floats only:
 * functions of histograms (histogram_quantile, histogram_count(rate(…)), …) are floats and
 * plot as any series; raw histogram points are left to the table tab, with a note saying so
 * (Prometheus 3's UI draws them as a heatmap, not done here).
 */
import type {ComponentChildren} from 'preact'
import type {RangeSeries} from './result-types.js'

export function HistogramGraph({series, render}: {series: RangeSeries[]; render: (floats: RangeSeries[]) => ComponentChildren}) {
  const withHistograms = series.filter((s) => (s.histograms?.length ?? 0) > 0).length
  // a series that switches between floats and histograms keeps its float stretches on the graph
  const floats = series.filter((s) => (s.values?.length ?? 0) > 0)
  return (
    <>
      {withHistograms > 0 && (
        <div class="alert alert-info" data-testid="histogram-graph-note">
          {withHistograms === 1 ? 'One series holds' : `${withHistograms} series hold`} raw native histograms, which the graph does not draw: the{' '}
          <strong>Table</strong> tab shows their count, sum and buckets. To plot them, graph a function of them, e.g.{' '}
          <span class="mono">histogram_quantile(0.9, rate(…[5m]))</span> or <span class="mono">histogram_count(rate(…[5m]))</span>.
        </div>
      )}
      {floats.length > 0 && render(floats)}
    </>
  )
}
