/**
 * Rules page (Thanos's and Prometheus 2's Rules page): every rule group of every endpoint,
 * deduplicated by the querier, one table per group with its last evaluation and evaluation
 * time; per rule its definition (alert or record name and expression linked to the query
 * page, for, keep_firing_for, labels, annotations), health, last error, last evaluation and
 * evaluation time. Refreshes every 15 s.
 */
import {LabelChips} from '../components/LabelChips.js'
import {durationText, queryLink, secondsText, sinceText, usePolled, type ApiRule, type ApiRuleGroup} from '../lib/global-view.js'

const HEALTH_BADGE: Record<string, string> = {ok: 'badge-up', err: 'badge-down'}

function RuleCell({rule}: {rule: ApiRule}) {
  return (
    <td class="rule-cell">
      <div>
        <strong>{rule.type === 'alerting' ? 'alert' : 'record'}:</strong>{' '}
        <a href={queryLink(rule.type === 'alerting' ? `ALERTS{alertname="${rule.name}"}` : rule.name)}>{rule.name}</a>
      </div>
      <div>
        <strong>expr:</strong> <a class="mono" href={queryLink(rule.query)}>{rule.query}</a>
      </div>
      {rule.type === 'alerting' && rule.duration > 0 && (
        <div>
          <strong>for:</strong> {durationText(rule.duration)}
        </div>
      )}
      {rule.type === 'alerting' && rule.keepFiringFor > 0 && (
        <div>
          <strong>keep_firing_for:</strong> {durationText(rule.keepFiringFor)}
        </div>
      )}
      <div class="rule-labels">
        <strong>labels:</strong> <LabelChips labels={rule.labels} />
      </div>
      {rule.type === 'alerting' && Object.keys(rule.annotations).length > 0 && (
        <div>
          <strong>annotations:</strong>
          {Object.entries(rule.annotations).map(([k, v]) => (
            <div class="indent mono" key={k}>
              {k}: {v}
            </div>
          ))}
        </div>
      )}
    </td>
  )
}

export function RulesPage() {
  const {data, warnings, error} = usePolled<{groups: ApiRuleGroup[]}>('rules', 15_000)
  const groups = data?.groups ?? []
  return (
    <div class="page">
      <div class="page-toolbar">
        <h1 class="page-title">Rules</h1>
        {data && (
          <span class="muted">
            {groups.length} group{groups.length === 1 ? '' : 's'}, {groups.reduce((n, g) => n + g.rules.length, 0)} rules
          </span>
        )}
      </div>
      {error && <div class="alert alert-error">Cannot load the rules: {error}</div>}
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
      {data && groups.length === 0 && <div class="alert alert-info">No rules: none of the querier's endpoints serve any.</div>}
      {groups.map((g) => (
        <section class="card" key={`${g.file};${g.name}`} data-testid="rule-group" data-group={g.name}>
          <h2 class="card-title group-title" id={`group-${g.name}`}>
            <a href={`#group-${g.name}`}>{g.name}</a>
            <span class="muted group-file">{g.file}</span>
            <span class="group-eval muted">
              last evaluation {sinceText(g.lastEvaluation)} · took {secondsText(g.evaluationTime)} · every {durationText(g.interval)}
            </span>
          </h2>
          <div class="table-scroll">
            <table class="data-table rules-table">
              <thead>
                <tr>
                  <th>Rule</th>
                  <th>State</th>
                  <th>Error</th>
                  <th>Last Evaluation</th>
                  <th>Evaluation Time</th>
                </tr>
              </thead>
              <tbody>
                {g.rules.map((r, i) => (
                  <tr key={`${r.name}-${i}`} data-testid="rule-row" data-name={r.name} data-health={r.health} data-type={r.type}>
                    <RuleCell rule={r} />
                    <td>
                      <span class={`badge ${HEALTH_BADGE[r.health] ?? 'badge-pending'}`}>{r.health}</span>
                    </td>
                    <td class="last-error">{r.lastError ? <span class="text-down">{r.lastError}</span> : null}</td>
                    <td class="nowrap" title={r.lastEvaluation}>
                      {sinceText(r.lastEvaluation)}
                    </td>
                    <td class="nowrap">{secondsText(r.evaluationTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </div>
  )
}
