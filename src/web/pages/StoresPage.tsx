/**
 * Stores page (Thanos's StorePoolPanel): every StoreAPI endpoint the querier knows, grouped by
 * component type, with health, announced label sets, time range, last check and last error.
 * Refreshes itself every 10 s.
 */
import {useEffect, useState} from 'preact/hooks'
import type {StoreStatus} from '../../core/api/api-types.js'
import {api} from '../lib/api.js'
import {formatAgo, formatTime} from '../lib/format.js'


const REFRESH_MS = 10_000
/** Sidecars announce math.MinInt64/MaxInt64 for "no bound"; anything past year ±10000 is one. */
const NO_BOUND = 253402300800000

function bound(ms: number, open: string): string {
  if (ms >= NO_BOUND) return open
  if (ms <= -NO_BOUND) return open
  return formatTime(ms) + ' UTC'
}

/** Group order as Thanos lists component types; unknown types after, alphabetically. */
const TYPE_ORDER = ['sidecar', 'store', 'rule', 'receive', 'query', 'unknown']

export function StoresPage() {
  const [data, setData] = useState<Record<string, StoreStatus[]> | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [fetchedAt, setFetchedAt] = useState<number>(0)
  const [, tick] = useState(0)

  useEffect(() => {
    let stopped = false
    const load = (): void => {
      api<Record<string, StoreStatus[]>>('stores')
        .then((r) => {
          if (stopped) return
          setData(r.data)
          setError(null)
          setFetchedAt(Date.now())
        })
        .catch((e: unknown) => !stopped && setError((e as Error).message))
    }
    load()
    const t = window.setInterval(load, REFRESH_MS)
    // "last check 3s ago" keeps counting between refreshes
    const c = window.setInterval(() => tick((n) => n + 1), 1000)
    return () => {
      stopped = true
      window.clearInterval(t)
      window.clearInterval(c)
    }
  }, [])

  const types = data ? Object.keys(data).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)) : []
  const all = types.flatMap((t) => data![t]!)
  const down = all.filter((s) => s.lastError !== null).length
  return (
    <div class="page">
      <div class="page-toolbar">
        <h1 class="page-title">Stores</h1>
        {data && (
          <span class="muted">
            {all.length} endpoint{all.length === 1 ? '' : 's'}, {down === 0 ? 'all up' : <span class="text-down">{down} down</span>} · refreshed {formatAgo(fetchedAt)}
          </span>
        )}
      </div>
      {error && <div class="alert alert-error">Cannot load the stores: {error}</div>}
      {data && types.length === 0 && <div class="alert alert-info">The querier has no store endpoints. Pass them with --store / --endpoint or --store.sd-files.</div>}
      {types.map((t) => (
        <section class="card" key={t} data-testid={`store-group-${t}`}>
          <h2 class="card-title">
            {t}
            <span class="count-badge">{data![t]!.length}</span>
          </h2>
          <div class="table-scroll">
            <table class="data-table stores-table">
              <thead>
                <tr>
                  <th>Endpoint</th>
                  <th>Status</th>
                  <th>Announced label sets</th>
                  <th>Min time (UTC)</th>
                  <th>Max time (UTC)</th>
                  <th>Last successful health check</th>
                  <th>Last message</th>
                </tr>
              </thead>
              <tbody>
                {data![t]!.map((s) => {
                  const up = s.lastError === null
                  const checked = Date.parse(s.lastCheck)
                  return (
                    <tr key={s.name} class={up ? 'store-row' : 'store-row store-down'} data-testid="store-row" data-store={s.name} data-health={up ? 'up' : 'down'}>
                      <td class="mono">{s.name}</td>
                      <td>
                        <span class={`badge ${up ? 'badge-up' : 'badge-down'}`}>{up ? 'Up' : 'Down'}</span>
                      </td>
                      <td>
                        {s.labelSets.length === 0 ? (
                          <span class="muted">none</span>
                        ) : (
                          s.labelSets.map((ls, i) => (
                            <div class="label-set" key={i}>
                              {Object.keys(ls)
                                .sort()
                                .map((k) => (
                                  <span class="label-chip" key={k}>
                                    {k}="{ls[k]}"
                                  </span>
                                ))}
                            </div>
                          ))
                        )}
                      </td>
                      <td class="nowrap">{s.minTime === 0 && s.maxTime === 0 ? '–' : bound(s.minTime, '−∞')}</td>
                      <td class="nowrap">{s.minTime === 0 && s.maxTime === 0 ? '–' : bound(s.maxTime, '+∞')}</td>
                      <td class="nowrap" title={checked > 0 ? new Date(checked).toISOString() : ''}>
                        {checked > 0 ? formatAgo(checked) : <span class="muted">never</span>}
                      </td>
                      <td class="last-error">{s.lastError ?? <span class="muted">–</span>}</td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </div>
  )
}

function rank(t: string): number {
  const i = TYPE_ORDER.indexOf(t)
  return i < 0 ? TYPE_ORDER.length - 1 : i
}
