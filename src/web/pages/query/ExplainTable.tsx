/**
 * "Explain deduplication" in the table tab: per result series, each selected series that fed it
 * and, in time order, the stretches each replica served and the holes no replica had data for
 * (the listing `thanosts query-once --explain` prints).
 */
import type {ApiExplain} from '../../../core/api/api-types.js'
import {formatTime, seriesName, type Metric} from '../../lib/format.js'
import {explainFor, listRows, replicaKey, replicaLegend} from './explain-model.js'
import {SeriesLabels} from './SeriesLabels.js'

/** Rows rendered at most, as the result table caps its own. */
const MAX_ROWS = 2_000

export function ExplainTable({explain, metrics, localTime}: {explain: ApiExplain; metrics: Metric[]; localTime: boolean}) {
  const colors = new Map(replicaLegend(explain).map((r) => [r.key, r.color]))
  const entries = explainFor(explain, metrics)
  const time = (s: number): string => formatTime(s * 1000, localTime)
  let budget = MAX_ROWS
  return (
    <div class="explain-list" data-testid="explain-table">
      <div class="explain-title">Explain deduplication: which replica served each stretch of each series</div>
      <table class="data-table">
        <thead>
          <tr>
            <th>input</th>
            <th>served by</th>
            <th>from</th>
            <th>to</th>
            <th>samples</th>
          </tr>
        </thead>
        {metrics.map((m, i) => {
          const e = entries[i]
          if (budget <= 0) return null
          return (
            <tbody key={i} data-testid="explain-series" data-series={seriesName(m)}>
              <tr class="explain-series-row">
                <td colSpan={5}>
                  <SeriesLabels metric={m} />
                  {(e?.inputs.length ?? 0) === 0 && <span class="muted"> · no selected series feeds it</span>}
                </td>
              </tr>
              {(e?.inputs ?? []).flatMap((inp, j) =>
                listRows(inp).map((r, k) => {
                  if (budget-- <= 0) return null
                  const who = k === 0 ? seriesName(inp.metric) : ''
                  return r.kind === 'span' ? (
                    <tr key={`${j}-${k}`} class="explain-span-row" data-replica={replicaKey(r.span.replica)}>
                      <td class="mono">{who}</td>
                      <td class="mono">
                        <span class="swatch" style={{background: colors.get(replicaKey(r.span.replica))}} /> {replicaKey(r.span.replica)} @ {r.span.store}
                      </td>
                      <td class="nowrap">{time(r.span.from)}</td>
                      <td class="nowrap">{time(r.span.to)}</td>
                      <td>{r.span.samples}</td>
                    </tr>
                  ) : (
                    <tr key={`${j}-${k}`} class="explain-hole-row">
                      <td class="mono">{who}</td>
                      <td>
                        <span class="swatch swatch-hatch" /> hole: no replica had data
                      </td>
                      <td class="nowrap">{time(r.from)}</td>
                      <td class="nowrap">{time(r.to)}</td>
                      <td />
                    </tr>
                  )
                }),
              )}
            </tbody>
          )
        })}
      </table>
      {budget < 0 && <div class="alert alert-warning">Showing the first {MAX_ROWS.toLocaleString()} rows; narrow the expression to see the rest.</div>}
    </div>
  )
}
