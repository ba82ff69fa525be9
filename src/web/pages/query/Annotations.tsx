/**
 * A query's annotations above its result: warnings (a store that failed, PromQL warnings such as
 * a quantile out of range) and, beside them, PromQL's infos (hints such as "metric might not be
 * a counter"), which Prometheus 3 answers apart as `infos` and its UI shows apart too.
 */
interface AnnotationsProps {
  warnings: string[]
  infos: string[]
}

export function Annotations({warnings, infos}: AnnotationsProps) {
  return (
    <>
      {warnings.length > 0 && (
        <div class="alert alert-warning" data-testid="warnings">
          <strong>Warning{warnings.length > 1 ? 's' : ''}:</strong>
          <ul>
            {warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      {infos.length > 0 && (
        <div class="alert alert-info" data-testid="infos">
          <strong>Info{infos.length > 1 ? 's' : ''}:</strong>
          <ul>
            {infos.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </div>
      )}
    </>
  )
}
