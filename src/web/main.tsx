/**
 * thanosts query's web UI: a Prometheus-style query page with Thanos's deduplication and
 * partial-response switches, Alerts, Rules and Targets pages over every endpoint, a Stores
 * page and status pages. Routing is by path under the
 * prefix the server writes into index.html.
 */
import 'uplot/dist/uPlot.min.css'
import './style.css'
import {render} from 'preact'
import {useEffect, useState} from 'preact/hooks'
import {Header} from './components/Header.js'
import {api, currentRoute} from './lib/api.js'
import {AlertsPage} from './pages/AlertsPage.js'
import {FlagsPage} from './pages/FlagsPage.js'
import {QueryPage} from './pages/query/QueryPage.js'
import {RulesPage} from './pages/RulesPage.js'
import {StatusPage} from './pages/StatusPage.js'
import {StoresPage} from './pages/StoresPage.js'
import {TargetsPage} from './pages/TargetsPage.js'

function App() {
  const [route, setRoute] = useState(currentRoute())
  const [flags, setFlags] = useState<Record<string, string> | null>(null)
  const [version, setVersion] = useState('')
  useEffect(() => {
    const on = (): void => setRoute(currentRoute())
    window.addEventListener('popstate', on)
    window.addEventListener('thanosts:navigate', on)
    // The flags tell the query page the replica labels and the partial-response default.
    api<Record<string, string>>('status/flags')
      .then((r) => setFlags(r.data))
      .catch(() => setFlags({}))
    api<{version: string}>('status/buildinfo')
      .then((r) => setVersion(r.data.version))
      .catch(() => undefined)
    return () => {
      window.removeEventListener('popstate', on)
      window.removeEventListener('thanosts:navigate', on)
    }
  }, [])
  useEffect(() => {
    const titles: Record<string, string> = {'/stores': 'Stores', '/alerts': 'Alerts', '/rules': 'Rules', '/targets': 'Targets', '/status': 'Status', '/flags': 'Flags'}
    document.title = `${titles[route] ?? 'Query'} · thanosts`
  }, [route])

  let page
  if (flags === null) page = <div class="page muted">Loading…</div>
  else if (route === '/stores') page = <StoresPage />
  else if (route === '/alerts') page = <AlertsPage />
  else if (route === '/rules') page = <RulesPage />
  else if (route === '/targets') page = <TargetsPage />
  else if (route === '/status') page = <StatusPage flags={flags} />
  else if (route === '/flags') page = <FlagsPage flags={flags} />
  else
    page = (
      <QueryPage
        key={route}
        replicaLabels={(flags['query.replica-label'] ?? '').split(',').filter(Boolean)}
        defaultPartialResponse={(flags['query.partial-response'] ?? 'true') !== 'false'}
      />
    )
  return (
    <>
      <Header route={route} version={version} />
      <main class="main">{page}</main>
    </>
  )
}

render(<App />, document.getElementById('root')!)
