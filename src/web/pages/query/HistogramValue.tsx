/**
 * A native histogram sample in the table tab, as Prometheus's UI shows one (web/ui/mantine-ui
 * src/pages/query/HistogramHelpers.tsx): total count, sum and a small table of the populated
 * buckets. Bucket intervals follow the API's boundary rule (util/jsonutil/marshal.go
 * MarshalHistogram): 0 = upper end inclusive, 1 = lower only, 2 = neither, 3 = both.
 */
import type {ApiHistogramValue} from '../../../core/api/api-types.js'

type Bucket = NonNullable<ApiHistogramValue['buckets']>[number]

export function bucketRange([rule, lower, upper]: Bucket): string {
  const open = rule === 1 || rule === 3 ? '[' : '('
  const close = rule === 0 || rule === 3 ? ']' : ')'
  return `${open}${lower}, ${upper}${close}`
}

export function HistogramValue({h}: {h: ApiHistogramValue}) {
  const buckets = h.buckets ?? []
  return (
    <div class="histogram-value" data-testid="histogram-value">
      <div>
        <span class="muted">Total count:</span> <span data-testid="histogram-count">{h.count}</span>
      </div>
      <div>
        <span class="muted">Sum:</span> <span data-testid="histogram-sum">{h.sum}</span>
      </div>
      {buckets.length === 0 ? (
        <div class="muted">no populated buckets</div>
      ) : (
        <table class="histogram-buckets" data-testid="histogram-buckets">
          <thead>
            <tr>
              <th>Bucket range</th>
              <th>Count</th>
            </tr>
          </thead>
          <tbody>
            {buckets.map((b, i) => (
              <tr key={i}>
                <td>{bucketRange(b)}</td>
                <td>{b[3]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

/** One line for a histogram point among many (range vectors): `count=… sum=…`. */
export function histogramSummary(h: ApiHistogramValue): string {
  return `count=${h.count} sum=${h.sum}`
}
