/** Command-line flags the querier runs with, filterable. */
import {useState} from 'preact/hooks'

export function FlagsPage({flags}: {flags: Record<string, string>}) {
  const [filter, setFilter] = useState('')
  const f = filter.toLowerCase()
  const rows = Object.keys(flags)
    .sort()
    .filter((k) => k.toLowerCase().includes(f) || flags[k]!.toLowerCase().includes(f))
  return (
    <div class="page">
      <div class="page-toolbar">
        <h1 class="page-title">Command-line flags</h1>
        <input class="input filter-input" placeholder="Filter by flag name or value" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
      </div>
      <section class="card">
        <table class="data-table kv-table" data-testid="flags-table">
          <tbody>
            {rows.map((k) => (
              <tr key={k}>
                <th class="mono">--{k}</th>
                <td class="mono">{flags[k] === '' ? <span class="muted">""</span> : flags[k]}</td>
              </tr>
            ))}
            {rows.length === 0 && (
              <tr>
                <td class="muted">No flags match.</td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
    </div>
  )
}
