/** Runtime & build information, and how this querier deduplicates. */
import {useEffect, useState} from 'preact/hooks'
import {api} from '../lib/api.js'

type Info = Record<string, string | number>

function InfoTable({rows}: {rows: Array<[string, string]>}) {
  return (
    <table class="data-table kv-table">
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td class="mono">{v === '' ? <span class="muted">–</span> : v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function StatusPage({flags}: {flags: Record<string, string>}) {
  const [build, setBuild] = useState<Info | null>(null)
  const [runtime, setRuntime] = useState<Info | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    api<Info>('status/buildinfo')
      .then((r) => setBuild(r.data))
      .catch((e: unknown) => setError((e as Error).message))
    api<Info>('status/runtimeinfo')
      .then((r) => setRuntime(r.data))
      .catch((e: unknown) => setError((e as Error).message))
  }, [])
  const replica = (flags['query.replica-label'] ?? '').split(',').filter(Boolean)
  return (
    <div class="page">
      <div class="page-toolbar">
        <h1 class="page-title">Runtime &amp; build information</h1>
      </div>
      {error && <div class="alert alert-error">{error}</div>}
      <section class="card" data-testid="dedup-info">
        <h2 class="card-title">Deduplication</h2>
        <p class="card-text">
          {replica.length > 0 ? (
            <>
              Deduplication removes replica labels: {replica.map((l, i) => (
                <span key={l}>
                  <code class="label-chip">{l}</code>
                  {i < replica.length - 1 ? ' ' : ''}
                </span>
              ))}
              . Series from HA replicas that differ only in these labels are merged into one, filling one replica's gaps with the other's samples.
            </>
          ) : (
            <>No replica labels are configured (--query.replica-label): deduplication has nothing to remove.</>
          )}
        </p>
        <InfoTable
          rows={[
            ['Replica labels', replica.join(', ')],
            ['Algorithm', flags['deduplication.func'] ?? 'penalty'],
            ['Partial response by default', flags['query.partial-response'] ?? 'true'],
          ]}
        />
      </section>
      <section class="card">
        <h2 class="card-title">Runtime information</h2>
        {runtime ? <InfoTable rows={Object.entries(runtime).filter(([k]) => ['startTime', 'CWD', 'storageRetention'].includes(k) && runtime[k] !== '').map(([k, v]) => [LABELS[k] ?? k, String(v)])} /> : <div class="muted">Loading…</div>}
      </section>
      <section class="card">
        <h2 class="card-title">Build information</h2>
        {build ? <InfoTable rows={Object.entries(build).map(([k, v]) => [LABELS[k] ?? k, String(v)])} /> : <div class="muted">Loading…</div>}
      </section>
    </div>
  )
}

const LABELS: Record<string, string> = {
  startTime: 'Start time',
  CWD: 'Working directory',
  storageRetention: 'Storage retention',
  version: 'Version',
  revision: 'Revision',
  branch: 'Branch',
  buildUser: 'Build user',
  buildDate: 'Build date',
  goVersion: 'Runtime',
}
