import type {Metric} from '../../lib/format.js'

/** `name{a="1", b="2"}` with each part styled, as Prometheus's table and legend print series. */
export function SeriesLabels({metric}: {metric: Metric}) {
  const name = metric.__name__
  const keys = Object.keys(metric)
    .filter((k) => k !== '__name__')
    .sort()
  return (
    <span class="series">
      {name !== undefined && <span class="series-name">{name}</span>}
      {(keys.length > 0 || name === undefined) && <span class="series-brace">{'{'}</span>}
      {keys.map((k, i) => (
        <span class="series-label" key={k}>
          <span class="label-name">{k}</span>="<span class="label-value">{metric[k]}</span>"{i < keys.length - 1 ? ', ' : ''}
        </span>
      ))}
      {(keys.length > 0 || name === undefined) && <span class="series-brace">{'}'}</span>}
    </span>
  )
}
