/**
 * Targets page (Thanos's and Prometheus 2's Targets page): the active scrape targets of every
 * endpoint, deduplicated by the querier, by scrape pool with its up count (red when not all
 * are up); per target its endpoint, health, labels (the discovered labels on demand), last
 * scrape, scrape duration and error. All or only unhealthy pools, expand or collapse all, a
 * search over the endpoint and labels. Refreshes every 15 s.
 */
import {useState} from 'preact/hooks'
import {LabelChips} from '../components/LabelChips.js'
import {matchesSearch, secondsText, sinceText, usePolled, type ApiActiveTarget} from '../lib/global-view.js'

const HEALTH_BADGE: Record<string, string> = {up: 'badge-up', down: 'badge-down'}

function TargetRow({t}: {t: ApiActiveTarget}) {
  const [discovered, setDiscovered] = useState(false)
  return (
    <tr data-testid="target-row" data-health={t.health} data-url={t.scrapeUrl} class={t.health === 'down' ? 'store-down' : ''}>
      <td class="mono endpoint-cell">
        <a href={t.globalUrl || t.scrapeUrl} title={t.globalUrl}>
          {t.scrapeUrl}
        </a>
      </td>
      <td>
        <span class={`badge ${HEALTH_BADGE[t.health] ?? 'badge-pending'}`}>{t.health}</span>
      </td>
      <td>
        <LabelChips labels={t.labels} />
        <button class="link-button" onClick={() => setDiscovered(!discovered)}>
          {discovered ? 'hide discovered labels' : 'discovered labels'}
        </button>
        {discovered && <LabelChips labels={t.discoveredLabels} />}
      </td>
      <td class="nowrap" title={t.lastScrape}>
        {sinceText(t.lastScrape)}
      </td>
      <td class="nowrap">{secondsText(t.lastScrapeDuration)}</td>
      <td class="last-error">{t.lastError ? <span class="text-down">{t.lastError}</span> : null}</td>
    </tr>
  )
}

export function TargetsPage() {
  const {data, warnings, error} = usePolled<{activeTargets: ApiActiveTarget[]}>('targets?state=active', 15_000)
  const [onlyUnhealthy, setOnlyUnhealthy] = useState(false)
  const [search, setSearch] = useState('')
  const [collapsed, setCollapsed] = useState<Record<string, boolean>>({})
  const targets = (data?.activeTargets ?? []).filter((t) => matchesSearch(search, t.scrapeUrl, t.labels) || t.scrapePool.includes(search.trim()))
  const pools = new Map<string, ApiActiveTarget[]>()
  for (const t of targets) pools.set(t.scrapePool, [...(pools.get(t.scrapePool) ?? []), t])
  const names = [...pools.keys()].sort()
  const allCollapsed = names.length > 0 && names.every((n) => collapsed[n])
  return (
    <div class="page">
      <div class="page-toolbar">
        <h1 class="page-title">Targets</h1>
        <div class="segmented">
          <button class={onlyUnhealthy ? '' : 'active'} onClick={() => setOnlyUnhealthy(false)} data-testid="targets-all">
            All
          </button>
          <button class={onlyUnhealthy ? 'active' : ''} onClick={() => setOnlyUnhealthy(true)} data-testid="targets-unhealthy">
            Unhealthy
          </button>
          <button onClick={() => setCollapsed(Object.fromEntries(names.map((n) => [n, !allCollapsed])))}>{allCollapsed ? 'Expand All' : 'Collapse All'}</button>
        </div>
        <input class="input filter-input" placeholder="Filter by endpoint or labels" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} data-testid="targets-search" />
      </div>
      {error && <div class="alert alert-error">Cannot load the targets: {error}</div>}
      {warnings.length > 0 && (
        <div class="alert alert-warning" data-testid="warnings">
          Partial answer:
          <ul>
            {warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      {data && data.activeTargets.length === 0 && <div class="alert alert-info">No targets: none of the querier's endpoints scrape any.</div>}
      {names.map((pool) => {
        const ts = onlyUnhealthy ? pools.get(pool)!.filter((t) => t.health !== 'up') : pools.get(pool)!
        const all = pools.get(pool)!
        const up = all.filter((t) => t.health === 'up').length
        if (ts.length === 0) return null
        return (
          <section class="card" key={pool} data-testid="scrape-pool" data-pool={pool} data-up={`${up}/${all.length}`}>
            <h2 class="card-title pool-title">
              <button class="link-button" onClick={() => setCollapsed({...collapsed, [pool]: !collapsed[pool]})}>
                {collapsed[pool] ? '▸' : '▾'}
              </button>
              <a id={`pool-${pool}`} href={`#pool-${pool}`} class={up < all.length ? 'text-down' : ''}>
                {pool} ({up}/{all.length} up)
              </a>
            </h2>
            {!collapsed[pool] && (
              <div class="table-scroll">
                <table class="data-table targets-table">
                  <thead>
                    <tr>
                      <th>Endpoint</th>
                      <th>State</th>
                      <th>Labels</th>
                      <th>Last Scrape</th>
                      <th>Scrape Duration</th>
                      <th>Error</th>
                    </tr>
                  </thead>
                  <tbody>
                    {ts.map((t) => (
                      <TargetRow key={`${t.scrapeUrl};${JSON.stringify(t.labels)}`} t={t} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        )
      })}
    </div>
  )
}
