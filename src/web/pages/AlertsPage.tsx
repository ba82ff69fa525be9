/**
 * Alerts page (Thanos's and Prometheus 2's Alerts page): every alerting rule of every endpoint,
 * deduplicated by the querier, grouped by rule file and group. State filters with counts of
 * rules (firing, pending, inactive), a search over names and labels, annotations on demand;
 * each rule opens to its definition (name, expression, for, keep_firing_for, labels,
 * annotations) and its alerts (labels, state, active since, value). Refreshes every 15 s.
 */
import {Fragment} from 'preact'
import {useState} from 'preact/hooks'
import {LabelChips} from '../components/LabelChips.js'
import {durationText, matchesSearch, queryLink, sinceText, usePolled, type AlertStateName, type ApiAlertingRule, type ApiRuleGroup} from '../lib/global-view.js'

const STATES = ['firing', 'pending', 'inactive'] as const
type Shown = Record<(typeof STATES)[number], boolean>

function RulePanel({rule, showAnnotations}: {rule: ApiAlertingRule; showAnnotations: boolean}) {
  const [open, setOpen] = useState(false)
  return (
    <div class={`alert-rule alert-rule-${rule.state}`} data-testid="alert-rule" data-name={rule.name} data-state={rule.state}>
      <button class="alert-rule-head" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span class="chevron">{open ? '▾' : '▸'}</span>
        <strong>{rule.name}</strong>
        <span class="muted">({rule.alerts.length} active)</span>
        <span class={`badge badge-${rule.state}`}>{rule.state}</span>
      </button>
      {open && (
        <div class="alert-rule-body">
          <pre class="rule-def">
            <div>
              name: <a href={queryLink(`ALERTS{alertname="${rule.name}"}`)}>{rule.name}</a>
            </div>
            <div>
              expr: <a href={queryLink(rule.query)}>{rule.query}</a>
            </div>
            {rule.duration > 0 && <div>for: {durationText(rule.duration)}</div>}
            {rule.keepFiringFor > 0 && <div>keep_firing_for: {durationText(rule.keepFiringFor)}</div>}
            {Object.keys(rule.labels).length > 0 && (
              <div>
                labels:
                {Object.entries(rule.labels).map(([k, v]) => (
                  <div class="indent" key={k}>
                    {k}: {v}
                  </div>
                ))}
              </div>
            )}
            {Object.keys(rule.annotations).length > 0 && (
              <div>
                annotations:
                {Object.entries(rule.annotations).map(([k, v]) => (
                  <div class="indent" key={k}>
                    {k}: {v}
                  </div>
                ))}
              </div>
            )}
          </pre>
          {rule.alerts.length > 0 && (
            <table class="data-table" data-testid="alert-instances">
              <thead>
                <tr>
                  <th>Labels</th>
                  <th>State</th>
                  <th>Active Since</th>
                  <th>Value</th>
                </tr>
              </thead>
              <tbody>
                {rule.alerts.map((a, i) => (
                  <Fragment key={i}>
                    <tr data-testid="alert-instance" data-state={a.state}>
                      <td>
                        <LabelChips labels={a.labels} />
                      </td>
                      <td>
                        <span class={`badge badge-${a.state}`}>{a.state}</span>
                      </td>
                      <td class="nowrap" title={a.activeAt ?? ''}>
                        {a.activeAt ?? <span class="muted">–</span>} <span class="muted">({sinceText(a.activeAt)})</span>
                      </td>
                      <td class="mono">{a.value}</td>
                    </tr>
                    {showAnnotations && (
                      <tr class="annotations-row" data-testid="alert-annotations">
                        <td colSpan={4}>
                          {Object.entries(a.annotations).map(([k, v]) => (
                            <div key={k}>
                              <strong>{k}</strong>
                              <div>{v}</div>
                            </div>
                          ))}
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </div>
  )
}

/** The group header's badges count alerts, as Thanos's GroupInfo: pending (n), firing (n). */
function GroupBadges({rules}: {rules: ApiAlertingRule[]}) {
  const count = (s: AlertStateName): number => rules.filter((r) => r.state === s).reduce((n, r) => n + r.alerts.length, 0)
  return (
    <span class="group-badges">
      {rules.some((r) => r.state === 'inactive') && <span class="badge badge-inactive">inactive</span>}
      {count('pending') > 0 && <span class="badge badge-pending">pending ({count('pending')})</span>}
      {count('firing') > 0 && <span class="badge badge-firing">firing ({count('firing')})</span>}
    </span>
  )
}

export function AlertsPage() {
  const {data, warnings, error} = usePolled<{groups: ApiRuleGroup[]}>('rules?type=alert', 15_000)
  const [shown, setShown] = useState<Shown>({firing: true, pending: true, inactive: true})
  const [search, setSearch] = useState('')
  const [showAnnotations, setShowAnnotations] = useState(false)
  const groups = (data?.groups ?? []).map((g) => ({...g, rules: g.rules.filter((r): r is ApiAlertingRule => r.type === 'alerting')}))
  const all = groups.flatMap((g) => g.rules)
  const visible = groups
    .map((g) => ({...g, rules: g.rules.filter((r) => r.state !== 'unknown' && shown[r.state] && matchesSearch(search, r.name, r.labels))}))
    .filter((g) => g.rules.length > 0)
  return (
    <div class="page">
      <div class="page-toolbar">
        <h1 class="page-title">Alerts</h1>
        <div class="state-filters">
          {STATES.map((s) => (
            <label class="check" key={s}>
              <input type="checkbox" checked={shown[s]} onChange={() => setShown({...shown, [s]: !shown[s]})} data-testid={`filter-${s}`} />
              <span class={`badge badge-${s}`} data-testid={`count-${s}`}>
                {s} ({all.filter((r) => r.state === s).length})
              </span>
            </label>
          ))}
        </div>
        <input class="input filter-input" placeholder="Filter by name or labels" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} data-testid="alerts-search" />
        <label class="check">
          <input type="checkbox" checked={showAnnotations} onChange={() => setShowAnnotations(!showAnnotations)} data-testid="show-annotations" />
          Show annotations
        </label>
      </div>
      {error && <div class="alert alert-error">Cannot load the alerts: {error}</div>}
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
      {data && all.length === 0 && <div class="alert alert-info">No alerting rules: none of the querier's endpoints serve any.</div>}
      {visible.map((g) => (
        <section class="card" key={`${g.file};${g.name}`} data-testid="alert-group" data-group={g.name}>
          <h2 class="card-title group-title">
            <span>
              {g.file} &gt; {g.name}
            </span>
            <GroupBadges rules={g.rules} />
          </h2>
          {g.rules.map((r, i) => (
            <RulePanel key={`${r.name}-${i}`} rule={r} showAnnotations={showAnnotations} />
          ))}
        </section>
      ))}
    </div>
  )
}
